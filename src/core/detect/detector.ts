import {
  compare,
  correctedLevel,
  criticalScore,
  CORRECTIONS,
  FeatureSetAccumulator,
  METRICS,
  referenceMissingRate,
  scoreMetric,
  scorePValue,
  effectiveSampleSize,
  DEFAULT_MISSING_RATE_THRESHOLD,
  type Comparison,
  type Correction,
  TESTED_METRICS,
  type ScoreMetric,
} from '../stats/index.js';
import type { FeatureModel } from '../stats/index.js';
import { calibratedCritical, calibratedPValue, normalisedStatistic, scoreOfStatistic, type CalibratedNull, type ReferenceDistribution } from '../reference/index.js';
import { InputError } from '../errors.js';
import { isProbabilityOutput } from '../event/probabilities.js';
import type { CheckResult, DriftReason, DriftSeverity, FeatureResult, MultivariateResult, PValueMethod } from './result.js';
import { mmd2 } from '../multivariate/rff-mmd.js';

/** A fixed threshold, or `auto`: the score's critical value at the window's size (docs/statistics.md). */
export type ThresholdSetting = number | 'auto';

export interface DetectorOptions {
  /** Drift score: psi (default), ks, js, wasserstein, hellinger, linf, or auto (chosen per feature by type and size). */
  metric?: ScoreMetric | 'auto' | string;
  /** Drifted when score ≥ threshold, or `auto`. Default: the metric's own default (psi 0.3, ks/js/wasserstein 0.1). */
  threshold?: ThresholdSetting;
  /** Per-feature thresholds overriding `threshold` (an output by its name too: `prediction`, `confidence`). */
  featureThresholds?: Readonly<Record<string, ThresholdSetting>>;
  /** The model outputs' threshold (docs/references-and-check.md, "Model outputs"). Default: `threshold`. */
  outputThreshold?: ThresholdSetting;
  /** With `auto` thresholds: the false-alarm rate, per feature (`none`) or per check (`bonferroni`, `bh`). Default 0.01. */
  alpha?: number;
  /** With `auto` thresholds: the correction across the features of one check. Default `bonferroni`. */
  correction?: Correction | string;
  /** With `auto` thresholds: a feature drifts only when its score is also ≥ this. Default: the metric's (psi 0.1, others 0.05). */
  minEffect?: number;
  /** Below this many non-missing values a feature (and below this many rows the check) makes no drift decision. Default 100. */
  minSamples?: number;
  /**
   * A drifted feature is `critical` when its score is also ≥ this, for features scored by the
   * configured metric with a fixed threshold (in that metric's units; features that fall back to
   * psi, and `auto` thresholds, use their own rule). Default: 2 × the feature's threshold. The
   * service passes RETRAIN_THRESHOLD. Never below the feature's threshold.
   */
  criticalThreshold?: number;
  /** Flag a feature when missing_rate − reference_missing_rate ≥ this. Default 0.1. */
  missingRateThreshold?: number;
  /** When set, drift_detected needs this share of features drifted (else any one suffices). */
  driftShare?: number;
  /**
   * Score the joint distribution of the numeric features when the reference has a multivariate
   * block (docs/multivariate.md): drifted when its p-value ≤ alpha, critical at alpha/10. Default true.
   */
  multivariate?: boolean;
  /** Clock for the result's timestamp. */
  now?: () => Date;
}

/** PSI's default (the integration guide's 0.3); other metrics default to their registered `defaultThreshold`. */
export const DEFAULT_THRESHOLD = 0.3;
export const DEFAULT_MIN_SAMPLES = 100;
export const DEFAULT_ALPHA = 0.01;
export const DEFAULT_CORRECTION: Correction = 'bonferroni';
/** DRIFT_METRIC=auto: numeric features with more current values than this are scored by wasserstein, not ks (Evidently's rule). */
export const AUTO_METRIC_LARGE_SAMPLE = 1000;
/** Without criticalThreshold, a fixed threshold's critical threshold is this many times it. */
export const CRITICAL_THRESHOLD_FACTOR = 2;
/** Under `auto` thresholds a drifted feature is critical when p ≤ level / this. */
export const CRITICAL_LEVEL_DIVISOR = 10;

export type CurrentRows = readonly (Readonly<Record<string, unknown>> | readonly unknown[])[];

