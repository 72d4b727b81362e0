import type { Comparison } from './comparison.js';
import type { MetricDescriptor } from './types.js';

/** Default for missing_rate − reference_missing_rate at which a feature is flagged. */
export const DEFAULT_MISSING_RATE_THRESHOLD = 0.1;

/**
 * Share of rows whose value is missing: null, absent, NaN, ±Infinity or unparsable.
 * Missing values are excluded from every other statistic.
 */
export const missingRate: MetricDescriptor = {
  name: 'missing_rate',
  description: 'share of rows with a missing value (absent, null, NaN, ±Infinity, unparsable)',
  featureTypes: ['numeric', 'categorical'],
  defaultThreshold: DEFAULT_MISSING_RATE_THRESHOLD,
  higherIsDrift: true,
  score: false,
  compute(c: Comparison) {
    const rows = c.current.rows;
    return rows > 0 ? c.current.missing / rows : null;
  },
};

export function referenceMissingRate(c: Comparison): number {
  const rows = c.model.count + c.model.missingCount;
  return rows > 0 ? c.model.missingCount / rows : 0;
}
