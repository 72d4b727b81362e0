/**
 * The reference build's calibration over worker threads (issue 17 item 2; docs/benchmarks.md,
 * "Worker threads"). A Calibrator (core/reference/calibration.ts) that calibrates each distinct
 * counts array once and, when the work is large enough to pay for starting threads, shares it
 * with worker threads: the main thread and each worker claim the next array from one shared
 * counter (Atomics), so a slow or late worker takes less. The main thread then waits for the
 * workers that took any (Atomics.wait) and reads their answers synchronously
 * (receiveMessageOnPort): fromRows stays synchronous. calibrateFeature is seeded by the
 * settings and the counts alone, so the quantiles are the same whichever thread drew them.
 */
import { availableParallelism } from 'node:os';
import { MessageChannel, receiveMessageOnPort, Worker, type MessagePort } from 'node:worker_threads';
import { calibrateFeature, calibrateFeatures, calibrationKey, occupiedBins, type Calibrator, type FeatureCalibration } from '../../core/reference/calibration.js';
import { CLAIM, DONE, type CalibrationAnswer, type CalibrationJob } from './calibration-protocol.js';

export interface CalibrationPoolOptions {
  /** Threads in all, the main one included; 1 is single-threaded. Default: the available parallelism, at most 4. */
  threads?: number;
  /**
   * Estimated work (occupied bins × draws, summed over the distinct counts) below which no
   * thread is started. Default MIN_PARALLEL_WORK: about 0.5 s of calibration on one core.
   */
  minWork?: number;
  /** False leaves every draw to the workers, the main thread only waiting (tests hold the workers' answers to the single-threaded ones). Default true. */
  mainThreadDraws?: boolean;
}

/**
 * About 0.5 s of calibration on one core (17 features of 10 bins on the default grid; 0.13 µs a
 * bin and draw on the development machine): a worker takes about 40 ms to start and load, and
 * starts with cold code. On 2 shared cores the crossover moved with the load: 16 features did
 * not pay in one sitting (load 6), 8 did in another (load 7.7), 100 always did
 * (docs/benchmarks.md, "Worker threads").
 */
export const MIN_PARALLEL_WORK = 4_000_000;
const MAX_DEFAULT_THREADS = 4;
/** A worker that has not answered by then is taken as lost (a calibration of 100 features takes seconds). */
const WORKER_TIMEOUT_MS = 30 * 60_000;
/** The main thread waits on one worker's flag at a time, this long, then looks at every worker's. */
const WAIT_SLICE_MS = 5;

const workerEntry = (() => {
  const self = import.meta.url;
  // Run from the sources (tsx, vitest) the entry is the .ts file and the worker needs tsx's loader.
  return self.endsWith('.ts') ? { url: new URL('./calibration-worker.ts', self).href, tsx: true } : { url: new URL('./calibration-worker.js', self).href, tsx: false };
})();

/**
 * The worker's bootstrap, plain JavaScript: a failure to load the entry is posted like any
 * other, so the main thread never waits for a worker that cannot answer.
 */
const BOOTSTRAP = `
const { workerData } = require('node:worker_threads');
const fail = (error) => {
  workerData.port.postMessage({ error: String((error && error.stack) || error) });
  Atomics.store(workerData.flags, ${DONE}, 1);
  Atomics.notify(workerData.flags, ${DONE});
};
(async () => {
  if (workerData.tsx) (await import('tsx/esm/api')).register();
  await import(workerData.entry);
})().catch(fail);
`;

/** The number of threads the pool uses by default: the cores this process may use, at most 4. */
export function defaultThreads(): number {
  return Math.max(1, Math.min(MAX_DEFAULT_THREADS, availableParallelism()));
}

