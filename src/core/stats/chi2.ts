import type { Comparison } from './comparison.js';
import { chiSquareSurvival } from './special.js';
import type { MetricDescriptor } from './types.js';

/**
 * Pearson's chi² test of homogeneity of the 2 × k contingency table (reference counts, current
 * counts) over the union of categories: χ² = Σ (O − E)²/E with E = row total · column total /
 * grand total, dof = k − 1 (k = categories with any count), without Yates' continuity
 * correction. Equals scipy.stats.chi2_contingency([reference, current], correction=False).
 *
 * Two-sample, as NannyML and alibi-detect do: the reference is a sample too, so a category the
 * reference saw a handful of times is not turned into a near-certain expectation, and a category
 * only the current values hold gets the expectation its pooled count gives it (no 1e-4 floor,
 * which moved p by orders of magnitude when a reference category was that rare; issue 10).
 */
export function chiSquarePValue(reference: ArrayLike<number>, current: ArrayLike<number>): number | null {
  const statistic = chiSquareStatistic(reference, current);
  return statistic === null ? null : chiSquareSurvival(statistic.chi2, statistic.dof);
}

/** The contingency statistic and its degrees of freedom, or null with fewer than 2 categories or an empty side. */
export function chiSquareStatistic(reference: ArrayLike<number>, current: ArrayLike<number>): { chi2: number; dof: number } | null {
  let m = 0;
  let n = 0;
  let k = 0;
  for (let i = 0; i < reference.length; i++) {
    m += reference[i];
    n += current[i];
    if (reference[i] + current[i] > 0) k++;
  }
  if (k < 2 || m <= 0 || n <= 0) return null;
  const total = m + n;
  let chi2 = 0;
  for (let i = 0; i < reference.length; i++) {
    const column = reference[i] + current[i];
    if (column <= 0) continue;
    const expectedRef = (m * column) / total;
    const expectedCur = (n * column) / total;
    chi2 += (reference[i] - expectedRef) ** 2 / expectedRef + (current[i] - expectedCur) ** 2 / expectedCur;
  }
  return { chi2, dof: k - 1 };
}

export const chi2: MetricDescriptor = {
  name: 'chi2_pvalue',
  description: "p-value of Pearson's chi² contingency test of reference against current category counts",
  featureTypes: ['categorical'],
  defaultThreshold: null,
  higherIsDrift: false,
  score: false,
  compute(c: Comparison) {
    return c.type === 'categorical' ? chiSquarePValue(c.referenceCounts, c.currentCounts) : null;
  },
};
