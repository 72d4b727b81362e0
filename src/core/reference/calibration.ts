import { chiSquareIsf, chiSquareSurvival, effectiveSampleSize, PSI_PROPORTION_FLOOR } from '../stats/index.js';
import { logGamma } from '../stats/special.js';
import { Random } from './random.js';

/**
 * The resampled calibration of the PSI and JS p-values (docs/statistics.md, "Calibrated
 * p-values"), stored in the reference by `reference build`.
 *
 * The null is the reference's own: the population's shares of the reference's bins (PSI bins,
 * or categories) are drawn from Dirichlet(reference counts) — Rubin's Bayesian bootstrap of the
 * reference, which carries the reference's own sampling error (a window's shares then vary by
 * π(1 − π)(1/n + 1/m), the two-sample variance) — and a window of n values from
 * Multinomial(n, those shares): the window's counts are Dirichlet-multinomial. The window is
 * scored against the real reference exactly as a check scores it (the same bins, the same 1e-4
 * floor). A numeric feature's PSI and JS depend on the window only through its PSI-bin counts,
 * and a Dirichlet summed over fine bins is the Dirichlet of the summed counts, so drawing counts
 * on the PSI bins is the same null as resampling the fine histogram; no raw value is touched.
 * The null depends on the counts alone (up to their order), so features with the same counts
 * share one set of draws, seeded from the counts.
 *
 * The draws (method `bayesian-bootstrap-is`): defensive importance sampling (Hesterberg 1995).
 * Every other draw comes from the null itself; the others from the same Dirichlet-multinomial
 * with the Dirichlet's concentration lowered so that the window's variance is PROPOSAL_INFLATION
 * (4) times the multinomial's, which puts many draws in the far tail (an empty bin, for one).
 * Each draw is weighted by p/(½p + ½q), p and q the two Dirichlet-multinomial probabilities of
 * its counts (closed form), a weight never above 2: the weighted tail shares are unbiased, never
 * worse than plain draws by more than a factor of 2 in variance, and resolve levels down to 1e-4
 * that plain draws would need millions for.
 *
 * What is stored, per feature, metric and window size n of the grid: the upper quantiles of the
 * normalised statistic T (T = n_eff·PSI, T = 8·ln2·n_eff·JS², n_eff = n·m/(n + m), the scale on
 * which the asymptotic limit is χ²(k − 1) and the quantiles move about linearly in 1/n) at the
 * upper-tail levels CALIBRATION_LEVELS, with the seed saved. At check time the quantiles are
 * interpolated linearly in 1/n between the two grid sizes around the window's n, and T is
 * referred to them piecewise: between two consecutive stored quantiles by the scaled χ² c·χ²(ν)
 * through both, beyond the last (or above the first) by the nearest such piece. Quantiles that
 * coincide (an atom of the null) are one knot, read conservatively. Outside the grid the
 * asymptotic p-value is used, and the result says which (`p_value_method`).
 *
 * References of the first calibration (method `bayesian-bootstrap`: plain draws, levels 0.1,
 * 0.05, 0.01) are still read, with their rule: one scaled χ² through the 0.1 and 0.01 quantiles.
 */

export const CALIBRATED_METRICS = ['psi', 'js'] as const;
export type CalibratedMetric = (typeof CALIBRATED_METRICS)[number];

/** How the null was drawn: the current method first. */
export const CALIBRATION_METHODS = ['bayesian-bootstrap-is', 'bayesian-bootstrap'] as const;
export type CalibrationMethod = (typeof CALIBRATION_METHODS)[number];

/** Upper-tail levels whose null quantiles are stored, in this order (method `bayesian-bootstrap-is`). */
export const CALIBRATION_LEVELS = [0.1, 0.05, 0.01, 1e-3, 1e-4] as const;
/** The levels of method `bayesian-bootstrap` (references built before the importance sampling). */
export const LEGACY_CALIBRATION_LEVELS = [0.1, 0.05, 0.01] as const;

/** The levels a method stores. */
export function calibrationLevels(method: CalibrationMethod): readonly number[] {
  return method === 'bayesian-bootstrap' ? LEGACY_CALIBRATION_LEVELS : CALIBRATION_LEVELS;
}

