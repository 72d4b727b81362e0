// The per-row map's cheaper parts (docs/multivariate.md, "Cost"): the polynomial cosine against
// Math.cos on many seeded random arguments, and the block map (four rows at once, and the
// recorder that waits for them) against the one-row map, bit for bit.
import { describe, expect, it } from 'vitest';
import { Random } from '../../../../src/core/reference/random.js';
import { addFeatureMap, addFeatureMapBlock, COSINE_POLYNOMIAL_BOUND, cosine, drawRffMap, MAP_BLOCK_ROWS, sine, standardise } from '../../../../src/core/multivariate/rff-mmd.js';
import { MultivariateRecorder } from '../../../../src/core/multivariate/state.js';

function maxError(random: Random, halfWidth: number, count: number): number {
  let worst = 0;
  for (let k = 0; k < count; k++) {
    const t = (2 * random.uniform() - 1) * halfWidth;
    worst = Math.max(worst, Math.abs(cosine(t) - Math.cos(t)));
  }
  return worst;
}

describe('cosine', () => {
  it('is within 1e-12 of Math.cos (1e-15 where the map’s arguments are) on 10^6 random arguments per range', () => {
    const random = new Random(12, 7);
    expect(maxError(random, 10, 1_000_000)).toBeLessThanOrEqual(1e-15);
    expect(maxError(random, 100, 1_000_000)).toBeLessThanOrEqual(1e-13);
    expect(maxError(random, COSINE_POLYNOMIAL_BOUND, 1_000_000)).toBeLessThanOrEqual(1e-12);
    // Past the bound Math.cos answers: the same bits.
    expect(maxError(random, 1e9, 10_000)).toBe(0);
  });

  it('is exact where cos is: 0, ±π, ±2π, the reduction’s edges (±π/2 around each k), and the non-finite', () => {
    expect(cosine(0)).toBe(1);
    expect(Math.abs(cosine(Math.PI) + 1)).toBeLessThanOrEqual(1e-16);
    expect(Math.abs(cosine(-2 * Math.PI) - 1)).toBeLessThanOrEqual(1e-16);
    for (let k = -5; k <= 5; k++) {
      for (const t of [(2 * k + 1) * Math.PI, (2 * k + 1) * Math.PI + 1e-9, (2 * k + 1) * Math.PI - 1e-9, 2 * k * Math.PI + 3]) {
        expect(Math.abs(cosine(t) - Math.cos(t))).toBeLessThanOrEqual(1e-15);
      }
    }
    expect(cosine(COSINE_POLYNOMIAL_BOUND)).toBeCloseTo(Math.cos(COSINE_POLYNOMIAL_BOUND), 12);
    expect(cosine(Number.NaN)).toBeNaN();
    expect(cosine(Number.POSITIVE_INFINITY)).toBeNaN();
    expect(cosine(Number.NEGATIVE_INFINITY)).toBeNaN();
  });
});

describe('sine', () => {
  it('is within 1e-12 of Math.sin (1e-15 where the map’s arguments are) on 10^6 random arguments per range, Math.sin past the bound', () => {
    const random = new Random(13, 7);
    const worst = (halfWidth: number, count: number) => {
      let w = 0;
      for (let k = 0; k < count; k++) {
        const t = (2 * random.uniform() - 1) * halfWidth;
        w = Math.max(w, Math.abs(sine(t) - Math.sin(t)));
      }
      return w;
    };
    expect(worst(10, 1_000_000)).toBeLessThanOrEqual(1e-15);
    expect(worst(100, 1_000_000)).toBeLessThanOrEqual(1e-13);
    expect(worst(COSINE_POLYNOMIAL_BOUND, 1_000_000)).toBeLessThanOrEqual(1e-12);
    expect(worst(1e9, 10_000)).toBe(0);
    expect(sine(0)).toBe(0);
    expect(sine(Number.NaN)).toBeNaN();
  });
});

describe('the cos-sin map', () => {
  it('is √(2/D)·(cos, sin)(ω_i·x) per projection, so φ(x)·φ(y) = (2/D) Σ cos(ω_i·(x − y))', () => {
    const spec = drawRffMap(3, 6, 1.3, new Random(4, 2), 'cos-sin');
    expect(spec.omega).toHaveLength(9);
    expect(spec.phase).toHaveLength(0);
    const x = [0.3, -1.2, 2.5];
    const y = [1.1, 0.4, -0.7];
    const px = new Float64Array(6);
    const py = new Float64Array(6);
    addFeatureMap(spec, x, px);
    addFeatureMap(spec, y, py);
    let dot = 0;
    let expected = 0;
    for (let i = 0; i < 3; i++) {
      let t = 0;
      for (let j = 0; j < 3; j++) t += spec.omega[3 * i + j] * (x[j] - y[j]);
      expected += Math.cos(t) / 3;
      dot += px[2 * i] * py[2 * i] + px[2 * i + 1] * py[2 * i + 1];
    }
    expect(Math.abs(dot - expected)).toBeLessThanOrEqual(1e-14);
    expect(() => drawRffMap(3, 7, 1, new Random(1), 'cos-sin')).toThrow(/features \(7\) must be even for the cos-sin map/);
  });
});

describe.each(['phase', 'cos-sin'] as const)('the block map (%s)', (kind) => {
  const dims = 7;
  const features = kind === 'phase' ? 33 : 34;
  const spec = drawRffMap(dims, features, 1.7, new Random(3, 2), kind);
  const random = new Random(5, 1);
  const rows = Array.from({ length: 4 * 10 + 3 }, () => Float64Array.from({ length: dims }, () => 6 * random.normal()));

  it('adds the same bits as four one-row maps', () => {
    const one = new Float64Array(features);
    const block = new Float64Array(features);
    const xs = new Float64Array(MAP_BLOCK_ROWS * dims * 10);
    rows.slice(0, 40).forEach((row, r) => xs.set(row, r * dims));
    const args = new Float64Array(MAP_BLOCK_ROWS * features);
    for (let r = 0; r < 40; r++) addFeatureMap(spec, rows[r], one);
    for (let r = 0; r < 40; r += MAP_BLOCK_ROWS) addFeatureMapBlock(spec, xs, r * dims, block, args);
    expect(Array.from(block)).toEqual(Array.from(one));
    expect(one.some((v) => v !== 0)).toBe(true);
  });

  it('the recorder maps rows still waiting before any read, and standardises them as standardise does', () => {
    const standardisation = { mean: Float64Array.from({ length: dims }, (_, j) => j - 3), scale: Float64Array.from({ length: dims }, (_, j) => 0.5 + j) };
    const recorder = new MultivariateRecorder({ spec, standardisation, indices: Int32Array.from({ length: dims }, (_, j) => j) });
    const expected = new Float64Array(features);
    const z = new Float64Array(dims);
    rows.forEach((row, r) => {
      const raw = Float64Array.from(row);
      if (r % 5 === 0) raw[r % dims] = Number.NaN; // missing: the reference mean
      recorder.raw.set(raw);
      recorder.commit();
      standardise(standardisation, raw, z);
      addFeatureMap(spec, z, expected);
      // Every read sees every committed row, whether its block is full or not.
      if (r % 3 === 0 || r === rows.length - 1) {
        expect(recorder.state.count).toBe(r + 1);
        expect(Array.from(recorder.state.sum)).toEqual(Array.from(expected));
      }
    });
  });
});
