/**
 * Issue 12, item 7 — the cost of the multivariate score (docs/multivariate.md, "Cost"), at 20
 * numeric features, beside the univariate path in the same run:
 *
 * - state per pane: `FeatureSetAccumulator.byteSize` of an empty pane on the reference's signals
 *   with the multivariate state, against the same pane without it;
 * - time per event: `recordArrays` of the same 100,000 rows into a pane with and without it;
 * - time per window: `DriftDetector.evaluate` of the same 5,000-row window with the score on
 *   and off (`multivariate: false`);
 * - in-process ingest: `Pipeline.ingest` + `runDue` (as in ingest.bench.ts and outputs.bench.ts)
 *   over the same event bytes against a reference built with `multivariate` and without it;
 *   window 1 h sliding by 5 min over 2 h of event time, with the default (`phase`) map and the
 *   `cos-sin` map, and with the map's WebAssembly kernel turned off (the JavaScript loops, the
 *   same bits: map-kernel.ts). Target: at least half the rate without.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { runtimeMetrics, serviceMetrics } from '../../src/adapters/http/metrics.js';
import { ReferenceStore } from '../../src/adapters/files/reference-store.js';
import { saveReference } from '../../src/adapters/files/reference-file.js';
import { DriftDetector } from '../../src/core/detect/detector.js';
import { setMapKernelEnabled } from '../../src/core/multivariate/map-kernel.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { FeatureSetAccumulator } from '../../src/core/stats/index.js';
import { InMemoryExporter } from '../../src/runtime/memory-exporter.js';
import { Pipeline, type SourceMessage } from '../../src/runtime/pipeline.js';
import { featureNames, numericRows, toObject } from './data.js';
import { benchEngine, MODEL, VERSION, WINDOW_MS } from './events.js';
import { median, progress, report, timeRuns, type Figure } from './harness.js';

const FEATURES = 20;
const EVENTS = 200_000;
const RECORD_ROWS = 100_000;
const WINDOW_ROWS = 5_000;
const SPAN_MS = 2 * WINDOW_MS;
const CHUNK = 500;
const RUNS = 3;
const START_MS = Date.UTC(2026, 0, 1);
const logger = pino({ level: 'silent' });
const names = featureNames(FEATURES);

progress(`references of ${FEATURES} features, with and without the multivariate block`);
const trainingRows = numericRows(20_000, FEATURES, 1);
const buildStart = performance.now();
const plainRef = ReferenceDistribution.fromRows(trainingRows, { featureNames: names, modelVersion: VERSION });
const plainBuildMs = performance.now() - buildStart;
const mvStart = performance.now();
const mvRef = ReferenceDistribution.fromRows(trainingRows, { featureNames: names, modelVersion: VERSION, multivariate: true });
const mvBuildMs = performance.now() - mvStart;
const D = mvRef.multivariate!.spec.features;
// The cheaper map of docs/multivariate.md, "Cost": cosine and sine pairs, D/2 projections for the same D.
const mvPairRef = ReferenceDistribution.fromRows(trainingRows, { featureNames: names, modelVersion: VERSION, multivariate: { map: 'cos-sin' } });

// State per pane.
const paneWith = new FeatureSetAccumulator(mvRef.signals).byteSize;
const paneWithout = new FeatureSetAccumulator(mvRef.signals, null).byteSize;

// Time per event: the same rows recorded with and without the state.
const recordRows = numericRows(RECORD_ROWS, FEATURES, 5);
const recordWith = await timeRuns(() => new FeatureSetAccumulator(mvRef.signals).recordArrays(recordRows), RUNS);
const recordWithout = await timeRuns(() => new FeatureSetAccumulator(mvRef.signals, null).recordArrays(recordRows), RUNS);
const recordPair = await timeRuns(() => new FeatureSetAccumulator(mvPairRef.signals).recordArrays(recordRows), RUNS);
setMapKernelEnabled(false);
const recordScalar = await timeRuns(() => new FeatureSetAccumulator(mvRef.signals).recordArrays(recordRows), RUNS);
setMapKernelEnabled(true);
const nsPerEvent = (ms: number[]) => (median(ms) * 1e6) / RECORD_ROWS;

// Time per window: the same accumulated window scored with the score on and off.
const window = new FeatureSetAccumulator(mvRef.signals);
window.recordArrays(numericRows(WINDOW_ROWS, FEATURES, 9));
const on = new DriftDetector();
const off = new DriftDetector({ multivariate: false });
const EVALS = 200;
const evalWith = await timeRuns(() => {
  for (let i = 0; i < EVALS; i++) on.evaluate(window, mvRef);
}, RUNS);
const evalWithout = await timeRuns(() => {
  for (let i = 0; i < EVALS; i++) off.evaluate(window, mvRef);
}, RUNS);
const msPerWindow = (ms: number[]) => median(ms) / EVALS;

// In-process ingest.
async function referenceDirOf(reference: ReferenceDistribution): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-bench-multivariate-'));
  await saveReference(reference, join(dir, VERSION, 'reference_distribution.json'));
  return dir;
}
progress(`${EVENTS.toLocaleString()} events`);
const messages: SourceMessage[] = [];
let bytes = 0;
for (let from = 0; from < EVENTS; from += 10_000) {
  numericRows(10_000, FEATURES, 7 + from).forEach((row, k) => {
    const offset = from + k;
    const timestampMs = START_MS + Math.floor((offset * SPAN_MS) / EVENTS);
    const value = Buffer.from(JSON.stringify({ model: MODEL, model_version: VERSION, timestamp: new Date(timestampMs).toISOString(), features: toObject(row, names) }));
    bytes += value.length;
    messages.push({ topic: 'predictions', partition: 0, offset, timestampMs, key: null, value, headers: {} });
  });
}

async function pipelineRun(dir: string) {
  const references = new ReferenceStore(dir, logger);
  await references.loadAll();
  let outcome = { evaluations: 0, fast: 0, slow: 0, scored: false };
  const run = async () => {
    const metrics = serviceMetrics();
    const exporter = new InMemoryExporter();
    const engine = benchEngine({
      referenceFor: (model, version) => references.get(model, version),
    });
    let dead = 0;
    const pipeline = new Pipeline({
      engine,
      references,
      exporters: [exporter],
      deadLetters: { send: async (items) => void (dead += items.length) },
      metrics: runtimeMetrics(metrics),
      logger,
      defaults: {},
      maxClockSkewMs: Number.POSITIVE_INFINITY,
    });
    for (let i = 0; i < messages.length; i += CHUNK) {
      await pipeline.ingest(messages.slice(i, i + CHUNK));
      await pipeline.runDue();
    }
    const consumed = (await metrics.eventsConsumed.get()).values.reduce((s, v) => s + v.value, 0);
    if (consumed !== EVENTS || dead > 0) throw new Error(`pipeline recorded ${consumed} of ${EVENTS} events (${dead} dead letters)`);
    const last = exporter.evaluations.at(-1)?.checks[0]?.check;
    outcome = { evaluations: exporter.evaluations.length, ...pipeline.decoder.counts, scored: last?.multivariate !== undefined };
  };
  return { run, outcome: () => outcome };
}

const plain = await pipelineRun(await referenceDirOf(plainRef));
const mv = await pipelineRun(await referenceDirOf(mvRef));
const mvPair = await pipelineRun(await referenceDirOf(mvPairRef));
progress(`ingest without multivariate: 1 warm-up + ${RUNS} runs`);
const plainMs = await timeRuns(plain.run, RUNS);
progress(`ingest with multivariate: 1 warm-up + ${RUNS} runs`);
const mvMs = await timeRuns(mv.run, RUNS);
progress(`ingest with multivariate, cos-sin map: 1 warm-up + ${RUNS} runs`);
const mvPairMs = await timeRuns(mvPair.run, RUNS);
progress(`ingest with multivariate, the map kernel off: 1 warm-up + ${RUNS} runs`);
setMapKernelEnabled(false);
const mvScalarMs = await timeRuns(mv.run, RUNS);
setMapKernelEnabled(true);
const rate = (ms: number[]) => EVENTS / (median(ms) / 1000);
const runs = (ms: number[]) => ms.map((t) => t.toFixed(0)).join('/');
const describe = (ms: number[], o: ReturnType<typeof plain.outcome>) =>
  `${runs(ms)} ms; ${o.fast.toLocaleString()} fast-decoded, ${o.slow.toLocaleString()} by JSON.parse, ${o.evaluations} evaluations, multivariate scored: ${o.scored}`;

const figures: Figure[] = [
  {
    name: `state per pane, ${FEATURES} features, D = ${D}`,
    value: paneWith,
    unit: 'B',
    baseline: { name: 'same pane without the multivariate state', value: paneWithout },
    note: `+${paneWith - paneWithout} B (${(((paneWith - paneWithout) / paneWithout) * 100).toFixed(1)} %): Σφ (${D} doubles) and the row count`,
  },
  {
    name: `record one event into a pane, ${FEATURES} features`,
    value: nsPerEvent(recordWith),
    unit: 'ns',
    baseline: { name: 'same rows, no multivariate state', value: nsPerEvent(recordWithout) },
    note: `recordArrays of ${RECORD_ROWS.toLocaleString()} rows, median of ${RUNS} (${runs(recordWith)} ms against ${runs(recordWithout)} ms); the map costs ${(nsPerEvent(recordWith) - nsPerEvent(recordWithout)).toFixed(0)} ns an event`,
  },
  {
    name: `record one event into a pane, ${FEATURES} features, cos-sin map`,
    value: nsPerEvent(recordPair),
    unit: 'ns',
    baseline: { name: 'same rows, no multivariate state', value: nsPerEvent(recordWithout) },
    note: `${runs(recordPair)} ms; the map costs ${(nsPerEvent(recordPair) - nsPerEvent(recordWithout)).toFixed(0)} ns an event (phase map: ${(nsPerEvent(recordWith) - nsPerEvent(recordWithout)).toFixed(0)} ns)`,
  },
  {
    name: `record one event into a pane, ${FEATURES} features, the map kernel off`,
    value: nsPerEvent(recordScalar),
    unit: 'ns',
    baseline: { name: 'same rows, no multivariate state', value: nsPerEvent(recordWithout) },
    note: `${runs(recordScalar)} ms; the JavaScript loops cost ${(nsPerEvent(recordScalar) - nsPerEvent(recordWithout)).toFixed(0)} ns an event, the WebAssembly kernel ${(nsPerEvent(recordWith) - nsPerEvent(recordWithout)).toFixed(0)} ns`,
  },
  {
    name: `evaluate one ${WINDOW_ROWS.toLocaleString()}-row window`,
    value: msPerWindow(evalWith),
    unit: 'ms',
    baseline: { name: 'same window, multivariate: false', value: msPerWindow(evalWithout) },
    note: `${EVALS} evaluations per run, median of ${RUNS}; the score adds ${((msPerWindow(evalWith) - msPerWindow(evalWithout)) * 1000).toFixed(1)} µs a window`,
  },
  {
    name: `pipeline ${FEATURES} features with multivariate, events/s`,
    value: rate(mvMs),
    unit: 'ev/s',
    baseline: { name: 'same events, reference without the multivariate block', value: rate(plainMs) },
    target: { kind: 'min', value: rate(plainMs) / 2 },
    note: `median of ${RUNS} after 1 warm-up, ${(bytes / EVENTS).toFixed(0)} B an event; with ${describe(mvMs, mv.outcome())}; without ${describe(plainMs, plain.outcome())}; ratio ${(rate(mvMs) / rate(plainMs)).toFixed(2)} (target ≥ 0.5)`,
  },
  {
    name: `pipeline ${FEATURES} features with multivariate, cos-sin map (D = ${D}), events/s`,
    value: rate(mvPairMs),
    unit: 'ev/s',
    baseline: { name: 'same events, reference without the multivariate block', value: rate(plainMs) },
    target: { kind: 'min', value: rate(plainMs) / 2 },
    note: `median of ${RUNS} after 1 warm-up; with ${describe(mvPairMs, mvPair.outcome())}; ratio ${(rate(mvPairMs) / rate(plainMs)).toFixed(2)}`,
  },
  {
    name: `pipeline ${FEATURES} features with multivariate, the map kernel off, events/s`,
    value: rate(mvScalarMs),
    unit: 'ev/s',
    baseline: { name: 'same events, reference without the multivariate block', value: rate(plainMs) },
    note: `median of ${RUNS} after 1 warm-up; with ${describe(mvScalarMs, mv.outcome())}; ratio ${(rate(mvScalarMs) / rate(plainMs)).toFixed(2)} (the JavaScript loops)`,
  },
  {
    name: `reference build, 20,000 rows × ${FEATURES} features, with multivariate`,
    value: mvBuildMs,
    unit: 'ms',
    baseline: { name: 'same rows without (no calibration either way)', value: plainBuildMs },
    note: 'one build each, not a median',
  },
];
report('multivariate (issue 12, in-process)', figures);
