import { z } from 'zod';
import { Random } from '../reference/random.js';
import { nullFromQuantiles, weightedUpperQuantiles, type CalibratedNull } from '../reference/calibration.js';
import { parseNumeric } from '../stats/feature.js';
import { addFeatureMap, drawRffMap, fitStandardisation, medianPairwiseDistance, standardise, type RffMapKind, type RffMapSpec, type Standardisation } from './rff-mmd.js';
import type { MultivariateInput } from './state.js';

/**
 * The multivariate part of a reference (docs/multivariate.md): the random-Fourier-feature map
 * (drawn again from its saved seed, D and bandwidth), the standardisation, the reference's mean
 * feature map, and the null of the score per window size, resampled from the reference rows.
 *
 * The null. A window of n rows drawn from the reference's population has
 * MMD²_rff = ‖μ̂_ref − μ̂_win‖², whose covariance is Σ_φ·(1/n + 1/N) (N reference rows), so
 * T = n_eff·MMD²_rff with n_eff = n·N/(n + N) has, to first order, the law of ‖Σ_φ^½ Z‖² at every n.
 * The build draws that law by the bootstrap: B windows of n rows resampled with replacement from
 * (a seeded subsample of) the reference rows, T_b = n·‖mean_b φ − mean φ‖², and stores its upper
 * quantiles at NULL_LEVELS for each n of the grid (the windows of every size are the prefixes of
 * B resampled paths of the largest size). A check interpolates them linearly in 1/n
 * (nearest size outside the grid) and reads its p-value off them as the calibrated PSI and JS
 * do (calibration.ts, nullFromQuantiles), so the threshold accounts for the window's size.
 */

export const MULTIVARIATE_METHOD = 'rff-mmd';
/** Random features D by default: the cost per event is D·d multiply-adds and D cosines (docs/multivariate.md, "Cost"). */
export const DEFAULT_RANDOM_FEATURES = 128;
/** The most random features a reference holds (D doubles of every pane's state). */
export const MAX_RANDOM_FEATURES = 65536;
export const DEFAULT_MULTIVARIATE_SEED = 20_261_212;
/** Bootstrap windows per size: the 0.01 quantile's own error is then about ±0.2 % of false alarms (docs/multivariate.md, "Power"). */
export const DEFAULT_NULL_REPLICATES = 2000;
export const DEFAULT_NULL_SIZES: readonly number[] = [100, 200, 500, 1000, 2000, 5000];
/** Upper-tail levels of the stored null quantiles (descending). */
export const NULL_LEVELS: readonly number[] = [0.1, 0.05, 0.02, 0.01, 0.005];
/** Rows of the seeded subsample the median heuristic reads (about 125,000 pairs). */
export const BANDWIDTH_ROWS = 500;
/** Rows of the seeded subsample the null resamples (their feature maps are held: rows × D doubles). */
export const NULL_ROWS = 4000;
/** Seed streams: one per use, so changing one leaves the others' draws the same. */
const STREAM_BANDWIDTH = 1;
const STREAM_MAP = 2;
const STREAM_NULL = 3;

/**
 * The map a reference is built with by default (rff-mmd.ts, RffMapKind). `cos-sin` has half the
 * dot products, but its power at the default seed is below `phase`'s on the calibration data, and
 * with the WebAssembly kernel it is the slower of the two (docs/multivariate.md, "Cost"): opt-in.
 */
export const DEFAULT_MAP: RffMapKind = 'phase';

export interface MultivariateOptions {
  /** Random features D. Default 128 (even for the `cos-sin` map). */
  randomFeatures?: number;
  /** The form of the map. Default `phase`; `cos-sin` (D/2 projections, a cosine and a sine each) is opt-in. */
  map?: RffMapKind;
  seed?: number;
  /** Bootstrap windows per size. Default 2000. */
  replicates?: number;
  /** Window sizes of the null's grid, ascending. */
  sizes?: readonly number[];
}

const finite = z.number().refine(Number.isFinite, 'must be a finite number');

