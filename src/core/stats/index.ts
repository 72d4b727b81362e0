import { chi2 } from './chi2.js';
import { hellinger } from './hellinger.js';
import { js } from './js.js';
import { ks, ksPValueMetric } from './ks.js';
import { linf } from './linf.js';
import { missingRate } from './missing-rate.js';
import { psi } from './psi.js';
import type { MetricDescriptor } from './types.js';
import { wasserstein } from './wasserstein.js';

/** Every statistic driftwatch computes, registered by hand (no import side effects). */
export const METRICS = {
  psi,
  ks,
  ks_pvalue: ksPValueMetric,
  js,
  wasserstein,
  hellinger,
  linf,
  chi2_pvalue: chi2,
  missing_rate: missingRate,
} as const satisfies Record<string, MetricDescriptor>;

export type MetricName = keyof typeof METRICS;

/** The statistics that can be chosen as the drift score. */
export const SCORE_METRICS = ['psi', 'ks', 'js', 'wasserstein', 'hellinger', 'linf'] as const;
export type ScoreMetric = (typeof SCORE_METRICS)[number];

export class UnknownMetricError extends Error {
  constructor(readonly metric: string) {
    super(`Unknown metric "${metric}". Available: ${SCORE_METRICS.join(', ')}`);
    this.name = 'UnknownMetricError';
  }
}

export function scoreMetric(name: string): MetricDescriptor & { name: ScoreMetric } {
  if (!(SCORE_METRICS as readonly string[]).includes(name)) throw new UnknownMetricError(name);
  return METRICS[name as ScoreMetric] as MetricDescriptor & { name: ScoreMetric };
}

export { Histogram, binIndex } from './histogram.js';
export { quantileSorted, uniqueSorted, nextDown } from './quantile.js';
export { kolmogorovSurvival, chiSquareSurvival, gammaQ, logGamma } from './special.js';
export { psiFromCounts, PSI_PROPORTION_FLOOR } from './psi.js';
export { ksFromBinnedCounts, ksTwoSample, ksPValue } from './ks.js';
export { jensenShannonDistance } from './js.js';
export { hellingerDistance } from './hellinger.js';
export { lInfinityDistance } from './linf.js';
export { normalisedWasserstein, WASSERSTEIN_STD_FLOOR } from './wasserstein.js';
export { chiSquarePValue, chiSquareStatistic } from './chi2.js';
export * from './pvalue.js';
export { CORRECTIONS, correctedLevel, type Correction } from './correction.js';
export { DEFAULT_MISSING_RATE_THRESHOLD, referenceMissingRate } from './missing-rate.js';
export { compare, binnedCounts, proportions } from './comparison.js';
export type { Comparison, NumericComparison, CategoricalComparison } from './comparison.js';
export * from './feature.js';
export type { MetricDescriptor } from './types.js';
export { FeatureSetAccumulator, NumericRow } from './feature-set.js';
