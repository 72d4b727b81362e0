import { mapKernel } from './map-kernel.js';

/**
 * Multivariate drift by the maximum mean discrepancy (MMD) with a Gaussian kernel, approximated by
 * random Fourier features (Rahimi & Recht, "Random Features for Large-Scale Kernel Machines",
 * NIPS 2007) so that a window's state is a fixed-size sum that merges and subtracts like the
 * histograms (docs/multivariate.md).
 *
 * On standardised numeric features x ∈ ℝ^d, the Gaussian kernel k(x, y) = exp(−‖x − y‖² / (2σ²))
 * is approximated by φ(x)·φ(y) with
 *
 *   φ_i(x) = √(2/D) · cos(ω_i·x + b_i),  ω_i ~ N(0, σ⁻² I_d),  b_i ~ U[0, 2π),  i = 1..D,
 *
 * and the (biased, V-statistic) squared MMD between a reference sample and a window becomes the
 * squared distance between their mean feature maps:
 *
 *   MMD²_rff = ‖mean_ref φ − mean_cur φ‖²,
 *
 * which equals exactly the biased MMD² of the approximate kernel. A window keeps Σφ(x) and its
 * row count (D + 1 numbers), so merging panes is addition and the score costs O(D), not O(n).
 */

/**
 * The two forms of the map (docs/multivariate.md, "Definition"), for the same kernel:
 *
 * - `phase`: D projections, φ_i(x) = √(2/D) cos(ω_i·x + b_i), b_i ~ U[0, 2π) (references
 *   built before the `map` field; still read);
 * - `cos-sin`: D/2 projections, φ_2i(x) = √(2/D) cos(ω_i·x), φ_2i+1(x) = √(2/D) sin(ω_i·x), so
 *   φ(x)·φ(y) = (2/D) Σ_i cos(ω_i·(x − y)): half the dot products for the same D, and no
 *   random phase, whose cos(ω·(x+y) + 2b) term is the extra variance of the `phase` form
 *   (Sutherland & Schneider, "On the Error of Random Fourier Features", UAI 2015). Opt-in: its
 *   64 directions (at D = 128) make its power depend more on the draw, and with the WebAssembly
 *   kernel (map-kernel.ts) the `phase` form is the cheaper one (docs/multivariate.md, "Cost").
 */
export type RffMapKind = 'phase' | 'cos-sin';

/** The fixed parts of the approximation, saved in the reference so every check uses the same map. */
export interface RffMapSpec {
  readonly kind: RffMapKind;
  /** Input dimension d: the standardised numeric features, in this order. */
  readonly dims: number;
  /** Number of random features D (even for `cos-sin`). */
  readonly features: number;
  /**
   * The frequencies ω, row-major: ω_i is omega[i·dims .. (i+1)·dims). Already divided by σ.
   * D of them for `phase`, D/2 for `cos-sin`.
   */
  readonly omega: Float64Array;
  /** The phases b_i ∈ [0, 2π) (`phase`; empty for `cos-sin`). */
  readonly phase: Float64Array;
}

/** A source of standard normal and uniform variates (core/reference/random.ts's Random is one). */
export interface NormalSource {
  normal(): number;
  uniform(): number;
}

/**
 * Draws ω ~ N(0, σ⁻² I) (and, for `phase`, b ~ U[0, 2π)) for a Gaussian kernel of bandwidth σ:
 * ω row by row, then the phases, from `random` in that order.
 */