/** The reference file's `multivariate` block (docs/reference-format.md). */
export const multivariateSchema = z
  .object({
    method: z.literal(MULTIVARIATE_METHOD),
    /** The form of the map; absent in references built before it, which used `phase`. */
    map: z.enum(['phase', 'cos-sin']).optional(),
    /** The numeric input features the map reads, in order. */
    features: z.array(z.string().min(1)).min(1),
    seed: z.number().int().min(0).max(0xffffffff),
    random_features: z.number().int().min(1).max(MAX_RANDOM_FEATURES),
    bandwidth: finite.positive(),
    mean: z.array(finite),
    scale: z.array(finite.positive()),
    /** Reference rows behind reference_mean (N of n_eff). */
    reference_count: z.number().int().min(2),
    /** The reference's mean feature map (D values). */
    reference_mean: z.array(finite),
    null: z.object({
      method: z.literal('bootstrap'),
      replicates: z.number().int().min(100),
      sizes: z.array(z.number().int().min(2)).min(1),
      levels: z.array(z.number().gt(0).lt(1)).min(1),
      /** [size index][level index] upper quantiles of T = n_eff·MMD²_rff. */
      quantiles: z.array(z.array(finite.nonnegative())),
    }),
  })
  .superRefine((m, ctx) => {
    const d = m.features.length;
    if (m.map === 'cos-sin' && m.random_features % 2 !== 0) {
      ctx.addIssue({ code: 'custom', path: ['random_features'], message: `must be even for the cos-sin map (a cosine and a sine per projection), is ${m.random_features}` });
    }
    if (m.mean.length !== d) ctx.addIssue({ code: 'custom', path: ['mean'], message: `needs ${d} values (one per feature), has ${m.mean.length}` });
    if (m.scale.length !== d) ctx.addIssue({ code: 'custom', path: ['scale'], message: `needs ${d} values (one per feature), has ${m.scale.length}` });
    if (m.reference_mean.length !== m.random_features) {
      ctx.addIssue({ code: 'custom', path: ['reference_mean'], message: `needs random_features = ${m.random_features} values, has ${m.reference_mean.length}` });
    }
    const n = m.null;
    const bad = n.sizes.findIndex((s, i) => i > 0 && !(s > n.sizes[i - 1]));
    if (bad > 0) ctx.addIssue({ code: 'custom', path: ['null', 'sizes', bad], message: 'sizes must be strictly increasing' });
    const badLevel = n.levels.findIndex((l, i) => i > 0 && !(l < n.levels[i - 1]));
    if (badLevel > 0) ctx.addIssue({ code: 'custom', path: ['null', 'levels', badLevel], message: 'levels must be strictly decreasing' });
    const shapeOk = n.quantiles.length === n.sizes.length && n.quantiles.every((row) => row.length === n.levels.length);
    if (!shapeOk)
      ctx.addIssue({ code: 'custom', path: ['null', 'quantiles'], message: `needs ${n.sizes.length} rows (one per size) of ${n.levels.length} quantiles (one per level)` });
    else if (n.quantiles.some((row) => row.some((q, i) => i > 0 && q < row[i - 1]))) {
      ctx.addIssue({ code: 'custom', path: ['null', 'quantiles'], message: 'quantiles must not decrease as the level falls' });
    }
  });

export type MultivariateEntry = z.infer<typeof multivariateSchema>;

/** Null fits kept per window size (a window's size changes little between checks). */
const NULL_CACHE_SIZES = 64;

export class MultivariateModel {
  readonly spec: RffMapSpec;
  readonly standardisation: Standardisation;
  readonly referenceMean: Float64Array;
  private readonly cache = new Map<number, CalibratedNull>();

  private constructor(readonly entry: MultivariateEntry) {
    this.spec = drawRffMap(entry.features.length, entry.random_features, entry.bandwidth, new Random(entry.seed, STREAM_MAP), entry.map ?? 'phase');
    this.standardisation = { mean: Float64Array.from(entry.mean), scale: Float64Array.from(entry.scale) };
    this.referenceMean = Float64Array.from(entry.reference_mean);
  }

  get featureNames(): readonly string[] {
    return this.entry.features;
  }

