import type { Comparison } from './comparison.js';
import type { FeatureType } from './feature.js';

/** Describes one statistic: what it applies to and how to read it (Evidently-style descriptor). */
export interface MetricDescriptor {
  readonly name: string;
  readonly description: string;
  readonly featureTypes: readonly FeatureType[];
  /** Threshold used when none is configured; null for statistics that cannot be a drift score. */
  readonly defaultThreshold: number | null;
  /**
   * Smallest score that can drift under `auto` thresholds (DRIFT_MIN_EFFECT overrides): with
   * huge windows a significant difference can be too small to matter. Absent: not a score.
   */
  readonly defaultMinEffect?: number;
  /** True when larger values mean more drift (false for p-values). */
  readonly higherIsDrift: boolean;
  /** True when it may be chosen as the drift score (DRIFT_METRIC). */
  readonly score: boolean;
  /** The statistic, or null when it is undefined for these values (for example no current values). */
  compute(comparison: Comparison): number | null;
}
