import type { Evaluation, ModelCheck } from '../core/detect/evaluation.js';
import type { CheckResult } from '../core/detect/result.js';
import { modelVersionKey } from '../core/keys.js';

/** One evaluated window of one (model, version), kept compact for a timeline (docs/reports.md). */
export interface WindowPoint {
  windowEndMs: number;
  sampleCount: number;
  /** Hysteresis state after the window: `drifting` windows make up the shaded episodes. */
  state: 'ok' | 'drifting';
  driftDetected: boolean;
  insufficient: boolean;
  maxScore: number | null;
  /** Per feature, in `WindowTimeline.features` order: the score (NaN when none), its threshold, whether it drifted. */
  scores: Float64Array;
  thresholds: Float64Array;
  drifted: Uint8Array;
}

/** The recent windows of one (model, version), and the last one in full. */
export interface WindowTimeline {
  model: string;
  modelVersion: string;
  /** Feature names, in the order of every point's arrays (the first check's order). */
  features: readonly string[];
  points: WindowPoint[];
  /** The last evaluated window: its check, its bounds and (when the engine kept them) its values. */
  last: { windowStartMs: number; windowEndMs: number; check: ModelCheck };
}

export interface WindowHistoryOptions {
  /** Windows kept per (model, version); the oldest is dropped beyond it (REPORT_WINDOWS). */
  windows: number;
}

/**
 * The bounded history behind the reports: per (model, version), the last `windows` evaluated
 * windows as compact points (a score, a threshold and a flag per feature) and the last window's
 * check in full. It is fed once per evaluation, off the per-event path.
 */
export class WindowHistory {
  private readonly timelines = new Map<string, WindowTimeline>();
  readonly windows: number;

  constructor(options: WindowHistoryOptions) {
    if (!(Number.isInteger(options.windows) && options.windows >= 1)) throw new RangeError(`windows (${options.windows}) must be a positive integer`);
    this.windows = options.windows;
  }

  record(evaluation: Evaluation): void {
    const windowEndMs = evaluation.windowEnd.getTime();
    const windowStartMs = evaluation.windowStart.getTime();
    for (const mc of evaluation.checks) {
      const key = modelVersionKey(mc.model, mc.modelVersion);
      let timeline = this.timelines.get(key);
      if (!timeline) {
        timeline = { model: mc.model, modelVersion: mc.modelVersion, features: Object.keys(mc.check.features), points: [], last: { windowStartMs, windowEndMs, check: mc } };
        this.timelines.set(key, timeline);
      }
      timeline.points.push(point(windowEndMs, mc, timeline.features));
      if (timeline.points.length > this.windows) timeline.points.splice(0, timeline.points.length - this.windows);
      timeline.last = { windowStartMs, windowEndMs, check: mc };
    }
  }

  get(model: string, modelVersion: string): WindowTimeline | undefined {
    return this.timelines.get(modelVersionKey(model, modelVersion));
  }

  all(): WindowTimeline[] {
    return [...this.timelines.values()];
  }
}

function point(windowEndMs: number, mc: ModelCheck, features: readonly string[]): WindowPoint {
  const check: CheckResult = mc.check;
  const scores = new Float64Array(features.length);
  const thresholds = new Float64Array(features.length);
  const drifted = new Uint8Array(features.length);
  features.forEach((name, i) => {
    const f = check.features[name];
    scores[i] = f?.score ?? Number.NaN;
    thresholds[i] = f?.threshold ?? Number.NaN;
    drifted[i] = f?.drifted ? 1 : 0;
  });
  return {
    windowEndMs,
    sampleCount: check.sample_count,
    state: mc.state,
    driftDetected: check.drift_detected,
    insufficient: check.status === 'insufficient_samples',
    maxScore: check.max_drift_score,
    scores,
    thresholds,
    drifted,
  };
}