  get referenceCount(): number {
    return this.entry.reference_count;
  }

  static fromEntry(entry: MultivariateEntry): MultivariateModel {
    return new MultivariateModel(entry);
  }

  toJSON(): MultivariateEntry {
    return this.entry;
  }

  /** The map's inputs located among `signals` (names in order); throws if one is absent. */
  inputFor(signals: readonly { name: string }[]): MultivariateInput {
    const indices = Int32Array.from(
      this.entry.features.map((name) => {
        const i = signals.findIndex((s) => s.name === name);
        if (i < 0) throw new RangeError(`multivariate feature "${name}" is not among the signals`);
        return i;
      }),
    );
    return { spec: this.spec, standardisation: this.standardisation, indices };
  }

  /** n_eff = n·N/(n + N) of a window of n rows. */
  effectiveSize(n: number): number {
    const m = this.entry.reference_count;
    return (n * m) / (n + m);
  }

  /** The null of T at a window of n rows: quantiles interpolated linearly in 1/n, the nearest size outside the grid. */
  nullAt(n: number): CalibratedNull {
    const cached = this.cache.get(n);
    if (cached) return cached;
    const { sizes, levels, quantiles } = this.entry.null;
    let ts: number[];
    if (n <= sizes[0]) ts = quantiles[0];
    else if (n >= sizes[sizes.length - 1]) ts = quantiles[sizes.length - 1];
    else {
      let j = 0;
      while (sizes[j + 1] < n) j++;
      const w = (1 / sizes[j] - 1 / n) / (1 / sizes[j] - 1 / sizes[j + 1]);
      ts = quantiles[j].map((q, k) => q + w * (quantiles[j + 1][k] - q));
    }
    const fit = nullFromQuantiles(levels, ts);
    if (this.cache.size >= NULL_CACHE_SIZES) this.cache.delete(this.cache.keys().next().value!);
    this.cache.set(n, fit);
    return fit;
  }

  /**
   * Builds the block from the reference rows: `columns` are the numeric input features, by name
   * and by index (array rows). Missing values are NaN-mapped to the mean (0 once standardised).
   */
  static build(
    rows: readonly (Readonly<Record<string, unknown>> | readonly unknown[])[],
    columns: readonly { name: string; index: number }[],
    options: MultivariateOptions = {},
  ): MultivariateModel {
    const D = options.randomFeatures ?? DEFAULT_RANDOM_FEATURES;
    const map = options.map ?? DEFAULT_MAP;
    const seed = options.seed ?? DEFAULT_MULTIVARIATE_SEED;
    const replicates = options.replicates ?? DEFAULT_NULL_REPLICATES;
    const sizes = [...(options.sizes ?? DEFAULT_NULL_SIZES)];
    if (columns.length === 0) throw new RangeError('multivariate: the reference has no numeric input feature');
    if (!Number.isInteger(D) || D < 1 || D > MAX_RANDOM_FEATURES) throw new RangeError(`multivariate: randomFeatures (${D}) must be an integer in [1, ${MAX_RANDOM_FEATURES}]`);
    if (map === 'cos-sin' && D % 2 !== 0) throw new RangeError(`multivariate: randomFeatures (${D}) must be even for the cos-sin map (a cosine and a sine per projection)`);
    if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`multivariate: seed (${seed}) must be an integer in [0, 2^32)`);
    if (!Number.isInteger(replicates) || replicates < 100) throw new RangeError(`multivariate: replicates (${replicates}) must be an integer ≥ 100`);
    sizes.forEach((n, i) => {
      if (!Number.isInteger(n) || n < 2) throw new RangeError(`multivariate: null size ${n} must be an integer ≥ 2`);
      if (i > 0 && !(n > sizes[i - 1])) throw new RangeError(`multivariate: null sizes must be strictly increasing (${sizes[i - 1]}, then ${n})`);
    });
    if (sizes.length === 0) throw new RangeError('multivariate: null sizes must name at least one window size');
    const N = rows.length;
    if (N < 2) throw new RangeError('multivariate: needs at least two reference rows');
    const d = columns.length;
    const raw: Float64Array[] = rows.map((row) => {
      const out = new Float64Array(d);
      const array = Array.isArray(row);
      for (let k = 0; k < d; k++) {
        const v = parseNumeric(array ? (row as readonly unknown[])[columns[k].index] : (row as Readonly<Record<string, unknown>>)[columns[k].name]);
        out[k] = typeof v === 'number' ? v : Number.NaN;
      }
      return out;
    });
    const standardisation = fitStandardisation(raw, d);
    const z = raw.map((row) => {
      const out = new Float64Array(d);
      standardise(standardisation, row, out);
      return out;
    });
    const sample = seededSample(N, Math.min(N, BANDWIDTH_ROWS), new Random(seed, STREAM_BANDWIDTH));
    const median = medianPairwiseDistance(
      sample.map((i) => z[i]),
      d,
    );
    // Identical rows have no spread to measure: any bandwidth gives every window the score 0.
    const bandwidth = median > 0 ? median : 1;
    const spec = drawRffMap(d, D, bandwidth, new Random(seed, STREAM_MAP), map);
    const sum = new Float64Array(D);
    for (const row of z) addFeatureMap(spec, row, sum);
    const referenceMean = sum.map((s) => s / N);

