/**
 * The fast CSV reader of the batch commands (docs/benchmarks.md, "Reading CSV"): bytes in
 * chunks straight to array rows or to columns, numbers read from the bytes with the event
 * decoder's exact number parser (the double `JSON.parse` and `Number` give), no intermediate
 * string per field and no object per row. Memory is the rows or the columns (or one block of
 * them, with a sink), not the file's text.
 *
 * It reads what csv-parse reads with the options of rows.ts (header, `,`, `"` quotes with `""`
 * escapes, LF or CRLF records, BOM, fields trimmed of spaces and tabs, empty lines skipped) and
 * gives the same values. Anything else — a bad record, a stray quote, a lone CR, a whitespace-
 * only line, a header with an empty or repeated name — is left to csv-parse (`CsvFallback`), so
 * that every error message, with its file and line, stays the one csv-parse gives.
 *
 * A column that is not kept as text holds numbers only (an empty field is NaN, which the
 * statistics count as missing as they do an empty string). The first field of such a column that
 * is not a JSON number makes the read start over with that column as text (`TextColumn`), so
 * that its values, numbers included, are the strings csv-parse would give.
 *
 * The same values come as array rows (`scanCsv`), or as columns (`scanCsvColumns`): blocks of
 * rows in which each column is a Float64Array (numbers) or an array of strings (text), written
 * by the scanner as it reads, so that the batch commands read each column as one typed array
 * instead of one value per row object (docs/benchmarks.md, "2026-12-03 columnar CSV").
 */
import { open } from 'node:fs/promises';
import { readNumber } from '../../core/event/json-number.js';

const COMMA = 44;
const QUOTE = 34;
const LF = 10;
const CR = 13;
const SPACE = 32;
const TAB = 9;
const FORM_FEED = 12;

/** Input the fast reader leaves to csv-parse (errors and rare forms), which gives the answer. */
export class CsvFallback extends Error {}

/** A column meant for numbers holds a field that is not one: read again with it as text. */
export class TextColumn extends Error {
  constructor(readonly column: string) {
    super(`column "${column}" holds text`);
  }
}

export interface CsvArrayOptions {
  /** Columns of each row array, in order (default: the header's); an absent one is undefined. */
  order?: readonly string[];
  /** Columns kept as the strings csv-parse gives (categorical features). */
  text?: readonly string[];
}

export interface CsvArrays {
  header: string[];
  rows: unknown[][];
}

/**
 * Rows of a CSV file, column by column: per column of `order` (CsvArrayOptions), a Float64Array
 * of its numbers (NaN for an empty field), the strings of a text column, or null for a column
 * the header lacks (every value missing). Each array holds exactly `rows` values.
 */
export interface CsvBlock {
  rows: number;
  columns: (Float64Array | string[] | null)[];
}

/** A CSV file as blocks of columns (`scanCsvColumns`): the values of `scanCsv`'s rows, in order. */
export interface CsvColumns {
  header: string[];
  rows: number;
  blocks: CsvBlock[];
}

/** Bytes of a file read at a time (fileChunks). */
const CHUNK_BYTES = 1 << 20;

/** Rows per block of a column read (8,192 rows of 100 columns are 6.5 MB). */
const BLOCK_ROWS = 8192;

/** How the scanner lays its rows out: arrays, row-major Float64Arrays (packed), or column blocks. */
export type CsvLayout = 'rows' | 'packed' | 'columns';

const isBlank = (c: number) => c === SPACE || c === TAB;

/**
 * Reads CSV from byte chunks into array rows. Throws CsvFallback or TextColumn (see above);
 * `readCsvArrays` handles both.
 */
export async function scanCsv(chunks: AsyncIterable<Uint8Array>, options: CsvArrayOptions = {}): Promise<CsvArrays> {
  const scanner = new CsvScanner(options);
  for await (const chunk of chunks) scanner.feed(chunk);
  return scanner.finish();
}