/** Window sizes of the default grid: from DRIFT_MIN_SAMPLES' default (100) to 5,000, past which the χ² limit holds (docs/statistics.md). */
export const DEFAULT_CALIBRATION_SIZES: readonly number[] = [100, 200, 500, 1000, 2000, 5000];
export const DEFAULT_CALIBRATION_REPLICATES = 4000;
export const DEFAULT_CALIBRATION_SEED = 20_261_202;
/** The scaled χ²'s degrees of freedom are kept in this range (a null with no spread, or all of it at 0). */
export const FIT_DOF_RANGE = [0.1, 1000] as const;
/** The proposal's window variance, in multiples of the multinomial's (defensive importance sampling). */
export const PROPOSAL_INFLATION = 4;
/** Share of the draws taken from the null itself (the defensive mixture's weight; weights are at most its inverse). */
export const DEFENSIVE_SHARE = 0.5;
/** Two values of T within this relative distance are the same (an atom: the build's and the check's sums round differently). */
const KNOT_TOLERANCE = 1e-9;
/** Per-bin lookup tables of the score terms are kept while bins × (n + 1) stays below this. */
const TABLE_LIMIT = 1 << 20;

export interface CalibrationOptions {
  /** Window sizes (non-missing values) of the grid, ascending. Default DEFAULT_CALIBRATION_SIZES. */
  sizes?: readonly number[];
  /** Draws per size. Default 4000. */
  replicates?: number;
  /** Seed of the draws (saved in the reference). Default DEFAULT_CALIBRATION_SEED. */
  seed?: number;
}

export interface CalibrationSettings {
  method: CalibrationMethod;
  seed: number;
  replicates: number;
  sizes: number[];
  levels: number[];
}

/** One feature's null quantiles of T: per metric, [size index][level index]. */
export type FeatureCalibration = Record<CalibratedMetric, number[][]>;

export function calibrationSettings(options: CalibrationOptions = {}): CalibrationSettings {
  const sizes = [...(options.sizes ?? DEFAULT_CALIBRATION_SIZES)];
  const replicates = options.replicates ?? DEFAULT_CALIBRATION_REPLICATES;
  const seed = options.seed ?? DEFAULT_CALIBRATION_SEED;
  if (sizes.length === 0) throw new RangeError('calibration sizes must name at least one window size');
  sizes.forEach((n, i) => {
    if (!Number.isInteger(n) || n < 2) throw new RangeError(`calibration size ${n} must be an integer ≥ 2`);
    if (i > 0 && !(n > sizes[i - 1])) throw new RangeError(`calibration sizes must be strictly increasing (${sizes[i - 1]}, then ${n})`);
  });
  if (!Number.isInteger(replicates) || replicates < 100) throw new RangeError(`calibration replicates (${replicates}) must be an integer ≥ 100`);
  if (!Number.isInteger(seed) || seed < 0 || seed > 0xffffffff) throw new RangeError(`calibration seed (${seed}) must be an integer in [0, 2^32)`);
  return { method: CALIBRATION_METHODS[0], seed, replicates, sizes, levels: [...CALIBRATION_LEVELS] };
}

/** T from a score: n_eff·PSI, or 8·ln2·n_eff·JS². */
export function normalisedStatistic(metric: CalibratedMetric, score: number, nEff: number): number {
  return metric === 'psi' ? nEff * score : 8 * Math.LN2 * nEff * score * score;
}

/** The score whose T is `t` (inverse of normalisedStatistic). */
export function scoreOfStatistic(metric: CalibratedMetric, t: number, nEff: number): number {
  return metric === 'psi' ? t / nEff : Math.sqrt(t / (8 * Math.LN2 * nEff));
}

/** Calibrations already drawn for one settings object, by counts: a reference's features with the same counts share them. */
const drawn = new WeakMap<CalibrationSettings, Map<string, FeatureCalibration>>();

/**
 * Draws the null of one feature. `referenceCounts` are the reference's counts on the bins PSI
 * and JS use. Null when fewer than two bins hold reference values (no test: every window is
 * the same). The draws are seeded by the settings' seed and the counts (sorted), so the same
 * counts give the same quantiles in any feature and any order.
 */
