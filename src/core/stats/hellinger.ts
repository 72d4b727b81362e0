import { binnedCounts, proportions, type Comparison } from './comparison.js';
import type { MetricDescriptor } from './types.js';

/**
 * Hellinger distance (range 0..1) on the PSI bins (numeric) or the categories (categorical):
 * H(P, Q) = (1/√2)·‖√P − √Q‖₂ = √(½·Σ (√p_i − √q_i)²), with unfloored proportions.
 * Equals √(1 − Σ √(p_i·q_i)) (1 minus the Bhattacharyya coefficient), which is not how it is
 * computed: that form cancels catastrophically for small distances.
 * Reference: NannyML's `hellinger` univariate method (docs: "Hellinger Distance"); Hellinger
 * (1909). Oracle: numpy `norm(sqrt(p) − sqrt(q)) / sqrt(2)` (test/golden/generate.py).
 */
export function hellingerDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let sum = 0;
  for (let i = 0; i < p.length; i++) {
    const d = Math.sqrt(p[i]) - Math.sqrt(q[i]);
    sum += d * d;
  }
  return Math.min(1, Math.sqrt(sum / 2));
}

export const hellinger: MetricDescriptor = {
  name: 'hellinger',
  description: 'Hellinger distance (0..1) on the PSI bins or categories',
  featureTypes: ['numeric', 'categorical'],
  // NannyML's default for hellinger: ConstantThreshold(upper=0.1) (drift/univariate/calculator.py)
  defaultThreshold: 0.1,
  higherIsDrift: true,
  score: true,
  compute(c: Comparison) {
    const counts = binnedCounts(c);
    const p = proportions(counts.reference);
    const q = proportions(counts.current);
    return p && q ? hellingerDistance(p, q) : null;
  },
};
