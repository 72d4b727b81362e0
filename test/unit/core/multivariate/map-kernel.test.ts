// The block map's WebAssembly kernel (docs/multivariate.md, "Cost") against the JavaScript it
// replaces, bit for bit: the dot products (projectBlock), the cosines (`cosine`), and whole
// blocks with the kernel on and off. And the committed binary is the assembly of the .wat.
import { execFileSync } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterEach, describe, expect, it } from 'vitest';
import { Random } from '../../../../src/core/reference/random.js';
import { mapKernel, setMapKernelEnabled } from '../../../../src/core/multivariate/map-kernel.js';
import { addFeatureMap, addFeatureMapBlock, cosine, drawRffMap, MAP_BLOCK_ROWS, projectBlock, type RffMapKind } from '../../../../src/core/multivariate/rff-mmd.js';

const root = fileURLToPath(new URL('../../../../', import.meta.url));

/** The values' bit patterns, so that −0 and 0 (and NaN payloads) count as different. */
const bits = (values: Float64Array) => Array.from(new BigUint64Array(Float64Array.from(values).buffer));

/** `count` rows of `dims` standardised values, every tenth value far out (arguments past cosine's bound). */
function rowsOf(random: Random, count: number, dims: number, spread: number): Float64Array {
  return Float64Array.from({ length: count * dims }, (_, k) => (k % 10 === 3 ? 400 : spread) * random.normal());
}

afterEach(() => setMapKernelEnabled(true));

describe('the map kernel', () => {
  it('is the assembly of map-kernel.wat (config/build/wasm.mjs --check)', () => {
    expect(() => execFileSync(process.execPath, ['config/build/wasm.mjs', '--check'], { cwd: root, stdio: 'pipe' })).not.toThrow();
  });

  it('is there on this runtime (Node 20 has WebAssembly SIMD), and not when turned off', () => {
    const spec = drawRffMap(3, 8, 1, new Random(1, 1));
    expect(mapKernel(spec)).not.toBeNull();
    setMapKernelEnabled(false);
    expect(mapKernel(spec)).toBeNull();
  });

  describe.each([
    ['phase', 1, 5],
    ['phase', 2, 128],
    ['phase', 20, 128],
    ['phase', 101, 64],
    ['cos-sin', 1, 6],
    ['cos-sin', 20, 128],
    ['cos-sin', 37, 256],
  ] as [RffMapKind, number, number][])('%s map, d = %i, D = %i', (kind, dims, features) => {
    const spec = drawRffMap(dims, features, Math.sqrt(dims), new Random(dims * 31 + features, 2), kind);
    const projections = spec.omega.length / dims;

    it('projects a block to the bits of projectBlock', () => {
      const kernel = mapKernel(spec)!;
      const random = new Random(7, dims);
      const blocks = 25;
      const xs = rowsOf(random, blocks * MAP_BLOCK_ROWS, dims, 2);
      const expected = new Float64Array(MAP_BLOCK_ROWS * projections);
      for (let b = 0; b < blocks; b++) {
        const base = b * MAP_BLOCK_ROWS * dims;
        projectBlock(spec, xs, base, expected);
        expect(bits(kernel.project(xs, base))).toEqual(bits(expected));
      }
    });

    it('maps whole blocks to the bits of four one-row maps, with the kernel and without', () => {
      const random = new Random(11, dims);
      const blocks = 12;
      // Spread 1: ordinary arguments; spread 300: most blocks have one past cosine's bound.
      for (const spread of [1, 300]) {
        const xs = rowsOf(random, blocks * MAP_BLOCK_ROWS, dims, spread);
        const one = new Float64Array(features);
        const withKernel = new Float64Array(features);
        const withoutKernel = new Float64Array(features);
        const args = new Float64Array(MAP_BLOCK_ROWS * features);
        for (let r = 0; r < blocks * MAP_BLOCK_ROWS; r++) addFeatureMap(spec, xs.subarray(r * dims, (r + 1) * dims), one);
        for (let b = 0; b < blocks; b++) addFeatureMapBlock(spec, xs, b * MAP_BLOCK_ROWS * dims, withKernel, args);
        setMapKernelEnabled(false);
        for (let b = 0; b < blocks; b++) addFeatureMapBlock(spec, xs, b * MAP_BLOCK_ROWS * dims, withoutKernel, args);
        setMapKernelEnabled(true);
        expect(bits(withKernel)).toEqual(bits(one));
        expect(bits(withoutKernel)).toEqual(bits(one));
        expect(one.every(Number.isFinite)).toBe(true);
      }
    });
  });

  it('evaluates cosines to the bits of scale·cosine, and refuses a block with an argument past the bound or NaN', () => {
    // d = 1, no phase, the four rows all 1: t[4i + r] = ω_i, so the arguments are ω itself.
    const kernelOf = (omega: Float64Array) => mapKernel({ dims: 1, omega, phase: new Float64Array(0) })!;
    const ones = new Float64Array(4).fill(1);
    const random = new Random(5, 5);
    const scale = Math.sqrt(2 / 128);
    const edges = [0, -0, Math.PI, -Math.PI, 3 * Math.PI, Math.PI / 2, -Math.PI / 2, 0.5 / 0.15915494309189535, 2.5 / 0.15915494309189535, 1e-300, 1024, -1024];
    // Arguments just below a tie of Math.round (k + 0.5 − 1 ulp), where floor(y + 0.5) would round up.
    for (let k = -6; k <= 6; k++) edges.push((k + 0.5 - 2 ** -50) / 0.15915494309189535);
    let compared = 0;
    for (let round = 0; round < 200; round++) {
      const omega = Float64Array.from({ length: 256 }, (_, i) => (round === 0 && i < edges.length ? edges[i] : (2 * random.uniform() - 1) * (round % 2 === 0 ? 12 : 1024)));
      const kernel = kernelOf(omega);
      const t = kernel.project(ones, 0);
      // 0 + ω_i: the sum starts at 0 as JavaScript's does (so −0 becomes 0).
      expect(Array.from(t.subarray(0, 8))).toEqual([0, 0, 0, 0, 1, 1, 1, 1].map((i) => 0 + omega[i]));
      const c = kernel.cosines(scale);
      expect(c).not.toBeNull();
      expect(bits(c!)).toEqual(bits(Float64Array.from(t, (v) => scale * cosine(v))));
      compared += t.length;
    }
    expect(compared).toBe(200 * 1024);
    for (const outside of [1024 + 2 ** -42, -2000, Number.NaN, Number.POSITIVE_INFINITY]) {
      for (const at of [0, 1, 2, 200, 255]) {
        const omega = new Float64Array(256).fill(0.25);
        omega[at] = outside;
        const kernel = kernelOf(omega);
        kernel.project(ones, 0);
        expect(kernel.cosines(scale)).toBeNull();
      }
    }
  });
});