export function calibrateFeature(referenceCounts: ArrayLike<number>, settings: CalibrationSettings): FeatureCalibration | null {
  const counts = occupiedCounts(referenceCounts);
  if (!counts) return null;
  // calibrationKey's key.
  const key = counts.join(',');
  let memo = drawn.get(settings);
  if (!memo) drawn.set(settings, (memo = new Map()));
  let found = memo.get(key);
  if (!found) {
    const levels = calibrationLevels(settings.method);
    found = { psi: [], js: [] };
    for (let sizeIndex = 0; sizeIndex < settings.sizes.length; sizeIndex++) {
      const draws = drawSize(counts, settings, sizeIndex);
      found.psi.push(weightedUpperQuantiles(draws.psi, draws.weight, levels));
      found.js.push(weightedUpperQuantiles(draws.js, draws.weight, levels));
    }
    memo.set(key, found);
  }
  return { psi: found.psi.map((row) => [...row]), js: found.js.map((row) => [...row]) };
}

/**
 * Calibrates many features' reference counts at once, each result as calibrateFeature gives it
 * for the same counts (null where it gives null). The reference build takes one through
 * FromRowsOptions.calibrator; the default runs calibrateFeature in turn, and the app's worker
 * pool (src/adapters/threads/) spreads the distinct counts over worker threads
 * (docs/benchmarks.md, "Worker threads"). Synchronous, so that fromRows stays synchronous.
 */
export type Calibrator = (referenceCounts: readonly Float64Array[], settings: CalibrationSettings) => (FeatureCalibration | null)[];

/** The default Calibrator: calibrateFeature on each counts array, one thread. */
export const calibrateFeatures: Calibrator = (referenceCounts, settings) => referenceCounts.map((counts) => calibrateFeature(counts, settings));

/**
 * The key calibrateFeature memoises a feature's calibration by: two counts arrays with the same
 * key get the same calibration. Null when calibrateFeature gives null (fewer than two occupied bins).
 */
export function calibrationKey(referenceCounts: ArrayLike<number>): string | null {
  const counts = occupiedCounts(referenceCounts);
  return counts && counts.join(',');
}

/** The occupied bins of the counts: the work of one draw of calibrateFeature grows with them. */
export function occupiedBins(referenceCounts: ArrayLike<number>): number {
  let bins = 0;
  for (let i = 0; i < referenceCounts.length; i++) if (referenceCounts[i] > 0) bins++;
  return bins;
}

/**
 * The weighted draws of T behind calibrateFeature at window size settings.sizes[sizeIndex]
 * (the same draws: tests read the estimator's own standard error from them). Null as
 * calibrateFeature is.
 */
export function calibrationDraws(referenceCounts: ArrayLike<number>, settings: CalibrationSettings, sizeIndex: number): Draws | null {
  const counts = occupiedCounts(referenceCounts);
  return counts && drawSize(counts, settings, sizeIndex);
}

/** The counts of the bins that hold reference values, largest first; null below two such bins. */
function occupiedCounts(referenceCounts: ArrayLike<number>): Float64Array | null {
  const occupied: number[] = [];
  for (let i = 0; i < referenceCounts.length; i++) if (referenceCounts[i] > 0) occupied.push(referenceCounts[i]);
  // PSI and JS are sums over bins, and the null is exchangeable: the order of the bins is irrelevant.
  return occupied.length < 2 ? null : Float64Array.from(occupied.sort((a, b) => b - a));
}

function drawSize(counts: Float64Array, settings: CalibrationSettings, sizeIndex: number): Draws {
  const random = new Random(settings.seed, countsHash(counts), sizeIndex);
  const n = settings.sizes[sizeIndex];
  return settings.method === 'bayesian-bootstrap' ? drawPlain(counts, n, settings.replicates, random) : drawDefensive(counts, n, settings.replicates, random);
}

/** FNV-1a over the counts (as 32-bit words of their integer values): the stream of a feature's draws. */
function countsHash(counts: Float64Array): number {
  let h = 0x811c9dc5;
  const mix = (x: number) => {
    for (let s = 0; s < 32; s += 8) h = Math.imul(h ^ ((x >>> s) & 0xff), 0x01000193);
  };
  mix(counts.length);
  for (const c of counts) {
    mix(c % 4294967296);
    mix(Math.floor(c / 4294967296));
  }
  return h >>> 0;
}

export interface Draws {
  psi: Float64Array;
  js: Float64Array;
  /** Importance weight of each draw (all 1 for plain draws). */
  weight: Float64Array;
}