/** The registered default threshold of a score metric (psi 0.3, ks 0.1, js 0.1, wasserstein 0.1). */
export function defaultThreshold(metric: ScoreMetric): number {
  return METRICS[metric].defaultThreshold ?? DEFAULT_THRESHOLD;
}

/**
 * DRIFT_METRIC=auto, by feature type and current sample size n (after Evidently's default):
 * numeric → ks for n ≤ 1000, wasserstein above; categorical → js. With `auto` thresholds the
 * score must carry a p-value, so numeric features stay on ks at every n.
 */
export function autoMetric(type: FeatureModel['type'], n: number, autoThreshold: boolean): ScoreMetric {
  if (type === 'categorical') return 'js';
  return autoThreshold || n <= AUTO_METRIC_LARGE_SAMPLE ? 'ks' : 'wasserstein';
}

interface Pending {
  model: FeatureModel;
  comparison: Comparison;
  metric: ScoreMetric;
  setting: ThresholdSetting;
  score: number | null;
  pValue: number | null;
  method: PValueMethod | null;
  /** The reference's calibrated null of this metric at this window's size, when it has one. */
  fit: CalibratedNull | null;
  featureEnough: boolean;
}

/** The calibrated null of a PSI or JS score at the comparison's size, or null (asymptotic). */
function calibratedFit(reference: ReferenceDistribution, metric: ScoreMetric, c: Comparison): CalibratedNull | null {
  return metric === 'psi' || metric === 'js' ? reference.calibratedNull(c.model.name, metric, c.currentCount) : null;
}

/**
 * A score's p-value: from the reference's calibrated null when it has one at this window size
 * (PSI, JS), else asymptotic (docs/statistics.md, "p-values of the scores").
 */
export function testPValue(metric: ScoreMetric, score: number | null, c: Comparison, fit: CalibratedNull | null): { pValue: number | null; method: PValueMethod | null } {
  if (score === null) return { pValue: null, method: null };
  if (fit && (metric === 'psi' || metric === 'js')) {
    const t = normalisedStatistic(metric, score, effectiveSampleSize(c.currentCount, c.referenceCount)!);
    return { pValue: calibratedPValue(fit, t), method: 'calibrated' };
  }
  const pValue = scorePValue(metric, score, c);
  return { pValue, method: pValue === null ? null : 'asymptotic' };
}

/** The score at which testPValue equals `level`: the `auto` threshold before the effect floor. */
export function testCriticalScore(metric: ScoreMetric, level: number, c: Comparison, fit: CalibratedNull | null): number | null {
  if (fit && (metric === 'psi' || metric === 'js')) {
    return scoreOfStatistic(metric, calibratedCritical(fit, level), effectiveSampleSize(c.currentCount, c.referenceCount)!);
  }
  return criticalScore(metric, level, c);
}

/**
 * Scores current values against a reference: every statistic per feature, the configured score
 * against its threshold (fixed, or `auto`: a test at level α with a correction across features
 * and an effect-size floor), the missing-rate rule, and the check's verdict.
 */
export class DriftDetector {
  readonly metric: ScoreMetric | 'auto';
  /** The global threshold setting: a number (the metric's default when none was given) or `auto`. */
  readonly threshold: ThresholdSetting;
  readonly minSamples: number;
  readonly missingRateThreshold: number;
  readonly alpha: number;
  readonly correction: Correction;

