/**
 * Golden tests of the p-values every score carries and of the `auto` critical values, against
 * scipy (test/golden/generate.py: scipy.stats.chi2.sf / isf, scipy.special.kolmogi,
 * scipy.stats.chi2_contingency), plus the chi² regression of issue 10.
 */
import { describe, expect, it } from 'vitest';
import {
  chiSquarePValue,
  chiSquareIsf,
  chiSquareSurvival,
  correctedLevel,
  jsPValue,
  kolmogorovIsf,
  kolmogorovSurvival,
  occupiedBins,
  psiPValue,
  effectiveSampleSize,
} from '../../../../src/core/stats/index.js';
import { categoricalCases, numericCases, relativeError } from '../../../golden/fixtures.js';

const cases = [
  ...numericCases().map((c) => ({ name: c.name, ref: c.expected.psi_reference_counts, cur: c.expected.psi_current_counts, e: c.expected })),
  ...categoricalCases().map((c) => ({ name: c.name, ref: c.expected.reference_counts, cur: c.expected.current_counts, e: c.expected })),
];
const sum = (xs: number[]) => xs.reduce((a, b) => a + b, 0);

describe.each(cases)('asymptotic p-values, golden case $name', ({ ref, cur, e }) => {
  const m = sum(ref);
  const n = sum(cur);
  const k = occupiedBins(ref, cur);

  it('n_eff and the degrees of freedom are scipy’s', () => {
    expect(relativeError(effectiveSampleSize(n, m)!, e.n_eff)).toBeLessThanOrEqual(1e-15);
    expect(k).toBe(e.occupied_bins);
  });

  // Tolerance 1e-9 relative (1e-300 absolute where scipy underflows to 0): the same statistic
  // into the chi² survival function, itself golden-tested to 1e-10 (special.test.ts).
  it('PSI p-value = scipy.stats.chi2.sf(n_eff·PSI, k − 1)', () => {
    const psi = (e as { psi: number }).psi;
    const p = psiPValue(psi, k, n, m)!;
    if (e.psi_pvalue === 0) expect(p).toBeLessThanOrEqual(1e-300);
    else expect(relativeError(p, e.psi_pvalue)).toBeLessThanOrEqual(1e-9);
  });

  it('JS p-value = scipy.stats.chi2.sf(8·ln2·n_eff·JS², k − 1)', () => {
    const js = (e as { js: number }).js;
    const p = jsPValue(js, k, n, m)!;
    if (e.js_pvalue === 0) expect(p).toBeLessThanOrEqual(1e-300);
    else expect(relativeError(p, e.js_pvalue)).toBeLessThanOrEqual(1e-9);
  });

  // The inverses are bisections to double precision on golden-tested survival functions.
  it('critical values at α = 0.01 equal scipy’s chi2.isf and kolmogi (1e-9 relative)', () => {
    const nEff = effectiveSampleSize(n, m)!;
    expect(relativeError(chiSquareIsf(0.01, k - 1) / nEff, e.psi_critical_001)).toBeLessThanOrEqual(1e-9);
    expect(relativeError(Math.sqrt(chiSquareIsf(0.01, k - 1) / (8 * Math.LN2 * nEff)), e.js_critical_001)).toBeLessThanOrEqual(1e-9);
    expect(relativeError(kolmogorovIsf(0.01) / Math.sqrt(nEff), e.ks_critical_001)).toBeLessThanOrEqual(1e-9);
  });
});

describe('inverses', () => {
  it.each([1, 2, 9, 99])('chiSquareIsf and kolmogorovIsf invert their survival functions (dof %i)', (dof) => {
    for (const p of [0.5, 0.05, 1e-3, 1e-6, 1e-10]) {
      expect(kolmogorovSurvival(kolmogorovIsf(p)) / p).toBeCloseTo(1, 9);
      expect(relativeError(chiSquareSurvival(chiSquareIsf(p, dof), dof), p)).toBeLessThanOrEqual(1e-9);
    }
  });
});

describe('chi² regression (issue 10): a rare reference category is not floored to 1e-4', () => {
  it('a category seen once in 100,000 reference rows and 3 times in 1,000 current rows', () => {
    // Its reference proportion 1e-5 was floored to 1e-4, so its expectation in 1,000 rows was
    // 0.1 instead of 0.01: scipy.stats.chisquare on the floored, renormalised proportions gives
    // p = 5.40e-19; the contingency test keeps the counts as they are:
    // scipy.stats.chi2_contingency([[49999, 50000, 1], [500, 497, 3]], correction=False).pvalue
    // = 2.9052168573733813e-49. (Both are asymptotic; with expected counts that small neither is
    // exact — docs/statistics.md, "Reading the numbers".)
    const p = chiSquarePValue([49_999, 50_000, 1], [500, 497, 3])!;
    expect(relativeError(p, 2.9052168573733813e-49)).toBeLessThanOrEqual(1e-9);
  });
});

describe('correctedLevel', () => {
  const ps = [0.001, 0.008, 0.039, 0.041, 0.042, 0.06, 0.074, 0.205, 0.212, 0.216];
  it('none: α; bonferroni: α/F', () => {
    expect(correctedLevel(ps, 0.05, 'none')).toBe(0.05);
    expect(correctedLevel(ps, 0.05, 'bonferroni')).toBe(0.005);
  });
  it('bh: α·R/F for the largest R with p_(R) ≤ α·R/F (the textbook example rejects 2)', () => {
    expect(correctedLevel(ps, 0.05, 'bh')).toBeCloseTo(0.01, 15);
    expect(correctedLevel([0.9, 0.8], 0.05, 'bh')).toBe(0.025);
  });
  it('null p-values take no part', () => {
    expect(correctedLevel([null, 0.5, null, 0.01], 0.05, 'bonferroni')).toBe(0.025);
  });
});
