import { chiSquareIsf, chiSquareSurvival, effectiveSampleSize, jensenShannonDistance, psiFromCounts, quantileSorted } from '../stats/index.js';
import { Random } from './random.js';

/**
 * The resampled calibration of the PSI and JS p-values (docs/statistics.md, "Calibrated
 * p-values"), stored in the reference by `reference build`.
 *
 * The null is the reference's own: the population's shares of the reference's bins (PSI bins,
 * or categories) are drawn from Dirichlet(reference counts) — Rubin's Bayesian bootstrap of the
 * reference, which carries the reference's own sampling error (a window's shares then vary by
 * π(1 − π)(1/n + 1/m), the two-sample variance) — and a window of n values from
 * Multinomial(n, those shares). The window is scored against the real reference exactly as a
 * check scores it (the same bins, the same 1e-4 floor). A numeric feature's PSI and JS depend on
 * the window only through its PSI-bin counts, and a Dirichlet summed over fine bins is the
 * Dirichlet of the summed counts, so drawing on the PSI bins is the same null as resampling the
 * fine histogram; the reference keeps no raw values.
 *
 * What is stored, per feature, metric and window size n of the grid: the upper quantiles of the
 * normalised statistic T (T = n_eff·PSI, T = 8·ln2·n_eff·JS², n_eff = n·m/(n + m), the scale on
 * which the asymptotic limit is χ²(k − 1) and the quantiles move about linearly in 1/n) at the
 * upper-tail levels 0.1, 0.05 and 0.01, from `replicates` draws with the seed saved. At check
 * time the quantiles at levels 0.1 and 0.01 are interpolated linearly in 1/n between the two
 * grid sizes around the window's n, and T is referred to the scaled χ² c·χ²(ν) through those two
 * quantiles: p = P(χ²(ν) ≥ T/c); the critical value at level α is c·χ²_isf(α, ν) (so exact at
 * α = 0.1 and 0.01 up to Monte Carlo error, and a fitted tail below 0.01, where 4,000 draws
 * cannot resolve quantiles). Outside the grid the asymptotic p-value is used, and the result
 * says which (`p_value_method`).
 */

export const CALIBRATED_METRICS = ['psi', 'js'] as const;
export type CalibratedMetric = (typeof CALIBRATED_METRICS)[number];

/** Upper-tail levels whose null quantiles are stored, in this order. */
export const CALIBRATION_LEVELS = [0.1, 0.05, 0.01] as const;
/** Indices in CALIBRATION_LEVELS of the two quantiles the scaled χ² passes through. */
const FIT_UPPER = 0;
const FIT_LOWER = 2;

/** Window sizes of the default grid: from DRIFT_MIN_SAMPLES' default (100) to 5,000, past which the χ² limit holds (docs/statistics.md). */
export const DEFAULT_CALIBRATION_SIZES: readonly number[] = [100, 200, 500, 1000, 2000, 5000];
export const DEFAULT_CALIBRATION_REPLICATES = 4000;
export const DEFAULT_CALIBRATION_SEED = 20_261_202;
/** The scaled χ²'s degrees of freedom are kept in this range (a null with no spread, or all of it at 0). */
export const FIT_DOF_RANGE = [0.1, 1000] as const;

export interface CalibrationOptions {
  /** Window sizes (non-missing values) of the grid, ascending. Default DEFAULT_CALIBRATION_SIZES. */
  sizes?: readonly number[];
  /** Draws per size. Default 4000. */
  replicates?: number;
  /** Seed of the draws (saved in the reference). Default DEFAULT_CALIBRATION_SEED. */
  seed?: number;
}

export interface CalibrationSettings {
  method: 'bayesian-bootstrap';
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
  return { method: 'bayesian-bootstrap', seed, replicates, sizes, levels: [...CALIBRATION_LEVELS] };
}

/** T from a score: n_eff·PSI, or 8·ln2·n_eff·JS². */
export function normalisedStatistic(metric: CalibratedMetric, score: number, nEff: number): number {
  return metric === 'psi' ? nEff * score : 8 * Math.LN2 * nEff * score * score;
}

/** The score whose T is `t` (inverse of normalisedStatistic). */
export function scoreOfStatistic(metric: CalibratedMetric, t: number, nEff: number): number {
  return metric === 'psi' ? t / nEff : Math.sqrt(t / (8 * Math.LN2 * nEff));
}

/**
 * Draws the null of one feature. `referenceCounts` are the reference's counts on the bins PSI
 * and JS use; `stream` keeps each feature's draws its own (its index in the reference). Null
 * when fewer than two bins hold reference values (no test: every window is the same).
 */
