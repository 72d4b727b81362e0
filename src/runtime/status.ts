import type { CheckResult } from '../core/detect/result.js';
import type { Evaluation } from '../core/detect/evaluation.js';
import { modelVersionKey } from '../core/keys.js';
import type { RuntimeMetrics } from './ports.js';

/** Latest check per (model, version), for /drift and the metrics. */
export interface LatestCheck {
  model: string;
  modelVersion: string;
  windowEnd: string;
  state: 'ok' | 'drifting';
  check: CheckResult;
}

/**
 * The status stage: what the service knows of itself, read by the HTTP endpoints. It holds
 * the latest check of every (model, version), the sinks whose latest export failed, and the
 * evaluation failure in progress, if any; it never blocks the hot path.
 */
export class Status {
  readonly latest = new Map<string, LatestCheck>();
  /** Sinks whose latest export failed. */
  readonly failingSinks = new Set<string>();
  /** The error of the evaluation run that failed last, until a run succeeds again. */
  evaluationFailure: Error | null = null;
  /** The error of the dead-letter write being retried, until one succeeds (not ready meanwhile). */
  deadLetterFailure: Error | null = null;
  /** An export was abandoned at shutdown: its window must not be committed as evaluated. */
  exportAbandoned = false;

  constructor(private readonly metrics: RuntimeMetrics) {}

  record(evaluation: Evaluation): void {
    const windowEnd = evaluation.windowEnd.toISOString();
    for (const mc of evaluation.checks) {
      this.latest.set(modelVersionKey(mc.model, mc.modelVersion), { model: mc.model, modelVersion: mc.modelVersion, windowEnd, state: mc.state, check: mc.check });
      this.metrics.checkRecorded(mc);
    }
  }

  /**
   * The integration guide's dashboard JSON, per model: the latest check of its most recently
   * evaluated version at the top (feature_scores, last_check, drift_detected), and every
   * version's latest check under `versions` (a canary beside the stable version).
   */
  driftSummary(): Record<string, unknown> {
    const models: Record<string, { window_end: string; versions: Record<string, unknown>; [k: string]: unknown }> = {};
    for (const latest of this.latest.values()) {
      const featureScores: Record<string, number | null> = {};
      for (const [name, f] of Object.entries(latest.check.features)) featureScores[name] = f.score;
      const summary = {
        model_version: latest.modelVersion,
        feature_scores: featureScores,
        drifted_features: latest.check.drifted_features,
        last_check: latest.check.timestamp,
        window_end: latest.windowEnd,
        drift_detected: latest.check.drift_detected,
        state: latest.state,
        status: latest.check.status,
        metric: latest.check.metric,
        threshold: latest.check.threshold,
        sample_count: latest.check.sample_count,
      };
      const entry = models[latest.model];
      const versions = { ...(entry?.versions ?? {}), [latest.modelVersion]: summary };
      models[latest.model] = !entry || latest.windowEnd >= entry.window_end ? { ...summary, versions } : { ...entry, versions };
    }
    return { models };
  }
}