  constructor(private readonly options: DetectorOptions = {}) {
    this.metric = options.metric === 'auto' ? 'auto' : scoreMetric(options.metric ?? 'psi').name;
    this.threshold = options.threshold ?? (this.metric === 'auto' ? 'auto' : defaultThreshold(this.metric));
    this.minSamples = options.minSamples ?? DEFAULT_MIN_SAMPLES;
    this.missingRateThreshold = options.missingRateThreshold ?? DEFAULT_MISSING_RATE_THRESHOLD;
    this.alpha = options.alpha ?? DEFAULT_ALPHA;
    const correction = options.correction ?? DEFAULT_CORRECTION;
    if (!(CORRECTIONS as readonly string[]).includes(correction)) throw new RangeError(`Unknown correction "${correction}". Available: ${CORRECTIONS.join(', ')}`);
    this.correction = correction as Correction;
    if (this.threshold !== 'auto' && !(this.threshold > 0)) throw new RangeError(`threshold (${this.threshold}) must be a positive number`);
    const outputThreshold = options.outputThreshold;
    if (outputThreshold !== undefined && outputThreshold !== 'auto' && !(outputThreshold > 0))
      throw new RangeError(`outputThreshold (${outputThreshold}) must be a positive number or auto`);
    for (const [name, t] of Object.entries(options.featureThresholds ?? {})) {
      if (t !== 'auto' && !(t > 0)) throw new RangeError(`threshold of feature "${name}" (${t}) must be a positive number or auto`);
    }
    if (!(this.alpha > 0 && this.alpha < 1)) throw new RangeError(`alpha (${this.alpha}) must be in (0, 1)`);
    if (options.minEffect !== undefined && !(options.minEffect >= 0)) throw new RangeError(`minEffect (${options.minEffect}) must be a non-negative number`);
    if (this.metric !== 'auto' && this.threshold === 'auto' && !(TESTED_METRICS as readonly string[]).includes(this.metric)) {
      throw new RangeError(`threshold auto needs a score with a p-value; ${this.metric} has none: use ${TESTED_METRICS.join(', ')} or auto, or a fixed threshold`);
    }
    const critical = options.criticalThreshold;
    if (critical !== undefined && !(critical > 0)) throw new RangeError(`criticalThreshold (${critical}) must be a positive number`);
    if (!Number.isInteger(this.minSamples) || this.minSamples < 1) throw new RangeError(`minSamples (${this.minSamples}) must be a positive integer`);
    const share = options.driftShare;
    if (share !== undefined && !(share > 0 && share <= 1)) throw new RangeError(`driftShare (${share}) must be in (0, 1]`);
  }

  /** Scores rows (objects keyed by feature name, or arrays in the reference's order). */
  detect(current: CurrentRows | FeatureSetAccumulator, reference: ReferenceDistribution): CheckResult {
    const accumulated = current instanceof FeatureSetAccumulator ? current : accumulate(current, reference);
    return this.evaluate(accumulated, reference);
  }

