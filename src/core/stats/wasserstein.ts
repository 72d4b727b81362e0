import type { Comparison, NumericComparison } from './comparison.js';
import type { MetricDescriptor } from './types.js';

/** Denominator floor: a constant reference feature is compared in its own units. */
export const WASSERSTEIN_STD_FLOOR = 0.001;

/**
 * Wasserstein-1 distance W1 = ∫ |F_ref(x) − F_cur(x)| dx, divided by max(reference std, 0.001)
 * so that it reads in reference standard deviations.
 *
 * From the fine bins, whose outer edges are the reference min and max:
 * - below the min and above the max it is exact, from the current values' mean excess
 *   E[(min − X)⁺] and E[(X − max)⁺], which the accumulator keeps;
 * - inside each bin (a, b] both CDFs are taken as linear between their exact values at the
 *   edges. Every reference atom has a bin of its own, (nextDown(a), a], so for a discrete
 *   feature the reference CDF is exactly constant between atoms and the result is exact when
 *   the current values lie on the reference's support.
 */
export function normalisedWasserstein(c: NumericComparison): number | null {
  const { model, current } = c;
  const n = current.histogram.total;
  if (n <= 0 || model.count <= 0) return null;
  const edges = model.fineEdges;
  const ref = model.fineCounts;
  const cur = current.histogram.counts;
  let refCum = ref[0];
  let curCum = cur[0];
  let dPrev = refCum / model.count - curCum / n;
  let area = (current.belowSum + current.aboveSum) / n;
  for (let i = 1; i < edges.length; i++) {
    refCum += ref[i];
    curCum += cur[i];
    const d = refCum / model.count - curCum / n;
    const width = edges[i] - edges[i - 1];
    area += width * linearAbsIntegral(dPrev, d);
    dPrev = d;
  }
  return area / Math.max(model.summary.std, WASSERSTEIN_STD_FLOOR);
}

/** ∫₀¹ |d0 + (d1 − d0)·t| dt. */
function linearAbsIntegral(d0: number, d1: number): number {
  if ((d0 >= 0 && d1 >= 0) || (d0 <= 0 && d1 <= 0)) return (Math.abs(d0) + Math.abs(d1)) / 2;
  return (d0 * d0 + d1 * d1) / (2 * (Math.abs(d0) + Math.abs(d1)));
}

export const wasserstein: MetricDescriptor = {
  name: 'wasserstein',
  description: 'Wasserstein-1 distance in reference standard deviations',
  featureTypes: ['numeric'],
  defaultThreshold: 0.1,
  // half the fixed default 0.1
  defaultMinEffect: 0.05,
  higherIsDrift: true,
  score: true,
  compute(c: Comparison) {
    return c.type === 'numeric' ? normalisedWasserstein(c) : null;
  },
};