export function drawRffMap(dims: number, features: number, bandwidth: number, random: NormalSource, kind: RffMapKind = 'phase'): RffMapSpec {
  if (!Number.isInteger(dims) || dims < 1) throw new RangeError(`multivariate: dims (${dims}) must be a positive integer`);
  if (!Number.isInteger(features) || features < 1) throw new RangeError(`multivariate: features (${features}) must be a positive integer`);
  if (kind === 'cos-sin' && features % 2 !== 0) throw new RangeError(`multivariate: features (${features}) must be even for the cos-sin map (a cosine and a sine per projection)`);
  if (!(bandwidth > 0) || !Number.isFinite(bandwidth)) throw new RangeError(`multivariate: bandwidth (${bandwidth}) must be positive and finite`);
  const projections = kind === 'cos-sin' ? features / 2 : features;
  const omega = new Float64Array(dims * projections);
  for (let i = 0; i < omega.length; i++) omega[i] = random.normal() / bandwidth;
  const phase = new Float64Array(kind === 'cos-sin' ? 0 : features);
  for (let i = 0; i < phase.length; i++) phase[i] = 2 * Math.PI * random.uniform();
  return { kind, dims, features, omega, phase };
}

/** |t| up to which `cosine` evaluates its polynomial; beyond it (and for NaN, ±Infinity) it is Math.cos. */
export const COSINE_POLYNOMIAL_BOUND = 1024;

/**
 * cos t to within 1e-13 absolute of Math.cos for |t| ≤ COSINE_POLYNOMIAL_BOUND (about 3e-16
 * for |t| ≤ 10, where the map's arguments are; test/unit/core/multivariate/cosine.test.ts), in
 * about half Math.cos's time here (docs/multivariate.md, "Cost"): with k = round(t / 2π) and
 * h = t/2 − kπ ∈ [−π/2, π/2] (π in two parts, Cody–Waite), cos t = 2 cos²h − 1, and cos h is
 * its Taylor polynomial to h²⁰ (truncation below (π/2)²²/22! ≈ 3e-15). No branch on the
 * quadrant, so nothing to mispredict. Outside the bound the reduction's rounding (k·π's) would
 * grow past 1e-13, so Math.cos answers.
 */
export function cosine(t: number): number {
  if (!(Math.abs(t) <= COSINE_POLYNOMIAL_BOUND)) return Math.cos(t);
  const h = halfReduced(t);
  const c = cosinePolynomial(h * h);
  return 2 * c * c - 1;
}

/**
 * sin t with cosine's reduction: sin t = 2 sin h cos h, sin h its Taylor polynomial to h²¹
 * (truncation below (π/2)²³/23! ≈ 3e-17); within 1e-13 of Math.sin for |t| ≤
 * COSINE_POLYNOMIAL_BOUND (test/unit/core/multivariate/cosine.test.ts), Math.sin beyond.
 */
export function sine(t: number): number {
  if (!(Math.abs(t) <= COSINE_POLYNOMIAL_BOUND)) return Math.sin(t);
  const h = halfReduced(t);
  const u = h * h;
  return 2 * sinePolynomial(h, u) * cosinePolynomial(u);
}

/** h = t/2 − kπ ∈ [−π/2, π/2], k = round(t / 2π), π in two parts (Cody–Waite): cosine's and sine's reduction. */
function halfReduced(t: number): number {
  const k = Math.round(t * 0.15915494309189535);
  return t * 0.5 - k * 3.141592653589793 - k * 1.2246467991473532e-16;
}

/** cos h for |h| ≤ π/2, u = h² (the polynomial of `cosine`). */
function cosinePolynomial(u: number): number {
  return (
    1 +
    u *
      (-0.5 +
        u *
          (0.041666666666666664 +
            u *
              (-0.001388888888888889 +
                u *
                  (2.48015873015873e-5 +
                    u *
                      (-2.755731922398589e-7 +
                        u * (2.08767569878681e-9 + u * (-1.1470745597729725e-11 + u * (4.779477332387385e-14 + u * (-1.5619206968586225e-16 + u * 4.110317623312165e-19)))))))))
  );
}