/**
 * Takes each block of rows as soon as it is read, in the file's order: the table's `blocks`
 * then stay empty, and memory is one block, not the columns (the check records each block and
 * drops it).
 */
export type CsvBlockSink = (block: CsvBlock) => void;

/** The same read as `scanCsv`, giving columns (CsvColumns) instead of array rows; with `sink`, block by block. */
export async function scanCsvColumns(chunks: AsyncIterable<Uint8Array>, options: CsvArrayOptions = {}, sink?: CsvBlockSink): Promise<CsvColumns> {
  const scanner = new CsvScanner(options, undefined, 'columns', sink);
  for await (const chunk of chunks) scanner.feed(chunk);
  scanner.finish();
  return scanner.takeColumns();
}

/**
 * The bytes of a file from `start` to `end` (exclusive; default its end) in chunks of 1 MiB,
 * each read into the same buffer: valid until the next one is asked for, which is how the
 * scanner reads them. A third less CPU than a read stream's fresh buffer per MiB (page faults).
 */
export async function* fileChunks(path: string, start = 0, end = Number.POSITIVE_INFINITY): AsyncIterable<Uint8Array> {
  const file = await open(path, 'r');
  try {
    const buffer = Buffer.allocUnsafe(CHUNK_BYTES);
    for (let at = start; at < end;) {
      const { bytesRead } = await file.read(buffer, 0, Math.min(buffer.length, end - at), at);
      if (bytesRead === 0) return;
      at += bytesRead;
      yield buffer.subarray(0, bytesRead);
    }
  } finally {
    await file.close();
  }
}

/** Where a scanner starts when it reads a file's later part (adapters/threads/csv-split.ts). */
export interface CsvResume {
  /** The file's header, as the scanner of its start read it. */
  header: readonly string[];
  /** The record delimiter seen so far: true CRLF, false LF, null none yet. */
  crlf: boolean | null;
}

/**
 * The reader of `scanCsv`, fed one chunk at a time. `resume` starts it after the header, in
 * the middle of a file; the `packed` layout gives the rows as one row-major Float64Array
 * (`takePacked`) instead of arrays, for a worker thread to transfer (numeric columns only), and
 * the `columns` layout gives blocks of columns (`takeColumns`).
 */
export class CsvScanner {
  private readonly reader: CsvArrayReader;
  private pending: Buffer | null = null;
  private first: boolean;

  constructor(options: CsvArrayOptions = {}, resume?: CsvResume, layout: CsvLayout = 'rows', sink?: CsvBlockSink) {
    this.reader = new CsvArrayReader(options, layout, sink);
    this.first = resume === undefined;
    if (resume) this.reader.resume(resume);
  }

  /** Reads the whole records of `chunk`; keeps no view of it (the caller may reuse its buffer). */
  feed(chunk: Uint8Array): void {
    let pending = this.pending;
    let bytes = Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (pending && !this.first) {
      // The record held back usually ends at the chunk's first LF: join only up to there
      // instead of copying the whole chunk behind it.
      const lf = bytes.indexOf(LF);
      if (lf >= 0) {
        const joined = Buffer.concat([pending, bytes.subarray(0, lf + 1)]);
        const used = this.reader.consume(joined, false);
        pending = used < joined.length ? joined.subarray(used) : null;
        bytes = bytes.subarray(lf + 1);
      }
    }
    let buf: Buffer = pending ? Buffer.concat([pending, bytes]) : bytes;
    if (this.first) {
      if (buf.length < 3 && buf.length > 0 && buf[0] === 0xef) {
        this.pending = Buffer.from(buf);
        return;
      }
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      this.first = false;
    }
    const used = this.reader.consume(buf, false);
    // A copy: the caller may read its next chunk into the same buffer (fileChunks).
    this.pending = used < buf.length ? Buffer.from(buf.subarray(used)) : null;
  }

  /** Bytes of an incomplete record held back: 0 when every byte fed ended a record. */
  get held(): number {
    return this.pending ? this.pending.length : 0;
  }

