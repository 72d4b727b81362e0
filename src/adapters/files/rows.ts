import { open, readFile, stat } from 'node:fs/promises';
import { extname } from 'node:path';
import { createRequire } from 'node:module';
import type * as CsvSync from 'csv-parse/sync';
import type { CsvError } from 'csv-parse/sync';
import { InputError } from '../../core/errors.js';
import { flattenProbabilities, PROBABILITIES } from '../../core/event/probabilities.js';
import { CsvFallback, fileChunks, scanCsv, scanCsvColumns, TextColumn, type CsvArrayOptions, type CsvBlockSink, type CsvColumns } from './csv.js';
import { readCsvSplit, readCsvSplitColumns } from '../threads/csv-split.js';

export type InputFormat = 'csv' | 'jsonl';

let csvSync: typeof CsvSync | undefined;

/**
 * csv-parse, loaded the first time the fast reader leaves a file to it (csv.ts): most inputs
 * never need it, and a command that reads a small file starts faster without it (issue 17,
 * start-up; docs/benchmarks.md). Loaded synchronously, so parseCsvRows stays synchronous.
 */
function csvParse(): typeof CsvSync {
  return (csvSync ??= createRequire(import.meta.url)('csv-parse/sync') as typeof CsvSync);
}

export interface InputRows {
  /** Rows keyed by column name (CSV, JSON Lines objects, or events' `features`). */
  rows: (Record<string, unknown> | unknown[])[];
  /** Column names seen (CSV header, or the union of object keys); null for array rows. */
  columns: string[] | null;
  format: InputFormat;
  /**
   * CSV read as columns (ReadOptions.csvColumns): the rows, column by column, and `rows` is
   * then empty. Absent when the rows are in `rows` (JSON Lines, or CSV read by csv-parse).
   */
  table?: CsvColumns;
}

/** The number of rows read, in `rows` or in `table`. */
export function rowCount(input: InputRows): number {
  return input.table ? input.table.rows : input.rows.length;
}

export interface ReadOptions {
  /**
   * CSV only: give the rows as arrays of the columns `order` names (default: the header's),
   * read by the fast reader (csv.ts): numbers as numbers, an empty field as NaN, the `text`
   * columns (and any column holding a field that is not a number) as the strings csv-parse
   * gives. For the batch commands, whose statistics read both forms alike; JSON Lines are
   * read as without it.
   */
  csvArrays?: CsvArrayOptions;
  /**
   * CSV only: the same read as `csvArrays`, giving the rows as columns (InputRows.table: a
   * Float64Array per numeric column, the strings of each text column), except for input the
   * fast reader leaves to csv-parse, which comes as array rows as with `csvArrays`.
   */
  csvColumns?: CsvArrayOptions;
  /**
   * With `csvColumns`: called as each read of the file starts (a column found to hold text
   * starts it over), it gives the function that takes that read's blocks as they are read
   * (csv.ts, CsvBlockSink); the table's `blocks` then stay empty.
   */
  csvBlocks?: () => CsvBlockSink;
  /** Called with the rows parsed so far (a progress line: adapters/console/progress.ts). */
  onRows?: (rows: number) => void;
}

/**
 * Reads rows from a CSV file with a header, or JSON Lines: one object per line, either the
 * features themselves or a prediction event whose `features` object (or `feature_vector`
 * array, in the reference's feature order) holds them. `-` reads standard input (`stdin`).
 */
export async function readRows(path: string, format?: InputFormat, stdin: AsyncIterable<Buffer | string> = process.stdin, options: ReadOptions = {}): Promise<InputRows> {
  const name = path === '-' ? 'stdin' : path;
  let bytes: Buffer | null = null;
  const fast = options.csvColumns ?? options.csvArrays;
  if (fast) {
    bytes = path === '-' ? await readStdinBytes(stdin) : null;
    const chosen = format ?? detectFormat(path, bytes ? bytes.subarray(0, 256).toString('latin1') : await readHead(path));
    if (chosen === 'csv') {
      const result = await readCsvArrays(path, name, bytes, fast, options.csvColumns !== undefined, options.csvBlocks);
      const count = rowCount(result);
      if (count === 0) throw new InputError(`${name}: the input holds no rows`, { context: { path: name } });
      options.onRows?.(count);
      return result;
    }
  }
  const text = bytes ? bytes.toString('utf8') : path === '-' ? await readStdin(stdin) : await readText(path);
  const chosen = format ?? detectFormat(path, text);
  const result = chosen === 'csv' ? parseCsvRows(text, name, options.onRows) : parseJsonLines(text, name, options.onRows);
  if (result.rows.length === 0) throw new InputError(`${name}: the input holds no rows`, { context: { path: name } });
  return result;
}