/**
 * The per-bin terms of PSI, JS and the log-likelihood ratio at a window count x, memoised in
 * flat tables (bin × (n + 1)) when they fit, since a draw needs one of each per bin.
 */
class BinTerms {
  private readonly psiTable: Float64Array | null;
  private readonly jsTable: Float64Array | null;
  private readonly ratioTable: Float64Array | null;
  private readonly referenceShares: Float64Array;
  private readonly flooredShares: Float64Array;
  private readonly ratioConstant: Float64Array;

  constructor(
    private readonly counts: Float64Array,
    m: number,
    private readonly n: number,
    /** The proposal's Dirichlet shapes, or null (plain draws: no ratio). */
    private readonly proposal: Float64Array | null,
  ) {
    const k = counts.length;
    const cells = k * (n + 1);
    const table = () => (cells <= TABLE_LIMIT ? new Float64Array(cells).fill(Number.NaN) : null);
    this.psiTable = table();
    this.jsTable = table();
    this.ratioTable = proposal ? table() : null;
    this.referenceShares = counts.map((c) => c / m);
    this.flooredShares = this.referenceShares.map((r) => Math.max(r, PSI_PROPORTION_FLOOR));
    this.ratioConstant = proposal ? counts.map((a, i) => logGamma(proposal[i]) - logGamma(a)) : new Float64Array(k);
  }

  psi(i: number, x: number): number {
    const t = this.psiTable;
    const at = i * (this.n + 1) + x;
    if (t && t[at] === t[at]) return t[at];
    const r = this.flooredShares[i];
    const c = Math.max(x / this.n, PSI_PROPORTION_FLOOR);
    const v = (c - r) * Math.log(c / r);
    if (t) t[at] = v;
    return v;
  }

  /** The bin's share of the Jensen–Shannon divergence in bits, times 2 (the divergence is half the sum). */
  js(i: number, x: number): number {
    const t = this.jsTable;
    const at = i * (this.n + 1) + x;
    if (t && t[at] === t[at]) return t[at];
    const p = this.referenceShares[i];
    const q = x / this.n;
    const mid = (p + q) / 2;
    let v = p * Math.log2(p / mid);
    if (q > 0) v += q * Math.log2(q / mid);
    if (t) t[at] = v;
    return v;
  }

  /** ln Γ(x + a) − ln Γ(a) − ln Γ(x + a′) + ln Γ(a′): the bin's part of ln(p/q) for the null's shape a and the proposal's a′. */
  ratio(i: number, x: number): number {
    const t = this.ratioTable;
    const at = i * (this.n + 1) + x;
    if (t && t[at] === t[at]) return t[at];
    const v = logGamma(x + this.counts[i]) - logGamma(x + this.proposal![i]) + this.ratioConstant[i];
    if (t) t[at] = v;
    return v;
  }
}

/** Plain draws from the null (method `bayesian-bootstrap`). */
function drawPlain(counts: Float64Array, n: number, replicates: number, random: Random): Draws {
  return drawMixture(counts, n, replicates, random, null);
}

/** Defensive importance sampling (method `bayesian-bootstrap-is`): every odd draw from the widened proposal. */
function drawDefensive(counts: Float64Array, n: number, replicates: number, random: Random): Draws {
  let m = 0;
  for (const c of counts) m += c;
  // A Dirichlet-multinomial of concentration A inflates the multinomial variance by (n + A)/(1 + A).
  const concentration = Math.min(m, Math.max(1, (n - PROPOSAL_INFLATION) / (PROPOSAL_INFLATION - 1)));
  if (concentration >= m) return drawMixture(counts, n, replicates, random, null);
  return drawMixture(
    counts,
    n,
    replicates,
    random,
    counts.map((a) => (a * concentration) / m),
  );
}