  get header(): string[] | null {
    return this.reader.header;
  }

  get crlf(): boolean | null {
    return this.reader.crlf;
  }

  get rows(): unknown[][] {
    return this.reader.rows;
  }

  /** The rows read since the last call, row-major (packed mode). */
  takePacked(): { rows: number; values: Float64Array } {
    return this.reader.takePacked();
  }

  /**
   * The rows read since the last call as blocks of columns (columns layout), with the header.
   * `own`: every array has a buffer of its own (a worker transfers them), not a view of a larger one.
   */
  takeColumns(own = false): CsvColumns {
    return this.reader.takeColumns(own);
  }

  /** The blocks of columns filled so far, leaving the one being filled (columns layout). */
  takeFullBlocks(): CsvBlock[] {
    return this.reader.takeFullBlocks();
  }

  /** Reads the held bytes as the input's last record, and gives the rows. */
  finish(): CsvArrays {
    let buf = this.pending;
    if (buf) {
      if (this.first && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      this.reader.consume(buf, true);
      this.pending = null;
    }
    return { header: this.reader.header ?? [], rows: this.reader.rows };
  }
}

class CsvArrayReader {
  header: string[] | null = null;
  readonly rows: unknown[][] = [];
  crlf: boolean | null = null;
  /** Per header column: its index in the row array, or −1 when it is not kept. */
  private slots = new Int32Array(0);
  private textual = new Uint8Array(0);
  private width = 0;
  private readonly number = new Float64Array(1);
  private fields: string[] = [];

  /** Packed mode: rows row-major in `packed`, `packedRows` of them. */
  private packed: Float64Array | null = null;
  private packedRows = 0;
  private readonly packing: boolean;

  /**
   * Columns layout: the block being filled, `blockRows` of its BLOCK_ROWS rows read. Per slot, a
   * Float64Array (numeric; an empty one for the others) and an array of strings (text) or null.
   */
  private readonly columnar: boolean;
  private numbers: Float64Array[] = [];
  private texts: (string[] | null)[] = [];
  private blockRows = 0;
  private readonly blocks: CsvBlock[] = [];
  private blockRowsTotal = 0;
  /** Per slot: 0 absent from the header, 1 numeric, 2 text. */
  private slotKinds = new Uint8Array(0);

  constructor(
    private readonly options: CsvArrayOptions,
    layout: CsvLayout = 'rows',
    /** Columns layout: takes each block when it is full instead of `blocks` (CsvBlockSink). */
    private readonly sink?: CsvBlockSink,
  ) {
    this.packing = layout === 'packed';
    this.columnar = layout === 'columns';
  }

  /** The block's next row, starting a new block when this one is full. */
  private blockRow(): number {
    if (this.blockRows === BLOCK_ROWS || this.numbers.length !== this.width) {
      this.closeBlock(false);
      const kinds = this.slotKinds;
      const empty = new Float64Array(0);
      this.numbers = Array.from(kinds, (kind) => (kind === 1 ? new Float64Array(BLOCK_ROWS) : empty));
      this.texts = Array.from(kinds, (kind) => (kind === 2 ? [] : null));
    }
    return this.blockRows;
  }

  /** Moves the rows of the block being filled to `blocks` (a copy of them when `own`). */
  private closeBlock(own: boolean): void {
    const rows = this.blockRows;
    if (rows === 0) return;
    const columns = this.numbers.map((numbers, slot): Float64Array | string[] | null => {
      const kind = this.slotKinds[slot];
      if (kind === 1) return own && rows < numbers.length ? numbers.slice(0, rows) : numbers.subarray(0, rows);
      if (kind === 2) {
        const text = this.texts[slot]!;
        text.length = rows;
        return text;
      }
      return null;
    });
    this.blockRowsTotal += rows;
    this.blockRows = 0;
    this.numbers = [];
    this.texts = [];
    if (this.sink) this.sink({ rows, columns });
    else this.blocks.push({ rows, columns });
  }

