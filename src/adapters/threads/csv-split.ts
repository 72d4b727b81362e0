/**
 * A large CSV file read on two threads (issue 17; docs/benchmarks.md, "Reading CSV: one pass
 * per field, and a second thread when a core is idle"). The file is cut at the first LF after
 * its middle: the main thread reads the first part with the scanner of adapters/files/csv.ts, a
 * worker thread reads the rest with the same scanner and posts its rows as row-major
 * Float64Arrays, which the main thread turns into row arrays as they arrive (`readCsvSplit`),
 * or as blocks of Float64Array columns, which the main thread appends to its own
 * (`readCsvSplitColumns`). The rows, errors and fallbacks are those of one scanner over the whole
 * file:
 * - the cut is kept only if the main thread's scanner ends a record exactly there (nothing
 *   held back). A quoted field with a line break across the cut leaves bytes held: the worker
 *   is stopped and the main thread reads on from the cut itself;
 * - the worker starts with the header and the record delimiter (LF or CRLF) the main thread
 *   read, so a file that mixes them falls back to csv-parse as it would in one pass;
 * - an error of the worker's part (a text field, a record csv-parse must read) is thrown only
 *   once the first part has been read without one, which is the order of one pass.
 * Only numeric columns go through the worker (no `text` columns, every column of `order` in the
 * header); anything else, and a worker that fails to start, is read in one pass.
 *
 * The second thread costs 15–25 % more CPU (its start, and on the row path turning its rows into arrays), and
 * pays only when a core is idle: on a busy machine the kernel shares the CPU between sessions
 * (autogroup), not threads, so a second thread gets no more of it. The split is therefore taken
 * only while a core is free for it (`idleCore`: the threads runnable now, or the load average).
 */
import { readFileSync } from 'node:fs';
import { open } from 'node:fs/promises';
import { availableParallelism, loadavg } from 'node:os';
import { Worker } from 'node:worker_threads';
import { CsvFallback, CsvScanner, fileChunks, TextColumn, type CsvArrayOptions, type CsvArrays, type CsvBlock, type CsvBlockSink, type CsvColumns } from '../files/csv.js';
import type { CsvJob, CsvMessage } from './csv-protocol.js';

/** Below this size a file is read in one pass: a worker takes about 40 ms to start and load. */
export const SPLIT_MIN_BYTES = 16 << 20; // 16 MiB
const CHUNK_BYTES = 1 << 20;

const workerEntry = (() => {
  const self = import.meta.url;
  // Run from the sources (tsx, vitest) the entry is the .ts file and the worker needs tsx's loader.
  return self.endsWith('.ts') ? { url: new URL('./csv-worker.ts', self).href, tsx: true } : { url: new URL('./csv-worker.js', self).href, tsx: false };
})();

/** The worker's bootstrap, plain JavaScript: a failure to load the entry is posted as an error. */
const BOOTSTRAP = `
const { parentPort, workerData } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import('tsx/esm/api')).register();
  await import(workerData.entry);
})().catch((error) => parentPort.postMessage({ error: String((error && error.stack) || error) }));
`;

/** The offset just after the first LF at or after the middle of the file; null when none is near. */
async function cutOf(path: string, size: number): Promise<number | null> {
  const file = await open(path, 'r');
  try {
    const middle = Math.floor(size / 2);
    const probe = Buffer.alloc(Math.min(CHUNK_BYTES, size - middle));
    const { bytesRead } = await file.read(probe, 0, probe.length, middle);
    const at = probe.subarray(0, bytesRead).indexOf(10);
    return at < 0 || middle + at + 1 >= size ? null : middle + at + 1;
  } finally {
    await file.close();
  }
}

/** A worker thread reading the file from `job.start`; its rows arrive in `rows` (or `blocks`), in order. */
class PartReader {
  readonly rows: unknown[][] = [];
  readonly blocks: CsvBlock[] = [];
  private readonly worker: Worker;
  private readonly outcome: Promise<CsvMessage>;

  constructor(job: CsvJob) {
    const width = (job.options.order ?? job.header).length;
    this.worker = new Worker(BOOTSTRAP, { eval: true, workerData: { job, entry: workerEntry.url, tsx: workerEntry.tsx } });
    this.worker.unref();
    this.outcome = new Promise((resolve) => {
      this.worker.on('message', (message: CsvMessage) => {
        if ('values' in message) this.take(message.rows, message.values, width);
        else if ('columns' in message) this.blocks.push(message);
        else resolve(message);
      });
      this.worker.on('error', (error) => resolve({ error: String(error) }));
      this.worker.on('exit', (code) => resolve({ error: `exited with code ${code}` }));
    });
  }

  private take(count: number, values: Float64Array, width: number): void {
    const rows = this.rows;
    for (let r = 0, at = 0; r < count; r++) {
      const row = new Array<number>(width);
      for (let k = 0; k < width; k++) row[k] = values[at++];
      rows.push(row);
    }
  }

  /** The worker's last message: done, an error of its part, or a failure of the thread. */
  result(): Promise<CsvMessage> {
    return this.outcome;
  }

  stop(): void {
    void this.worker.terminate();
  }
}

export interface SplitOptions {
  /** Files below this size are read in one pass (default SPLIT_MIN_BYTES). */
  minBytes?: number;
  /** Split whatever the machine's load (tests); default: only while a core is idle. */
  always?: boolean;
}

