/**
 * False-alarm and detection rates per window (issue 10, item 7), from seeded draws.
 *
 *   npx tsx test/calibration/false-alarms.ts [--windows 400] [--sizes 100,1000,10000] [--features 1,20,100] [--tables false-alarms|power|both|outputs]
 *
 * Every feature's reference is 20,000 values from its distribution: numeric N(0, 1), or
 * categorical with shares 0.30, 0.25, 0.20, 0.15, 0.10. A window of n rows is drawn afresh from
 * the same distributions (stationary: false alarms) or from a changed one (power: a 0.25 σ mean
 * shift, a 10 % scale change, category A's share moved from 0.30 to 0.35 with the others scaled
 * down) in one feature. A window is a false alarm when the check says drift_detected. Rates are
 * printed with their binomial standard error √(p(1 − p)/windows). The same functions run, with
 * fewer windows, in test/unit/core/detect/false-alarms.test.ts. `--tables outputs` measures the
 * model outputs' false alarms and the power of a confidence drop with unchanged inputs
 * (outputRates below; default sizes 200, 1000, 5000 and F = 20).
 */
import { DriftDetector, type DetectorOptions } from '../../src/core/detect/detector.js';
import { ReferenceDistribution, type CalibrationOptions } from '../../src/core/reference/index.js';
import { FeatureSetAccumulator } from '../../src/core/stats/index.js';
import { mulberry32 } from '../../src/core/reference/random.js';

/** mulberry32, the project's small seeded generator, uniform on [0, 1). */
export const rng = mulberry32;

