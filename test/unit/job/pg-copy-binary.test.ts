// The decoder of PostgreSQL's binary COPY format that the job's PostgreSQL read uses
// (src/adapters/stores/pg-copy-binary.ts), against an encoder written here from the format's
// definition (PostgreSQL manual, COPY, "Binary Format"; array_send for arrays), with every way
// of cutting the stream into chunks. test/integration/stores/postgres.test.ts checks it against
// a real server.
import { describe, expect, it } from 'vitest';
import { BinaryCopyDecoder, type CopyColumnKind } from '../../../src/adapters/stores/pg-copy-binary.js';

const int16 = (v: number) => {
  const b = Buffer.alloc(2);
  b.writeInt16BE(v);
  return b;
};
const int32 = (v: number) => {
  const b = Buffer.alloc(4);
  b.writeInt32BE(v);
  return b;
};
const float64 = (v: number) => {
  const b = Buffer.alloc(8);
  b.writeDoubleBE(v);
  return b;
};

/** array_send of a double precision[] of one or more dimensions (nested JS arrays). */
function float8Array(value: unknown[]): Buffer {
  if (value.length === 0) return Buffer.concat([int32(0), int32(0), int32(701)]);
  const dims: number[] = [];
  for (let v: unknown = value; Array.isArray(v); v = v[0]) dims.push(v.length);
  const flat = (value as unknown[]).flat(dims.length) as (number | null)[];
  return Buffer.concat([
    int32(dims.length),
    int32(flat.includes(null) ? 1 : 0),
    int32(701),
    ...dims.flatMap((d) => [int32(d), int32(1)]),
    ...flat.map((x) => (x === null ? int32(-1) : Buffer.concat([int32(8), float64(x)]))),
  ]);
}

function field(kind: CopyColumnKind, value: unknown): Buffer {
  if (value === null) return int32(-1);
  const body =
    kind === 'float8[]'
      ? float8Array(value as unknown[])
      : kind === 'jsonb'
        ? Buffer.concat([Buffer.from([1]), Buffer.from(JSON.stringify(value))])
        : Buffer.from(kind === 'json' ? JSON.stringify(value) : String(value));
  return Buffer.concat([int32(body.length), body]);
}

function copyStream(kinds: CopyColumnKind[], rows: unknown[][], headerExtension = Buffer.alloc(0)): Buffer {
  return Buffer.concat([
    Buffer.from('PGCOPY\n\xff\r\n\0', 'latin1'),
    int32(0),
    int32(headerExtension.length),
    headerExtension,
    ...rows.map((r) => Buffer.concat([int16(r.length), ...r.map((v, i) => field(kinds[i]!, v))])),
    int16(-1),
  ]);
}

function decodeInChunks(kinds: CopyColumnKind[], stream: Buffer, size: number): unknown[][] {
  const out: unknown[][] = [];
  const decoder = new BinaryCopyDecoder(kinds, (v) => out.push([...v]));
  for (let i = 0; i < stream.length; i += size) decoder.push(stream.subarray(i, i + size));
  decoder.end();
  expect(decoder.rows).toBe(out.length);
  return out;
}

describe('BinaryCopyDecoder', () => {
  const kinds: CopyColumnKind[] = ['float8[]', 'text', 'text'];
  const rows: unknown[][] = [
    [[1.5, 2, -3e-5, 1e300, 5e-324, 0.1, -0], 'churn', 'v1'],
    [[Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, null], null, 'v1'],
    [[], 'churn', null],
    [null, 'ünïcødé model', 'v2'],
    [
      [
        [1, 2],
        [3, 4],
      ],
      'm',
      'v',
    ],
    [Array.from({ length: 20 }, (_, i) => Math.sin(i) * 10 ** (i - 10)), 'churn', 'v1'],
  ];
  const stream = copyStream(kinds, rows);

  it('decodes every value exactly, NULLs, specials, -0, empty and nested arrays included', () => {
    const out = decodeInChunks(kinds, stream, stream.length);
    expect(out).toEqual(rows);
    expect(Object.is((out[0]![0] as number[])[6], -0)).toBe(true);
  });

  it('gives the same rows however the stream is cut into chunks (every size from 1 byte)', () => {
    for (let size = 1; size <= 64; size++) expect(decodeInChunks(kinds, stream, size)).toEqual(rows);
    expect(decodeInChunks(kinds, stream, 97)).toEqual(rows);
  });

  it('skips a header extension', () => {
    const withExtension = copyStream(kinds, rows.slice(0, 2), Buffer.from('future'));
    expect(decodeInChunks(kinds, withExtension, 5)).toEqual(rows.slice(0, 2));
  });

  it('reads jsonb (its version byte), json and text columns', () => {
    const json: CopyColumnKind[] = ['jsonb', 'json'];
    const values = [
      [[1, 2.5, 'n/a'], { a: 1 }],
      [{ income: 52000.5, age: null }, null],
      [null, [3]],
    ];
    expect(decodeInChunks(json, copyStream(json, values), 3)).toEqual(values);
  });

  it('refuses what is not the stream it was told of, and a stream cut short', () => {
    expect(() => new BinaryCopyDecoder(kinds, () => undefined).push(Buffer.from('1,2,3\n4,5,6\n7,8,9\n10,11,12\n'))).toThrow(/no PGCOPY signature/);
    expect(() => decodeInChunks(['float8[]'], stream, 8)).toThrow(/a row of 3 columns, expected 1/);
    const cut = new BinaryCopyDecoder(kinds, () => undefined);
    cut.push(stream.subarray(0, stream.length - 10));
    expect(() => cut.end()).toThrow(/ended in the middle of a row/);
    const int4: Buffer = Buffer.concat([int32(1), int32(0), int32(23), int32(1), int32(1), int32(4), int32(7)]);
    const wrongType = Buffer.concat([copyStream(['float8[]'], []).subarray(0, 19), int16(1), int32(int4.length), int4, int16(-1)]);
    expect(() => decodeInChunks(['float8[]'], wrongType, 100)).toThrow(/type oid 23, expected double precision/);
  });
});