    // The bootstrap null, from the feature maps of a seeded subsample of M rows.
    const random = new Random(seed, STREAM_NULL);
    const subsample = seededSample(N, Math.min(N, NULL_ROWS), random);
    const M = subsample.length;
    const phi = new Float64Array(M * D);
    const subMean = new Float64Array(D);
    subsample.forEach((i, r) => {
      addFeatureMap(spec, z[i], phi.subarray(r * D, (r + 1) * D));
      for (let k = 0; k < D; k++) subMean[k] += phi[r * D + k] / M;
    });
    // One resampled path of max(sizes) rows per replicate, its T read at every size on the way:
    // each size's replicates are independent windows (as separate draws would be), at the cost
    // of the largest size instead of the sum of the sizes (docs/multivariate.md, "The score").
    const ones = new Float64Array(replicates).fill(1);
    const draws = sizes.map(() => new Float64Array(replicates));
    const acc = new Float64Array(D);
    // Plain loops, no closure: a counter shared with a callback lives on the heap (half the speed).
    for (let b = 0; b < replicates; b++) {
      acc.fill(0);
      let t = 0;
      for (let k = 0; k < sizes.length; k++) {
        const n = sizes[k];
        for (; t < n; t++) {
          const o = Math.min(M - 1, Math.floor(random.uniform() * M)) * D;
          for (let j = 0; j < D; j++) acc[j] += phi[o + j];
        }
        let s = 0;
        for (let j = 0; j < D; j++) {
          const e = acc[j] / n - subMean[j];
          s += e * e;
        }
        draws[k][b] = n * s;
      }
    }
    const quantiles = draws.map((d) => weightedUpperQuantiles(d, ones, NULL_LEVELS));
    return new MultivariateModel({
      method: MULTIVARIATE_METHOD,
      map,
      features: columns.map((c) => c.name),
      seed,
      random_features: D,
      bandwidth,
      mean: Array.from(standardisation.mean),
      scale: Array.from(standardisation.scale),
      reference_count: N,
      reference_mean: Array.from(referenceMean),
      null: { method: 'bootstrap', replicates, sizes, levels: [...NULL_LEVELS], quantiles },
    });
  }
}

/** `k` distinct indices of [0, n), in ascending order (a partial Fisher–Yates shuffle); all of them when k = n. */
function seededSample(n: number, k: number, random: Random): number[] {
  if (k >= n) return Array.from({ length: n }, (_, i) => i);
  const index = Int32Array.from({ length: n }, (_, i) => i);
  for (let i = 0; i < k; i++) {
    const j = i + Math.min(n - i - 1, Math.floor(random.uniform() * (n - i)));
    const t = index[i];
    index[i] = index[j];
    index[j] = t;
  }
  return Array.from(index.subarray(0, k)).sort((a, b) => a - b);
}
