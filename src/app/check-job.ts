import { stat } from 'node:fs/promises';
import { type ReferenceDistribution } from '../core/reference/index.js';
import { FeatureSetAccumulator } from '../core/stats/index.js';
import { DriftDetector, type CurrentRows, type DetectorOptions } from '../core/detect/detector.js';
import type { CheckResult } from '../core/detect/result.js';
import { loadReference } from '../adapters/files/reference-file.js';

export interface DriftCheckJobOptions extends DetectorOptions {
  /** Passed to getFeatures: the guide's `window_hours`. Default 1. */
  windowHours?: number;
  /** Called with the result when drift is detected (the guide's `send_drift_alert`). */
  onDrift?: (result: CheckResult) => void | Promise<void>;
}

const cache = new Map<string, { mtimeMs: number; reference: ReferenceDistribution }>();

/** Loads a reference once and again only when its file changes (the guide: "cache reference distributions"). */
export async function loadReferenceCached(path: string): Promise<ReferenceDistribution> {
  const { mtimeMs } = await stat(path).catch(() => ({ mtimeMs: -1 }));
  const hit = cache.get(path);
  if (hit && hit.mtimeMs === mtimeMs && mtimeMs >= 0) return hit.reference;
  const reference = await loadReference(path);
  cache.set(path, { mtimeMs, reference });
  return reference;
}

/**
 * The integration guide's scheduled batch job (`drift_check_job`): fetch recent feature rows,
 * score them against the saved reference, call `onDrift` when drift is detected, and return
 * the check result. Rows are objects keyed by feature name or arrays in the reference's order.
 */
export async function driftCheckJob(
  getFeatures: (windowHours: number) => CurrentRows | Promise<CurrentRows>,
  referencePath: string,
  options: DriftCheckJobOptions = {},
): Promise<CheckResult> {
  const reference = await loadReferenceCached(referencePath);
  const rows = await getFeatures(options.windowHours ?? 1);
  const detector = new DriftDetector(options);
  // No rows at all is a check with insufficient samples, not an error: the job runs on a schedule.
  const result = rows.length === 0 ? detector.evaluate(new FeatureSetAccumulator(reference.signals), reference) : detector.detect(rows, reference);
  if (result.drift_detected) await options.onDrift?.(result);
  return result;
}
