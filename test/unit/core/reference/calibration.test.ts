/**
 * The resampled calibration stored in the reference (issue 10, item 2): the seeded variates it
 * draws from, the file it writes (schema 2, old files still read), the interpolation in 1/n,
 * and what a check does with it (`p_value_method`). Golden values against numpy and scipy are
 * in test/unit/golden/calibration-golden.test.ts.
 */
import { describe, expect, it } from 'vitest';
import {
  calibratedCritical,
  calibratedNull,
  calibratedPValue,
  calibrateFeature,
  calibrationSettings,
  CALIBRATION_LEVELS,
  fitScaledChiSquare,
  nullFromQuantiles,
  ReferenceDistribution,
  scaledChiSquareCritical,
  scaledChiSquarePValue,
} from '../../../../src/core/reference/index.js';
import { Random } from '../../../../src/core/reference/random.js';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import { chiSquareIsf, chiSquareSurvival, logGamma } from '../../../../src/core/stats/index.js';
import { normal, rng } from '../../../calibration/false-alarms.js';

/** Pearson's goodness-of-fit p-value of `draws` against the exact binomial pmf (cells with expectation ≥ 5, tails pooled). */
function binomialFit(draws: number[], n: number, p: number): number {
  const pmf = (k: number) => Math.exp(logGamma(n + 1) - logGamma(k + 1) - logGamma(n - k + 1) + k * Math.log(p) + (n - k) * Math.log(1 - p));
  const counts = new Map<number, number>();
  for (const x of draws) counts.set(x, (counts.get(x) ?? 0) + 1);
  const cells: { expected: number; observed: number }[] = [];
  let pending = { expected: 0, observed: 0 };
  for (let k = 0; k <= n; k++) {
    pending.expected += draws.length * pmf(k);
    pending.observed += counts.get(k) ?? 0;
    if (pending.expected >= 5) {
      cells.push(pending);
      pending = { expected: 0, observed: 0 };
    }
  }
  cells[cells.length - 1].expected += pending.expected;
  cells[cells.length - 1].observed += pending.observed;
  const x2 = cells.reduce((s, c) => s + (c.observed - c.expected) ** 2 / c.expected, 0);
  return chiSquareSurvival(x2, cells.length - 1);
}

describe('seeded variates', () => {
  it('the same seeds give the same stream, other seeds another', () => {
    const a = new Random(1, 2, 3);
    const b = new Random(1, 2, 3);
    const c = new Random(1, 2, 4);
    const xs = Array.from({ length: 5 }, () => a.uniform());
    expect(Array.from({ length: 5 }, () => b.uniform())).toEqual(xs);
    expect(Array.from({ length: 5 }, () => c.uniform())).not.toEqual(xs);
  });

  it.each([
    [40, 0.1], // inversion
    [1000, 0.3], // BTRS
    [20_000, 0.02], // BTRS, small p
    [500, 0.93], // the mirror, p > 0.5
  ])('binomial(%i, %f) follows the exact pmf (Pearson goodness of fit, p > 0.001 at this seed)', (n, p) => {
    const random = new Random(7, n);
    const draws = Array.from({ length: 50_000 }, () => random.binomial(n, p));
    expect(binomialFit(draws, n, p)).toBeGreaterThan(0.001);
  });

  it('gamma(a) has mean a and variance a; Dirichlet shares sum to 1 with mean a_i/Σa', () => {
    const random = new Random(11);
    for (const a of [1, 3.5, 250]) {
      const xs = Array.from({ length: 40_000 }, () => random.gamma(a));
      const mean = xs.reduce((s, x) => s + x, 0) / xs.length;
      const variance = xs.reduce((s, x) => s + (x - mean) ** 2, 0) / xs.length;
      // 5 standard errors of the sample mean and variance (the variance's se is √((μ4 − σ⁴)/R) = √((6a + 2a²)/R))
      expect(Math.abs(mean - a)).toBeLessThan(5 * Math.sqrt(a / xs.length));
      expect(Math.abs(variance - a)).toBeLessThan(5 * Math.sqrt((6 * a + 2 * a * a) / xs.length));
    }
    const out = new Float64Array(3);
    const totals = [0, 0, 0];
    for (let i = 0; i < 10_000; i++) {
      random.dirichlet([2, 5, 13], out);
      expect(Math.abs(out[0] + out[1] + out[2] - 1)).toBeLessThan(1e-12);
      out.forEach((x, j) => (totals[j] += x / 10_000));
    }
    expect(totals[0]).toBeCloseTo(0.1, 2);
    expect(totals[2]).toBeCloseTo(0.65, 2);
  });

  it('a multinomial draw sums to n', () => {
    const random = new Random(5);
    const out = new Float64Array(4);
    for (const n of [0, 1, 99, 12_345]) {
      random.multinomial(n, [0.1, 0.2, 0.3, 0.4], out);
      expect(out.reduce((s, x) => s + x, 0)).toBe(n);
    }
  });
});