/** What idleCore reads of the machine (tests pass their own). */
export interface LoadProbe {
  /** Threads runnable at this instant, this one included (Linux: /proc/loadavg's fourth field); null where unknown. */
  runnable(): number | null;
  /** The 1-minute load average. */
  loadAverage(): number;
  cores(): number;
  sleep(ms: number): Promise<void>;
}

const systemProbe: LoadProbe = {
  runnable() {
    try {
      const running = Number(readFileSync('/proc/loadavg', 'utf8').split(' ')[3]?.split('/')[0]);
      return Number.isInteger(running) && running > 0 ? running : null;
    } catch {
      return null;
    }
  },
  loadAverage: () => loadavg()[0],
  cores: () => availableParallelism(),
  sleep: (ms) => new Promise((resolve) => setTimeout(resolve, ms)),
};

/** Reads of the runnable count, 2 ms apart: a thread that just woke up is not a busy core. */
const RUNNABLE_READS = 5;

/**
 * Whether the second thread would get a core of its own now. Where the instant count of
 * runnable threads is known (Linux), the least of RUNNABLE_READS reads: a core is free when the
 * others leave two (this thread and the worker). Elsewhere the 1-minute load average, a core's
 * worth below the cores. The load average alone lags: a `check` run right after a `reference
 * build` saw the build's load of about 1 and read on one thread with both cores idle
 * (docs/benchmarks.md, "2026-12-03 on a quiet machine").
 */
export async function idleCore(probe: LoadProbe = systemProbe): Promise<boolean> {
  const cores = probe.cores();
  if (cores < 2) return false;
  let least = probe.runnable();
  if (least === null) return probe.loadAverage() <= cores - 1;
  for (let read = 1; read < RUNNABLE_READS && least > 1; read++) {
    await probe.sleep(2);
    least = Math.min(least, probe.runnable() ?? least);
  }
  // `least` counts this thread: the others must leave a core for the worker too.
  return least - 1 <= cores - 2;
}

/**
 * Reads a CSV file on two threads when it is large enough, its columns are numeric and a core is
 * idle (see above); null when not, for the caller to read it in one pass.
 */
export async function readCsvSplit(path: string, size: number, options: CsvArrayOptions, split: SplitOptions = {}): Promise<CsvArrays | null> {
  return readSplit(path, size, options, split, 'packed');
}

/**
 * The same read as readCsvSplit, giving blocks of columns (adapters/files/csv.ts, CsvColumns);
 * with `sink`, block by block in the file's order: the first part's as the main thread reads
 * them, then the worker's, which wait for it.
 */
export async function readCsvSplitColumns(path: string, size: number, options: CsvArrayOptions, split: SplitOptions = {}, sink?: CsvBlockSink): Promise<CsvColumns | null> {
  return readSplit(path, size, options, split, 'columns', sink);
}

async function readSplit(path: string, size: number, options: CsvArrayOptions, split: SplitOptions, layout: 'packed'): Promise<CsvArrays | null>;
async function readSplit(path: string, size: number, options: CsvArrayOptions, split: SplitOptions, layout: 'columns', sink?: CsvBlockSink): Promise<CsvColumns | null>;
async function readSplit(
  path: string,
  size: number,
  options: CsvArrayOptions,
  split: SplitOptions,
  layout: 'packed' | 'columns',
  sink?: CsvBlockSink,
): Promise<CsvArrays | CsvColumns | null> {
  if (size < (split.minBytes ?? SPLIT_MIN_BYTES) || (options.text ?? []).length > 0) return null;
  if (!split.always && !(await idleCore())) return null;
  const cut = await cutOf(path, size);
  if (cut === null) return null;
  const columnar = layout === 'columns';
  const scanner = new CsvScanner(options, undefined, columnar ? 'columns' : 'rows', sink);
  const done = (): CsvArrays | CsvColumns => {
    const head = scanner.finish();
    return columnar ? scanner.takeColumns() : head;
  };
  let part: PartReader | null = null;
  let tried = false;
  try {
    for await (const chunk of fileChunks(path, 0, cut)) {
      scanner.feed(chunk);
      const header = scanner.header;
      if (!tried && header) {
        tried = true;
        if ((options.order ?? []).every((name) => header.includes(name))) {
          try {
            part = new PartReader({ path, start: cut, header, crlf: scanner.crlf, options: { order: options.order, text: [] }, layout });
          } catch {
            part = null;
          }
        }
      }
    }
    if (part && scanner.held === 0 && scanner.header) {
      const outcome = await part.result();
      if ('done' in outcome) {
        if (columnar) {
          const head = done() as CsvColumns;
          for (const block of part.blocks.splice(0)) {
            if (sink) sink(block);
            else head.blocks.push(block);
            head.rows += block.rows;
          }
          return head;
        }
        const head = scanner.finish();
        const rows = head.rows;
        for (const row of part.rows) rows.push(row);
        return { header: head.header, rows };
      }
      if ('fallback' in outcome) throw new CsvFallback();
      if ('textColumn' in outcome) throw new TextColumn(outcome.textColumn);
      // The thread failed (not the input): the main thread reads the rest.
    }
    part?.stop();
    part = null;
    for await (const chunk of fileChunks(path, cut)) scanner.feed(chunk);
    return done();
  } finally {
    part?.stop();
  }
}
