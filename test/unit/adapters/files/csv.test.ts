// The fast CSV reader (src/adapters/files/csv.ts) against csv-parse (parseCsvRows, the reader it
// replaces for check and reference build), on generated and mutated CSV: the same rows, value
// for value, or the same error message. A value the fast reader gives as a number must be the
// number csv-parse's string is (bit for bit, NaN for an empty field); every other value must be
// csv-parse's string itself. Chunk boundaries anywhere give the same result.
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { parseCsvRows, readRows } from '../../../../src/adapters/files/rows.js';
import { CsvFallback, scanCsv } from '../../../../src/adapters/files/csv.js';
import { rng, type Rng } from '../../../fixtures/random.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-csv-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r.uniform() * xs.length)];

const NUMBERS = [
  '0',
  '-0',
  '1',
  '42',
  '-7',
  '3.25',
  '0.1',
  '1e5',
  '1E-7',
  '2.5e+3',
  '61868.97',
  '1.50',
  '+1',
  '.5',
  '5.',
  '01',
  '0x10',
  '1e999',
  '-1e-400',
  'nan',
  'Infinity',
  '123456789012345678901234',
  '0.30000000000000004',
];
const TEXTS = ['salaried', 'a b', 'x,y', 'say "hi"', 'line\nbreak', 'crlf\r\nin', 'é', '日本', ' padded ', ''];

function field(r: Rng): string {
  const u = r.uniform();
  if (u < 0.45) return String(r.normal(0, 1000) * (r.uniform() < 0.5 ? 1 : 1e-9));
  if (u < 0.7) return pick(r, NUMBERS);
  if (u < 0.78) return '';
  return pick(r, TEXTS);
}

