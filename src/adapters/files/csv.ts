/**
 * The fast CSV reader of the batch commands (docs/benchmarks.md, "Reading CSV"): bytes in
 * chunks straight to array rows, numbers read from the bytes with the event decoder's exact
 * number parser (the double `JSON.parse` and `Number` give), no intermediate string per field
 * and no object per row. Memory is the rows, not the file's text.
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
 */
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

const isBlank = (c: number) => c === SPACE || c === TAB;

/**
 * Reads CSV from byte chunks into array rows. Throws CsvFallback or TextColumn (see above);
 * `readCsvArrays` handles both.
 */
export async function scanCsv(chunks: AsyncIterable<Uint8Array>, options: CsvArrayOptions = {}): Promise<CsvArrays> {
  const reader = new CsvArrayReader(options);
  let pending: Buffer | null = null;
  let first = true;
  for await (const chunk of chunks) {
    let buf: Buffer = pending ? Buffer.concat([pending, chunk]) : Buffer.from(chunk.buffer, chunk.byteOffset, chunk.byteLength);
    if (first) {
      if (buf.length < 3 && buf.length > 0 && buf[0] === 0xef) {
        pending = buf;
        continue;
      }
      if (buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
      first = false;
    }
    const used = reader.consume(buf, false);
    pending = used < buf.length ? buf.subarray(used) : null;
  }
  if (pending) {
    let buf = pending;
    if (first && buf[0] === 0xef && buf[1] === 0xbb && buf[2] === 0xbf) buf = buf.subarray(3);
    reader.consume(buf, true);
  }
  return { header: reader.header ?? [], rows: reader.rows };
}

class CsvArrayReader {
  header: string[] | null = null;
  readonly rows: unknown[][] = [];
  private crlf: boolean | null = null;
  /** Per header column: its index in the row array, or −1 when it is not kept. */
  private slots = new Int32Array(0);
  private textual = new Uint8Array(0);
  private width = 0;
  private readonly number = new Float64Array(1);
  private fields: string[] = [];

  constructor(private readonly options: CsvArrayOptions) {}

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
    const row: unknown[] | null = header ? new Array(this.width) : null;
    const fields = this.fields;
    fields.length = 0;
    let column = 0;
    let next: number;
    for (;;) {
      let s = p;
      while (s < end && isBlank(b[s])) s++;
      let t: number;
      let quoted = false;
      let e: number;
      let escaped = false;
      if (s < end && b[s] === QUOTE) {
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
      if (row === null) {
        let name = b.toString('utf8', s, e);
        if (escaped) name = name.replaceAll('""', '"');
        fields.push(name);
      } else {
        if (column >= this.slots.length) throw new CsvFallback();
        const slot = this.slots[column];
        if (slot >= 0) {
          if (this.textual[column] === 1) {
            let text = quoted || e > s ? b.toString('utf8', s, e) : '';
            if (escaped) text = text.replaceAll('""', '"');
            row[slot] = text;
          } else if (e === s) {
            row[slot] = Number.NaN;
          } else if (!escaped && readNumber(b, s, e, this.number, 0) === e) {
            row[slot] = this.number[0];
          } else {
            throw new TextColumn(header![column]);
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
    if (row === null) this.setHeader([...fields]);
    else {
      if (column !== this.slots.length) throw new CsvFallback();
      this.rows.push(row);
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
  }
}
