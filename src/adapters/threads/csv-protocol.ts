import type { CsvArrayOptions } from '../files/csv.js';

/** What the CSV worker reads: the file from `start` on, past the header the main thread read. */
export interface CsvJob {
  path: string;
  /** A byte offset just after an LF: the first record of the worker's part starts here. */
  start: number;
  header: readonly string[];
  crlf: boolean | null;
  options: CsvArrayOptions;
  /** `packed`: row-major chunks (the row path); `columns`: column blocks (the columnar path). */
  layout: 'packed' | 'columns';
}

/** The worker's messages, in order: row-major chunks or column blocks, then `done` or one error. */
export type CsvMessage =
  { rows: number; values: Float64Array } | { rows: number; columns: Float64Array[] } | { done: true } | { fallback: true } | { textColumn: string } | { error: string };
