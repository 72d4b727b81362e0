import type { Comparison } from './comparison.js';
import { PSI_PROPORTION_FLOOR } from './psi.js';
import { chiSquareSurvival } from './special.js';
import type { MetricDescriptor } from './types.js';

/**
 * Pearson's chi² goodness-of-fit p-value of current category counts against the reference
 * proportions: χ² = Σ (O_i − E_i)²/E_i with E_i = n·r'_i, dof = k − 1, over the union of
 * reference and current categories. r' are the reference proportions floored at 1e-4 (so an
 * unseen category has a finite expectation) and renormalised to sum to 1, as
 * scipy.stats.chisquare requires.
 */
export function chiSquarePValue(reference: ArrayLike<number>, current: ArrayLike<number>): number | null {
  const k = reference.length;
  if (k < 2) return null;
  let refTotal = 0;
  let n = 0;
  for (let i = 0; i < k; i++) {
    refTotal += reference[i];
    n += current[i];
  }
  if (refTotal <= 0 || n <= 0) return null;
  let floored = 0;
  for (let i = 0; i < k; i++) floored += Math.max(reference[i] / refTotal, PSI_PROPORTION_FLOOR);
  let statistic = 0;
  for (let i = 0; i < k; i++) {
    const expected = (n * Math.max(reference[i] / refTotal, PSI_PROPORTION_FLOOR)) / floored;
    const diff = current[i] - expected;
    statistic += (diff * diff) / expected;
  }
  return chiSquareSurvival(statistic, k - 1);
}

export const chi2: MetricDescriptor = {
  name: 'chi2_pvalue',
  description: "Pearson's chi² p-value of current category counts against reference proportions",
  featureTypes: ['categorical'],
  defaultThreshold: null,
  higherIsDrift: false,
  score: false,
  compute(c: Comparison) {
    return c.type === 'categorical' ? chiSquarePValue(c.referenceCounts, c.currentCounts) : null;
  },
};
