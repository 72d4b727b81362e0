import {
  compare,
  FeatureSetAccumulator,
  METRICS,
  referenceMissingRate,
  scoreMetric,
  DEFAULT_MISSING_RATE_THRESHOLD,
  type ScoreMetric,
} from '../stats/index.js';
import type { ReferenceDistribution } from '../reference/index.js';
import { InputError } from '../errors.js';
import type { CheckResult, DriftReason, FeatureResult } from './result.js';

export interface DetectorOptions {
  /** Drift score: psi (default), ks, js or wasserstein. */
  metric?: ScoreMetric | string;
  /** Drifted when score ≥ threshold. Default 0.3. */
  threshold?: number;
  /** Per-feature thresholds overriding `threshold`. */
  featureThresholds?: Readonly<Record<string, number>>;
  /** Below this many non-missing values a feature (and below this many rows the check) makes no drift decision. Default 100. */
  minSamples?: number;
  /** Flag a feature when missing_rate − reference_missing_rate ≥ this. Default 0.1. */
  missingRateThreshold?: number;
  /** When set, drift_detected needs this share of features drifted (else any one suffices). */
  driftShare?: number;
  /** Clock for the result's timestamp. */
  now?: () => Date;
}

export const DEFAULT_THRESHOLD = 0.3;
export const DEFAULT_MIN_SAMPLES = 100;

export type CurrentRows = readonly (Readonly<Record<string, unknown>> | readonly unknown[])[];

/**
 * Scores current values against a reference: every statistic per feature, the configured score
 * against its threshold, the missing-rate rule, and the check's verdict.
 */
export class DriftDetector {
  readonly metric: ScoreMetric;
  readonly threshold: number;
  readonly minSamples: number;
  readonly missingRateThreshold: number;

  constructor(private readonly options: DetectorOptions = {}) {
    this.metric = scoreMetric(options.metric ?? 'psi').name;
    this.threshold = options.threshold ?? DEFAULT_THRESHOLD;
    this.minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES;
    this.missingRateThreshold = options.missingRateThreshold ?? DEFAULT_MISSING_RATE_THRESHOLD;
    if (!(this.threshold > 0)) throw new RangeError(`threshold (${this.threshold}) must be a positive number`);
    if (!Number.isInteger(this.minSamples) || this.minSamples < 1) throw new RangeError(`minSamples (${this.minSamples}) must be a positive integer`);
    const share = options.driftShare;
    if (share !== undefined && !(share > 0 && share <= 1)) throw new RangeError(`driftShare (${share}) must be in (0, 1]`);
  }

  /** Scores rows (objects keyed by feature name, or arrays in the reference's order). */
  detect(current: CurrentRows | FeatureSetAccumulator, reference: ReferenceDistribution): CheckResult {
    const accumulated = current instanceof FeatureSetAccumulator ? current : accumulate(current, reference);
    return this.evaluate(accumulated, reference);
  }

  /** Scores accumulated values (a batch, or a window's running sum). */
  evaluate(current: FeatureSetAccumulator, reference: ReferenceDistribution): CheckResult {
    const features: Record<string, FeatureResult> = {};
    const driftedFeatures: Record<string, number> = {};
    let maxScore: number | null = null;
    let drifted = 0;
    const enough = current.rows >= this.minSamples;

    reference.features.forEach((model, i) => {
      const comparison = compare(model, current.features[i]);
      const applicable = (METRICS[this.metric].featureTypes as readonly string[]).includes(model.type);
      const metric: ScoreMetric = applicable ? this.metric : 'psi';
      const threshold =
        this.options.featureThresholds?.[model.name] ?? (applicable ? this.threshold : (METRICS.psi.defaultThreshold ?? DEFAULT_THRESHOLD));
      const value = (name: keyof typeof METRICS) =>
        (METRICS[name].featureTypes as readonly string[]).includes(model.type) ? METRICS[name].compute(comparison) : null;

      const stats = {
        psi: value('psi'),
        ks: value('ks'),
        ks_pvalue: value('ks_pvalue'),
        js: value('js'),
        wasserstein: value('wasserstein'),
        chi2_pvalue: value('chi2_pvalue'),
        missing_rate: value('missing_rate'),
      };
      const score = stats[metric];
      const sampleCount = comparison.currentCount;
      const featureEnough = enough && sampleCount >= this.minSamples;
      const reasons: DriftReason[] = [];
      if (featureEnough && score !== null && score >= threshold) reasons.push('score');
      const refMissing = referenceMissingRate(comparison);
      // The missing-rate rule needs enough rows, not enough non-missing values: a feature that
      // went entirely missing is exactly what it must catch.
      if (enough && stats.missing_rate !== null && stats.missing_rate - refMissing >= this.missingRateThreshold - 1e-12) {
        reasons.push('missing_rate');
      }
      const isDrifted = reasons.length > 0;
      features[model.name] = {
        type: model.type,
        status: featureEnough ? 'ok' : 'insufficient_samples',
        metric,
        threshold,
        score,
        drifted: isDrifted,
        reasons,
        ...stats,
        reference_missing_rate: refMissing,
        invalid_values: current.features[i].invalid,
        sample_count: sampleCount,
        unseen_categories: comparison.type === 'categorical' ? comparison.unseenCategories.length : null,
      };
      if (score !== null && (maxScore === null || score > maxScore)) maxScore = score;
      if (isDrifted) {
        drifted++;
        driftedFeatures[model.name] = score ?? 0;
      }
    });

    const share = this.options.driftShare;
    const detected = enough && drifted > 0 && (share === undefined || drifted / reference.features.length >= share);
    return {
      drift_detected: detected,
      status: enough ? 'ok' : 'insufficient_samples',
      drifted_features: enough ? driftedFeatures : {},
      max_drift_score: maxScore,
      sample_count: current.rows,
      timestamp: (this.options.now?.() ?? new Date()).toISOString(),
      metric: this.metric,
      threshold: this.threshold,
      model_version: reference.modelVersion,
      features,
    };
  }
}

/**
 * Accumulates rows against a reference. Object rows must mention every reference feature in at
 * least one row (else the input lacks that column: an error naming it).
 */
export function accumulate(rows: CurrentRows, reference: ReferenceDistribution): FeatureSetAccumulator {
  const accumulator = new FeatureSetAccumulator(reference.features);
  if (rows.length === 0) throw new InputError('no current rows to check');
  const objectRows = !Array.isArray(rows[0]);
  if (objectRows) {
    const absentSet = new Set(reference.featureNames);
    for (const row of rows) {
      if (Array.isArray(row)) throw new InputError('rows mix arrays and objects');
      accumulator.recordObject(row as Record<string, unknown>);
      if (absentSet.size > 0) for (const name of absentSet) if (name in (row as object)) absentSet.delete(name);
    }
    const absent = reference.featureNames.filter((name) => absentSet.has(name));
    if (absent.length > 0) {
      throw new InputError(`reference feature${absent.length > 1 ? 's' : ''} ${absent.map((n) => `"${n}"`).join(', ')} absent from the input`, {
        context: { feature: absent[0] },
      });
    }
  } else {
    for (const row of rows) if (!Array.isArray(row)) throw new InputError('rows mix arrays and objects');
    accumulator.recordArrays(rows as readonly (readonly unknown[])[]);
  }
  return accumulator;
}
