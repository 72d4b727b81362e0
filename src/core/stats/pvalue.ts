import { binnedCounts, type Comparison } from './comparison.js';
import { chiSquareSurvival, kolmogorovSurvival } from './special.js';

/**
 * Asymptotic p-values and their inverses (the score a window of n values must reach to be
 * significant at level α), for the scores that have one. Two-sample throughout: the reference
 * is itself a sample of m values, so n_eff = n·m/(n + m).
 *
 * - PSI: PSI = Σ (c − r)·ln(c/r) is Jeffreys' divergence; under H0 a second-order expansion
 *   gives PSI ≈ Σ (c − r)²/r, and n_eff·Σ (c − r)²/r → χ²(k − 1) (the two-sample Pearson
 *   statistic), k the bins with any reference or current mass. Reference: Yurdakul (2018).
 * - JS: JSD (nats) ≈ ⅛ Σ (p − q)²/m_i, so 8·ln2·n_eff·JS² → χ²(k − 1) (JS is the base-2 distance,
 *   JS² the divergence in bits).
 * - KS: Q_KS(D·√n_eff), the Kolmogorov distribution (ks.ts).
 * Wasserstein has no distribution-free limit; it carries no p-value.
 *
 * The limits need expected counts of about 5 per bin or more; with rare categories at small n
 * the PSI and JS p-values are too small (see docs/statistics.md, "False alarms and power").
 */
export function effectiveSampleSize(n: number, m: number): number | null {
  return n > 0 && m > 0 ? (n * m) / (n + m) : null;
}

/** Bins with any reference or current mass: the χ² degrees of freedom are this minus 1. */
export function occupiedBins(reference: ArrayLike<number>, current: ArrayLike<number>): number {
  let k = 0;
  for (let i = 0; i < reference.length; i++) if (reference[i] > 0 || current[i] > 0) k++;
  return k;
}

/** p = P(χ²(k − 1) ≥ n_eff·PSI). */
export function psiPValue(psi: number, k: number, n: number, m: number): number | null {
  const nEff = effectiveSampleSize(n, m);
  if (nEff === null || k < 2) return null;
  return chiSquareSurvival(nEff * psi, k - 1);
}

/** p = P(χ²(k − 1) ≥ 8·ln2·n_eff·JS²). */
export function jsPValue(js: number, k: number, n: number, m: number): number | null {
  const nEff = effectiveSampleSize(n, m);
  if (nEff === null || k < 2) return null;
  return chiSquareSurvival(8 * Math.LN2 * nEff * js * js, k - 1);
}

/** x with P(χ²(dof) ≥ x) = p, by bisection on the survival function (p in (0, 1)). */
export function chiSquareIsf(p: number, dof: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p (${p}) must be in (0, 1)`);
  const lo = 0;
  let hi = Math.max(1, dof);
  while (chiSquareSurvival(hi, dof) > p) hi *= 2;
  return bisect((x) => chiSquareSurvival(x, dof) > p, lo, hi);
}

/** λ with Q_KS(λ) = p (p in (0, 1)). */
export function kolmogorovIsf(p: number): number {
  if (!(p > 0 && p < 1)) throw new RangeError(`p (${p}) must be in (0, 1)`);
  return bisect((x) => kolmogorovSurvival(x) > p, 0, 10);
}

/** Largest x in [lo, hi] with above(x) true, to double precision (above is monotone). */
function bisect(above: (x: number) => boolean, lo: number, hi: number): number {
  for (let i = 0; i < 200 && hi - lo > 1e-15 * hi; i++) {
    const mid = (lo + hi) / 2;
    if (above(mid)) lo = mid;
    else hi = mid;
  }
  return (lo + hi) / 2;
}

/** Score metrics that have a p-value (wasserstein, hellinger and linf have none here). */
export const TESTED_METRICS = ['psi', 'js', 'ks'] as const;
export type TestedMetric = (typeof TESTED_METRICS)[number];

/** The p-value of a score, or null when the metric has none (wasserstein) or it is undefined. */
export function scorePValue(metric: string, score: number | null, c: Comparison): number | null {
  if (score === null) return null;
  if (metric === 'ks') {
    const nEff = effectiveSampleSize(c.currentCount, c.referenceCount);
    return nEff === null ? null : kolmogorovSurvival(score * Math.sqrt(nEff));
  }
  if (metric !== 'psi' && metric !== 'js') return null;
  const { reference, current } = binnedCounts(c);
  const k = occupiedBins(reference, current);
  return metric === 'psi' ? psiPValue(score, k, c.currentCount, c.referenceCount) : jsPValue(score, k, c.currentCount, c.referenceCount);
}

/**
 * The score at which the p-value equals α for this comparison's sizes: the critical value a
 * window of n values must reach (the `auto` threshold). Null for metrics without a p-value.
 */
export function criticalScore(metric: string, alpha: number, c: Comparison): number | null {
  const nEff = effectiveSampleSize(c.currentCount, c.referenceCount);
  if (nEff === null) return null;
  if (metric === 'ks') return kolmogorovIsf(alpha) / Math.sqrt(nEff);
  if (metric !== 'psi' && metric !== 'js') return null;
  const { reference, current } = binnedCounts(c);
  const k = occupiedBins(reference, current);
  if (k < 2) return null;
  const x = chiSquareIsf(alpha, k - 1);
  return metric === 'psi' ? x / nEff : Math.sqrt(x / (8 * Math.LN2 * nEff));
}