async function readText(path: string): Promise<string> {
  try {
    return await readFile(path, 'utf8');
  } catch (cause) {
    throw new InputError(`${path}: cannot read the input (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause, context: { path } });
  }
}

async function readStdin(stdin: AsyncIterable<Buffer | string>): Promise<string> {
  return (await readStdinBytes(stdin)).toString('utf8');
}

async function readStdinBytes(stdin: AsyncIterable<Buffer | string>): Promise<Buffer> {
  const chunks: Buffer[] = [];
  for await (const chunk of stdin) chunks.push(typeof chunk === 'string' ? Buffer.from(chunk, 'utf8') : chunk);
  return Buffer.concat(chunks);
}

/** The first bytes of a file, enough to tell JSON Lines from CSV. */
async function readHead(path: string): Promise<string> {
  try {
    const file = await open(path, 'r');
    try {
      const head = Buffer.alloc(256);
      const { bytesRead } = await file.read(head, 0, head.length, 0);
      return head.subarray(0, bytesRead).toString('latin1');
    } finally {
      await file.close();
    }
  } catch (cause) {
    throw new InputError(`${path}: cannot read the input (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause, context: { path } });
  }
}

async function* slices(bytes: Buffer): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length; i += 1 << 20) yield bytes.subarray(i, i + (1 << 20));
}

/**
 * CSV through the fast reader (csv.ts), in chunks of the file, as array rows or (`columnar`) as
 * columns; a column found to hold text is read again as text, and input the fast reader does
 * not take is read by csv-parse, whose rows (strings) are laid out the same way and whose errors
 * are the messages given.
 */
async function readCsvArrays(path: string, name: string, bytes: Buffer | null, options: CsvArrayOptions, columnar = false, blocks?: () => CsvBlockSink): Promise<InputRows> {
  const text = new Set(options.text ?? []);
  for (;;) {
    try {
      const chosen = { order: options.order, text: [...text] };
      const chunks = () => (bytes ? slices(bytes) : fileChunks(path));
      // A large file on two threads (adapters/threads/csv-split.ts), the same rows and errors.
      const size = bytes ? 0 : (await stat(path)).size;
      if (columnar) {
        const sink = blocks?.();
        const table = (bytes ? null : await readCsvSplitColumns(path, size, chosen, {}, sink)) ?? (await scanCsvColumns(chunks(), chosen, sink));
        return { rows: [], columns: table.header, format: 'csv', table };
      }
      const split = bytes ? null : await readCsvSplit(path, size, chosen);
      const { header, rows } = split ?? (await scanCsv(chunks(), chosen));
      return { rows, columns: header, format: 'csv' };
    } catch (error) {
      if (error instanceof TextColumn && !text.has(error.column)) {
        text.add(error.column);
        continue;
      }
      if (!(error instanceof CsvFallback)) {
        const code = (error as NodeJS.ErrnoException).code;
        if (code) throw new InputError(`${path}: cannot read the input (${code})`, { cause: error, context: { path } });
        throw error;
      }
    }
    const parsed = parseCsvRows(bytes ? bytes.toString('utf8') : await readText(path), name);
    const order = options.order ?? parsed.columns ?? [];
    const rows = (parsed.rows as Record<string, unknown>[]).map((row) => order.map((column) => row[column]));
    return { rows, columns: parsed.columns, format: 'csv' };
  }
}