  /**
   * Columns layout: the blocks filled so far, leaving the one being filled. The CSV worker posts
   * these as they fill: closing a block at every MiB of the file instead cut blocks of a few
   * hundred rows and allocated a fresh block of BLOCK_ROWS rows per column after each.
   */
  takeFullBlocks(): CsvBlock[] {
    const blocks = this.blocks.splice(0);
    for (const block of blocks) this.blockRowsTotal -= block.rows;
    return blocks;
  }

  takeColumns(own: boolean): CsvColumns {
    this.closeBlock(own);
    const table = { header: this.header ?? [], rows: this.blockRowsTotal, blocks: this.blocks.splice(0) };
    this.blockRowsTotal = 0;
    return table;
  }

  resume(from: CsvResume): void {
    this.setHeader([...from.header]);
    this.crlf = from.crlf;
  }

  takePacked(): { rows: number; values: Float64Array } {
    const rows = this.packedRows;
    const values = this.packed ? this.packed.subarray(0, rows * this.width) : new Float64Array(0);
    this.packed = null;
    this.packedRows = 0;
    return { rows, values };
  }

  /** The next packed row's slots (NaN-filled: an empty field), growing the buffer as needed. */
  private packedRow(): Float64Array {
    const width = this.width;
    let packed = this.packed;
    const at = this.packedRows * width;
    if (packed === null || at + width > packed.length) {
      const grown = new Float64Array(Math.max(1024 * width, packed ? packed.length * 2 : 0));
      if (packed) grown.set(packed.subarray(0, at));
      this.packed = packed = grown;
    }
    return packed.subarray(at, at + width);
  }

  /** Reads every whole record of `b`; returns where the first incomplete one starts. */
  consume(b: Buffer, final: boolean): number {
    let p = 0;
    const end = b.length;
    while (p < end) {
      const c = b[p];
      // Empty lines are skipped (in the record delimiter the file uses).
      if (c === LF) {
        if (this.crlf === true) throw new CsvFallback();
        p++;
        continue;
      }
      if (c === CR) {
        if (p + 1 >= end) {
          if (!final) return p;
          throw new CsvFallback();
        }
        if (b[p + 1] !== LF || this.crlf === false) throw new CsvFallback();
        p += 2;
        continue;
      }
      const next = this.record(b, p, end, final);
      if (next < 0) return p;
      p = next;
    }
    return end;
  }