/** sin h for |h| ≤ π/2, u = h²: Taylor to h²¹. */
function sinePolynomial(h: number, u: number): number {
  return (
    h *
    (1 +
      u *
        (-0.16666666666666666 +
          u *
            (0.008333333333333333 +
              u *
                (-1.984126984126984e-4 +
                  u *
                    (2.7557319223985893e-6 +
                      u *
                        (-2.505210838544172e-8 +
                          u *
                            (1.6059043836821613e-10 + u * (-7.647163731819816e-13 + u * (2.8114572543455206e-15 + u * (-8.22063524662433e-18 + u * 1.9572941063391263e-20))))))))))
  );
}

/** Adds φ(x) to `sum` (length D). `x` holds `dims` standardised values. */
export function addFeatureMap(spec: RffMapSpec, x: ArrayLike<number>, sum: Float64Array): void {
  if (spec.kind === 'cos-sin') {
    addCosSinMap(spec, x, sum);
    return;
  }
  const { dims, features, omega, phase } = spec;
  const scale = Math.sqrt(2 / features);
  for (let i = 0, o = 0; i < features; i++, o += dims) {
    // The same order of additions as addFeatureMapBlock, so a row's φ is the same bits either way.
    let t = phase[i];
    for (let j = 0; j < dims; j++) t += omega[o + j] * x[j];
    sum[i] += scale * cosine(t);
  }
}

/**
 * out[i] = scale·cos t, out[j] = scale·sin t, with one reduction for both (the bits of `cosine`
 * and `sine`).
 */
function cosSinInto(t: number, scale: number, out: Float64Array, i: number, j: number): void {
  if (!(Math.abs(t) <= COSINE_POLYNOMIAL_BOUND)) {
    out[i] = scale * Math.cos(t);
    out[j] = scale * Math.sin(t);
    return;
  }
  const h = halfReduced(t);
  const u = h * h;
  const c = cosinePolynomial(u);
  out[i] = scale * (2 * c * c - 1);
  out[j] = scale * (2 * sinePolynomial(h, u) * c);
}

const pair = new Float64Array(2);

/** addFeatureMap of the `cos-sin` map: φ_2i, φ_2i+1 = √(2/D)·(cos, sin)(ω_i·x). */
function addCosSinMap(spec: RffMapSpec, x: ArrayLike<number>, sum: Float64Array): void {
  const { dims, features, omega } = spec;
  const scale = Math.sqrt(2 / features);
  for (let i = 0, o = 0; i < features; i += 2, o += dims) {
    // The same order of additions as the block's, so a row's φ is the same bits either way.
    let t = 0;
    for (let j = 0; j < dims; j++) t += omega[o + j] * x[j];
    cosSinInto(t, scale, pair, 0, 1);
    sum[i] += pair[0];
    sum[i + 1] += pair[1];
  }
}

/**
 * t[4i + r] = b_i + ω_i·x_r for the block's four rows (b_i = 0 for `cos-sin`), each dot product
 * added in input order as addFeatureMap adds it: the JavaScript form of map-kernel.wat's
 * `project`, used where there is no kernel (and by the tests that compare the two).
 */
export function projectBlock(spec: RffMapSpec, xs: Float64Array, base: number, t: Float64Array): void {
  const { dims, omega, phase } = spec;
  const projections = omega.length / dims;
  const a = base;
  const b = base + dims;
  const c = base + 2 * dims;
  const e = base + 3 * dims;
  for (let i = 0, o = 0, m = 0; i < projections; i++, o += dims, m += 4) {
    const p = phase.length > 0 ? phase[i] : 0;
    let t0 = p;
    let t1 = p;
    let t2 = p;
    let t3 = p;
    for (let j = 0; j < dims; j++) {
      const w = omega[o + j];
      t0 += w * xs[a + j];
      t1 += w * xs[b + j];
      t2 += w * xs[c + j];
      t3 += w * xs[e + j];
    }
    t[m] = t0;
    t[m + 1] = t1;
    t[m + 2] = t2;
    t[m + 3] = t3;
  }
}

/** Rows addFeatureMapBlock maps together. */
export const MAP_BLOCK_ROWS = 4;

