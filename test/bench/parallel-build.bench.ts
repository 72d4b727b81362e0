/**
 * Issue 17, item 2 — does the reference build pay for a second thread, and from what size?
 * The numeric columns of n rows × 100 features are built single-threaded (readNumericColumns +
 * buildNumeric, what `ReferenceDistribution.fromRows` does) and split over the main thread and
 * one worker (build-worker.ts): the main thread reads every column, transfers every other one
 * to the worker (no copy) and builds the rest itself. The worker is started once, before the
 * timings; its start-up is reported beside them. Wall time, several sizes, alternating runs.
 *
 * This is a measurement of the crossover, not the product: the library stays single-threaded
 * until it pays on the machines it runs on (docs/benchmarks.md).
 */
import { Worker } from 'node:worker_threads';
import { buildNumeric, readNumericColumns, DEFAULT_FINE_BINS, DEFAULT_PSI_BINS, type BuiltFeature } from '../../src/core/reference/build.js';
import { featureNames, numericRows } from './data.js';
import { collectGarbage, machineLoad, median, progress, report, type Figure } from './harness.js';
import type { BuildRequest } from './build-worker.js';

const FEATURES = 100;
const SIZES = (process.env.BENCH_PARALLEL_SIZES ?? '2000,10000,30000,100000').split(',').map(Number);
const RUNS = Number(process.env.BENCH_PARALLEL_RUNS ?? 5);
const names = featureNames(FEATURES);
const indices = names.map((_, i) => i);

const t0 = performance.now();
// tsx's loader does not reach a worker's .ts entry (Node 20): the worker registers it, then imports the entry.
const entry = new URL('./build-worker.ts', import.meta.url).href;
const worker = new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
let nextId = 0;
const pending = new Map<number, (built: BuiltFeature[]) => void>();
worker.on('message', (m: { id: number; built: BuiltFeature[] }) => pending.get(m.id)!(m.built));
const ask = (request: Omit<BuildRequest, 'id'>, transfer: ArrayBuffer[]) =>
  new Promise<BuiltFeature[]>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    worker.postMessage({ ...request, id }, transfer);
  });
// A first request: the worker has loaded its modules once this answers.
await ask({ columns: [{ name: 'x', values: Float64Array.of(1, 2, 3), missing: 0, invalid: 0 }], psiBins: DEFAULT_PSI_BINS, fineBins: DEFAULT_FINE_BINS }, []);
const workerStartMs = performance.now() - t0;

function single(rows: number[][]): BuiltFeature[] {
  return readNumericColumns(rows, indices, names).map((c, i) => buildNumeric(names[i], c, DEFAULT_PSI_BINS, DEFAULT_FINE_BINS));
}

async function parallel(rows: number[][]): Promise<BuiltFeature[]> {
  const columns = readNumericColumns(rows, indices, names);
  const sent = columns.map((c, i) => ({ ...c, name: names[i] })).filter((_, i) => i % 2 === 1);
  const answer = ask(
    { columns: sent, psiBins: DEFAULT_PSI_BINS, fineBins: DEFAULT_FINE_BINS },
    sent.map((c) => c.values.buffer as ArrayBuffer),
  );
  const mine = columns.flatMap((c, i) => (i % 2 === 0 ? [buildNumeric(names[i], c, DEFAULT_PSI_BINS, DEFAULT_FINE_BINS)] : []));
  const theirs = await answer;
  return names.map((_, i) => (i % 2 === 0 ? mine[i >> 1] : theirs[i >> 1]));
}

/** The model as text, typed arrays included, to hold the two builds to the same result. */
const fingerprint = ({ model }: BuiltFeature) =>
  JSON.stringify(model, (_, v: unknown) => (ArrayBuffer.isView(v) ? Array.from(v as Float64Array) : v instanceof Map ? [...(v as Map<unknown, unknown>)] : v));

const figures: Figure[] = [];
for (const n of SIZES) {
  progress(`${n.toLocaleString()} × ${FEATURES}: ${RUNS} runs each, alternating (${machineLoad()})`);
  const rows = numericRows(n, FEATURES, 1);
  const a = single(rows);
  const b = await parallel(rows);
  const same = a.every((f, i) => fingerprint(f) === fingerprint(b[i]));
  const singleMs: number[] = [];
  const parallelMs: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    collectGarbage();
    let t = performance.now();
    single(rows);
    singleMs.push(performance.now() - t);
    collectGarbage();
    t = performance.now();
    await parallel(rows);
    parallelMs.push(performance.now() - t);
  }
  const range = (xs: number[]) => `${Math.min(...xs).toFixed(1)}–${Math.max(...xs).toFixed(1)}`;
  figures.push({
    name: `build ${n.toLocaleString()} × ${FEATURES}, main thread + 1 worker`,
    value: median(parallelMs),
    unit: 'ms',
    baseline: { name: 'single-threaded', value: median(singleMs) },
    note: `median of ${RUNS}; ${range(parallelMs)} ms vs ${range(singleMs)} ms single (×${(median(singleMs) / median(parallelMs)).toFixed(2)} speed-up); models ${same ? 'identical' : 'DIFFERENT'}; ${machineLoad()}`,
  });
}
figures.push({ name: 'worker start-up (tsx, modules loaded, first answer)', value: workerStartMs, unit: 'ms' });
await worker.terminate();
report('parallel-build (issue 17, item 2: the crossover)', figures);
