/**
 * The calibrated null against an independent oracle (test/golden/generate.py, calibration.json):
 * numpy's own Monte Carlo of the same null (Dirichlet shares, multinomial window) with
 * 1,000,000 plain draws, and scipy's scaled χ² fit. Tolerances in docs/statistics.md ("Golden
 * values and tolerances").
 */
import { describe, expect, it } from 'vitest';
import {
  calibrateFeature,
  calibrationDraws,
  calibrationSettings,
  CALIBRATION_LEVELS,
  DEFAULT_CALIBRATION_REPLICATES,
  fitScaledChiSquare,
  scaledChiSquareCritical,
  scaledChiSquarePValue,
} from '../../../../src/core/reference/index.js';
import { calibrationFixtures, relativeError } from '../../../golden/fixtures.js';

const golden = calibrationFixtures();

/**
 * Bounds of numpy's tail share at t from its quantile grid: P(T ≥ t) ≤ the smallest grid level
 * whose quantile lies below t, and P(T > t) ≥ the largest grid level whose quantile lies above t.
 */
function numpyTail(grid: { level: number; t: number }[], t: number): { atOrAbove: number; above: number } {
  const below = grid.filter((g) => g.t < t).map((g) => g.level);
  const over = grid.filter((g) => g.t > t).map((g) => g.level);
  return { atOrAbove: below.length ? Math.min(...below) : 1, above: over.length ? Math.max(...over) : 0 };
}

/** The standard error of the weighted tail share at t, from the draws themselves (self-normalised weights). */
function tailStandardError(values: Float64Array, weights: Float64Array, t: number): number {
  const R = values.length;
  const mean = weights.reduce((s, w) => s + w, 0) / R;
  let share = 0;
  let square = 0;
  for (let r = 0; r < R; r++) {
    if (values[r] < t) continue;
    const w = weights[r] / mean;
    share += w / R;
    square += (w * w) / R;
  }
  return Math.sqrt(Math.max(0, square - share * share) / R);
}

describe('calibrated null quantiles vs an independent numpy Monte Carlo', () => {
  it('the oracle assumed the default number of draws', () => {
    expect(golden.replicates_ts).toBe(DEFAULT_CALIBRATION_REPLICATES);
  });

  for (const c of golden.cases) {
    for (const nul of c.nulls) {
      it(`${c.name} (${c.description}), n = ${nul.n}: numpy's tail share at each stored quantile (levels 0.1 to 1e-4) is the level within 4 standard errors`, () => {
        const settings = calibrationSettings({ sizes: [nul.n] });
        const calibration = calibrateFeature(c.counts, settings)!;
        const draws = calibrationDraws(c.counts, settings, 0)!;
        for (const metric of ['psi', 'js'] as const) {
          CALIBRATION_LEVELS.forEach((level, k) => {
            const q = calibration[metric][0][k];
            const se = Math.sqrt(tailStandardError(draws[metric], draws.weight, q) ** 2 + (level * (1 - level)) / golden.replicates_np);
            const { atOrAbove, above } = numpyTail(nul[metric], q);
            expect(atOrAbove, `${metric} at level ${level}: numpy's P(T ≥ ${q})`).toBeGreaterThanOrEqual(level - 4 * se);
            expect(above, `${metric} at level ${level}: numpy's P(T > ${q})`).toBeLessThanOrEqual(level + 4 * se);
          });
        }
      });
    }
  }
});

describe('scaled χ² fit vs scipy (brentq on chi2.isf)', () => {
  for (const f of golden.fits) {
    it(`through ${f.upper} (level ${f.level_upper}) and ${f.lower} (level ${f.level_lower}): dof, scale, p-values and critical values within 1e-9 relative`, () => {
      const fit = fitScaledChiSquare(f.upper, f.lower, f.level_upper, f.level_lower);
      expect(relativeError(fit.dof, f.dof)).toBeLessThan(1e-9);
      expect(relativeError(fit.scale, f.scale)).toBeLessThan(1e-9);
      for (const { t, p } of f.pvalues) expect(relativeError(scaledChiSquarePValue(fit, t), p), `p at T = ${t}`).toBeLessThan(1e-9);
      for (const { alpha, t } of f.critical) expect(relativeError(scaledChiSquareCritical(fit, alpha), t), `critical at α = ${alpha}`).toBeLessThan(1e-9);
    });
  }
});
