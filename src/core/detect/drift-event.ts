import { createHash } from 'node:crypto';
import { z } from 'zod';
import type { CheckResult, DriftSeverity, FeatureResult } from './result.js';

const nullableNumber = z.number().nullable();
const severitySchema = z.enum(['none', 'warning', 'critical']) satisfies z.ZodType<DriftSeverity>;

/**
 * One feature of a drift event. Events written before a statistic existed lack it: it reads
 * as null ("does not apply"), and missing reasons as none.
 */
export const driftEventFeatureSchema = z.object({
  psi: nullableNumber,
  ks: nullableNumber,
  ks_pvalue: nullableNumber,
  js: nullableNumber,
  wasserstein: nullableNumber.default(null),
  chi2_pvalue: nullableNumber.default(null),
  missing_rate: nullableNumber,
  score: nullableNumber.default(null),
  drifted: z.boolean(),
  reasons: z.array(z.string()).default([]),
  /** Always written; absent from events of versions before severity. */
  severity: severitySchema.optional(),
});

/**
 * The drift event published on the drift events topic (key = model) and fed to the alert
 * dispatcher: docs/wire-formats.md. Its shape is written here once: `DriftEvent` is inferred
 * from it, and the standalone alert consumer validates events read back from Kafka with it.
 */
export const driftEventSchema = z.object({
  event_id: z.string().min(1),
  type: z.enum(['drift_detected', 'drift_resolved', 'drift_check']),
  model: z.string().min(1),
  model_version: z.string(),
  window: z.object({ start: z.string(), end: z.string() }),
  drift_detected: z.boolean(),
  status: z.enum(['ok', 'insufficient_samples']).default('ok') satisfies z.ZodType<CheckResult['status']>,
  /** The check's severity (docs/statistics.md, "Severity"). Always written; absent from events of earlier versions. */
  severity: severitySchema.optional(),
  metric: z.string(),
  /** A fixed threshold, or `auto` (thresholds calibrated to the window size). */
  threshold: z.union([z.number(), z.literal('auto')]),
  drifted_features: z.record(z.string(), z.number()),
  max_drift_score: nullableNumber,
  sample_count: z.number().int().nonnegative(),
  features: z.record(z.string(), driftEventFeatureSchema),
  /** The model's outputs (`prediction`, `confidence`), when the reference monitors them (docs/wire-formats.md). */
  outputs: z.record(z.string(), driftEventFeatureSchema).optional(),
  drifted_outputs: z.record(z.string(), z.number()).optional(),
  /** The multivariate score (docs/multivariate.md), when the reference has a multivariate block. */
  multivariate: z
    .object({
      score: nullableNumber,
      p_value: nullableNumber,
      threshold: nullableNumber,
      drifted: z.boolean(),
      severity: severitySchema,
      sample_count: z.number().int().nonnegative(),
    })
    .optional(),
  timestamp: z.string(),
});

export type DriftEvent = z.output<typeof driftEventSchema>;
export type DriftEventType = DriftEvent['type'];
export type DriftEventFeature = z.output<typeof driftEventFeatureSchema>;

/** The statistics of a feature result a drift event carries, read off the schema. */
const FEATURE_KEYS = Object.keys(driftEventFeatureSchema.shape) as (keyof DriftEventFeature & keyof FeatureResult)[];

/**
 * Deterministic id: the same (model, version, window end, type) always gives the same id, so a
 * window re-evaluated after a restart publishes an event downstream consumers can de-duplicate.
 */
export function driftEventId(model: string, modelVersion: string, windowEnd: string, type: DriftEventType): string {
  // The published id's input, not a state key (so not modelVersionKey): ids already consumed
  // downstream must stay the same whatever becomes of the in-memory key.
  return createHash('sha256').update(`${model}\u0000${modelVersion}\u0000${windowEnd}\u0000${type}`).digest('hex').slice(0, 32);
}

export function driftEventFromCheck(type: DriftEventType, model: string, modelVersion: string, window: { start: Date; end: Date }, check: CheckResult): DriftEvent {
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
    ...(check.outputs
      ? { outputs: Object.fromEntries(Object.entries(check.outputs).map(([name, f]) => [name, eventFeature(f)])), drifted_outputs: check.drifted_outputs ?? {} }
      : {}),
    ...(check.multivariate
      ? {
          multivariate: {
            score: check.multivariate.score,
            p_value: check.multivariate.p_value,
            // An empty window's threshold is +∞, which JSON cannot carry.
            threshold: Number.isFinite(check.multivariate.threshold) ? check.multivariate.threshold : null,
            drifted: check.multivariate.drifted,
            severity: check.multivariate.severity,
            sample_count: check.multivariate.sample_count,
          },
        }
      : {}),
    timestamp: check.timestamp,
  };
}

function eventFeature(f: FeatureResult): DriftEventFeature {
  return Object.fromEntries(FEATURE_KEYS.map((key) => [key, f[key]])) as DriftEventFeature;
}

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