function drawMixture(counts: Float64Array, n: number, replicates: number, random: Random, proposal: Float64Array | null): Draws {
  const k = counts.length;
  let m = 0;
  for (const c of counts) m += c;
  const nEff = effectiveSampleSize(n, m)!;
  const terms = new BinTerms(counts, m, n, proposal);
  let ratioConstant = 0;
  if (proposal) {
    let concentration = 0;
    for (const a of proposal) concentration += a;
    ratioConstant = logGamma(m) - logGamma(n + m) - logGamma(concentration) + logGamma(n + concentration);
  }
  const shares = new Float64Array(k);
  const window = new Float64Array(k);
  const psi = new Float64Array(replicates);
  const js = new Float64Array(replicates);
  const weight = new Float64Array(replicates).fill(1);
  for (let r = 0; r < replicates; r++) {
    const fromProposal = proposal !== null && (r & 1) === 1;
    random.dirichlet(fromProposal ? proposal : counts, shares);
    random.multinomial(n, shares, window);
    let psiSum = 0;
    let jsSum = 0;
    let logRatio = ratioConstant;
    for (let i = 0; i < k; i++) {
      const x = window[i];
      psiSum += terms.psi(i, x);
      jsSum += terms.js(i, x);
      if (proposal) logRatio += terms.ratio(i, x);
    }
    psi[r] = nEff * psiSum;
    js[r] = 4 * Math.LN2 * nEff * Math.max(0, jsSum);
    // p/(βp + (1 − β)q) with ln(p/q) = logRatio; at most 1/β.
    if (proposal) weight[r] = 1 / (DEFENSIVE_SHARE + (1 - DEFENSIVE_SHARE) * Math.exp(-logRatio));
  }
  return { psi, js, weight };
}

/**
 * Upper-tail quantiles of weighted draws at each level (inverted CDF from the top): the
 * smallest draw t with weighted share of draws ≥ t at least the level. With equal weights it
 * is the ⌈level·R⌉-th largest draw.
 */
export function weightedUpperQuantiles(values: Float64Array, weights: Float64Array, levels: readonly number[]): number[] {
  const order = descendingOrder(values);
  let total = 0;
  for (const w of weights) total += w;
  const out = new Array<number>(levels.length);
  // Levels are descending; walk the draws from the top once, deepest level first.
  let j = levels.length - 1;
  let cumulative = 0;
  for (let i = 0; i < order.length && j >= 0; i++) {
    cumulative += weights[order[i]];
    while (j >= 0 && cumulative >= levels[j] * total * (1 - 1e-12)) out[j--] = values[order[i]];
  }
  while (j >= 0) out[j--] = values[order[order.length - 1]];
  return out;
}

/**
 * Indices of `values` by descending value, ties by descending index. For non-negative doubles
 * the IEEE bit patterns sort as the values do, so the index is written into the low mantissa
 * bits of a copy and the copy sorted natively as 64-bit integers (no comparator: a comparator
 * sort of R indices was a fifth of the calibration's time); values that differ only in those
 * bits (relative 2^(bits − 52), below 1e-9 for R ≤ 2^20) may come out in either order, which
 * moves no quantile by more than that. Other inputs take the comparator sort.
 */
function descendingOrder(values: Float64Array): Uint32Array {
  const R = values.length;
  const bits = Math.max(1, Math.ceil(Math.log2(R)));
  const order = new Uint32Array(R);
  let plain = bits > 20;
  for (let i = 0; i < R && !plain; i++) if (!(values[i] >= 0) || values[i] === Number.POSITIVE_INFINITY) plain = true;
  if (plain) {
    for (let i = 0; i < R; i++) order[i] = i;
    return order.sort((a, b) => values[b] - values[a] || b - a);
  }
  const keys = Float64Array.from(values);
  const words = new Uint32Array(keys.buffer);
  // Little- or big-endian: the low 32 bits of key i.
  const low = new Uint8Array(new Float64Array([1]).buffer)[7] === 0x3f ? 0 : 1;
  const mask = (1 << bits) - 1;
  for (let i = 0; i < R; i++) words[2 * i + low] = ((words[2 * i + low] & ~mask) | i) >>> 0;
  new BigUint64Array(keys.buffer).sort();
  for (let i = 0; i < R; i++) order[i] = words[2 * (R - 1 - i) + low] & mask;
  return order;
}

/** T ≈ scale·χ²(dof) under the null. */
export interface ScaledChiSquare {
  scale: number;
  dof: number;
}

/**
 * The scaled χ² c·χ²(ν) whose upper quantiles at levels `levelUpper` and `levelLower` (default
 * 0.1 and 0.01) are `upper` and `lower`: ν solves χ²_isf(levelLower, ν)/χ²_isf(levelUpper, ν) =
 * lower/upper (the ratio falls as ν grows), by bisection in log ν within FIT_DOF_RANGE;
 * c = lower/χ²_isf(levelLower, ν).
 */