function quote(r: Rng, value: string): string {
  const must = /[",\r\n]/.test(value) || value !== value.trim();
  if (must || r.uniform() < 0.1) return `"${value.replaceAll('"', '""')}"`;
  return r.uniform() < 0.1 ? ` ${value}\t` : value;
}

/** A CSV text: header, rows, LF or CRLF, maybe a BOM, blank lines, a final newline or not. */
function generate(r: Rng): { text: string; names: string[] } {
  const width = 1 + Math.floor(r.uniform() * 5);
  const names = Array.from({ length: width }, (_, j) => (r.uniform() < 0.1 ? `"col ${j}"` : `c${j}`));
  const eol = r.uniform() < 0.3 ? '\r\n' : '\n';
  const numericColumns = names.map(() => r.uniform() < 0.6);
  const lines = [names.join(',')];
  const rows = Math.floor(r.uniform() * 12);
  for (let i = 0; i < rows; i++) {
    if (r.uniform() < 0.05) lines.push('');
    lines.push(
      names
        .map((_, j) => {
          const v = numericColumns[j] && r.uniform() < 0.9 ? (r.uniform() < 0.9 ? String(r.normal(10, 3)) : pick(r, ['', '1', '-0', '2.5'])) : field(r);
          return quote(r, v);
        })
        .join(','),
    );
  }
  const text = (r.uniform() < 0.1 ? '\uFEFF' : '') + lines.join(eol) + (r.uniform() < 0.8 ? eol : '');
  return { text, names: names.map((n) => n.replaceAll('"', '')) };
}

/** One random edit: delete, insert a quote, comma, CR, LF or blank, or cut the text short. */
function mutate(r: Rng, text: string): string {
  const at = Math.floor(r.uniform() * (text.length + 1));
  const u = r.uniform();
  if (u < 0.3) return text.slice(0, at) + text.slice(at + 1);
  if (u < 0.9) return text.slice(0, at) + pick(r, ['"', ',', '\r', '\n', ' ', '\r\n', 'x']) + text.slice(at);
  return text.slice(0, at);
}

type Outcome = { error: string } | { rows: unknown[][]; columns: string[] | null };

async function legacy(text: string, order: readonly string[] | undefined, path: string): Promise<Outcome> {
  try {
    const parsed = parseCsvRows(text, path);
    if (parsed.rows.length === 0) return { error: `${path}: the input holds no rows` };
    const names = order ?? parsed.columns ?? [];
    return { rows: (parsed.rows as Record<string, unknown>[]).map((row) => names.map((n) => row[n])), columns: parsed.columns };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

async function fast(path: string, order: readonly string[] | undefined, text: readonly string[] = []): Promise<Outcome> {
  try {
    const read = await readRows(path, 'csv', undefined, { csvArrays: { order, text } });
    return { rows: read.rows as unknown[][], columns: read.columns };
  } catch (error) {
    return { error: (error as Error).message };
  }
}

/** The fast reader's value stands for csv-parse's string: the same number, or the same string. */
function sameValue(fastValue: unknown, legacyValue: unknown): boolean {
  if (typeof fastValue === 'number') {
    if (typeof legacyValue !== 'string') return false;
    if (legacyValue === '') return Number.isNaN(fastValue);
    return Object.is(Number(legacyValue), fastValue) && Object.is(JSON.parse(legacyValue), fastValue);
  }
  return fastValue === legacyValue;
}

function expectSame(a: Outcome, b: Outcome, context: string): void {
  if ('error' in b || 'error' in a) {
    expect('error' in a ? a.error : 'rows', context).toBe('error' in b ? b.error : 'rows');
    return;
  }
  expect(a.columns, context).toEqual(b.columns);
  expect(a.rows.length, context).toBe(b.rows.length);
  for (let i = 0; i < a.rows.length; i++) {
    for (let j = 0; j < b.rows[i].length; j++) {
      if (!sameValue(a.rows[i][j], b.rows[i][j])) {
        throw new Error(`${context}: row ${i} column ${j}: fast ${JSON.stringify(a.rows[i][j])} (${typeof a.rows[i][j]}), csv-parse ${JSON.stringify(b.rows[i][j])}`);
      }
    }
  }
}

describe('fast CSV reader against csv-parse', () => {
  it('generated CSV: the same rows and values, in header order and in a chosen order', async () => {
    const r = rng(17);
    let fastPath = 0;
    const cases = 300;
    for (let n = 0; n < cases; n++) {
      const { text, names } = generate(r);
      const path = join(dir, `gen-${n}.csv`);
      await writeFile(path, text);
      const order = n % 2 === 0 ? undefined : [...names].reverse().concat(['absent']);
      expectSame(await fast(path, order), await legacy(text, order, path), `case ${n}: ${JSON.stringify(text)}`);
      // Every column as text, so that only CsvFallback (csv-parse's turn) can stop it.
      const all = names.map((name) => name);
      if (!((await scanCsv([Buffer.from(text)] as unknown as AsyncIterable<Uint8Array>, { text: all }).catch((e: Error) => e)) instanceof CsvFallback)) fastPath++;
    }
    // Most generated files must be read by the fast reader itself, not handed to csv-parse.
    expect(fastPath).toBeGreaterThan(cases * 0.6);
  });

  it('mutated CSV: the same rows, or the same error message with the same line', async () => {
    const r = rng(1717);
    let errors = 0;
    for (let n = 0; n < 400; n++) {
      let { text } = generate(r);
      for (let k = 1 + Math.floor(r.uniform() * 3); k > 0; k--) text = mutate(r, text);
      const path = join(dir, `mut-${n}.csv`);
      await writeFile(path, text);
      const expected = await legacy(text, undefined, path);
      if ('error' in expected) errors++;
      expectSame(await fast(path, undefined), expected, `case ${n}: ${JSON.stringify(text)}`);
    }
    // The mutations must reach csv-parse's errors often enough to test them.
    expect(errors).toBeGreaterThan(60);
  });

  it('text columns keep csv-parse strings, numbers included ("1.50" stays "1.50")', async () => {
    const path = join(dir, 'text.csv');
    const text = 'zip,x\n01234,1.50\n1.50,2\n,3\n';
    await writeFile(path, text);
    const read = await readRows(path, 'csv', undefined, { csvArrays: { text: ['zip'] } });
    expect(read.rows).toEqual([
      ['01234', 1.5],
      ['1.50', 2],
      ['', 3],
    ]);
    // A column named numeric that holds text is read again as text: "forty" stays a string.
    await writeFile(path, 'age,income\n40,1\nforty,2\n');
    expect((await readRows(path, 'csv', undefined, { csvArrays: {} })).rows).toEqual([
      ['40', 1],
      ['forty', 2],
    ]);
  });

  it('chunk boundaries anywhere give the same rows', async () => {
    const r = rng(99);
    for (let n = 0; n < 200; n++) {
      const { text } = generate(r);
      const bytes = Buffer.from(text, 'utf8');
      const whole = await scanCsv([bytes] as unknown as AsyncIterable<Uint8Array>).catch((e: Error) => e.constructor.name);
      const pieces: Buffer[] = [];
      for (let i = 0; i < bytes.length;) {
        const size = 1 + Math.floor(r.uniform() * 7);
        pieces.push(bytes.subarray(i, i + size));
        i += size;
      }
      async function* chunks() {
        for (const p of pieces) yield p;
      }
      const split = await scanCsv(chunks()).catch((e: Error) => e.constructor.name);
      expect(split, `case ${n}: ${JSON.stringify(text)}`).toEqual(whole);
    }
  });

  it('reads a large file in chunks with the same numbers JSON.parse gives', async () => {
    const r = rng(5);
    const values = Array.from({ length: 30_000 }, () => r.normal(0, 1) * 10 ** Math.floor(r.uniform() * 40 - 20));
    const lines = ['a,b,c'];
    for (let i = 0; i < values.length; i += 3) lines.push(`${values[i]},${values[i + 1]},${values[i + 2]}`);
    const path = join(dir, 'large.csv');
    await writeFile(path, lines.join('\r\n'));
    const read = await readRows(path, 'csv', undefined, { csvArrays: {} });
    expect((read.rows as number[][]).flat()).toEqual(values.map((v) => JSON.parse(String(v)) as number));
  });
});