describe('calibration settings', () => {
  it('rejects a bad grid, replicates or seed with the value in the message', () => {
    expect(() => calibrationSettings({ sizes: [] })).toThrow('calibration sizes must name at least one window size');
    expect(() => calibrationSettings({ sizes: [100, 100] })).toThrow('calibration sizes must be strictly increasing (100, then 100)');
    expect(() => calibrationSettings({ sizes: [1.5] })).toThrow('calibration size 1.5 must be an integer ≥ 2');
    expect(() => calibrationSettings({ replicates: 10 })).toThrow('calibration replicates (10) must be an integer ≥ 100');
    expect(() => calibrationSettings({ seed: -1 })).toThrow('calibration seed (-1) must be an integer in [0, 2^32)');
  });
});

describe('the scaled χ² through two null quantiles', () => {
  it('passes through them: p = 0.1 at the upper one and 0.01 at the lower one', () => {
    for (const [upper, lower] of [
      [14.68, 21.67], // χ²(9) itself
      [15.8, 25.2], // a heavier tail (PSI at n = 100)
      [2.7, 6.6], // about χ²(1)
    ]) {
      const fit = fitScaledChiSquare(upper, lower);
      expect(scaledChiSquarePValue(fit, upper)).toBeCloseTo(0.1, 9);
      expect(scaledChiSquarePValue(fit, lower)).toBeCloseTo(0.01, 9);
      expect(scaledChiSquareCritical(fit, 0.01)).toBeCloseTo(lower, 6);
    }
    const chi9 = fitScaledChiSquare(chiSquareIsf(0.1, 9), chiSquareIsf(0.01, 9));
    expect(chi9.dof).toBeCloseTo(9, 6);
    expect(chi9.scale).toBeCloseTo(1, 8);
  });

  it('degenerate nulls stay finite: no spread, or all at zero', () => {
    expect(fitScaledChiSquare(5, 5).dof).toBe(1000);
    expect(fitScaledChiSquare(0, 3).dof).toBe(0.1);
    expect(Number.isFinite(fitScaledChiSquare(0, 0).scale)).toBe(true);
  });

  it('interpolates the stored quantiles linearly in 1/n, and is null outside the grid', () => {
    const settings = calibrationSettings({ sizes: [100, 400], replicates: 100 });
    const quantiles = [
      [20, 22, 30, 40, 52],
      [14, 16, 22, 30, 38],
    ];
    expect(calibratedNull(settings, quantiles, 99)).toBeNull();
    expect(calibratedNull(settings, quantiles, 401)).toBeNull();
    expect(calibratedNull(settings, quantiles, 100)).toEqual(nullFromQuantiles(CALIBRATION_LEVELS, quantiles[0]));
    expect(calibratedNull(settings, quantiles, 400)).toEqual(nullFromQuantiles(CALIBRATION_LEVELS, quantiles[1]));
    // 1/160 is halfway from 1/100 to 1/400: (1/100 − 1/160)/(1/100 − 1/400) = 0.5
    expect(calibratedNull(settings, quantiles, 160)).toEqual(nullFromQuantiles(CALIBRATION_LEVELS, [17, 19, 26, 35, 45]));
  });
});

