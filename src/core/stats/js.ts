import { binnedCounts, proportions, type Comparison } from './comparison.js';
import type { MetricDescriptor } from './types.js';

/**
 * Jensen–Shannon distance with base-2 logarithms (range 0..1), on the PSI bins or categories:
 * JS = √(½·KL(P‖M) + ½·KL(Q‖M)), M = ½(P + Q), with unfloored proportions (0·log 0 = 0).
 * Equals scipy.spatial.distance.jensenshannon(p, q, base=2).
 */
export function jensenShannonDistance(p: ArrayLike<number>, q: ArrayLike<number>): number {
  let divergence = 0;
  for (let i = 0; i < p.length; i++) {
    const m = (p[i] + q[i]) / 2;
    if (p[i] > 0) divergence += p[i] * Math.log2(p[i] / m);
    if (q[i] > 0) divergence += q[i] * Math.log2(q[i] / m);
  }
  return Math.sqrt(Math.max(0, divergence / 2));
}

export const js: MetricDescriptor = {
  name: 'js',
  description: 'Jensen–Shannon distance (base 2) on the PSI bins or categories',
  featureTypes: ['numeric', 'categorical'],
  defaultThreshold: 0.1,
  // half the fixed default 0.1
  defaultMinEffect: 0.05,
  higherIsDrift: true,
  score: true,
  compute(c: Comparison) {
    const counts = binnedCounts(c);
    const p = proportions(counts.reference);
    const q = proportions(counts.current);
    return p && q ? jensenShannonDistance(p, q) : null;
  },
};
