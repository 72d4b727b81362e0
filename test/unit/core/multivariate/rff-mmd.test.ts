// The random-Fourier-feature MMD against numpy/scipy (test/golden/generate_multivariate.py): the
// standardisation, the median-heuristic bandwidth, the approximate score with the same random
// features to 1e-10, and the approximation's distance from the exact Gaussian-kernel MMD² within
// both the empirical 99th percentile and the Bernstein bound of docs/multivariate.md, "Tolerances".
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { drawRffMap, fitStandardisation, medianPairwiseDistance, mmd2, MmdState, rffErrorBound, standardise, type RffMapSpec } from '../../../../src/core/multivariate/rff-mmd.js';

interface Fixture {
  dims: number;
  features: number;
  median_rows: number;
  reference: number[][];
  mean: number[];
  scale: number[];
  bandwidth: number;
  omega: number[];
  phase: number[];
  cases: { name: string; current: number[][]; exact_mmd2: number; rff_mmd2: number; error_q99: number }[];
}
const fixture = JSON.parse(readFileSync(new URL('../../../golden/fixtures/multivariate.json', import.meta.url), 'utf8')) as Fixture;
const spec: RffMapSpec = { kind: 'phase', dims: fixture.dims, features: fixture.features, omega: Float64Array.from(fixture.omega), phase: Float64Array.from(fixture.phase) };
const close = (actual: number, expected: number, rel: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));

const standardisation = fitStandardisation(fixture.reference, fixture.dims);
const z = (rows: number[][]) =>
  rows.map((row) => {
    const out = new Float64Array(fixture.dims);
    standardise(standardisation, row, out);
    return out;
  });
const zRef = z(fixture.reference);
function stateOf(rows: Float64Array[]): MmdState {
  const s = new MmdState(spec.features);
  for (const row of rows) s.add(spec, row);
  return s;
}
const referenceMean = stateOf(zRef).mean();

describe('RFF-MMD against numpy and scipy', () => {
  it('standardises with the reference mean and population standard deviation', () => {
    fixture.mean.forEach((m, j) => close(standardisation.mean[j]!, m, 1e-12));
    fixture.scale.forEach((s, j) => close(standardisation.scale[j]!, s, 1e-12));
  });

  it('picks the bandwidth by the median heuristic (numpy.median of pdist)', () => {
    close(medianPairwiseDistance(zRef.slice(0, fixture.median_rows), fixture.dims), fixture.bandwidth, 1e-12);
  });

  for (const c of fixture.cases) {
    it(`${c.name}: the score equals numpy's with the same random features, within the stated bounds of the exact MMD²`, () => {
      const score = mmd2(referenceMean, stateOf(z(c.current)));
      close(score, c.rff_mmd2, 1e-10);
      const error = Math.abs(score - c.exact_mmd2);
      expect(error).toBeLessThanOrEqual(c.error_q99);
      expect(error).toBeLessThanOrEqual(rffErrorBound(c.exact_mmd2, spec.features, 1e-6));
    });
  }

  it('separates a flipped correlation (unchanged marginals) from a sample of the reference distribution', () => {
    const [flip, same] = ['correlation_flip', 'no_drift'].map((name) => mmd2(referenceMean, stateOf(z(fixture.cases.find((c) => c.name === name)!.current))));
    expect(flip!).toBeGreaterThan(5 * same!);
  });
});

describe('MmdState', () => {
  it('merges and subtracts panes: a window built from panes scores as the window built row by row', () => {
    const rows = z(fixture.cases[0]!.current);
    const whole = stateOf(rows);
    const panes = [rows.slice(0, 100), rows.slice(100, 170), rows.slice(170)].map(stateOf);
    const merged = new MmdState(spec.features);
    for (const p of panes) merged.merge(p);
    expect(merged.count).toBe(whole.count);
    merged.sum.forEach((v, i) => expect(Math.abs(v - whole.sum[i]!)).toBeLessThan(1e-9));
    merged.subtract(panes[0]!);
    const tail = stateOf(rows.slice(100));
    expect(merged.count).toBe(tail.count);
    close(mmd2(referenceMean, merged), mmd2(referenceMean, tail), 1e-9);
    expect(mmd2(referenceMean, new MmdState(spec.features))).toBeNaN();
  });

  it('imputes a missing value with the reference mean (0 after standardisation)', () => {
    const out = new Float64Array(fixture.dims);
    standardise(standardisation, [Number.NaN, standardisation.mean[1]!, 0, 0, 0], out);
    expect(out[0]).toBe(0);
    expect(out[1]).toBe(0);
  });
});

describe('drawRffMap', () => {
  it('divides the normal draws by the bandwidth and spreads the phases over [0, 2π)', () => {
    let k = 0;
    const source = { normal: () => ++k, uniform: () => 0.25 };
    const map = drawRffMap(2, 3, 2, source);
    expect([...map.omega]).toEqual([0.5, 1, 1.5, 2, 2.5, 3]);
    expect([...map.phase]).toEqual([Math.PI / 2, Math.PI / 2, Math.PI / 2]);
  });

  it('refuses impossible shapes and bandwidths, naming the value', () => {
    const source = { normal: () => 0, uniform: () => 0 };
    expect(() => drawRffMap(0, 8, 1, source)).toThrow(/dims \(0\)/);
    expect(() => drawRffMap(2, 0, 1, source)).toThrow(/features \(0\)/);
    expect(() => drawRffMap(2, 8, 0, source)).toThrow(/bandwidth \(0\)/);
  });
});
