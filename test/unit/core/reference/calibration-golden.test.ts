/**
 * The calibrated null against an independent oracle (test/golden/generate.py, calibration.json):
 * numpy's own Monte Carlo of the same null (Dirichlet shares, multinomial window) with 200,000
 * draws, and scipy's scaled χ² fit. Tolerances in docs/statistics.md ("Golden values and tolerances").
 */
import { describe, expect, it } from 'vitest';
import {
  calibrateFeature,
  calibrationSettings,
  CALIBRATION_LEVELS,
  DEFAULT_CALIBRATION_REPLICATES,
  fitScaledChiSquare,
  scaledChiSquareCritical,
  scaledChiSquarePValue,
} from '../../../../src/core/reference/index.js';
import { calibrationFixtures, relativeError } from '../../../golden/fixtures.js';

const golden = calibrationFixtures();

describe('calibrated null quantiles vs an independent numpy Monte Carlo', () => {
  it('the oracle assumed the default number of draws', () => {
    expect(golden.replicates_ts).toBe(DEFAULT_CALIBRATION_REPLICATES);
  });

  for (const c of golden.cases) {
    for (const nul of c.nulls) {
      it(`${c.name} (${c.description}), n = ${nul.n}: each stored quantile lies within numpy's quantiles at level ± 4 standard errors`, () => {
        const calibration = calibrateFeature(c.counts, calibrationSettings({ sizes: [nul.n] }), 0)!;
        for (const metric of ['psi', 'js'] as const) {
          nul[metric].forEach((row, k) => {
            expect(row.level).toBe(CALIBRATION_LEVELS[k]);
            const q = calibration[metric][0][k];
            expect(q, `${metric} at level ${row.level}`).toBeGreaterThanOrEqual(row.low);
            expect(q, `${metric} at level ${row.level}`).toBeLessThanOrEqual(row.high);
          });
        }
      });
    }
  }
});

describe('scaled χ² fit vs scipy (brentq on chi2.isf)', () => {
  for (const f of golden.fits) {
    it(`through ${f.upper} (level 0.1) and ${f.lower} (level 0.01): dof, scale, p-values and critical values within 1e-9 relative`, () => {
      const fit = fitScaledChiSquare(f.upper, f.lower);
      expect(relativeError(fit.dof, f.dof)).toBeLessThan(1e-9);
      expect(relativeError(fit.scale, f.scale)).toBeLessThan(1e-9);
      for (const { t, p } of f.pvalues) expect(relativeError(scaledChiSquarePValue(fit, t), p), `p at T = ${t}`).toBeLessThan(1e-9);
      for (const { alpha, t } of f.critical) expect(relativeError(scaledChiSquareCritical(fit, alpha), t), `critical at α = ${alpha}`).toBeLessThan(1e-9);
    });
  }
});