export function fitScaledChiSquare(upper: number, lower: number, levelUpper = 0.1, levelLower = 0.01): ScaledChiSquare {
  const [lo0, hi0] = FIT_DOF_RANGE;
  const ratio = (dof: number) => chiSquareIsf(levelLower, dof) / chiSquareIsf(levelUpper, dof);
  let dof: number;
  if (!(upper > 0) || !(lower > upper)) {
    // All of the upper quantile at 0 (the heaviest tail the range allows), or no spread between the two quantiles (the lightest).
    dof = !(upper > 0) ? lo0 : hi0;
  } else {
    const target = lower / upper;
    let lo = Math.log(lo0);
    let hi = Math.log(hi0);
    if (ratio(hi0) >= target) dof = hi0;
    else if (ratio(lo0) <= target) dof = lo0;
    else {
      for (let i = 0; i < 100 && hi - lo > 1e-13; i++) {
        const mid = (lo + hi) / 2;
        if (ratio(Math.exp(mid)) > target) lo = mid;
        else hi = mid;
      }
      dof = Math.exp((lo + hi) / 2);
    }
  }
  const scale = (lower > 0 ? lower : Number.MIN_VALUE) / chiSquareIsf(levelLower, dof);
  return { scale, dof };
}

/** p = P(χ²(ν) ≥ T/c). */
export function scaledChiSquarePValue(fit: ScaledChiSquare, t: number): number {
  return chiSquareSurvival(t / fit.scale, fit.dof);
}

/** T with P(χ²(ν) ≥ T/c) = level. */
export function scaledChiSquareCritical(fit: ScaledChiSquare, level: number): number {
  return fit.scale * chiSquareIsf(level, fit.dof);
}

/**
 * A knot of the calibrated null: a stored quantile t of T, with P(T ≥ t) ≈ `upper` and
 * P(T > t) ≈ `lower` (equal levels unless several stored quantiles coincide: an atom).
 */
export interface NullKnot {
  t: number;
  upper: number;
  lower: number;
}

/**
 * One piece of the calibrated null's tail, from (t0, level0) on: the scaled χ² `fit` through
 * both ends when one exists, else (a jump no scaled χ² with ν in FIT_DOF_RANGE makes, such as
 * the mass of windows with an empty bin) p = level0·exp(−slope·(T − t0)), log-linear between
 * the two ends.
 */
export interface NullPiece {
  fit: ScaledChiSquare | null;
  t0: number;
  level0: number;
  slope: number;
}

/**
 * The calibrated null of a metric at one window size: its knots (ascending t), and between
 * consecutive knots the piece through (t_j, lower_j) and (t_{j+1}, upper_{j+1}); a single knot
 * has one piece, the lightest scaled χ² through (t, lower).
 */
export interface CalibratedNull {
  knots: NullKnot[];
  pieces: NullPiece[];
}

/**
 * The calibrated null of a metric at window size n: the stored quantiles interpolated linearly
 * in 1/n, merged into knots, and the pieces fitted between them. Null outside the grid
 * [sizes[0], sizes[last]].
 */
export function calibratedNull(settings: CalibrationSettings, quantiles: number[][], n: number): CalibratedNull | null {
  const sizes = settings.sizes;
  if (!(n >= sizes[0] && n <= sizes[sizes.length - 1])) return null;
  let j = 0;
  while (j < sizes.length - 1 && sizes[j + 1] < n) j++;
  const at = (k: number) => {
    if (sizes[j] === n || j === sizes.length - 1) return quantiles[j][k];
    const w = (1 / sizes[j] - 1 / n) / (1 / sizes[j] - 1 / sizes[j + 1]);
    return quantiles[j][k] + w * (quantiles[j + 1][k] - quantiles[j][k]);
  };
  if (settings.method === 'bayesian-bootstrap') {
    // The first calibration's rule, unchanged: one scaled χ² through the 0.1 and 0.01 quantiles.
    const fit = fitScaledChiSquare(at(0), at(2));
    return { knots: [{ t: at(0), upper: 0.1, lower: 0.1 }], pieces: [{ fit, t0: at(0), level0: 0.1, slope: 0 }] };
  }
  return nullFromQuantiles(
    settings.levels,
    settings.levels.map((_, k) => at(k)),
  );
}

