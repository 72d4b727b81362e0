/**
 * Issue 10 — the build cost of the resampled calibration, per feature: `calibrateFeature` (the
 * default grid, 6 window sizes × 4,000 draws, defensive importance sampling, per-bin term tables)
 * against the first calibration's kernel in the same run (plain draws, PSI and JS recomputed from
 * the shares at every draw; kept below as it was, `legacyCalibrateFeature`).
 *
 * Every feature gets counts of its own (deciles of 20,000 − 7·f values, and 12-category
 * features), so the new path's sharing of draws between features with the same counts does not
 * flatter the per-feature figure; the shared case (100 features with identical counts, as a
 * reference of complete, tie-free numeric columns has) is reported on its own.
 */
import { calibrateFeature, calibrationSettings, LEGACY_CALIBRATION_LEVELS, type CalibrationSettings } from '../../src/core/reference/index.js';
import { Random } from '../../src/core/reference/random.js';
import { effectiveSampleSize, jensenShannonDistance, logGamma, psiFromCounts, quantileSorted } from '../../src/core/stats/index.js';
import { median, progress, report, timeRuns } from './harness.js';

const NUMERIC = 16;
const CATEGORICAL = 4;
const RUNS = 3;

const deciles = (m: number) => Array.from({ length: 10 }, (_, i) => Math.floor(m / 10) + (i < m % 10 ? 1 : 0));
const categories = (f: number) => Array.from({ length: 12 }, (_, i) => Math.round(6000 / (i + 1 + f / 10)));
const features = [...Array.from({ length: NUMERIC }, (_, f) => deciles(20_000 - 7 * f)), ...Array.from({ length: CATEGORICAL }, (_, f) => categories(f))];

/** The generator as the first kernel had it: BTRS computed ln m! + ln (n − m)! by logGamma at every binomial. */
class FirstRandom extends Random {
  override binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    if (n * p < 10) return super.binomial(n, p);
    const q = 1 - p;
    const spq = Math.sqrt(n * p * q);
    const b = 1.15 + 2.53 * spq;
    const a = -0.0873 + 0.0248 * b + 0.01 * p;
    const c = n * p + 0.5;
    const vr = 0.92 - 4.2 / b;
    const alpha = (2.83 + 5.1 / b) * spq;
    const lpq = Math.log(p / q);
    const m = Math.floor((n + 1) * p);
    const h = logGamma(m + 1) + logGamma(n - m + 1);
    for (;;) {
      const u = this.uniform() - 0.5;
      let v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + c);
      if (k < 0 || k > n) continue;
      if (us >= 0.07 && v <= vr) return k;
      v = Math.log((v * alpha) / (a / (us * us) + b));
      if (v <= h - logGamma(k + 1) - logGamma(n - k + 1) + (k - m) * lpq) return k;
    }
  }
}

/** The first calibration's kernel (method `bayesian-bootstrap`), unchanged: the baseline. */
function legacyCalibrateFeature(referenceCounts: ArrayLike<number>, settings: CalibrationSettings, stream: number): number[][][] {
  const bins = referenceCounts.length;
  const occupied: number[] = [];
  let m = 0;
  for (let i = 0; i < bins; i++) {
    m += referenceCounts[i];
    if (referenceCounts[i] > 0) occupied.push(i);
  }
  const shapes = Float64Array.from(occupied, (i) => referenceCounts[i]);
  const referenceShares = Float64Array.from({ length: bins }, (_, i) => referenceCounts[i] / m);
  const shares = new Float64Array(occupied.length);
  const drawn = new Float64Array(occupied.length);
  const window = new Float64Array(bins);
  const windowShares = new Float64Array(bins);
  const result: number[][][] = [[], []];
  settings.sizes.forEach((n, sizeIndex) => {
    const random = new FirstRandom(settings.seed, stream, sizeIndex);
    const nEff = effectiveSampleSize(n, m)!;
    const psiT = new Float64Array(settings.replicates);
    const jsT = new Float64Array(settings.replicates);
    for (let r = 0; r < settings.replicates; r++) {
      random.dirichlet(shapes, shares);
      random.multinomial(n, shares, drawn);
      window.fill(0);
      for (let j = 0; j < occupied.length; j++) window[occupied[j]] = drawn[j];
      for (let i = 0; i < bins; i++) windowShares[i] = window[i] / n;
      psiT[r] = nEff * psiFromCounts(referenceCounts, window)!;
      const js = jensenShannonDistance(referenceShares, windowShares);
      jsT[r] = 8 * Math.LN2 * nEff * js * js;
    }
    psiT.sort();
    jsT.sort();
    result[0].push(LEGACY_CALIBRATION_LEVELS.map((level) => quantileSorted(psiT, 1 - level)));
    result[1].push(LEGACY_CALIBRATION_LEVELS.map((level) => quantileSorted(jsT, 1 - level)));
  });
  return result;
}

