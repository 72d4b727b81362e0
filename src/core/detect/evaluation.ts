import type { StateChange } from './hysteresis.js';
import type { CheckResult } from './result.js';
import type { FeatureSetAccumulator } from '../stats/index.js';

/** One (model, version)'s check of a window, with its hysteresis state after the check. */
export interface ModelCheck {
  model: string;
  modelVersion: string;
  check: CheckResult;
  change: StateChange;
  state: 'ok' | 'drifting';
  /** Events of this model that were late or invalid since the previous evaluation. */
  lateEvents: number;
  invalidEvents: number;
  durationMs: number;
  /**
   * A copy of the window's current values (on the reference's bins), kept only when the engine
   * is asked to (`keepCurrent`: the reports of docs/reports.md draw their histograms from it).
   */
  current?: FeatureSetAccumulator;
}

export interface Evaluation {
  windowStart: Date;
  windowEnd: Date;
  checks: ModelCheck[];
  /** Wall time when the watermark was seen past the window end. */
  closedAtWallMs: number;
}