/** Knots and pieces from quantiles `ts` (non-decreasing) at `levels` (descending). */
export function nullFromQuantiles(levels: readonly number[], ts: readonly number[]): CalibratedNull {
  const knots: NullKnot[] = [];
  ts.forEach((t, k) => {
    const last = knots[knots.length - 1];
    if (last && t <= last.t * (1 + KNOT_TOLERANCE)) last.lower = levels[k];
    else knots.push({ t, upper: levels[k], lower: levels[k] });
  });
  if (knots.length === 1) {
    const { t, lower } = knots[0];
    return { knots, pieces: [{ fit: fitScaledChiSquare(t, t, lower, lower), t0: t, level0: lower, slope: 0 }] };
  }
  const pieces = knots.slice(1).map((b, i): NullPiece => lazyPiece(knots[i], b));
  return { knots, pieces };
}

/**
 * The piece between knots a and b, its scaled χ² fitted on first use: a p-value or a critical
 * value reads one piece, and a fit (nested bisection over the incomplete gamma function) is
 * most of a small check's work (docs/benchmarks.md, "Start-up"). The same fit, only later.
 */
function lazyPiece(a: NullKnot, b: NullKnot): NullPiece {
  let fitted: ScaledChiSquare | null | undefined;
  return {
    get fit(): ScaledChiSquare | null {
      if (fitted === undefined) {
        const fit = fitScaledChiSquare(a.t, b.t, a.lower, b.upper);
        // A fit held at the edge of FIT_DOF_RANGE passes through the lower end only.
        const through = Math.abs(scaledChiSquarePValue(fit, a.t) / a.lower - 1) < 1e-6;
        fitted = through ? fit : null;
      }
      return fitted;
    },
    t0: a.t,
    level0: a.lower,
    slope: Math.log(a.lower / b.upper) / (b.t - a.t),
  };
}

function piecePValue(piece: NullPiece, t: number): number {
  return piece.fit ? scaledChiSquarePValue(piece.fit, t) : Math.min(1, piece.level0 * Math.exp(-piece.slope * (t - piece.t0)));
}

function pieceCritical(piece: NullPiece, level: number): number {
  return piece.fit ? scaledChiSquareCritical(piece.fit, level) : piece.t0 + Math.log(piece.level0 / level) / piece.slope;
}

/** p = P(T ≥ t) under the calibrated null: the piece around t; at a knot its upper level. */
export function calibratedPValue(nul: CalibratedNull, t: number): number {
  const { knots, pieces } = nul;
  if (knots.length === 1 && pieces[0].slope === 0) {
    // The first calibration's single fit, or a null with all its stored quantiles at one value.
    const p = piecePValue(pieces[0], t);
    return knots[0].upper === knots[0].lower ? p : t <= knots[0].t * (1 + KNOT_TOLERANCE) ? Math.max(knots[0].upper, p) : p;
  }
  let j = 0;
  while (j < knots.length && knots[j].t * (1 + KNOT_TOLERANCE) < t) j++;
  if (j < knots.length && t >= knots[j].t * (1 - KNOT_TOLERANCE)) return knots[j].upper;
  if (j === 0) return Math.max(knots[0].upper, piecePValue(pieces[0], t));
  return piecePValue(pieces[Math.min(j - 1, pieces.length - 1)], t);
}

/** The smallest T with calibratedPValue(T) ≤ level: the critical value at that level. */
export function calibratedCritical(nul: CalibratedNull, level: number): number {
  const { knots, pieces } = nul;
  if (knots.length === 1 && pieces[0].slope === 0) {
    const t = pieceCritical(pieces[0], level);
    return knots[0].upper !== knots[0].lower && level < knots[0].upper && t <= knots[0].t ? knots[0].t * (1 + 2 * KNOT_TOLERANCE) : t;
  }
  if (level >= knots[0].upper) return Math.min(pieceCritical(pieces[0], level), knots[0].t);
  for (let j = 0; j < knots.length; j++) {
    const knot = knots[j];
    // Just above an atom that holds more than `level` at or above it.
    if (level >= knot.lower) return knot.t * (1 + 2 * KNOT_TOLERANCE);
    const next = knots[j + 1];
    if (!next || level > next.upper) return pieceCritical(pieces[Math.min(j, pieces.length - 1)], level);
    if (level === next.upper) return next.t;
  }
  return pieceCritical(pieces[pieces.length - 1], level);
}
