/**
 * The multivariate score's false alarms and power per window (issue 12, item 6), from seeded draws.
 *
 *   npx tsx test/calibration/multivariate-power.ts [--windows 400] [--sizes 200,1000,5000] [--scenarios none,flip,shift,confidence]
 *
 * The reference: 20,000 rows of 20 numeric inputs, N(0, 1) each, f0 and f1 correlated ρ = 0.8,
 * the others independent, and the model's confidence as an output (the logistic model of
 * test/calibration/false-alarms.ts: max(s, 1 − s), s = σ(w·x / T), w_i = 2/√20, T = 1), built with
 * the multivariate block at its defaults (D = 128, 2,000 bootstrap windows per size). A window of
 * n rows is drawn afresh: stationary (false alarms), f0 and f1 with their correlation flipped to
 * −0.8 (every marginal unchanged), a 0.25 σ mean shift in f5 alone, or the confidence drop of
 * false-alarms.ts (T = 1.25, every input unchanged). Each window is recorded once
 * (FeatureSetAccumulator, as a pane is) and scored by the multivariate rule (its p-value ≤ α =
 * 0.01 at the window's size) and, for comparison, by KS `auto` (α 0.01, Bonferroni over the 20
 * inputs and the confidence: a flag on an input, a flag on the confidence), on the same windows. Rates are printed with their binomial
 * standard error √(p(1 − p)/windows). The same function runs, with fewer windows, in
 * test/unit/core/multivariate/power.test.ts.
 */
import { DriftDetector } from '../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { FeatureSetAccumulator } from '../../src/core/stats/index.js';
import { mulberry32 } from '../../src/core/reference/random.js';
import type { MultivariateOptions } from '../../src/core/multivariate/model.js';

export const FEATURES = 20;
export const RHO = 0.8;
export const SHIFTED = 5;
export const CONFIDENCE_TEMPERATURE = 1.25;
export type Scenario = 'none' | 'flip' | 'shift' | 'confidence';
export const SCENARIOS: readonly { scenario: Scenario; label: string }[] = [
  { scenario: 'none', label: 'stationary (false alarms)' },
  { scenario: 'flip', label: `correlation flip f0–f1 (${RHO} → −${RHO}), marginals unchanged` },
  { scenario: 'shift', label: '0.25 σ mean shift in 1 of 20 features' },
  { scenario: 'confidence', label: `confidence drop, inputs unchanged (T = ${CONFIDENCE_TEMPERATURE})` },
];

function normal(u: () => number): () => number {
  return () => Math.sqrt(-2 * Math.log(1 - u())) * Math.cos(2 * Math.PI * u());
}

function confidenceOf(x: readonly number[], temperature: number): number {
  const w = 2 / Math.sqrt(x.length);
  let z = 0;
  for (const v of x) z += w * v;
  const s = 1 / (1 + Math.exp(-z / temperature));
  return Math.max(s, 1 - s);
}

/** One row: the 20 inputs, then the confidence. */
function row(z: () => number, scenario: Scenario): number[] {
  const x = Array.from({ length: FEATURES }, z);
  const rho = scenario === 'flip' ? -RHO : RHO;
  x[1] = rho * x[0] + Math.sqrt(1 - RHO * RHO) * x[1];
  if (scenario === 'shift') x[SHIFTED] += 0.25;
  return [...x, confidenceOf(x, scenario === 'confidence' ? CONFIDENCE_TEMPERATURE : 1)];
}

const cache = new Map<string, ReferenceDistribution>();
export function powerReference(multivariate: MultivariateOptions = {}, seed = 1): ReferenceDistribution {
  const key = `${seed}/${JSON.stringify(multivariate)}`;
  const cached = cache.get(key);
  if (cached) return cached;
  const z = normal(mulberry32(seed));
  const names = [...Array.from({ length: FEATURES }, (_, i) => `f${i}`), 'confidence'];
  const rows = Array.from({ length: 20_000 }, () => row(z, 'none'));
  const ref = ReferenceDistribution.fromRows(rows, { featureNames: names, outputs: ['confidence'], multivariate });
  cache.set(key, ref);
  return ref;
}

export interface Rate {
  rate: number;
  se: number;
}
const rate = (hits: number, windows: number): Rate => {
  const p = hits / windows;
  return { rate: p, se: Math.sqrt((p * (1 - p)) / windows) };
};

/** Shares of windows flagged by the multivariate score, by KS `auto` on an input, and by KS `auto` on the confidence, on the same windows. */
export function multivariateRates(o: { n: number; windows: number; scenario: Scenario; seed?: number; multivariate?: MultivariateOptions }): {
  multivariate: Rate;
  ksInputs: Rate;
  ksConfidence: Rate;
} {
  const ref = powerReference(o.multivariate);
  const detector = new DriftDetector({ metric: 'ks', threshold: 'auto', minEffect: 0, outputThreshold: 'auto' });
  const z = normal(mulberry32(o.seed ?? 12345));
  let mv = 0;
  let ksInputs = 0;
  let ksConfidence = 0;
  for (let w = 0; w < o.windows; w++) {
    const acc = new FeatureSetAccumulator(ref.signals);
    acc.recordArrays(Array.from({ length: o.n }, () => row(z, o.scenario)));
    const check = detector.evaluate(acc, ref);
    if (check.multivariate!.drifted) mv++;
    if (Object.keys(check.drifted_features).length > 0) ksInputs++;
    if (check.outputs!.confidence.drifted) ksConfidence++;
  }
  return { multivariate: rate(mv, o.windows), ksInputs: rate(ksInputs, o.windows), ksConfidence: rate(ksConfidence, o.windows) };
}

const fmt = ({ rate: p, se }: Rate) => (p === 0 ? '0.0 %' : p === 1 ? '100 %' : `${(100 * p).toFixed(1)} ± ${(100 * se).toFixed(1)} %`);

function main(): void {
  const args = process.argv.slice(2);
  const at = args.indexOf('--windows');
  const windows = at >= 0 ? Number(args[at + 1]) : 400;
  const sizesAt = args.indexOf('--sizes');
  const sizes = sizesAt >= 0 ? args[sizesAt + 1].split(',').map(Number) : [200, 1000, 5000];
  const scenariosAt = args.indexOf('--scenarios');
  const only = scenariosAt >= 0 ? args[scenariosAt + 1].split(',') : null;
  const started = Date.now();
  console.log(`\nMultivariate drift: 20 numeric inputs and the confidence, ${windows} windows per cell; % of windows flagged ± standard error\n`);
  console.log(`| windows of | rule | ${sizes.map((n) => `n = ${n.toLocaleString('en')}`).join(' | ')} |`);
  console.log(`|---|---|${sizes.map(() => '---').join('|')}|`);
  for (const { scenario, label } of SCENARIOS.filter((s) => !only || only.includes(s.scenario))) {
    const cells = sizes.map((n) => multivariateRates({ n, windows, scenario }));
    console.log(`| ${label} | multivariate (RFF-MMD, p ≤ 0.01) | ${cells.map((c) => fmt(c.multivariate)).join(' | ')} |`);
    console.log(`| ${label} | KS \`auto\` on an input (α 0.01, Bonferroni) | ${cells.map((c) => fmt(c.ksInputs)).join(' | ')} |`);
    console.log(`| ${label} | KS \`auto\` on the confidence | ${cells.map((c) => fmt(c.ksConfidence)).join(' | ')} |`);
  }
  console.log(`\n(${((Date.now() - started) / 1000).toFixed(0)} s)`);
}

if (import.meta.url === `file://${process.argv[1]}`) main();