  /**
   * Scores accumulated values (a batch, or a window's running sum). `only.multivariate: false`
   * skips the multivariate score for these values alone (a window merged from partial panes
   * without multivariate state: runtime/partitioned/merge-stage.ts).
   */
  evaluate(current: FeatureSetAccumulator, reference: ReferenceDistribution, only: { multivariate?: boolean } = {}): CheckResult {
    const features: Record<string, FeatureResult> = {};
    const driftedFeatures: Record<string, number> = {};
    const outputs: Record<string, FeatureResult> = {};
    const driftedOutputs: Record<string, number> = {};
    let maxScore: number | null = null;
    let drifted = 0;
    let outputDrifted = false;
    let anyCritical = false;
    const enough = current.rows >= this.minSamples;
    // Outputs follow the features in the window's signals (docs/references-and-check.md, "Model outputs").
    const signals = reference.signals;
    const featureCount = reference.features.length;
    if (current.features.length !== signals.length) {
      throw new InputError(
        `the current values hold ${current.features.length} signals, the reference has ${signals.length} (${featureCount} features${signals.length > featureCount ? ` and the outputs ${reference.outputNames.join(', ')}` : ''}): accumulate them on reference.signals`,
      );
    }

    const pending: Pending[] = signals.map((model, i) => {
      const comparison = compare(model, current.features[i]);
      const own = this.options.featureThresholds?.[model.name] ?? (i >= featureCount ? this.options.outputThreshold : undefined);
      const setting0 = own ?? this.threshold;
      const metric = this.metricFor(model.type, comparison.currentCount, setting0 === 'auto');
      const applicable = this.metric === 'auto' || (METRICS[this.metric].featureTypes as readonly string[]).includes(model.type);
      // A metric that does not apply falls back to psi with psi's default threshold (a fixed
      // global threshold is in the other metric's units); `auto` carries over.
      const setting: ThresholdSetting = own ?? (applicable || this.threshold === 'auto' ? this.threshold : defaultThreshold('psi'));
      const score = METRICS[metric].compute(comparison);
      const featureEnough = enough && comparison.currentCount >= this.minSamples;
      const fit = calibratedFit(reference, metric, comparison);
      return { model, comparison, metric, setting, score, ...testPValue(metric, score, comparison, fit), fit, featureEnough };
    });

    // The correction's family: the features tested under `auto` that make a decision.
    const tested = pending.filter((p) => p.setting === 'auto' && p.featureEnough);
    const level = correctedLevel(
      tested.map((p) => p.pValue),
      this.alpha,
      this.correction,
    );

    pending.forEach(({ model, comparison, metric, setting, score, pValue, method, fit, featureEnough }, i) => {
      const value = (name: keyof typeof METRICS) => ((METRICS[name].featureTypes as readonly string[]).includes(model.type) ? METRICS[name].compute(comparison) : null);
      const stats = {
        psi: value('psi'),
        ks: value('ks'),
        ks_pvalue: value('ks_pvalue'),
        js: value('js'),
        wasserstein: value('wasserstein'),
        chi2_pvalue: value('chi2_pvalue'),
        missing_rate: value('missing_rate'),
      };
      let threshold: number;
      let critical: number;
      if (setting === 'auto') {
        const minEffect = this.options.minEffect ?? METRICS[metric].defaultMinEffect ?? 0;
        threshold = Math.max(testCriticalScore(metric, level, comparison, fit) ?? Number.POSITIVE_INFINITY, minEffect);
        critical = Math.max(testCriticalScore(metric, level / CRITICAL_LEVEL_DIVISOR, comparison, fit) ?? Number.POSITIVE_INFINITY, threshold);
      } else {
        threshold = setting;
        // criticalThreshold is in the configured metric's units: not for a psi fallback.
        const configured = metric === this.metric ? this.options.criticalThreshold : undefined;
        critical = Math.max(configured ?? CRITICAL_THRESHOLD_FACTOR * threshold, threshold);
      }
      const reasons: DriftReason[] = [];
      let severity: DriftSeverity = 'none';
      const isOutput = i >= featureCount;
      if (featureEnough && score !== null && score >= threshold) {
        reasons.push(isOutput ? outputReason(model.name) : 'score');
        severity = score >= critical ? 'critical' : 'warning';
      }
      const refMissing = referenceMissingRate(comparison);
      // The missing-rate rule needs enough rows, not enough non-missing values: a feature that
      // went entirely missing is exactly what it must catch.
      const missingExcess = stats.missing_rate === null ? null : stats.missing_rate - refMissing;
      if (enough && missingExcess !== null && missingExcess >= this.missingRateThreshold - 1e-12) {
        reasons.push('missing_rate');
        if (missingExcess >= Math.min(CRITICAL_THRESHOLD_FACTOR * this.missingRateThreshold, 1) - 1e-12) severity = 'critical';
        else if (severity === 'none') severity = 'warning';
      }
      const isDrifted = reasons.length > 0;
      (isOutput ? outputs : features)[model.name] = {
        type: model.type,
        status: featureEnough ? 'ok' : 'insufficient_samples',
        metric,
        threshold,
        score,
        p_value: pValue,
        p_value_method: method,
        drifted: isDrifted,
        reasons,
        severity,
        critical_threshold: critical,
        ...stats,
        psi_pvalue: metric === 'psi' ? pValue : testPValue('psi', stats.psi, comparison, calibratedFit(reference, 'psi', comparison)).pValue,
        js_pvalue: metric === 'js' ? pValue : testPValue('js', stats.js, comparison, calibratedFit(reference, 'js', comparison)).pValue,
        reference_missing_rate: refMissing,
        invalid_values: current.features[i].invalid,
        sample_count: comparison.currentCount,
        unseen_categories: comparison.type === 'categorical' ? comparison.unseenCategories.length : null,
      };
      if (isOutput) {
        if (isDrifted) {
          outputDrifted = true;
          driftedOutputs[model.name] = score ?? 0;
          if (severity === 'critical') anyCritical = true;
        }
        return;
      }
      if (score !== null && (maxScore === null || score > maxScore)) maxScore = score;
      if (isDrifted) {
        drifted++;
        driftedFeatures[model.name] = score ?? 0;
        if (severity === 'critical') anyCritical = true;
      }
    });

    const multivariate = this.options.multivariate === false || only.multivariate === false ? null : this.multivariateResult(current, reference, enough);
    if (multivariate?.severity === 'critical') anyCritical = true;
    const share = this.options.driftShare;
    const detected = enough && ((drifted > 0 && (share === undefined || drifted / reference.features.length >= share)) || outputDrifted || multivariate?.drifted === true);
    return {
      drift_detected: detected,
      status: enough ? 'ok' : 'insufficient_samples',
      severity: detected ? (anyCritical ? 'critical' : 'warning') : 'none',
      drifted_features: enough ? driftedFeatures : {},
      max_drift_score: maxScore,
      sample_count: current.rows,
      timestamp: (this.options.now?.() ?? new Date()).toISOString(),
      metric: this.metric,
      threshold: this.threshold,
      ...(tested.length > 0 ? { alpha: this.alpha, correction: this.correction, feature_alpha: level } : {}),
      model_version: reference.modelVersion,
      features,
      ...(reference.outputs.length > 0 ? { outputs, drifted_outputs: enough ? driftedOutputs : {} } : {}),
      ...(multivariate ? { multivariate } : {}),
    };
  }