  /** One record from `p`: the index after it, or −1 when `b` ends before it does. */
  private record(b: Buffer, p: number, end: number, final: boolean): number {
    const header = this.header;
    const heading = header === null;
    const columnar = this.columnar;
    // Columns layout: the record's values go to row `at` of the block's columns.
    const at = heading || !columnar ? 0 : this.blockRow();
    const numbers = this.numbers;
    const row: unknown[] | Float64Array | null = heading || columnar ? null : this.packing ? this.packedRow() : new Array(this.width);
    const fields = this.fields;
    fields.length = 0;
    let column = 0;
    let next: number;
    for (;;) {
      let s = p;
      while (s < end && isBlank(b[s])) s++;
      let t = s;
      let quoted = false;
      let e = s;
      let escaped = false;
      // The common field, a number of a numeric column ending at a delimiter, is read in one
      // pass over its bytes; anything else takes the general path below, which reads it again.
      let fast = false;
      if (!heading && column < this.slots.length && this.slots[column] >= 0 && this.textual[column] === 0) {
        const i = readNumber(b, s, end, this.number, 0);
        if (i > s && i < end) {
          const c = b[i];
          if (c === COMMA || c === LF || c === CR) {
            fast = true;
            t = i;
            e = i;
          }
        }
      }
      if (fast) {
        // t and e are set: the field is the number.
      } else if (s < end && b[s] === QUOTE) {
        quoted = true;
        let q = s + 1;
        for (;;) {
          const at = b.indexOf(QUOTE, q);
          if (at < 0) {
            if (!final) return -1;
            throw new CsvFallback();
          }
          if (at + 1 >= end && !final) return -1;
          if (b[at + 1] === QUOTE) {
            escaped = true;
            q = at + 2;
            continue;
          }
          e = at;
          break;
        }
        s++;
        t = e + 1;
        while (t < end && isBlank(b[t])) t++;
        if (t >= end && !final) return -1;
        if (t < end) {
          const c = b[t];
          if (c !== COMMA && c !== LF && c !== CR) throw new CsvFallback();
        }
      } else {
        t = s;
        while (t < end) {
          const c = b[t];
          if (c === COMMA || c === LF || c === CR) break;
          if (c === QUOTE || c === FORM_FEED) throw new CsvFallback();
          t++;
        }
        if (t >= end && !final) return -1;
        e = t;
        while (e > s && isBlank(b[e - 1])) e--;
        // A line of blanks alone is left to csv-parse.
        if (e === s && column === 0 && t > p && (t >= end || b[t] !== COMMA)) throw new CsvFallback();
      }
      if (heading) {
        let name = b.toString('utf8', s, e);
        if (escaped) name = name.replaceAll('""', '"');
        fields.push(name);
      } else {
        if (column >= this.slots.length) throw new CsvFallback();
        const slot = this.slots[column];
        if (slot >= 0) {
          if (fast) {
            if (columnar) numbers[slot][at] = this.number[0];
            else row![slot] = this.number[0];
          } else if (this.textual[column] === 1) {
            let text = quoted || e > s ? b.toString('utf8', s, e) : '';
            if (escaped) text = text.replaceAll('""', '"');
            if (columnar) this.texts[slot]![at] = text;
            else (row as unknown[])[slot] = text;
          } else {
            let value: number;
            if (e === s) value = Number.NaN;
            else if (!escaped && readNumber(b, s, e, this.number, 0) === e) value = this.number[0];
            else throw new TextColumn(header![column]);
            if (columnar) numbers[slot][at] = value;
            else row![slot] = value;
          }
        }
      }
      column++;
      if (t < end && b[t] === COMMA) {
        p = t + 1;
        continue;
      }
      if (t >= end) next = end;
      else if (b[t] === LF) {
        if (this.crlf === true) throw new CsvFallback();
        this.crlf = false;
        next = t + 1;
      } else {
        if (t + 1 >= end) {
          if (!final) return -1;
          throw new CsvFallback();
        }
        if (b[t + 1] !== LF || this.crlf === false) throw new CsvFallback();
        this.crlf = true;
        next = t + 2;
      }
      break;
    }
    if (heading) this.setHeader([...fields]);
    else {
      if (column !== this.slots.length) throw new CsvFallback();
      if (columnar) this.blockRows++;
      else if (this.packing) this.packedRows++;
      else this.rows.push(row as unknown[]);
    }
    return next;
  }

  private setHeader(names: string[]): void {
    // csv-parse's objects would order array-index names first and drop repeated ones: its call.
    const odd = (n: string) => n === '' || n === '__proto__' || /^(0|[1-9]\d*)$/.test(n);
    if (names.some(odd) || new Set(names).size !== names.length) throw new CsvFallback();
    this.header = names;
    const order = this.options.order ?? names;
    const text = new Set(this.options.text ?? []);
    this.width = order.length;
    this.slots = new Int32Array(names.length).fill(-1);
    this.textual = new Uint8Array(names.length);
    order.forEach((name, slot) => {
      const column = names.indexOf(name);
      if (column >= 0) this.slots[column] = slot;
    });
    names.forEach((name, column) => {
      if (text.has(name)) this.textual[column] = 1;
    });
    this.slotKinds = new Uint8Array(this.width);
    this.slots.forEach((slot, column) => {
      if (slot >= 0) this.slotKinds[slot] = this.textual[column] === 1 ? 2 : 1;
    });
  }
}
