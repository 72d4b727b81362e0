/**
 * Issue 17, item 2 — does the batch check's binning pay for a second thread? `DriftDetector.detect`
 * on 100,000 × 100 array rows single-threaded, against the same check split over the main thread
 * and one worker (detect-worker.ts): the rows are JavaScript arrays that a worker cannot read,
 * so the main thread first copies the worker's share of the columns into Float64Arrays over
 * SharedArrayBuffers (values that are not finite numbers it records itself), posts them, bins
 * the other columns itself (recordColumn, as recordArrays does), then merges the worker's
 * counts and exact tail sums into the same accumulator and evaluates it. The worker and the
 * shared arrays are made once, before the timings (a kept pool); the reference is built once.
 *
 * A measurement of whether it pays, not the product: the library stays single-threaded
 * (docs/benchmarks.md, "Column kernels, third round"). BENCH_DETECT_SHARE (default 0.45) is the
 * worker's share of the features; BENCH_DETECT_RUNS (default 5) the runs per side.
 */
import { Worker } from 'node:worker_threads';
import { DriftDetector } from '../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { ExactSum } from '../../src/core/stats/histogram.js';
import { FeatureSetAccumulator, type NumericAccumulator } from '../../src/core/stats/index.js';
import { featureNames, numericRows } from './data.js';
import { collectGarbage, machineLoad, median, progress, report, type Figure } from './harness.js';
import type { DetectAnswer, DetectRequest } from './detect-worker.js';

const ROWS = 100_000;
const FEATURES = 100;
const SHARE = Number(process.env.BENCH_DETECT_SHARE ?? 0.45);
const RUNS = Number(process.env.BENCH_DETECT_RUNS ?? 5);

const t0 = performance.now();
// tsx's loader does not reach a worker's .ts entry (Node 20): the worker registers it, then imports the entry.
const entry = new URL('./detect-worker.ts', import.meta.url).href;
const worker = new Worker(`import('tsx/esm/api').then((tsx) => { tsx.register(); return import(${JSON.stringify(entry)}); });`, { eval: true });
let nextId = 0;
const pending = new Map<number, (answer: DetectAnswer) => void>();
worker.on('message', (m: DetectAnswer) => pending.get(m.id)!(m));
const ask = (request: Omit<DetectRequest, 'id'>) =>
  new Promise<DetectAnswer>((resolve) => {
    const id = nextId++;
    pending.set(id, resolve);
    worker.postMessage({ ...request, id });
  });
await ask({ columns: [Float64Array.of(1)], rows: 1, edges: [Float64Array.of(0)], min: [0], max: [1] });
const workerStartMs = performance.now() - t0;

const names = featureNames(FEATURES);
progress(`generating ${ROWS.toLocaleString()} × ${FEATURES} rows, building the reference`);
const reference = ReferenceDistribution.fromRows(numericRows(ROWS, FEATURES, 1), { featureNames: names });
const current = numericRows(ROWS, FEATURES, 2, 1);
const detector = new DriftDetector({ now: () => new Date(0) });

// The worker takes the last features (every feature here is numeric).
const split = FEATURES - Math.round(SHARE * FEATURES);
const theirs = Array.from({ length: FEATURES - split }, (_, j) => split + j);
/** Milliseconds of each parallel run: the copy, the main thread's own share, the wait for the worker after it. */
const phases: { copy: number; main: number; wait: number }[] = [];
const shared = theirs.map(() => new Float64Array(new SharedArrayBuffer(8 * ROWS)));

async function parallelDetect(rows: number[][]) {
  const tStart = performance.now();
  const acc = new FeatureSetAccumulator(reference.signals);
  const features = acc.features as NumericAccumulator[];
  // The worker's columns, row-major: one pass over the rows.
  const width = theirs.length;
  for (let r = 0; r < rows.length; r++) {
    const row = rows[r];
    for (let k = 0; k < width; k++) {
      const raw: unknown = row[split + k];
      if (typeof raw === 'number' && raw - raw === 0) shared[k][r] = raw;
      else {
        shared[k][r] = Number.NaN;
        features[split + k].record(raw);
      }
    }
  }
  const tCopy = performance.now();
  const answer = ask({
    columns: shared,
    rows: rows.length,
    edges: theirs.map((i) => features[i].model.fineEdges),
    min: theirs.map((i) => features[i].model.summary.min),
    max: theirs.map((i) => features[i].model.summary.max),
  });
  const tPosted = performance.now();
  // The main thread's share through the library's own column kernel: an accumulator on the
  // first `split` features records the first `split` values of every row (recordArrays).
  const mine = new FeatureSetAccumulator(reference.signals.slice(0, split), null);
  mine.recordArrays(rows);
  for (let i = 0; i < split; i++) features[i].merge(mine.features[i] as NumericAccumulator);
  const tMain = performance.now();
  const got = await answer;
  const tWait = performance.now();
  phases.push({ copy: tCopy - tStart, main: tMain - tPosted, wait: tWait - tMain });
  theirs.forEach((i, k) => {
    const { histogram, below, above } = features[i];
    const counts = got.counts[k];
    for (let b = 0; b < counts.length; b++) histogram.counts[b] += counts[b];
    histogram.total += got.totals[k];
    below.merge(ExactSum.fromParts(got.below[k]));
    above.merge(ExactSum.fromParts(got.above[k]));
  });
  acc.rows += rows.length;
  return detector.evaluate(acc, reference);
}

progress(`checking that both give the same result (${machineLoad()})`);
const same = JSON.stringify(detector.detect(current, reference)) === JSON.stringify(await parallelDetect(current));
phases.length = 0;
const singleMs: number[] = [];
const parallelMs: number[] = [];
const loads: string[] = [];
for (let r = 0; r < RUNS; r++) {
  collectGarbage();
  let t = performance.now();
  detector.detect(current, reference);
  singleMs.push(performance.now() - t);
  collectGarbage();
  t = performance.now();
  await parallelDetect(current);
  parallelMs.push(performance.now() - t);
  loads.push(machineLoad());
}
const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const figures: Figure[] = [
  {
    name: `detect ${ROWS / 1000}k × ${FEATURES}, main thread + 1 worker (${theirs.length} features on it)`,
    value: median(parallelMs),
    unit: 'ms',
    baseline: { name: 'DriftDetector.detect, single-threaded', value: median(singleMs) },
    note:
      `median of ${RUNS}, alternating; ${range(parallelMs)} ms vs ${range(singleMs)} ms single (×${(median(singleMs) / median(parallelMs)).toFixed(2)}); results ${same ? 'identical' : 'DIFFERENT'}; ` +
      `of the parallel runs: copying the worker's columns ${range(phases.map((p) => p.copy))} ms, the main thread's ${split} features ${range(phases.map((p) => p.main))} ms, ` +
      `then waiting for the worker ${range(phases.map((p) => p.wait))} ms; load per run: ${loads.join(' | ')}`,
  },
  {
    name: "the main thread's part alone (copy + its features)",
    value: median(phases.map((p) => p.copy + p.main)),
    unit: 'ms',
    baseline: { name: 'DriftDetector.detect, single-threaded', value: median(singleMs) },
    note: 'what the parallel check costs even with a worker that is free and instant: it pays only if this is well below the single-threaded check',
  },
  { name: 'worker start-up (tsx, modules loaded, first answer)', value: workerStartMs, unit: 'ms' },
];
await worker.terminate();
report('parallel-detect (issue 17, item 2: a second thread for the binning)', figures);
