import { binnedCounts, type Comparison } from './comparison.js';
import type { MetricDescriptor } from './types.js';

/** Proportions below this are raised to it (docs/statistics.md); they are not renormalised afterwards. */
export const PSI_PROPORTION_FLOOR = 1e-4;

/**
 * Population Stability Index: PSI = Σ_i (c_i − r_i)·ln(c_i / r_i), where r_i and c_i are the
 * reference and current proportions of non-missing values in bin i, each floored at 1e-4.
 * Bins: right-closed intervals between the reference deciles (numeric), or one per category
 * seen in the reference or the current values (categorical).
 * Reference: Yurdakul (2018), "Statistical properties of population stability index".
 */
export function psiFromCounts(reference: ArrayLike<number>, current: ArrayLike<number>): number | null {
  const refTotal = sum(reference);
  const curTotal = sum(current);
  if (refTotal <= 0 || curTotal <= 0) return null;
  let psi = 0;
  for (let i = 0; i < reference.length; i++) {
    const r = Math.max(reference[i] / refTotal, PSI_PROPORTION_FLOOR);
    const c = Math.max(current[i] / curTotal, PSI_PROPORTION_FLOOR);
    psi += (c - r) * Math.log(c / r);
  }
  return psi;
}

function sum(xs: ArrayLike<number>): number {
  let total = 0;
  for (let i = 0; i < xs.length; i++) total += xs[i];
  return total;
}

export const psi: MetricDescriptor = {
  name: 'psi',
  description: 'Population Stability Index on reference-decile bins or categories',
  featureTypes: ['numeric', 'categorical'],
  defaultThreshold: 0.3,
  // Siddiqi (2006): PSI below 0.1 is "no significant change"
  defaultMinEffect: 0.1,
  higherIsDrift: true,
  score: true,
  compute(c: Comparison) {
    const { reference, current } = binnedCounts(c);
    return psiFromCounts(reference, current);
  },
};