export function detectFormat(path: string, text: string): InputFormat {
  const ext = extname(path).toLowerCase();
  if (ext === '.csv') return 'csv';
  if (ext === '.jsonl' || ext === '.ndjson' || ext === '.json') return 'jsonl';
  return /^\s*[{[]/.test(text) ? 'jsonl' : 'csv';
}

export function parseCsvRows(text: string, name = 'input', onRows?: (rows: number) => void): InputRows {
  let records: Record<string, string>[];
  let parsed = 0;
  try {
    records = csvParse().parse(text, {
      columns: true,
      skip_empty_lines: true,
      trim: true,
      bom: true,
      relax_column_count: false,
      ...(onRows ? { on_record: (record: Record<string, string>) => (onRows(++parsed), record) } : {}),
    });
  } catch (cause) {
    const err = cause as CsvError & { lines?: number; column?: string | number };
    const where = err.lines !== undefined ? `line ${err.lines}` : 'CSV';
    throw new InputError(`${name}: ${where}: ${err.message}`, { cause, context: { path: name, line: err.lines } });
  }
  const header = text.replace(/^\uFEFF/, '').split(/\r?\n/, 1)[0] ?? '';
  const columns = header.trim() === '' ? [] : Object.keys(records[0] ?? {});
  if (columns.length === 0 && records.length === 0 && header.trim() !== '') {
    return { rows: [], columns: header.split(',').map((c) => c.trim()), format: 'csv' };
  }
  return { rows: records, columns, format: 'csv' };
}

export function parseJsonLines(text: string, name = 'input', onRows?: (rows: number) => void): InputRows {
  const rows: (Record<string, unknown> | unknown[])[] = [];
  const columns = new Set<string>();
  let arrays = false;
  const lines = text.split('\n');
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i].trim();
    if (line === '') continue;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch (cause) {
      throw new InputError(`${name}: line ${i + 1}: not valid JSON (${(cause as Error).message})`, { cause, context: { path: name, line: i + 1 } });
    }
    const row = rowOf(value, name, i + 1);
    if (row === null) {
      throw new InputError(`${name}: line ${i + 1}: expected a JSON object of features (or an event with "features" or "feature_vector"), got ${describe(value)}`, {
        context: { path: name, line: i + 1 },
      });
    }
    if (Array.isArray(row)) arrays = true;
    else for (const key of Object.keys(row)) columns.add(key);
    rows.push(row);
    onRows?.(rows.length);
  }
  if (arrays && columns.size > 0) throw new InputError(`${name}: rows mix feature objects and feature_vector arrays`, { context: { path: name } });
  return { rows, columns: arrays ? null : [...columns], format: 'jsonl' };
}

function rowOf(value: unknown, name: string, line: number): Record<string, unknown> | unknown[] | null {
  if (Array.isArray(value)) return value;
  if (value === null || typeof value !== 'object') return null;
  const object = value as Record<string, unknown>;
  if (object.features !== null && typeof object.features === 'object' && !Array.isArray(object.features)) {
    // The model's outputs ride beside the features (docs/references-and-check.md, "Model outputs").
    if (!Object.hasOwn(object, 'prediction') && !Object.hasOwn(object, 'confidence') && !Object.hasOwn(object, PROBABILITIES)) return object.features as Record<string, unknown>;
    const row: Record<string, unknown> = { ...(object.features as Record<string, unknown>) };
    for (const output of ['prediction', 'confidence']) if (Object.hasOwn(object, output)) row[output] = object[output];
    return Object.hasOwn(object, PROBABILITIES) ? { ...row, ...flatProbabilities(object[PROBABILITIES], name, line) } : row;
  }
  if (Array.isArray(object.feature_vector)) return object.feature_vector;
  if (Object.hasOwn(object, PROBABILITIES)) {
    const { [PROBABILITIES]: probabilities, ...rest } = object;
    return { ...rest, ...flatProbabilities(probabilities, name, line) };
  }
  return object;
}

/** A row's `probabilities` object as `probability_<class>` columns (null: none); anything else is an error naming the line. */
function flatProbabilities(value: unknown, name: string, line: number): Record<string, unknown> {
  if (value === null || value === undefined) return {};
  const flat = flattenProbabilities(value);
  if (flat === null) {
    throw new InputError(`${name}: line ${line}: "${PROBABILITIES}" must be an object of class → probability (e.g. {"approve": 0.8, "deny": 0.2}), got ${describe(value)}`, {
      context: { path: name, line },
    });
  }
  return flat;
}

function describe(value: unknown): string {
  return value === null ? 'null' : Array.isArray(value) ? 'an array' : typeof value;
}
