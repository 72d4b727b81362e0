import { MAP_KERNEL_WASM } from './map-kernel-wasm.js';

/**
 * The block map's dot products and cosines in WebAssembly SIMD (map-kernel.wat;
 * docs/multivariate.md, "Cost"): two lanes of float64 at a time, with the same IEEE operations in
 * the same order as rff-mmd.ts's JavaScript, so a block mapped here has the bits of a block
 * mapped there (test/unit/core/multivariate/map-kernel.test.ts). Where WebAssembly SIMD is
 * missing, or a map is too large for one instance's memory, there is no kernel and rff-mmd.ts
 * maps the block itself.
 */
export interface MapKernel {
  /**
   * Copies a block of MAP_BLOCK_ROWS standardised rows (`xs[base + r·dims .. base + (r+1)·dims)`,
   * r = 0..3) in and computes t[4i + r] = b_i + ω_i·x_r, the products added in input order
   * (b_i = 0 for the `cos-sin` map). Returns `t`, a view valid until the next call.
   */
  project(xs: Float64Array, base: number): Float64Array;
  /**
   * scale·cosine(t[m]) for every m of the last projection (`phase` map), or null when some t[m]
   * is outside cosine's polynomial bound (or NaN): then the caller evaluates them in JavaScript.
   * A view valid until the next call.
   */
  cosines(scale: number): Float64Array | null;
}

/** The part of the WebAssembly JavaScript API used here (the project's lib has no DOM types). */
interface WebAssemblyApi {
  Module: new (bytes: Uint8Array) => object;
  Instance: new (module: object) => { exports: unknown };
}

/** What the kernel reads of a map (rff-mmd.ts's RffMapSpec; named here so the two modules do not import each other). */
export interface MapShape {
  readonly dims: number;
  /** ω row-major, P rows of `dims`. */
  readonly omega: Float64Array;
  /** b, P values, or none (the `cos-sin` map). */
  readonly phase: Float64Array;
}

interface KernelExports {
  memory: { readonly buffer: ArrayBuffer; grow(pages: number): number };
  project(omega: number, phase: number, rows: number, t: number, projections: number, dims: number): void;
  cosines(t: number, c: number, n: number, scale: number): number;
}

/** One instance's memory at most (bytes); a larger map uses the JavaScript loops. */
const MAX_KERNEL_BYTES = 256 * 1024 * 1024;
const PAGE = 65536;
const BLOCK = 4;

/** The runtime's WebAssembly API, if it has one. */
const wasm = (globalThis as { WebAssembly?: WebAssemblyApi }).WebAssembly;

let compiled: object | null | undefined;
let enabled = true;
const kernels = new WeakMap<MapShape, MapKernel | null>();

function compiledModule(): object | null {
  if (compiled === undefined) {
    try {
      compiled = wasm ? new wasm.Module(Uint8Array.from(atob(MAP_KERNEL_WASM), (ch) => ch.charCodeAt(0))) : null;
    } catch {
      // A runtime without WebAssembly SIMD rejects the module: the JavaScript loops, the same results.
      compiled = null;
    }
  }
  return compiled;
}

/** The kernel of `spec` (one instance per map, made on first use), or null: map in JavaScript. */
export function mapKernel(spec: MapShape): MapKernel | null {
  if (!enabled) return null;
  let kernel = kernels.get(spec);
  if (kernel === undefined) {
    kernel = createKernel(spec);
    kernels.set(spec, kernel);
  }
  return kernel;
}

/** Turns the kernel off (`false`) or back on: for tests and benchmarks that compare the two paths. */
export function setMapKernelEnabled(on: boolean): void {
  enabled = on;
}

function createKernel(spec: MapShape): MapKernel | null {
  const module = compiledModule();
  if (!module) return null;
  const { dims, omega } = spec;
  const projections = omega.length / dims;
  // Float64 regions, each 16-byte aligned (every length is a whole number of doubles; pad to two).
  const even = (n: number) => n + (n % 2);
  const omegaAt = 0;
  const phaseAt = omegaAt + 8 * even(omega.length);
  const rowsAt = phaseAt + 8 * even(projections);
  const tAt = rowsAt + 8 * BLOCK * dims;
  const cAt = tAt + 8 * BLOCK * projections;
  const bytes = cAt + 8 * BLOCK * projections;
  if (bytes > MAX_KERNEL_BYTES) return null;
  const instance = new wasm!.Instance(module);
  const kernel = instance.exports as unknown as KernelExports;
  const pages = Math.ceil(bytes / PAGE);
  try {
    if (pages > 1) kernel.memory.grow(pages - 1);
  } catch {
    return null;
  }
  const buffer = kernel.memory.buffer;
  new Float64Array(buffer, omegaAt, omega.length).set(omega);
  // The `cos-sin` map has no phases: zeros, and 0 + a is a (the JavaScript sum starts at 0).
  if (spec.phase.length > 0) new Float64Array(buffer, phaseAt, projections).set(spec.phase);
  const rows = new Float64Array(buffer, rowsAt, BLOCK * dims);
  const t = new Float64Array(buffer, tAt, BLOCK * projections);
  const c = new Float64Array(buffer, cAt, BLOCK * projections);
  return {
    project(xs, base) {
      for (let r = 0; r < BLOCK; r++) {
        const from = base + r * dims;
        for (let j = 0; j < dims; j++) rows[j * BLOCK + r] = xs[from + j];
      }
      kernel.project(omegaAt, phaseAt, rowsAt, tAt, projections, dims);
      return t;
    },
    cosines(scale) {
      return kernel.cosines(tAt, cAt, BLOCK * projections, scale) === 0 ? c : null;
    },
  };
}