describe('the piecewise tail through the stored quantiles', () => {
  const levels = CALIBRATION_LEVELS;
  const check = (ts: number[]) => {
    const nul = nullFromQuantiles(levels, ts);
    // through every stored quantile at its level
    ts.forEach((t, k) => expect(calibratedPValue(nul, t), `p at the quantile of level ${levels[k]}`).toBeCloseTo(levels[k], 12));
    // decreasing, and the critical value inverts it
    let last = 1;
    for (let t = 0.5 * ts[0]; t < 2 * ts[ts.length - 1]; t += ts[ts.length - 1] / 500) {
      const p = calibratedPValue(nul, t);
      expect(p).toBeLessThanOrEqual(last * (1 + 1e-12));
      last = p;
    }
    for (const alpha of [0.2, 0.1, 0.03, 0.01, 3e-3, 1e-3, 3e-4, 1e-4, 1e-5]) {
      const c = calibratedCritical(nul, alpha);
      expect(calibratedPValue(nul, c) / alpha, `p at the critical value of ${alpha}`).toBeCloseTo(1, 9);
    }
    return nul;
  };

  it('passes through every stored quantile, falls, and its critical values invert it', () => {
    check([15.8, 18.5, 24.3, 33.2, 39.0]); // JS at n = 100: scaled χ² pieces
    check([2.7, 3.9, 6.6, 10.8, 15.1]); // about χ²(1)
  });

  it('a jump no scaled χ² makes (the windows with an empty PSI bin, T ≈ 78 at n = 100) is bridged log-linearly', () => {
    const nul = check([15.8, 18.5, 24.3, 33.2, 78.0]);
    expect(nul.pieces[3].fit).toBeNull();
    expect(nul.pieces[0].fit).not.toBeNull();
    // log-linear: halfway in T is halfway in log p
    expect(calibratedPValue(nul, (33.2 + 78) / 2)).toBeCloseTo(Math.sqrt(1e-3 * 1e-4), 12);
  });

  it('fits each piece on first use, the fit an eager build gives, and keeps it', () => {
    const ts = [15.8, 18.5, 24.3, 33.2, 39.0];
    const nul = nullFromQuantiles(CALIBRATION_LEVELS, ts);
    nul.pieces.forEach((piece, j) => {
      const eager = fitScaledChiSquare(ts[j], ts[j + 1], CALIBRATION_LEVELS[j], CALIBRATION_LEVELS[j + 1]);
      expect(piece.fit).toEqual(eager);
      expect(piece.fit).toBe(piece.fit);
    });
  });

  it('coinciding quantiles (an atom of the null) are one knot, read conservatively', () => {
    const nul = nullFromQuantiles(levels, [5, 5, 5, 9, 12]);
    expect(nul.knots).toHaveLength(3);
    // P(T ≥ 5) holds at least the shallowest level; just above the atom, about the deepest
    expect(calibratedPValue(nul, 5)).toBe(0.1);
    expect(calibratedPValue(nul, 5 * (1 + 1e-6))).toBeCloseTo(0.01, 6);
    // at a level between them, a window at the atom is not significant
    for (const alpha of [0.05, 0.02]) {
      const c = calibratedCritical(nul, alpha);
      expect(c).toBeGreaterThan(5);
      expect(c).toBeLessThan(5 * (1 + 1e-6));
    }
    // every quantile at one value: a single knot; above it less than the deepest level
    const flat = nullFromQuantiles(levels, [3, 3, 3, 3, 3]);
    expect(calibratedPValue(flat, 3)).toBe(0.1);
    expect(calibratedPValue(flat, 2)).toBeGreaterThanOrEqual(0.1);
    expect(calibratedPValue(flat, 3.001)).toBeLessThan(1e-4);
    expect(calibratedCritical(flat, 0.01)).toBeGreaterThan(3);
  });
});