export function calibrateFeature(referenceCounts: ArrayLike<number>, settings: CalibrationSettings, stream: number): FeatureCalibration | null {
  const bins = referenceCounts.length;
  const occupied: number[] = [];
  let m = 0;
  for (let i = 0; i < bins; i++) {
    m += referenceCounts[i];
    if (referenceCounts[i] > 0) occupied.push(i);
  }
  if (occupied.length < 2) return null;
  const shapes = Float64Array.from(occupied, (i) => referenceCounts[i]);
  const referenceShares = Float64Array.from({ length: bins }, (_, i) => referenceCounts[i] / m);
  const shares = new Float64Array(occupied.length);
  const drawn = new Float64Array(occupied.length);
  const window = new Float64Array(bins);
  const windowShares = new Float64Array(bins);
  const result: FeatureCalibration = { psi: [], js: [] };
  settings.sizes.forEach((n, sizeIndex) => {
    const random = new Random(settings.seed, stream, sizeIndex);
    const nEff = effectiveSampleSize(n, m)!;
    const psiT = new Float64Array(settings.replicates);
    const jsT = new Float64Array(settings.replicates);
    for (let r = 0; r < settings.replicates; r++) {
      random.dirichlet(shapes, shares);
      random.multinomial(n, shares, drawn);
      window.fill(0);
      for (let j = 0; j < occupied.length; j++) window[occupied[j]] = drawn[j];
      for (let i = 0; i < bins; i++) windowShares[i] = window[i] / n;
      psiT[r] = normalisedStatistic('psi', psiFromCounts(referenceCounts, window)!, nEff);
      jsT[r] = normalisedStatistic('js', jensenShannonDistance(referenceShares, windowShares), nEff);
    }
    psiT.sort();
    jsT.sort();
    result.psi.push(CALIBRATION_LEVELS.map((level) => quantileSorted(psiT, 1 - level)));
    result.js.push(CALIBRATION_LEVELS.map((level) => quantileSorted(jsT, 1 - level)));
  });
  return result;
}

/** T ≈ scale·χ²(dof) under the null. */
export interface ScaledChiSquare {
  scale: number;
  dof: number;
}

/**
 * The scaled χ² c·χ²(ν) whose upper quantiles at levels 0.1 and 0.01 are `upper` and `lower`:
 * ν solves χ²_isf(0.01, ν)/χ²_isf(0.1, ν) = lower/upper (the ratio falls as ν grows), by
 * bisection in log ν within FIT_DOF_RANGE; c = lower/χ²_isf(0.01, ν).
 */
export function fitScaledChiSquare(upper: number, lower: number): ScaledChiSquare {
  const [lo0, hi0] = FIT_DOF_RANGE;
  const levelUpper = CALIBRATION_LEVELS[FIT_UPPER];
  const levelLower = CALIBRATION_LEVELS[FIT_LOWER];
  const ratio = (dof: number) => chiSquareIsf(levelLower, dof) / chiSquareIsf(levelUpper, dof);
  let dof: number;
  if (!(upper > 0) || !(lower > upper)) {
    // All of the upper decile at 0 (the heaviest tail the range allows), or no spread between the two quantiles (the lightest).
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

/**
 * The calibrated null of a metric at window size n: the stored quantiles interpolated linearly
 * in 1/n, then fitted (fitScaledChiSquare). Null outside the grid [sizes[0], sizes[last]].
 */
export function calibratedNull(settings: CalibrationSettings, quantiles: number[][], n: number): ScaledChiSquare | null {
  const sizes = settings.sizes;
  if (!(n >= sizes[0] && n <= sizes[sizes.length - 1])) return null;
  let j = 0;
  while (j < sizes.length - 1 && sizes[j + 1] < n) j++;
  const at = (k: number) => {
    if (sizes[j] === n || j === sizes.length - 1) return quantiles[j][k];
    const w = (1 / sizes[j] - 1 / n) / (1 / sizes[j] - 1 / sizes[j + 1]);
    return quantiles[j][k] + w * (quantiles[j + 1][k] - quantiles[j][k]);
  };
  return fitScaledChiSquare(at(FIT_UPPER), at(FIT_LOWER));
}

/** p = P(χ²(ν) ≥ T/c). */
export function scaledChiSquarePValue(fit: ScaledChiSquare, t: number): number {
  return chiSquareSurvival(t / fit.scale, fit.dof);
}

/** T with P(χ²(ν) ≥ T/c) = level. */
export function scaledChiSquareCritical(fit: ScaledChiSquare, level: number): number {
  return fit.scale * chiSquareIsf(level, fit.dof);
}
