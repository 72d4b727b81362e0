import { binnedCounts, proportions, type Comparison } from './comparison.js';
import type { MetricDescriptor } from './types.js';

/**
 * L-infinity (Chebyshev) distance between proportions (range 0..1) on the PSI bins (numeric)
 * or the categories (categorical): L∞(P, Q) = max_i |p_i − q_i|, with unfloored proportions;
 * the largest change in the share of any one bin or category. A category seen on one side
 * only counts with share 0 on the other.
 * Reference: NannyML's `l_infinity` univariate method (categorical there; here also on the
 * numeric PSI bins). Oracle: scipy.spatial.distance.chebyshev(p, q) (test/golden/generate.py).
 */
export function lInfinityDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let max = 0;
  for (let i = 0; i < p.length; i++) {
    const d = Math.abs(p[i] - q[i]);
    if (d > max) max = d;
  }
  return max;
}

export const linf: MetricDescriptor = {
  name: 'linf',
  description: 'L-infinity distance: the largest change in the share of one PSI bin or category',
  featureTypes: ['numeric', 'categorical'],
  // NannyML's default for l_infinity: ConstantThreshold(upper=0.1) (drift/univariate/calculator.py)
  defaultThreshold: 0.1,
  higherIsDrift: true,
  score: true,
  compute(c: Comparison) {
    const counts = binnedCounts(c);
    const p = proportions(counts.reference);
    const q = proportions(counts.current);
    return p && q ? lInfinityDistance(p, q) : null;
  },
};
