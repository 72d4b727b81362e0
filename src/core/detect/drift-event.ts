import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CheckResult, DriftSeverity, FeatureResult } from './result.js';

/**
 * The drift event published on the drift events topic (key = model) and fed to the alert
 * dispatcher: docs/wire-formats.md.
 */
export type DriftEventType = 'drift_detected' | 'drift_resolved' | 'drift_check';

export type DriftEventFeature = Pick<FeatureResult, 'psi' | 'ks' | 'ks_pvalue' | 'js' | 'wasserstein' | 'chi2_pvalue' | 'missing_rate' | 'score' | 'drifted' | 'reasons'> & {
  /** Always written; absent from events of versions before severity (read those by max_drift_score). */
  severity?: DriftSeverity;
};

export interface DriftEvent {
  event_id: string;
  type: DriftEventType;
  model: string;
  model_version: string;
  window: { start: string; end: string };
  drift_detected: boolean;
  status: CheckResult['status'];
  /** The check's severity (docs/statistics.md, "Severity"). Always written; absent from events of earlier versions. */
  severity?: DriftSeverity;
  metric: string;
  /** A fixed threshold, or `auto` (thresholds calibrated to the window size). */
  threshold: number | 'auto';
  drifted_features: Record<string, number>;
  max_drift_score: number | null;
  sample_count: number;
  features: Record<string, DriftEventFeature>;
  timestamp: string;
}

/**
 * Deterministic id: the same (model, version, window end, type) always gives the same id, so a
 * window re-evaluated after a restart publishes an event downstream consumers can de-duplicate.
 */
export function driftEventId(model: string, modelVersion: string, windowEnd: string, type: DriftEventType): string {
  return createHash('sha256').update(`${model}\u0000${modelVersion}\u0000${windowEnd}\u0000${type}`).digest('hex').slice(0, 32);
}

export function driftEventFromCheck(
  type: DriftEventType,
  model: string,
  modelVersion: string,
  window: { start: Date; end: Date },
  check: CheckResult,
): DriftEvent {
  const end = window.end.toISOString();
  const features: Record<string, DriftEventFeature> = {};
  for (const [name, f] of Object.entries(check.features)) features[name] = eventFeature(f);
  return {
    event_id: driftEventId(model, modelVersion, end, type),
    type,
    model,
    model_version: modelVersion,
    window: { start: window.start.toISOString(), end },
    drift_detected: check.drift_detected,
    status: check.status,
    severity: check.severity,
    metric: check.metric,
    threshold: check.threshold,
    drifted_features: check.drifted_features,
    max_drift_score: check.max_drift_score,
    sample_count: check.sample_count,
    features,
    timestamp: check.timestamp,
  };
}

function eventFeature(f: FeatureResult): DriftEventFeature {
  return {
    psi: f.psi,
    ks: f.ks,
    ks_pvalue: f.ks_pvalue,
    js: f.js,
    wasserstein: f.wasserstein,
    chi2_pvalue: f.chi2_pvalue,
    missing_rate: f.missing_rate,
    score: f.score,
    drifted: f.drifted,
    reasons: f.reasons,
    severity: f.severity,
  };
}

const nullableNumber = z.number().nullable();
const severity = z.enum(['none', 'warning', 'critical']);

/** Validates drift events read back from Kafka (the standalone alert consumer). */
export const driftEventSchema = z.object({
  event_id: z.string().min(1),
  type: z.enum(['drift_detected', 'drift_resolved', 'drift_check']),
  model: z.string().min(1),
  model_version: z.string(),
  window: z.object({ start: z.string(), end: z.string() }),
  drift_detected: z.boolean(),
  status: z.enum(['ok', 'insufficient_samples']).default('ok'),
  severity: severity.optional(),
  metric: z.string(),
  threshold: z.union([z.number(), z.literal('auto')]),
  drifted_features: z.record(z.string(), z.number()),
  max_drift_score: nullableNumber,
  sample_count: z.number().int().nonnegative(),
  features: z.record(
    z.string(),
    z.object({
      psi: nullableNumber,
      ks: nullableNumber,
      ks_pvalue: nullableNumber,
      js: nullableNumber,
      wasserstein: nullableNumber,
      chi2_pvalue: nullableNumber,
      missing_rate: nullableNumber,
      score: nullableNumber,
      drifted: z.boolean(),
      reasons: z.array(z.string()).default([]),
      severity: severity.optional(),
    }).partial({ wasserstein: true, chi2_pvalue: true, score: true, reasons: true }),
  ),
  timestamp: z.string(),
});

/** The drift events of one evaluation: state changes, plus every check when `emitAllChecks`. */
export function driftEventsOf(
  evaluation: { windowStart: Date; windowEnd: Date; checks: { model: string; modelVersion: string; check: CheckResult; change: 'drift_detected' | 'drift_resolved' | null }[] },
  emitAllChecks: boolean,
): DriftEvent[] {
  const events: DriftEvent[] = [];
  const window = { start: evaluation.windowStart, end: evaluation.windowEnd };
  for (const mc of evaluation.checks) {
    if (mc.change) events.push(driftEventFromCheck(mc.change, mc.model, mc.modelVersion, window, mc.check));
    if (emitAllChecks) events.push(driftEventFromCheck('drift_check', mc.model, mc.modelVersion, window, mc.check));
  }
  return events;
}