progress(`${features.length} features (${NUMERIC} numeric, ${CATEGORICAL} categorical), default grid; ${RUNS} runs of each path, alternating, after 1 warm-up`);
const newMs: number[] = [];
const oldMs: number[] = [];
const newCpu: number[] = [];
const oldCpu: number[] = [];
/** Wall and CPU (user + system) milliseconds of fn: on a loaded machine the CPU time is the steadier of the two. */
const timed = (fn: () => void) => {
  const c0 = process.cpuUsage();
  const t0 = performance.now();
  fn();
  const wall = performance.now() - t0;
  const c = process.cpuUsage(c0);
  return { wall, cpu: (c.user + c.system) / 1000 };
};
for (let run = 0; run <= RUNS; run++) {
  // A fresh settings object per run: calibrateFeature shares draws within one settings object only.
  const settings = calibrationSettings();
  const a = timed(() => features.forEach((counts) => calibrateFeature(counts, settings)));
  const b = timed(() => features.forEach((counts, f) => legacyCalibrateFeature(counts, settings, f)));
  if (run > 0) {
    newMs.push(a.wall / features.length);
    oldMs.push(b.wall / features.length);
    newCpu.push(a.cpu / features.length);
    oldCpu.push(b.cpu / features.length);
  }
}

progress('100 features with identical counts (draws shared)');
const identical = Array.from({ length: 100 }, () => deciles(20_000));
const sharedMs = await timeRuns(() => {
  const settings = calibrationSettings();
  for (const counts of identical) calibrateFeature(counts, settings);
}, RUNS);

const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)} ms`;
const ratios = newMs.map((t, i) => oldMs[i] / t);
const cpuRatios = newCpu.map((t, i) => oldCpu[i] / t);
report('calibration (issue 10)', [
  {
    name: 'calibrateFeature, CPU time per feature (user + system)',
    value: median(newCpu),
    unit: 'ms',
    baseline: { name: 'the first kernel, CPU time', value: median(oldCpu) },
    note: `${range(newCpu)} against ${range(oldCpu)}; ×${Math.min(...cpuRatios).toFixed(1)}–×${Math.max(...cpuRatios).toFixed(1)} less CPU run by run`,
  },
  {
    name: 'calibrateFeature, per feature (6 sizes × 4,000 draws, importance-sampled, levels 0.1–1e-4)',
    value: median(newMs),
    unit: 'ms',
    baseline: { name: 'the first kernel (plain draws, scores recomputed per draw, levels 0.1–0.01)', value: median(oldMs) },
    note: `${RUNS} alternating runs of ${features.length} features: ${range(newMs)} against ${range(oldMs)}; ×${Math.min(...ratios).toFixed(1)}–×${Math.max(...ratios).toFixed(1)} faster run by run`,
  },
  {
    name: '100 features with identical counts, whole calibration',
    value: median(sharedMs),
    unit: 'ms',
    baseline: { name: '100 × the per-feature figure above', value: 100 * median(newMs) },
    note: `runs ${sharedMs.map((t) => t.toFixed(0)).join('/')} ms: one set of draws serves every feature with the same counts`,
  },
]);