describe('a reference built with calibration', () => {
  const u = rng(3);
  const z = normal(u);
  const shares = [0.5, 0.3, 0.15, 0.05];
  const category = () => {
    let x = u();
    for (let i = 0; i < shares.length; i++) if ((x -= shares[i]) < 0) return 'abcd'[i];
    return 'd';
  };
  const rows = Array.from({ length: 3000 }, () => ({ x: z(), c: category() }));
  const options = { categorical: ['c'], now: new Date('2026-12-02T00:00:00Z'), calibration: { sizes: [100, 300], replicates: 500, seed: 9 } };
  const reference = ReferenceDistribution.fromRows(rows, options);

  it('is reproducible: the same rows and seed give the same file, another seed another', () => {
    expect(ReferenceDistribution.fromRows(rows, options).toJSON()).toEqual(reference.toJSON());
    const other = ReferenceDistribution.fromRows(rows, { ...options, calibration: { ...options.calibration, seed: 10 } }).toJSON();
    expect(other.features.x.null_quantiles).not.toEqual(reference.toJSON().features.x.null_quantiles);
  });

  it('saves the settings and per feature and metric one row of quantiles per size, and reads them back', () => {
    const file = reference.toJSON();
    expect(file.schema_version).toBe(2);
    expect(file.calibration).toEqual({ method: 'bayesian-bootstrap-is', seed: 9, replicates: 500, sizes: [100, 300], levels: [0.1, 0.05, 0.01, 1e-3, 1e-4] });
    for (const name of ['x', 'c']) {
      const q = file.features[name].null_quantiles!;
      expect(q.psi).toHaveLength(2);
      expect(q.js[1]).toHaveLength(5);
    }
    const back = ReferenceDistribution.fromJSON(JSON.parse(JSON.stringify(file)));
    expect(back.toJSON()).toEqual(file);
    expect(back.calibratedNull('x', 'psi', 200)).toEqual(reference.calibratedNull('x', 'psi', 200));
  });

  it('the stored quantiles are the draws calibrateFeature makes from the PSI-bin counts', () => {
    const model = reference.feature('x')!;
    if (model.type !== 'numeric') throw new Error('x is numeric');
    expect(reference.nullQuantilesOf('x')).toEqual(calibrateFeature(model.psiCounts, calibrationSettings(options.calibration)));
  });

  it('a file with a malformed calibration is refused, naming the field', () => {
    const file = reference.toJSON();
    const short = JSON.parse(JSON.stringify(file));
    short.features.x.null_quantiles.psi.pop();
    expect(() => ReferenceDistribution.fromJSON(short, 'ref.json')).toThrow('ref.json: invalid reference distribution at features.x.null_quantiles.psi: needs 2 rows');
    const v1 = JSON.parse(JSON.stringify(file));
    v1.schema_version = 1;
    expect(() => ReferenceDistribution.fromJSON(v1, 'ref.json')).toThrow('at calibration: a calibration needs schema_version 2');
    const orphan = JSON.parse(JSON.stringify(file));
    delete orphan.calibration;
    expect(() => ReferenceDistribution.fromJSON(orphan, 'ref.json')).toThrow('at features.x.null_quantiles: null_quantiles need a top-level calibration');
  });

  it('a check says which p-value it used: calibrated inside the grid, asymptotic outside it and for old references', () => {
    const detector = new DriftDetector({ metric: 'psi', threshold: 'auto' });
    const window = (n: number) => rows.slice(0, n);
    const inside = detector.detect(window(200), reference);
    expect(inside.features.x.p_value_method).toBe('calibrated');
    expect(inside.features.c.p_value_method).toBe('calibrated');
    const fit = reference.calibratedNull('x', 'psi', 200)!;
    const nEff = (200 * 3000) / 3200;
    expect(inside.features.x.p_value).toBe(calibratedPValue(fit, nEff * inside.features.x.psi!));
    expect(detector.detect(window(1000), reference).features.x.p_value_method).toBe('asymptotic');

    const v1 = { ...ReferenceDistribution.fromRows(rows, { ...options, calibration: false }).toJSON(), schema_version: 1 };
    const old = ReferenceDistribution.fromJSON(v1);
    expect(old.calibration).toBeNull();
    const result = detector.detect(window(200), old);
    expect(result.features.x.p_value_method).toBe('asymptotic');
    expect(result.features.x.p_value).toBe(result.features.x.psi_pvalue);
    // KS keeps its asymptotic p-value
    expect(new DriftDetector({ metric: 'ks', threshold: 'auto' }).detect(window(200), reference).features.x.p_value_method).toBe('asymptotic');
  });
  it('a reference of the first calibration (plain draws, levels 0.1, 0.05, 0.01) still loads and keeps its rule', () => {
    const file = JSON.parse(JSON.stringify(reference.toJSON()));
    file.calibration = { ...file.calibration, method: 'bayesian-bootstrap', levels: [0.1, 0.05, 0.01] };
    for (const name of ['x', 'c'])
      for (const metric of ['psi', 'js']) file.features[name].null_quantiles[metric] = file.features[name].null_quantiles[metric].map((row: number[]) => row.slice(0, 3));
    const old = ReferenceDistribution.fromJSON(file, 'old.json');
    expect(old.calibration?.method).toBe('bayesian-bootstrap');
    // its rule: one scaled χ² through the 0.1 and 0.01 quantiles, as before
    const [q10, , q01] = file.features.x.null_quantiles.psi[0];
    const fit = fitScaledChiSquare(q10, q01);
    const result = new DriftDetector({ metric: 'psi', threshold: 'auto' }).detect(rows.slice(0, 100), old);
    expect(result.features.x.p_value_method).toBe('calibrated');
    expect(result.features.x.p_value).toBe(scaledChiSquarePValue(fit, ((100 * 3000) / 3100) * result.features.x.psi!));
    expect(old.toJSON()).toEqual(file);
    // a method with the other method's levels is refused, naming both
    const mixed = { ...file, calibration: { ...file.calibration, method: 'bayesian-bootstrap-is' } };
    expect(() => ReferenceDistribution.fromJSON(mixed, 'mixed.json')).toThrow(
      'mixed.json: invalid reference distribution at calibration.levels: levels of method bayesian-bootstrap-is must be 0.1, 0.05, 0.01, 0.001, 0.0001 (are 0.1, 0.05, 0.01)',
    );
  });

  it('the null depends on the counts alone: the same counts in any order, in any feature, give the same quantiles', () => {
    const settings = calibrationSettings({ sizes: [100], replicates: 200 });
    const a = calibrateFeature([300, 200, 500, 0], settings);
    expect(calibrateFeature([0, 500, 300, 200], calibrationSettings({ sizes: [100], replicates: 200 }))).toEqual(a);
    expect(calibrateFeature([300, 200, 501, 0], settings)).not.toEqual(a);
    const twins = ReferenceDistribution.fromRows(
      rows.map((r) => ({ x: r.x, y: r.x })),
      { calibration: { sizes: [100], replicates: 200 } },
    );
    expect(twins.nullQuantilesOf('y')).toEqual(twins.nullQuantilesOf('x'));
  });
});
