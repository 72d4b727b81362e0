/**
 * Issue 12, item 1 — the cost of monitoring per-class probabilities (docs/references-and-check.md,
 * "Per-class probabilities"), in process: `Pipeline.ingest` + `runDue` (as in outputs.bench.ts)
 * over the same event bytes — 20 numeric features, a `prediction` and a three-class
 * `probabilities` object, no `confidence` (it defaults to the largest probability) — once against
 * a reference of the 20 features alone (the baseline, same run) and once against the same
 * features with `prediction`, `confidence` and the three class probabilities as outputs (five
 * more histograms per pane; the fast decoder reads the probabilities). Window 1 h sliding by
 * 5 min over 2 h of event time.
 *
 * No target: the figure says what class probabilities cost today.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { runtimeMetrics, serviceMetrics } from '../../src/adapters/http/metrics.js';
import { ReferenceStore } from '../../src/adapters/files/reference-store.js';
import { saveReference } from '../../src/adapters/files/reference-file.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { mulberry32 } from '../../src/core/reference/random.js';
import { InMemoryExporter } from '../../src/runtime/memory-exporter.js';
import { Pipeline, type SourceMessage } from '../../src/runtime/pipeline.js';
import { featureNames, numericRows, toObject } from './data.js';
import { benchEngine, MODEL, VERSION, WINDOW_MS } from './events.js';
import { median, progress, report, timeRuns, type Figure } from './harness.js';

const FEATURES = 20;
const EVENTS = 200_000;
const SPAN_MS = 2 * WINDOW_MS;
const CHUNK = 500;
const RUNS = 3;
const START_MS = Date.UTC(2026, 0, 1);
const CLASSES = ['approve', 'deny', 'review'] as const;
const logger = pino({ level: 'silent' });

const names = featureNames(FEATURES);
const u = mulberry32(3);
/** A model's outputs per row: three class probabilities (rounded like a model server's JSON) and the predicted class. */
const outputsOf = () => {
  const raw = CLASSES.map(() => u() + 0.05);
  const sum = raw.reduce((a, b) => a + b, 0);
  const p = raw.map((x) => Math.round((x / sum) * 1e6) / 1e6);
  const top = p.indexOf(Math.max(...p));
  return { prediction: CLASSES[top], confidence: p[top], probabilities: Object.fromEntries(CLASSES.map((c, i) => [c, p[i]])) };
};

async function referenceDirOf(withOutputs: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-bench-probabilities-'));
  const rows = numericRows(20_000, FEATURES, 1).map((row) => {
    const o = outputsOf();
    return withOutputs ? { ...toObject(row, names), prediction: o.prediction, confidence: o.confidence, probabilities: o.probabilities } : toObject(row, names);
  });
  const reference = ReferenceDistribution.fromRows(rows, {
    modelVersion: VERSION,
    ...(withOutputs ? { outputs: ['prediction', 'confidence', 'probabilities'] } : {}),
  });
  await saveReference(reference, join(dir, VERSION, 'reference_distribution.json'));
  return dir;
}

progress(`references of ${FEATURES} features, with and without prediction, confidence and ${CLASSES.length} class probabilities; ${EVENTS.toLocaleString()} events`);
const plainDir = await referenceDirOf(false);
const outputsDir = await referenceDirOf(true);
let bytes = 0;
const messages: SourceMessage[] = [];
for (let from = 0; from < EVENTS; from += 10_000) {
  const rows = numericRows(10_000, FEATURES, 7 + from);
  rows.forEach((row, k) => {
    const offset = from + k;
    const timestampMs = START_MS + Math.floor((offset * SPAN_MS) / EVENTS);
    const { prediction, probabilities } = outputsOf();
    const value = Buffer.from(
      JSON.stringify({ model: MODEL, model_version: VERSION, timestamp: new Date(timestampMs).toISOString(), features: toObject(row, names), prediction, probabilities }),
    );
    bytes += value.length;
    messages.push({ topic: 'predictions', partition: 0, offset, timestampMs, key: null, value, headers: {} });
  });
}
async function pipelineRun(dir: string) {
  const references = new ReferenceStore(dir, logger);
  await references.loadAll();
  let outcome = { evaluations: 0, fast: 0, slow: 0, outputs: 0 };
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
    outcome = { evaluations: exporter.evaluations.length, ...pipeline.decoder.counts, outputs: Object.keys(last?.outputs ?? {}).length };
  };
  return { run, outcome: () => outcome };
}

const plain = await pipelineRun(plainDir);
const outputs = await pipelineRun(outputsDir);
progress(`features only: 1 warm-up + ${RUNS} runs`);
const plainMs = await timeRuns(plain.run, RUNS);
progress(`features and class probabilities: 1 warm-up + ${RUNS} runs`);
const outputsMs = await timeRuns(outputs.run, RUNS);
const rate = (ms: number[]) => EVENTS / (median(ms) / 1000);
const describe = (ms: number[], o: ReturnType<typeof plain.outcome>) =>
  `${ms.map((t) => t.toFixed(0)).join('/')} ms; ${o.fast.toLocaleString()} fast-decoded, ${o.slow.toLocaleString()} by JSON.parse, ${o.evaluations} evaluations, ${o.outputs} outputs scored`;
const figures: Figure[] = [
  {
    name: `pipeline ${FEATURES} features + prediction, confidence, ${CLASSES.length} class probabilities as outputs, events/s`,
    value: rate(outputsMs),
    unit: 'ev/s',
    baseline: { name: 'same events, reference of the features only', value: rate(plainMs) },
    note: `median of ${RUNS} after 1 warm-up, ${(bytes / EVENTS).toFixed(0)} B an event; with outputs ${describe(outputsMs, outputs.outcome())}; without ${describe(plainMs, plain.outcome())}; ratio ${(rate(outputsMs) / rate(plainMs)).toFixed(2)}`,
  },
];
report('outputs: class probabilities (issue 12, in-process)', figures);