/** A Calibrator over worker threads; single-threaded below options.minWork. */
export function threadedCalibrator(options: CalibrationPoolOptions = {}): Calibrator {
  const threads = options.threads ?? defaultThreads();
  if (!Number.isInteger(threads) || threads < 1) throw new RangeError(`threads (${threads}) must be an integer ≥ 1`);
  const minWork = options.minWork ?? MIN_PARALLEL_WORK;
  const mainThreadDraws = options.mainThreadDraws ?? true;
  return (referenceCounts, settings) => {
    if (threads === 1) return calibrateFeatures(referenceCounts, settings);
    // Distinct counts only: features with the same counts share one calibration (calibrateFeature's memo).
    const slot = new Map<string, number>();
    const distinct: Float64Array[] = [];
    const slots = referenceCounts.map((counts) => {
      const key = calibrationKey(counts);
      if (key === null) return -1;
      let at = slot.get(key);
      if (at === undefined) {
        slot.set(key, (at = distinct.length));
        distinct.push(counts);
      }
      return at;
    });
    const drawsPerFeature = settings.replicates * settings.sizes.length;
    const work = distinct.reduce((sum, counts) => sum + occupiedBins(counts) * drawsPerFeature, 0);
    const workers = mainThreadDraws ? Math.min(threads - 1, distinct.length - 1) : Math.min(threads - 1, distinct.length);
    if (workers < 1 || work < minWork) return calibrateFeatures(referenceCounts, settings);
    const results = calibrateShared(distinct, settings, workers, mainThreadDraws);
    return slots.map((at) => (at < 0 ? null : cloneCalibration(results[at]!)));
  };
}

interface Started {
  worker: Worker;
  port: MessagePort;
  /** This worker's flags: DONE is 1 once its answer is posted. */
  flags: Int32Array;
}

function calibrateShared(distinct: Float64Array[], settings: Parameters<Calibrator>[1], workers: number, mainThreadDraws: boolean): (FeatureCalibration | null)[] {
  const claim = new Int32Array(new SharedArrayBuffer(4));
  const job: CalibrationJob = { counts: distinct, settings };
  const started: Started[] = [];
  try {
    for (let w = 0; w < workers; w++) started.push(startWorker(claim, job));
    const results: (FeatureCalibration | null | undefined)[] = new Array(distinct.length);
    if (mainThreadDraws) for (let i = Atomics.add(claim, CLAIM, 1); i < distinct.length; i = Atomics.add(claim, CLAIM, 1)) results[i] = calibrateFeature(distinct[i], settings);
    // Past here the main thread takes nothing more. The counter has passed every index: whatever is missing is being drawn by a worker. A
    // worker that took nothing (still starting when the main thread finished) is not waited for.
    const deadline = Date.now() + WORKER_TIMEOUT_MS;
    const pending = new Set(started);
    let missing = distinct.length - countDefined(results);
    while (missing > 0) {
      if (pending.size === 0) throw new Error(`the calibration worker threads left ${missing} of ${distinct.length} features undrawn`);
      if (Date.now() > deadline) throw new Error(`a calibration worker thread did not answer within ${WORKER_TIMEOUT_MS / 60_000} min`);
      for (const started of pending) {
        if (Atomics.load(started.flags, DONE) === 0) continue;
        pending.delete(started);
        const answer = receiveMessageOnPort(started.port)?.message as CalibrationAnswer | undefined;
        if (!answer) throw new Error('a calibration worker thread finished without an answer');
        if ('error' in answer) throw new Error(`a calibration worker thread failed (${workerEntry.url}): ${answer.error}`);
        for (const [i, calibration] of answer.computed) results[i] = calibration;
      }
      missing = distinct.length - countDefined(results);
      const next = pending.values().next();
      if (missing > 0 && !next.done) Atomics.wait(next.value.flags, DONE, 0, WAIT_SLICE_MS);
    }
    return results as (FeatureCalibration | null)[];
  } finally {
    for (const { worker, port } of started) {
      port.close();
      void worker.terminate();
    }
  }
}

function countDefined(values: readonly unknown[]): number {
  let n = 0;
  for (let i = 0; i < values.length; i++) if (values[i] !== undefined) n++;
  return n;
}

function startWorker(claim: Int32Array, job: CalibrationJob): Started {
  // Each worker has its own done flag beside the one shared claim counter.
  const flags = new Int32Array(new SharedArrayBuffer(8));
  const { port1, port2 } = new MessageChannel();
  const worker = new Worker(BOOTSTRAP, {
    eval: true,
    workerData: { port: port2, flags, claim, entry: workerEntry.url, tsx: workerEntry.tsx },
    transferList: [port2],
  });
  worker.unref();
  port1.postMessage(job);
  return { worker, port: port1, flags };
}

/** calibrateFeature hands out copies; so does the pool, one per feature. */
function cloneCalibration(calibration: FeatureCalibration | null): FeatureCalibration | null {
  return calibration && { psi: calibration.psi.map((row) => [...row]), js: calibration.js.map((row) => [...row]) };
}
