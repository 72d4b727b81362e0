/**
 * Golden tests of the special functions behind the p-values, against scipy
 * (fixtures from test/golden/generate.py; versions in the fixture's provenance).
 */
import { describe, expect, it } from 'vitest';
import { chiSquareSurvival, kolmogorovSurvival } from '../../../../src/core/stats/index.js';
import { relativeError, specialFunctions } from '../../../golden/fixtures.js';

const golden = specialFunctions();

describe('kolmogorovSurvival (Q_KS) against scipy.special.kolmogorov', () => {
  // Tolerance 1e-12 relative. Both series (Jacobi theta form below λ = 1, alternating series
  // above) converge to double precision within a handful of terms, so the only error is
  // rounding: measured ≤ 5e-16 on this grid. 1e-12 leaves room for libm differences in exp()
  // while still catching a wrong term, a wrong switch point or early truncation (≥ 1e-8).
  it.each(golden.kolmogorov)('Q_KS($lambda) = $q', ({ lambda, q }) => {
    expect(relativeError(kolmogorovSurvival(lambda), q)).toBeLessThanOrEqual(1e-12);
  });

  it('covers both branches of the implementation and the grid asked for (0.05..3)', () => {
    const lambdas = golden.kolmogorov.map((p) => p.lambda);
    expect(Math.min(...lambdas)).toBeLessThanOrEqual(0.05);
    expect(Math.max(...lambdas)).toBeGreaterThanOrEqual(3);
    expect(lambdas.filter((l) => l < 1).length).toBeGreaterThan(10);
    expect(lambdas.filter((l) => l >= 1).length).toBeGreaterThan(10);
  });

  it('is 1 at λ ≤ 0 (D = 0 is no evidence at all)', () => {
    expect(kolmogorovSurvival(0)).toBe(1);
  });
});

describe('chiSquareSurvival against scipy.stats.chi2.sf', () => {
  // Tolerance 1e-10 relative, including p-values down to 1e-200 and k up to 200. The series /
  // continued fraction converge to ~1e-16; the error comes from exp(−x + a·ln x − ln Γ(a)),
  // whose exponent is of order 10³ for k = 200, so its ~1e-16 relative rounding (and Lanczos
  // ln Γ's ~1e-15) becomes ~1e-13 relative in the result: measured max 2.2e-13. 1e-10 keeps
  // a 400× margin and still fails for a wrong branch or a truncated continued fraction.
  it.each(golden.chi2_sf)('Q(x=$x; k=$k) = $sf', ({ x, k, sf }) => {
    expect(relativeError(chiSquareSurvival(x, k), sf)).toBeLessThanOrEqual(1e-10);
  });

  it('covers tiny p-values and large degrees of freedom', () => {
    expect(golden.chi2_sf.some((p) => p.k >= 200 && p.sf < 1e-100)).toBe(true);
    expect(golden.chi2_sf.some((p) => p.sf < 1e-150)).toBe(true);
  });

  it('is 1 at x ≤ 0 and NaN for dof ≤ 0', () => {
    expect(chiSquareSurvival(0, 3)).toBe(1);
    expect(chiSquareSurvival(-1, 3)).toBe(1);
    expect(chiSquareSurvival(1, 0)).toBeNaN();
  });
});
