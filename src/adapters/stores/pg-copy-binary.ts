/**
 * A decoder of PostgreSQL's binary COPY format (`COPY (…) TO STDOUT (FORMAT binary)`, the
 * "Binary Format" section of the COPY page of the PostgreSQL manual), for the columns the
 * feature-store job reads: `double precision[]` in the array's send form, `jsonb` / `json`, and
 * `text`. pg-copy-streams hands over the COPY data in chunks that cut rows anywhere; the decoder
 * keeps the unfinished row's bytes and decodes each complete row straight from the buffer, so
 * no number goes through text (docs/feature-stores.md, "PostgreSQL").
 */

/** How one column of the COPY's select list is decoded. */
export type CopyColumnKind = 'float8[]' | 'jsonb' | 'json' | 'text';

const SIGNATURE = Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1');
const HEADER_FIXED = SIGNATURE.length + 8; // signature, flags, header extension length
const FLOAT8_OID = 701;

/** A COPY stream that does not hold what the decoder was told it holds. */
export class CopyFormatError extends Error {}

export class BinaryCopyDecoder {
  private pending: Buffer | null = null;
  private headerRead = false;
  private ended = false;
  /** Rows decoded so far. */
  rows = 0;
  private readonly values: unknown[];

  /**
   * `onRow` gets the row's values in the order of `columns` (SQL NULL as null); the array is
   * reused for the next row, so read it before returning.
   */
  constructor(
    private readonly columns: readonly CopyColumnKind[],
    private readonly onRow: (values: readonly unknown[]) => void,
  ) {
    this.values = new Array<unknown>(columns.length).fill(null);
  }

  push(chunk: Buffer): void {
    let buf = this.pending ? Buffer.concat([this.pending, chunk]) : chunk;
    this.pending = null;
    let p = 0;
    if (!this.headerRead) {
      if (buf.length < HEADER_FIXED) return void (this.pending = buf);
      if (!buf.subarray(0, SIGNATURE.length).equals(SIGNATURE)) throw new CopyFormatError('not a binary COPY stream (no PGCOPY signature)');
      const start = HEADER_FIXED + buf.readInt32BE(SIGNATURE.length + 4);
      if (buf.length < start) return void (this.pending = buf);
      p = start;
      this.headerRead = true;
    }
    const n = buf.length;
    const view = new DataView(buf.buffer, buf.byteOffset, buf.length);
    while (!this.ended && n - p >= 2) {
      const fields = view.getInt16(p);
      if (fields === -1) {
        this.ended = true;
        p += 2;
        break;
      }
      if (fields !== this.columns.length) throw new CopyFormatError(`a row of ${fields} columns, expected ${this.columns.length}`);
      // The row's end, or stop if it is not all here yet.
      let q = p + 2;
      let complete = true;
      for (let f = 0; f < fields; f++) {
        if (n - q < 4) {
          complete = false;
          break;
        }
        const len = view.getInt32(q);
        q += 4 + (len > 0 ? len : 0);
        if (q > n) {
          complete = false;
          break;
        }
      }
      if (!complete) break;
      let r = p + 2;
      for (let f = 0; f < fields; f++) {
        const len = view.getInt32(r);
        r += 4;
        if (len < 0) {
          this.values[f] = null;
          continue;
        }
        this.values[f] = this.decode(this.columns[f]!, buf, view, r, r + len);
        r += len;
      }
      this.rows++;
      this.onRow(this.values);
      p = q;
    }
    if (p < n) {
      if (this.ended) throw new CopyFormatError('data after the end of the binary COPY stream');
      // Copy the unfinished row out, so that the chunk it came in is not kept alive.
      buf = Buffer.from(buf.subarray(p));
      this.pending = buf;
    }
  }

  /** At the end of the stream: throws if it stopped in the middle of a row or before its trailer. */
  end(): void {
    if (!this.ended || this.pending) throw new CopyFormatError('the binary COPY stream ended in the middle of a row');
  }

  private decode(kind: CopyColumnKind, buf: Buffer, view: DataView, start: number, end: number): unknown {
    switch (kind) {
      case 'float8[]':
        return readFloat8Array(view, start, end);
      case 'jsonb':
        // jsonb's send form: a version byte (1), then the JSON text.
        if (buf[start] !== 1) throw new CopyFormatError(`jsonb of version ${buf[start]}, expected 1`);
        return JSON.parse(buf.toString('utf8', start + 1, end)) as unknown;
      case 'json':
        return JSON.parse(buf.toString('utf8', start, end)) as unknown;
      case 'text':
        return buf.toString('utf8', start, end);
    }
  }
}

/**
 * An array's send form: ndim, has-nulls flag, element type, (size, lower bound) per dimension,
 * then each element as a length (−1: NULL) and its 8 bytes. Nested arrays for ndim > 1, as
 * node-postgres reads them from text; an empty array is []. `view` spans the buffer the value
 * is in; `start` and `end` are the value's bounds in it.
 */
export function readFloat8Array(view: DataView, start: number, end: number): unknown[] {
  const ndim = view.getInt32(start);
  if (ndim === 0) return [];
  const element = view.getInt32(start + 8);
  if (element !== FLOAT8_OID) throw new CopyFormatError(`an array of type oid ${element}, expected double precision (701)`);
  const cursor = { p: start + 12 + ndim * 8 };
  const out = ndim === 1 ? elements(view, cursor, view.getInt32(start + 12)) : nested(view, cursor, start, ndim, 0);
  if (cursor.p !== end) throw new CopyFormatError('a double precision[] value of the wrong length');
  return out;
}

function elements(view: DataView, cursor: { p: number }, size: number): unknown[] {
  const out = new Array<unknown>(size);
  let p = cursor.p;
  for (let i = 0; i < size; i++) {
    const len = view.getInt32(p);
    p += 4;
    if (len < 0) out[i] = null;
    else {
      out[i] = view.getFloat64(p);
      p += len;
    }
  }
  cursor.p = p;
  return out;
}

function nested(view: DataView, cursor: { p: number }, start: number, ndim: number, d: number): unknown[] {
  const size = view.getInt32(start + 12 + d * 8);
  if (d === ndim - 1) return elements(view, cursor, size);
  const out = new Array<unknown>(size);
  for (let i = 0; i < size; i++) out[i] = nested(view, cursor, start, ndim, d + 1);
  return out;
}