/**
 * Adds φ of MAP_BLOCK_ROWS rows to `sum`: the rows are `xs[base + r·dims .. base + (r+1)·dims)`,
 * r = 0..3. Each ω_i is read once for the four rows, and the dot products and the cosines run
 * in WebAssembly SIMD where the runtime has it (map-kernel.ts; docs/multivariate.md, "Cost");
 * every row's dot product, cosine and addition to `sum` happen in the same order and with the
 * same operations as addFeatureMap's, row after row, so the result is bitwise that of four
 * addFeatureMap calls either way. `args` is scratch space of 4·D values.
 */
export function addFeatureMapBlock(spec: RffMapSpec, xs: Float64Array, base: number, sum: Float64Array, args: Float64Array): void {
  const kernel = mapKernel(spec);
  let t = args;
  if (kernel) t = kernel.project(xs, base);
  else projectBlock(spec, xs, base, args);
  const scale = Math.sqrt(2 / spec.features);
  if (spec.kind === 'cos-sin') {
    addCosSinBlock(spec.features, t, scale, sum, args);
    return;
  }
  const n = 4 * spec.features;
  let phi = kernel?.cosines(scale) ?? null;
  if (!phi) {
    // The cosines in a loop of their own: one inlined copy of `cosine`, no call per feature.
    for (let m = 0; m < n; m++) args[m] = scale * cosine(t[m]);
    phi = args;
  }
  for (let i = 0, m = 0; i < spec.features; i++, m += 4) {
    let s = sum[i];
    s += phi[m];
    s += phi[m + 1];
    s += phi[m + 2];
    s += phi[m + 3];
    sum[i] = s;
  }
}

/** The `cos-sin` map's part of addFeatureMapBlock: the same bits as four addCosSinMap calls. */
function addCosSinBlock(features: number, t: Float64Array, scale: number, sum: Float64Array, args: Float64Array): void {
  // Cosines in args[0 .. 4P), sines in args[4P .. 8P) (8P = 4D, the scratch's length); t may be
  // args itself (each t[m] is read before args[m] is written).
  const n = 2 * features;
  for (let m = 0; m < n; m++) cosSinInto(t[m], scale, args, m, n + m);
  for (let i = 0, m = 0; i < features; i += 2, m += 4) {
    let s = sum[i];
    s += args[m];
    s += args[m + 1];
    s += args[m + 2];
    s += args[m + 3];
    sum[i] = s;
    let r = sum[i + 1];
    r += args[n + m];
    r += args[n + m + 1];
    r += args[n + m + 2];
    r += args[n + m + 3];
    sum[i + 1] = r;
  }
}

/**
 * The state of one pane or window: Σφ(x) over its rows and their count. Merging and subtracting
 * panes is element-wise; floating-point sums depend on the order of additions, so windows are
 * rebuilt from panes in a fixed order (docs/windows-and-delivery.md).
 */
export class MmdState {
  readonly sum: Float64Array;
  count = 0;

  constructor(features: number) {
    this.sum = new Float64Array(features);
  }

  add(spec: RffMapSpec, x: ArrayLike<number>): void {
    addFeatureMap(spec, x, this.sum);
    this.count++;
  }

  merge(other: MmdState): void {
    for (let i = 0; i < this.sum.length; i++) this.sum[i] += other.sum[i];
    this.count += other.count;
  }

  subtract(other: MmdState): void {
    for (let i = 0; i < this.sum.length; i++) this.sum[i] -= other.sum[i];
    this.count -= other.count;
  }

  /** The mean feature map (zeros when empty). */
  mean(): Float64Array {
    const out = new Float64Array(this.sum.length);
    if (this.count > 0) for (let i = 0; i < out.length; i++) out[i] = this.sum[i] / this.count;
    return out;
  }
}

