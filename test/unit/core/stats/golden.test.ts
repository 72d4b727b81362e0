/**
 * Golden tests of the statistics functions on raw samples and on numpy's own bins, against the
 * numpy/scipy oracles of test/golden/generate.py. The end-to-end path (reference built from
 * rows, saved, loaded, then DriftDetector) is in test/unit/core/detect/golden-detector.test.ts.
 */
import { describe, expect, it } from 'vitest';
import { chiSquarePValue, jensenShannonDistance, ksPValue, ksTwoSample, psiFromCounts, quantileSorted, uniqueSorted } from '../../../../src/core/stats/index.js';
import { categoricalCases, numericCases, present, relativeError } from '../../../golden/fixtures.js';

const numeric = numericCases();
const categorical = categoricalCases();

const proportionsOf = (counts: number[]): number[] => {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => c / total);
};

describe.each(numeric)('numeric golden case $name', (c) => {
  const ref = present(c.reference);
  const cur = present(c.current);
  const e = c.expected;

  it('PSI edges: numpy.quantile(ref, k/10), k = 1..9, linear, deduplicated — bit for bit', () => {
    // Tolerance: exact equality. quantileSorted reproduces numpy's h = (n−1)·p and its _lerp
    // (interpolating from the nearer end), so every edge is the same double. Any difference
    // would move values across bin boundaries and change PSI discontinuously.
    const sorted = Float64Array.from(ref).sort();
    const edges = uniqueSorted(Array.from({ length: 9 }, (_, k) => quantileSorted(sorted, (k + 1) / 10)));
    expect(Array.from(edges)).toEqual(e.psi_edges);
  });

  it('psiFromCounts on numpy’s bin counts equals the numpy PSI', () => {
    // Tolerance 1e-12 absolute (PSI values here are 0.007..0.3). Same counts, same floor,
    // same formula: only summation-order rounding differs, ~1e-16 per term.
    expect(Math.abs(psiFromCounts(e.psi_reference_counts, e.psi_current_counts)! - e.psi)).toBeLessThanOrEqual(1e-12);
  });

  it('ksTwoSample equals scipy.stats.ks_2samp(ref, cur).statistic', () => {
    // Tolerance 1e-12 absolute. D is a difference of two fractions i/n − j/m evaluated at the
    // same data points as scipy; only the last-bit rounding of the division can differ.
    expect(Math.abs(ksTwoSample(ref, cur) - e.ks)).toBeLessThanOrEqual(1e-12);
  });

  it('ksPValue equals scipy.special.kolmogorov(√(n·m/(n+m))·D) for the same D', () => {
    // Tolerance 1e-9 relative: the formula is the design's (asymptotic Kolmogorov at
    // n_eff = n·m/(n+m)); Q_KS itself is golden-tested to 1e-12 in special.test.ts, and the
    // argument √n_eff·D is computed in the same order as the generator. Measured ≤ 2e-16.
    const p = ksPValue(e.ks, e.reference_count, e.current_count)!;
    expect(relativeError(p, e.ks_pvalue_kolmogorov)).toBeLessThanOrEqual(1e-9);
  });

  it('ksPValue is within a stated distance of ks_2samp(method="asymp").pvalue', () => {
    // Not the same formula: scipy's asymp method evaluates the finite-n distribution
    // kstwo.sf(D, round(n_eff)), driftwatch the limiting Kolmogorov distribution at D·√n_eff.
    // On every case here the limiting form gives the larger p, by a factor that grows as p
    // shrinks. Measured: relative distance 2.4%–7.1% where scipy's p ≥ 1e-6 (normal_unshifted
    // 0.024 … missing_values 0.071); factors 1.26–1.34 at p ≈ 1e-17..1e-20, 2.95 at p ≈ 2e-42
    // and 69 at p ≈ 9e-87 (point_mass_sentinel_moved), where only the exponent means anything.
    // Stated tolerance: relative 0.1 when scipy's p ≥ 1e-6, where a p-value is read as a number
    // (the fixtures are deterministic, so the 7.1% → 10% margin cannot be eaten by sampling
    // noise); below that, both must be < 1e-5 and their decimal exponents must agree within 5%
    // (|log10 ratio| ≤ 0.05·|log10 p|; measured ≤ 2.1%).
    const p = ksPValue(e.ks, e.reference_count, e.current_count)!;
    if (e.ks_pvalue_asymp >= 1e-6) expect(relativeError(p, e.ks_pvalue_asymp)).toBeLessThanOrEqual(0.1);
    else {
      expect(p).toBeLessThan(1e-5);
      expect(Math.abs(Math.log10(p / e.ks_pvalue_asymp))).toBeLessThanOrEqual(0.05 * Math.abs(Math.log10(e.ks_pvalue_asymp)));
    }
  });

  it('jensenShannonDistance equals scipy jensenshannon(p, q, base=2) on the PSI bins', () => {
    // Tolerance 1e-9 absolute (distance in 0..1). Same unfloored proportions; log2 vs scipy's
    // ln/ln 2 differ by rounding only (~1e-16 in the divergence). The square root amplifies a
    // divergence error ε to ε/(2·JS); with JS ≥ 0.03 here that is still < 1e-14. Measured 3e-16.
    const p = proportionsOf(e.psi_reference_counts);
    const q = proportionsOf(e.psi_current_counts);
    expect(Math.abs(jensenShannonDistance(p, q) - e.js)).toBeLessThanOrEqual(1e-9);
  });
});

