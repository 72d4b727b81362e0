import type { Correction, FeatureType, ScoreMetric } from '../stats/index.js';

/**
 * Why a feature or an output was flagged: an input feature's score reached its threshold
 * (`score`), an output's did (`prediction_drift`, `confidence_drift`, and `probability_drift`
 * for a class's probability), or too many values went missing (`missing_rate`); or the joint
 * distribution of the numeric features moved (`multivariate`, the check's multivariate score:
 * docs/multivariate.md).
 */
export type DriftReason = 'score' | 'missing_rate' | 'prediction_drift' | 'confidence_drift' | 'probability_drift' | 'multivariate';
export type CheckStatus = 'ok' | 'insufficient_samples';
/**
 * How bad a drift is (docs/statistics.md, "Severity"): `none` when not drifted, `warning` when
 * drifted, `critical` when the score also reached the critical threshold (or the missing-rate
 * excess twice its threshold). A check is as severe as its worst drifted feature, and `none`
 * unless drift_detected.
 */
export type DriftSeverity = 'none' | 'warning' | 'critical';
/**
 * Where a p-value came from: `calibrated`, the reference's resampled null at this window's
 * size (PSI and JS, when the reference carries a calibration and the size is inside its grid);
 * `asymptotic`, the χ² or Kolmogorov limit (docs/statistics.md).
 */
export type PValueMethod = 'calibrated' | 'asymptotic';

/** One feature's statistics in a check; null where a statistic does not apply to its type. */
export interface FeatureResult {
  type: FeatureType;
  status: CheckStatus;
  metric: ScoreMetric;
  /** The threshold the score was held to; under `auto` the critical value at this window's size (or the effect floor). */
  threshold: number;
  score: number | null;
  /** p-value of the score (calibrated or asymptotic; null for wasserstein, hellinger, linf). */
  p_value: number | null;
  /** How p_value was obtained; null when there is none. */
  p_value_method: PValueMethod | null;
  drifted: boolean;
  reasons: DriftReason[];
  severity: DriftSeverity;
  /**
   * The score at or above which a drifted feature is critical: fixed thresholds, the critical
   * threshold (default 2 × threshold, never below it); `auto`, the critical value at level/10
   * (or the effect floor).
   */
  critical_threshold: number;
  psi: number | null;
  ks: number | null;
  ks_pvalue: number | null;
  js: number | null;
  wasserstein: number | null;
  chi2_pvalue: number | null;
  /**
   * p-values of PSI and JS, by the same rule as p_value: the reference's calibrated null where it
   * has one at this size, else P(χ²(k − 1) ≥ n_eff·PSI) and P(χ²(k − 1) ≥ 8·ln2·n_eff·JS²) (docs/statistics.md).
   */
  psi_pvalue: number | null;
  js_pvalue: number | null;
  missing_rate: number | null;
  reference_missing_rate: number;
  invalid_values: number;
  /** Non-missing current values. */
  sample_count: number;
  /** Categories never seen in the reference (categorical only). */
  unseen_categories: number | null;
}

/**
 * The multivariate score of a check (docs/multivariate.md): MMD²_rff between the reference's and
 * the window's mean feature maps, its p-value from the reference's resampled null at this
 * window's size, and the score at which that p-value is α (the threshold) and α/10 (critical).
 */
export interface MultivariateResult {
  method: 'rff-mmd';
  status: CheckStatus;
  /** MMD²_rff; null for an empty window. */
  score: number | null;
  p_value: number | null;
  threshold: number;
  critical_threshold: number;
  drifted: boolean;
  /** `multivariate` when drifted. */
  reasons: DriftReason[];
  severity: DriftSeverity;
  /** Rows scored. */
  sample_count: number;
  /** Numeric input features the map reads (d) and random features (D). */
  dims: number;
  random_features: number;
}

/** The outcome of comparing one set of current values with a reference (`check --json`). */
export interface CheckResult {
  drift_detected: boolean;
  status: CheckStatus;
  /** The worst severity among the drifted features when drift_detected, else `none`. */
  severity: DriftSeverity;
  drifted_features: Record<string, number>;
  max_drift_score: number | null;
  /** Rows compared. */
  sample_count: number;
  timestamp: string;
  /** The configured metric; `auto` picks one per feature (each feature's `metric`). */
  metric: ScoreMetric | 'auto';
  /** The configured threshold: a number, or `auto` (each feature's `threshold` then holds its critical value). */
  threshold: number | 'auto';
  /** Present when some feature was tested under `auto`: the false-alarm rate asked for, the correction, and the per-feature level it gave. */
  alpha?: number;
  correction?: Correction;
  feature_alpha?: number;
  model_version: string | null;
  features: Record<string, FeatureResult>;
  /**
   * The model's outputs (`prediction`, `confidence`), scored like features against the
   * reference's outputs and reported apart; present only when the reference has outputs. A
   * drifted output makes the check `drift_detected` on its own (whatever `driftShare`), but
   * counts neither in `drifted_features` nor in `max_drift_score`, which are the inputs'.
   */
  outputs?: Record<string, FeatureResult>;
  /** The drifted outputs and their scores; present only when the reference has outputs. */
  drifted_outputs?: Record<string, number>;
  /**
   * The multivariate score, present only when the reference has a multivariate block (and the
   * detector's `multivariate` option is not false). When drifted it makes the check
   * `drift_detected` on its own, like an output, and counts in neither `drifted_features` nor
   * `max_drift_score`.
   */
  multivariate?: MultivariateResult;
}
