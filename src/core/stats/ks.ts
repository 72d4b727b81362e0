import type { Comparison } from './comparison.js';
import { kolmogorovSurvival } from './special.js';
import type { MetricDescriptor } from './types.js';

/**
 * Two-sample Kolmogorov–Smirnov statistic D = sup_x |F_ref(x) − F_cur(x)| on non-missing values.
 *
 * Against a saved reference it is evaluated at the fine edges, where both empirical CDFs are
 * exact (bins are right-closed): D_edges ≤ D ≤ D_edges + (largest reference mass inside one
 * fine bin). The reference builder chooses enough fine bins to keep that gap within 0.005.
 */
export function ksFromBinnedCounts(reference: ArrayLike<number>, current: ArrayLike<number>): number | null {
  let refTotal = 0;
  let curTotal = 0;
  for (let i = 0; i < reference.length; i++) {
    refTotal += reference[i];
    curTotal += current[i];
  }
  if (refTotal <= 0 || curTotal <= 0) return null;
  let refCum = 0;
  let curCum = 0;
  let d = 0;
  for (let i = 0; i < reference.length; i++) {
    refCum += reference[i];
    curCum += current[i];
    const gap = Math.abs(refCum / refTotal - curCum / curTotal);
    if (gap > d) d = gap;
  }
  return d;
}

/**
 * Exact D of two raw samples, equal to scipy.stats.ks_2samp(a, b).statistic. Sorts copies.
 */
export function ksTwoSample(a: ArrayLike<number>, b: ArrayLike<number>): number {
  const x = Float64Array.from(a).sort();
  const y = Float64Array.from(b).sort();
  const n = x.length;
  const m = y.length;
  if (n === 0 || m === 0) throw new RangeError('ks_2samp needs two non-empty samples');
  let i = 0;
  let j = 0;
  let d = 0;
  while (i < n && j < m) {
    const v = Math.min(x[i], y[j]);
    while (i < n && x[i] <= v) i++;
    while (j < m && y[j] <= v) j++;
    const gap = Math.abs(i / n - j / m);
    if (gap > d) d = gap;
  }
  return d;
}

/**
 * Asymptotic two-sided p-value: Q_KS(D·√n_eff) with n_eff = n·m/(n + m), where Q_KS is the
 * Kolmogorov distribution's survival function (scipy.special.kolmogorov).
 * Reference: Smirnov (1948); scipy's ks_2samp(method="asymp") uses the finite-n kstwo
 * distribution at round(n_eff) instead, which differs by a few percent for small n_eff.
 */
export function ksPValue(d: number, n: number, m: number): number | null {
  if (!(n > 0 && m > 0)) return null;
  const nEff = (n * m) / (n + m);
  return kolmogorovSurvival(d * Math.sqrt(nEff));
}

function ksOf(c: Comparison): number | null {
  return c.type === 'numeric' ? ksFromBinnedCounts(c.model.fineCounts, c.current.histogram.counts) : null;
}

export const ks: MetricDescriptor = {
  name: 'ks',
  description: 'Kolmogorov–Smirnov statistic D on the reference fine bins',
  featureTypes: ['numeric'],
  defaultThreshold: 0.1,
  // half the fixed default 0.1
  defaultMinEffect: 0.05,
  higherIsDrift: true,
  score: true,
  compute: ksOf,
};

export const ksPValueMetric: MetricDescriptor = {
  name: 'ks_pvalue',
  description: 'asymptotic two-sided p-value of the KS statistic',
  featureTypes: ['numeric'],
  defaultThreshold: null,
  higherIsDrift: false,
  score: false,
  compute(c: Comparison) {
    const d = ksOf(c);
    return d === null ? null : ksPValue(d, c.referenceCount, c.currentCount);
  },
};
