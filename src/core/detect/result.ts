import type { FeatureType, ScoreMetric } from '../stats/index.js';

/** Why a feature was flagged. */
export type DriftReason = 'score' | 'missing_rate';
export type CheckStatus = 'ok' | 'insufficient_samples';

/** One feature's statistics in a check; null where a statistic does not apply to its type. */
export interface FeatureResult {
  type: FeatureType;
  status: CheckStatus;
  metric: ScoreMetric;
  threshold: number;
  score: number | null;
  drifted: boolean;
  reasons: DriftReason[];
  psi: number | null;
  ks: number | null;
  ks_pvalue: number | null;
  js: number | null;
  wasserstein: number | null;
  chi2_pvalue: number | null;
  missing_rate: number | null;
  reference_missing_rate: number;
  invalid_values: number;
  /** Non-missing current values. */
  sample_count: number;
  /** Categories never seen in the reference (categorical only). */
  unseen_categories: number | null;
}

/** The outcome of comparing one set of current values with a reference (`check --json`). */
export interface CheckResult {
  drift_detected: boolean;
  status: CheckStatus;
  drifted_features: Record<string, number>;
  max_drift_score: number | null;
  /** Rows compared. */
  sample_count: number;
  timestamp: string;
  metric: ScoreMetric;
  threshold: number;
  model_version: string | null;
  features: Record<string, FeatureResult>;
}