export function normal(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

export const SHARES = [0.3, 0.25, 0.2, 0.15, 0.1];
const NAMES = ['A', 'B', 'C', 'D', 'E'];
export type Kind = 'numeric' | 'categorical';
export type Change = 'none' | 'shift' | 'scale' | 'share';

function categorical(u: () => number, shares: number[]): () => string {
  return () => {
    let x = u();
    for (let i = 0; i < shares.length; i++) if ((x -= shares[i]) < 0) return NAMES[i];
    return NAMES[shares.length - 1];
  };
}

/** A value generator of one feature, changed or not. */
function generator(kind: Kind, change: Change, u: () => number): () => number | string {
  if (kind === 'categorical') {
    if (change !== 'share') return categorical(u, SHARES);
    const rest = SHARES.slice(1).reduce((a, b) => a + b, 0);
    return categorical(u, [0.35, ...SHARES.slice(1).map((s) => (s * 0.65) / rest)]);
  }
  const z = normal(u);
  if (change === 'shift') return () => z() + 0.25;
  if (change === 'scale') return () => z() * 1.1;
  return z;
}

const referenceCache = new Map<string, ReferenceDistribution>();
/** The seeded reference of `features` features of a kind; `calibration` as `reference build` takes it (default: none). */
export function reference(kind: Kind, features: number, seed = 1, calibration: CalibrationOptions | boolean = false): ReferenceDistribution {
  const key = `${kind}/${features}/${seed}/${JSON.stringify(calibration)}`;
  const cached = referenceCache.get(key);
  if (cached) return cached;
  const u = rng(seed);
  const gens = Array.from({ length: features }, () => generator(kind, 'none', u));
  const names = Array.from({ length: features }, (_, i) => `f${i}`);
  const rows = Array.from({ length: 20_000 }, () => Object.fromEntries(names.map((n, i) => [n, gens[i]()])));
  const ref = ReferenceDistribution.fromRows(rows, { categorical: kind === 'categorical' ? names : [], calibration });
  referenceCache.set(key, ref);
  return ref;
}

export interface RateOptions {
  kind: Kind;
  features: number;
  n: number;
  windows: number;
  change?: Change;
  detector: DetectorOptions;
  seed?: number;
  /** The reference's resampled calibration (default none: asymptotic p-values). */
  calibration?: CalibrationOptions | boolean;
}

/** Share of windows with drift_detected, and its standard error. */
export function detectionRate(o: RateOptions): { rate: number; se: number } {
  return detectionRates({ ...o, rules: [{ name: '', detector: o.detector, calibration: o.calibration }] })[0];
}

export interface Rule {
  name: string;
  detector: DetectorOptions;
  /** Score against the reference built with the resampled calibration. */
  calibration?: CalibrationOptions | boolean;
}

/**
 * detectionRate of several rules at once, on the same windows (each drawn once, from the same
 * seed, and scored by every rule): the rates of different rules differ by the rules alone.
 */
export function detectionRates(o: Omit<RateOptions, 'detector' | 'calibration'> & { rules: readonly Rule[] }): { rate: number; se: number }[] {
  const scorers = o.rules.map((rule) => ({ ref: reference(o.kind, o.features, 1, rule.calibration ?? false), detector: new DriftDetector(rule.detector) }));
  const u = rng(o.seed ?? 12345);
  const gens = Array.from({ length: o.features }, (_, i) => generator(o.kind, i === 0 ? (o.change ?? 'none') : 'none', u));
  const hits = o.rules.map(() => 0);
  for (let w = 0; w < o.windows; w++) {
    // Every reference of one kind and size has the same features (the calibration aside), so one accumulation serves all.
    const acc = new FeatureSetAccumulator(scorers[0].ref.features);
    acc.recordArrays(Array.from({ length: o.n }, () => gens.map((g) => g())));
    scorers.forEach(({ ref, detector }, r) => {
      if (detector.evaluate(acc, ref).drift_detected) hits[r]++;
    });
  }
  return hits.map((h) => {
    const rate = h / o.windows;
    return { rate, se: Math.sqrt((rate * (1 - rate)) / o.windows) };
  });
}

export const RULES: Rule[] = [
  { name: 'psi ≥ 0.3', detector: { metric: 'psi' } },
  { name: 'ks ≥ 0.1', detector: { metric: 'ks' } },
  { name: 'js ≥ 0.1', detector: { metric: 'js' } },
  { name: 'psi auto, asymptotic (α 0.01, bonferroni)', detector: { metric: 'psi', threshold: 'auto', minEffect: 0 } },
  { name: 'psi auto, calibrated (α 0.01, bonferroni)', detector: { metric: 'psi', threshold: 'auto', minEffect: 0 }, calibration: true },
  { name: 'js auto, asymptotic (α 0.01, bonferroni)', detector: { metric: 'js', threshold: 'auto', minEffect: 0 } },
  { name: 'js auto, calibrated (α 0.01, bonferroni)', detector: { metric: 'js', threshold: 'auto', minEffect: 0 }, calibration: true },
  { name: 'ks auto (α 0.01, bonferroni)', detector: { metric: 'ks', threshold: 'auto', minEffect: 0 } },
];

/**
 * Model outputs (docs/references-and-check.md, "Model outputs"): F numeric inputs N(0, 1) and
 * the model's confidence c = max(s, 1 − s), s = logistic(w·x / T) with w_i = 2/√F (a fixed
 * model: w·x ~ N(0, 4)) and temperature T = 1 in the reference. The `confidence` change is a
 * model grown less sure on the same inputs: T = 1.25 (the mean confidence falls from 0.778 by 0.034,
 * 0.23 of its standard deviation 0.146), every input's distribution unchanged.
 */
export type OutputChange = 'none' | 'confidence';
export const CONFIDENCE_TEMPERATURE = 1.25;

function confidenceOf(x: readonly number[], temperature: number): number {
  const w = 2 / Math.sqrt(x.length);
  let z = 0;
  for (const v of x) z += w * v;
  const s = 1 / (1 + Math.exp(-z / temperature));
  return Math.max(s, 1 - s);
}

const outputReferenceCache = new Map<string, ReferenceDistribution>();
/** The seeded reference of F numeric inputs and the model's confidence as an output. */
export function outputReference(features: number, seed = 1, calibration: CalibrationOptions | boolean = false): ReferenceDistribution {
  const key = `${features}/${seed}/${JSON.stringify(calibration)}`;
  const cached = outputReferenceCache.get(key);
  if (cached) return cached;
  const z = normal(rng(seed));
  const names = [...Array.from({ length: features }, (_, i) => `f${i}`), 'confidence'];
  const rows = Array.from({ length: 20_000 }, () => {
    const x = Array.from({ length: features }, z);
    return [...x, confidenceOf(x, 1)];
  });
  const ref = ReferenceDistribution.fromRows(rows, { featureNames: names, outputs: ['confidence'], calibration });
  outputReferenceCache.set(key, ref);
  return ref;
}

/**
 * Share of windows with drift_detected, per rule, for F inputs and the confidence output: on
 * stationary windows (`none`: false alarms with outputs monitored) or with the confidence drop
 * (`confidence`); also the share of windows where the confidence output itself drifted.
 */
export function outputRates(o: {
  features: number;
  n: number;
  windows: number;
  change: OutputChange;
  rules: readonly Rule[];
  seed?: number;
}): { rate: number; se: number; outputRate: number }[] {
  const scorers = o.rules.map((rule) => ({ ref: outputReference(o.features, 1, rule.calibration ?? false), detector: new DriftDetector(rule.detector) }));
  const z = normal(rng(o.seed ?? 12345));
  const temperature = o.change === 'confidence' ? CONFIDENCE_TEMPERATURE : 1;
  const hits = o.rules.map(() => 0);
  const outputHits = o.rules.map(() => 0);
  for (let w = 0; w < o.windows; w++) {
    const acc = new FeatureSetAccumulator(scorers[0].ref.signals);
    acc.recordArrays(
      Array.from({ length: o.n }, () => {
        const x = Array.from({ length: o.features }, z);
        return [...x, confidenceOf(x, temperature)];
      }),
    );
    scorers.forEach(({ ref, detector }, r) => {
      const check = detector.evaluate(acc, ref);
      if (check.drift_detected) hits[r]++;
      if (check.outputs?.confidence.drifted) outputHits[r]++;
    });
  }
  return hits.map((h, r) => {
    const rate = h / o.windows;
    return { rate, se: Math.sqrt((rate * (1 - rate)) / o.windows), outputRate: outputHits[r] / o.windows };
  });
}

const OUTPUT_RULES: Rule[] = [
  { name: 'psi ≥ 0.3 (default)', detector: { metric: 'psi' } },
  { name: 'ks ≥ 0.1', detector: { metric: 'ks' } },
  { name: 'psi auto, calibrated (α 0.01, bonferroni)', detector: { metric: 'psi', threshold: 'auto', minEffect: 0 }, calibration: true },
  { name: 'ks auto (α 0.01, bonferroni)', detector: { metric: 'ks', threshold: 'auto', minEffect: 0 } },
];

function outputTables(windows: number, sizes: number[], features: number): void {
  const head = `| windows of | rule | ${sizes.map((n) => `n=${n}`).join(' | ')} |`;
  const rule = `|---|---|${sizes.map(() => '---').join('|')}|`;
  console.log(
    `\nModel outputs: ${features} numeric inputs and the confidence (${windows} windows per cell; % of windows with drift_detected ± standard error, [share with the confidence itself drifted])\n`,
  );
  console.log(head);
  console.log(rule);
  for (const [change, label] of [
    ['none', 'stationary inputs and confidence (false alarms)'],
    ['confidence', `confidence drop, inputs unchanged (T = ${CONFIDENCE_TEMPERATURE})`],
  ] as const) {
    const cells = sizes.map((n) => outputRates({ features, n, windows, change, rules: OUTPUT_RULES }));
    OUTPUT_RULES.forEach((r, i) => console.log(`| ${label} | ${r.name} | ${cells.map((c) => `${fmt(c[i])} [${(100 * c[i].outputRate).toFixed(1)} %]`).join(' | ')} |`));
  }
}

const fmt = ({ rate, se }: { rate: number; se: number }) => `${(100 * rate).toFixed(1)} ± ${(100 * se).toFixed(1)} %`;

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--windows');
  const windows = at >= 0 ? Number(args[at + 1]) : 400;
  const listArg = (name: string, fallback: number[]) => {
    const i = args.indexOf(name);
    return i >= 0 ? args[i + 1].split(',').map(Number) : fallback;
  };
  const sizes = listArg('--sizes', [100, 1000, 10_000]);
  const counts = listArg('--features', [1, 20, 100]);
  const windowsOf = (n: number, features: number) => (n * features > 200_000 ? Math.max(50, Math.floor(windows / 4)) : windows);
  const rulesFor = (kind: Kind) => RULES.filter((rule) => kind === 'numeric' || rule.detector.metric !== 'ks');
  const tablesAt = args.indexOf('--tables');
  const tables = tablesAt >= 0 ? args[tablesAt + 1] : 'both';
  if (tables === 'outputs') return outputTables(windows, listArg('--sizes', [200, 1000, 5000]), listArg('--features', [20])[0]);
  for (const kind of tables === 'power' ? [] : (['numeric', 'categorical'] as const)) {
    const rules = rulesFor(kind);
    const cells = sizes.flatMap((n) => counts.map((features) => detectionRates({ kind, features, n, windows: windowsOf(n, features), rules })));
    console.log(`\nFalse alarms per window, ${kind} features (${windows} windows per cell, ${Math.max(50, Math.floor(windows / 4))} where n·F > 200,000; % ± standard error)\n`);
    console.log(`| rule | ${sizes.flatMap((n) => counts.map((f) => `n=${n}, F=${f}`)).join(' | ')} |`);
    console.log(`|---|${sizes.flatMap(() => counts.map(() => '---')).join('|')}|`);
    rules.forEach((rule, r) => console.log(`| ${rule.name} | ${cells.map((cell) => fmt(cell[r])).join(' | ')} |`));
  }
  const changes: { change: Change; kind: Kind; label: string }[] = [
    { change: 'shift', kind: 'numeric', label: '0.25 σ mean shift' },
    { change: 'scale', kind: 'numeric', label: '10 % scale change' },
    { change: 'share', kind: 'categorical', label: 'share +5 points' },
  ];
  if (tables === 'false-alarms') return;
  const powerCounts = counts.filter((f) => f <= 20);
  console.log(`\nDetection rate (power) per window, the change in one feature of F = ${powerCounts.join(' and F = ')} (${windows} windows per cell)\n`);
  console.log(`| change | rule | ${sizes.flatMap((n) => powerCounts.map((f) => `n=${n}, F=${f}`)).join(' | ')} |`);
  console.log(`|---|---|${sizes.flatMap(() => powerCounts.map(() => '---')).join('|')}|`);
  for (const c of changes) {
    const rules = rulesFor(c.kind);
    const cells = sizes.flatMap((n) => powerCounts.map((features) => detectionRates({ kind: c.kind, features, n, change: c.change, windows: windowsOf(n, features), rules })));
    rules.forEach((rule, r) => console.log(`| ${c.label} | ${rule.name} | ${cells.map((cell) => fmt(cell[r])).join(' | ')} |`));
  }
}

if (import.meta.url === `file://${process.argv[1]}`) main();