describe.each(categorical)('categorical golden case $name', (c) => {
  const e = c.expected;

  it('psiFromCounts over the union of categories equals the numpy PSI', () => {
    // Tolerance 1e-12 absolute: identical counts, floor and formula (see numeric cases).
    expect(Math.abs(psiFromCounts(e.reference_counts, e.current_counts)! - e.psi)).toBeLessThanOrEqual(1e-12);
  });

  it('jensenShannonDistance equals scipy jensenshannon(p, q, base=2)', () => {
    // Tolerance 1e-9 absolute, as for the numeric cases; measured ≤ 3e-16.
    const js = jensenShannonDistance(proportionsOf(e.reference_counts), proportionsOf(e.current_counts));
    expect(Math.abs(js - e.js)).toBeLessThanOrEqual(1e-9);
  });

  it('chiSquarePValue equals scipy.stats.chi2_contingency([reference, current], correction=False).pvalue', () => {
    // Tolerance 1e-9 relative (absolute 1e-300 for a p-value that underflows to 0 in both).
    // The statistic is the same sum; chi2 survival is golden-tested to 1e-10 relative.
    // Measured 8e-15 relative (categorical_rare_unseen, p ≈ 7.6e-4).
    const p = chiSquarePValue(e.reference_counts, e.current_counts)!;
    if (e.chi2_pvalue === 0) expect(p).toBeLessThanOrEqual(1e-300);
    else expect(relativeError(p, e.chi2_pvalue)).toBeLessThanOrEqual(1e-9);
  });
});

describe('golden fixture coverage', () => {
  it('holds the distributions the contract is about', () => {
    const names = [...numeric, ...categorical].map((c) => c.name);
    expect(names).toEqual(
      expect.arrayContaining(['normal_unshifted', 'normal_shifted', 'poisson_ties', 'student_t2', 'lognormal', 'point_mass_zero', 'missing_values', 'categorical_unseen']),
    );
    // Ties: integer features with fewer and with more distinct values than the 400 fine bins.
    const distinct = numeric.map((c) => c.expected.distinct_reference_values);
    expect(distinct.some((d) => d <= 400)).toBe(true);
    expect(numeric.some((c) => c.name === 'integer_wide_support' && c.expected.distinct_reference_values > 400)).toBe(true);
    expect(categorical.some((c) => c.expected.unseen_categories.length > 0)).toBe(true);
  });
});
