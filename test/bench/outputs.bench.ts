/**
 * Issue 12, item 1 — the cost of monitoring the model's outputs (docs/references-and-check.md,
 * "Model outputs"), in process: `Pipeline.ingest` + `runDue` (as in ingest.bench.ts) over the
 * same event bytes — 20 numeric features plus `prediction` and `confidence` — once against a
 * reference of the 20 features alone (the baseline, same run: the byte-level fast decoder) and
 * once against the same features with both outputs (events then take JSON.parse + zod, and the
 * panes hold two more histograms). Window 1 h sliding by 5 min over 2 h of event time.
 *
 * No target: the figure says what outputs cost today.
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
const logger = pino({ level: 'silent' });

const names = featureNames(FEATURES);
const u = mulberry32(3);
/** A model output per row: a score and its confidence. */
const outputsOf = () => {
  const prediction = u();
  return { prediction, confidence: Math.max(prediction, 1 - prediction) };
};

async function referenceDirOf(withOutputs: boolean): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-bench-outputs-'));
  const rows = numericRows(20_000, FEATURES, 1).map((row) => {
    const { prediction, confidence } = outputsOf();
    return withOutputs ? [...row, prediction, confidence] : row;
  });
  const reference = ReferenceDistribution.fromRows(rows, {
    featureNames: withOutputs ? [...names, 'prediction', 'confidence'] : names,
    modelVersion: VERSION,
    ...(withOutputs ? { outputs: ['prediction', 'confidence'] } : {}),
  });
  await saveReference(reference, join(dir, VERSION, 'reference_distribution.json'));
  return dir;
}

progress(`references of ${FEATURES} features, with and without outputs; ${EVENTS.toLocaleString()} events`);
const plainDir = await referenceDirOf(false);
const outputsDir = await referenceDirOf(true);
let bytes = 0;
const messages: SourceMessage[] = [];
for (let from = 0; from < EVENTS; from += 10_000) {
  const rows = numericRows(10_000, FEATURES, 7 + from);
  rows.forEach((row, k) => {
    const offset = from + k;
    const timestampMs = START_MS + Math.floor((offset * SPAN_MS) / EVENTS);
    const value = Buffer.from(
      JSON.stringify({ model: MODEL, model_version: VERSION, timestamp: new Date(timestampMs).toISOString(), features: toObject(row, names), ...outputsOf() }),
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
progress(`features and outputs: 1 warm-up + ${RUNS} runs`);
const outputsMs = await timeRuns(outputs.run, RUNS);
const rate = (ms: number[]) => EVENTS / (median(ms) / 1000);
const describe = (ms: number[], o: ReturnType<typeof plain.outcome>) =>
  `${ms.map((t) => t.toFixed(0)).join('/')} ms; ${o.fast.toLocaleString()} fast-decoded, ${o.slow.toLocaleString()} by JSON.parse, ${o.evaluations} evaluations, ${o.outputs} outputs scored`;
const figures: Figure[] = [
  {
    name: `pipeline ${FEATURES} features + prediction, confidence as outputs, events/s`,
    value: rate(outputsMs),
    unit: 'ev/s',
    baseline: { name: 'same events, reference of the features only', value: rate(plainMs) },
    note: `median of ${RUNS} after 1 warm-up, ${(bytes / EVENTS).toFixed(0)} B an event; with outputs ${describe(outputsMs, outputs.outcome())}; without ${describe(plainMs, plain.outcome())}; ratio ${(rate(outputsMs) / rate(plainMs)).toFixed(2)}`,
  },
];
report('outputs (issue 12, in-process)', figures);