  /** The multivariate score of the window, or null when the reference has no multivariate block. */
  private multivariateResult(current: FeatureSetAccumulator, reference: ReferenceDistribution, enough: boolean): MultivariateResult | null {
    const model = reference.multivariate;
    if (!model) return null;
    const state = current.mmd;
    if (!state || state.sum.length !== model.spec.features) {
      throw new InputError('the current values carry no multivariate state for this reference: accumulate them on reference.signals');
    }
    const n = state.count;
    // Every record path, merge and partial-pane decoding moves both together; values whose
    // rows were added by hand (or merged from parts without the state) would not.
    if (n !== current.rows) {
      throw new InputError(`the multivariate state covers ${n} of the window's ${current.rows} rows: every part of the window must be recorded or merged on reference.signals`);
    }
    const score = n > 0 ? mmd2(model.referenceMean, state) : null;
    let pValue: number | null = null;
    let threshold = Number.POSITIVE_INFINITY;
    let critical = Number.POSITIVE_INFINITY;
    if (n > 0) {
      const nul = model.nullAt(n);
      const nEff = model.effectiveSize(n);
      pValue = calibratedPValue(nul, nEff * score!);
      threshold = calibratedCritical(nul, this.alpha) / nEff;
      critical = Math.max(calibratedCritical(nul, this.alpha / CRITICAL_LEVEL_DIVISOR) / nEff, threshold);
    }
    const isDrifted = enough && score !== null && score >= threshold;
    return {
      method: 'rff-mmd',
      status: enough ? 'ok' : 'insufficient_samples',
      score,
      p_value: pValue,
      threshold,
      critical_threshold: critical,
      drifted: isDrifted,
      reasons: isDrifted ? ['multivariate'] : [],
      severity: isDrifted ? (score! >= critical ? 'critical' : 'warning') : 'none',
      sample_count: n,
      dims: model.spec.dims,
      random_features: model.spec.features,
    };
  }

  private metricFor(type: FeatureModel['type'], n: number, autoThreshold: boolean): ScoreMetric {
    if (this.metric === 'auto') return autoMetric(type, n, autoThreshold);
    return (METRICS[this.metric].featureTypes as readonly string[]).includes(type) ? this.metric : 'psi';
  }
}

/**
 * Accumulates rows against a reference. Object rows must mention every reference feature in at
 * least one row (else the input lacks that column: an error naming it).
 */
export function accumulate(rows: CurrentRows, reference: ReferenceDistribution): FeatureSetAccumulator {
  const accumulator = new FeatureSetAccumulator(reference.signals);
  if (rows.length === 0) throw new InputError('no current rows to check');
  const objectRows = !Array.isArray(rows[0]);
  if (objectRows) {
    const absentSet = new Set(reference.signals.map((s) => s.name));
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
    const absentOutput = reference.outputNames.find((name) => absentSet.has(name));
    if (absentOutput)
      throw new InputError(`reference output "${absentOutput}" absent from the input (the reference monitors the model's outputs: give its ${absentOutput} on every row)`, {
        context: { feature: absentOutput },
      });
  } else {
    for (const row of rows) if (!Array.isArray(row)) throw new InputError('rows mix arrays and objects');
    accumulator.recordArrays(rows as readonly (readonly unknown[])[]);
  }
  return accumulator;
}

/** The reason an output drifted: `prediction_drift`, `confidence_drift`, or `probability_drift` for a class's probability. */
function outputReason(name: string): DriftReason {
  return isProbabilityOutput(name) ? 'probability_drift' : (`${name}_drift` as DriftReason);
}