/** ‖referenceMean − mean of the state‖²; NaN for an empty state. */
export function mmd2(referenceMean: ArrayLike<number>, state: MmdState): number {
  if (state.count === 0) return Number.NaN;
  let total = 0;
  for (let i = 0; i < referenceMean.length; i++) {
    const d = referenceMean[i] - state.sum[i] / state.count;
    total += d * d;
  }
  return total;
}

/**
 * A bound on |MMD²_rff − MMD²| over the draw of the random features, for fixed samples: each
 * feature contributes T_i = (mean_x z_i − mean_y z_i)² with z_i = √2 cos(ω_i·x + b_i) ∈ [−√2, √2],
 * so T_i ∈ [0, 8], E[T_i] = MMD² and Var T_i ≤ 8·MMD². MMD²_rff is the mean of D independent
 * T_i, and Bernstein's inequality gives, with probability at least 1 − δ,
 *
 *   |MMD²_rff − MMD²| ≤ t,  t = (8/3)·L/D + √((8/3·L/D)² + 16·MMD²·L/D),  L = ln(2/δ).
 *
 * (Solving D t² = 2L(σ² + 8t/3) for t with σ² = 8·MMD².) Stated in docs/multivariate.md, "Tolerances".
 */
export function rffErrorBound(exactMmd2: number, features: number, delta: number): number {
  const l = Math.log(2 / delta);
  const a = ((8 / 3) * l) / features;
  return a + Math.sqrt(a * a + (16 * Math.max(0, exactMmd2) * l) / features);
}

/** Standardisation of the inputs: (x − mean) / scale per dimension, missing values → 0 (the mean). */
export interface Standardisation {
  readonly mean: Float64Array;
  readonly scale: Float64Array;
}

/** Writes the standardised row into `out`; a missing (NaN) value becomes 0, the reference mean. */
export function standardise(standardisation: Standardisation, row: ArrayLike<number>, out: Float64Array): void {
  const { mean, scale } = standardisation;
  for (let j = 0; j < out.length; j++) {
    const v = row[j];
    out[j] = Number.isNaN(v) ? 0 : (v - mean[j]) / scale[j];
  }
}

/** Below this standard deviation a feature is scaled by 1 (a constant feature contributes nothing). */
export const MIN_SCALE = 1e-12;

/** Mean and population standard deviation per column of the rows (NaN ignored). */
export function fitStandardisation(rows: readonly ArrayLike<number>[], dims: number): Standardisation {
  const mean = new Float64Array(dims);
  const scale = new Float64Array(dims);
  for (let j = 0; j < dims; j++) {
    let n = 0;
    let m = 0;
    let s = 0;
    // Welford: one pass, stable.
    for (const row of rows) {
      const v = row[j];
      if (Number.isNaN(v)) continue;
      n++;
      const d = v - m;
      m += d / n;
      s += d * (v - m);
    }
    mean[j] = n > 0 ? m : 0;
    const sd = n > 0 ? Math.sqrt(s / n) : 0;
    scale[j] = sd > MIN_SCALE ? sd : 1;
  }
  return { mean, scale };
}

/**
 * The median heuristic for σ: the median Euclidean distance between distinct pairs of the given
 * standardised rows (callers pass a seeded subsample). At least two rows.
 */
export function medianPairwiseDistance(rows: readonly ArrayLike<number>[], dims: number): number {
  if (rows.length < 2) throw new RangeError('multivariate: the median heuristic needs at least two rows');
  const distances = new Float64Array((rows.length * (rows.length - 1)) / 2);
  let k = 0;
  for (let a = 0; a < rows.length; a++) {
    for (let b = a + 1; b < rows.length; b++) {
      let s = 0;
      for (let j = 0; j < dims; j++) {
        const d = rows[a][j] - rows[b][j];
        s += d * d;
      }
      distances[k++] = Math.sqrt(s);
    }
  }
  distances.sort();
  const mid = distances.length >> 1;
  return distances.length % 2 === 1 ? distances[mid] : (distances[mid - 1] + distances[mid]) / 2;
}
