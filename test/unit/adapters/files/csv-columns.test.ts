// The CSV reader's columnar path (scanCsvColumns, readRows `csvColumns`, readCsvSplitColumns,
// ReferenceDistribution.fromColumns, FeatureSetAccumulator.recordColumns) against the row path
// it stands beside (scanCsv, `csvArrays`, fromRows, recordArrays): on the same files, the same
// values bit for bit (NaN for an empty field, -0 kept), the same fallbacks, the same reference
// file and the same check result. The files mix what the reader must get right: empty fields,
// quoted numbers, blanks around fields, a text column, CRLF, a BOM, blank lines, blocks of rows
// that end mid-file, and chunk boundaries anywhere.
import { mkdtemp, rm, stat, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { CsvFallback, scanCsv, scanCsvColumns, TextColumn, type CsvBlock, type CsvColumns } from '../../../../src/adapters/files/csv.js';
import { readRows, rowCount } from '../../../../src/adapters/files/rows.js';
import { readCsvSplitColumns } from '../../../../src/adapters/threads/csv-split.js';
import { tableRows } from '../../../../src/core/reference/build.js';
import { ReferenceDistribution, type Row } from '../../../../src/core/reference/index.js';
import { DriftDetector, accumulate } from '../../../../src/core/detect/detector.js';
import { FeatureSetAccumulator } from '../../../../src/core/stats/index.js';
import { rng, type Rng } from '../../../fixtures/random.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-csv-columns-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r.uniform() * xs.length)];

const ODD_NUMBERS = ['', '-0', '0', '1e5', '2.5E-3', '1e999', '-1e-400', '0.30000000000000004', '123456789012345678901234'];
/** Not JSON numbers: a numeric column holding one is read again as text (TextColumn). */
const NOT_JSON = ['01', '.5', '5.', '+1', 'n/a'];
const CATEGORIES = ['salaried', 'self employed', 'a,b', 'say "hi"', 'é', ' padded ', ''];

/** A field as the file holds it: quoted sometimes (always when it must be), blanks around it sometimes. */
function cell(r: Rng, value: string): string {
  if (/[",\r\n]/.test(value) || value !== value.trim() || r.uniform() < 0.08) return `"${value.replaceAll('"', '""')}"`;
  return r.uniform() < 0.05 ? ` ${value}\t` : value;
}

interface Generated {
  text: string;
  names: string[];
  /** The columns holding categories (read as text). */
  text_columns: string[];
}

/** A CSV of numeric columns and maybe one text column, `rows` rows (LF or CRLF, maybe a BOM and blank lines). */
function generate(r: Rng, rows: number, textColumn = r.uniform() < 0.6, width = 1 + Math.floor(r.uniform() * 5), notJson = 0): Generated {
  const names = Array.from({ length: width }, (_, j) => `x${j}`);
  if (textColumn) names.splice(Math.floor(r.uniform() * (width + 1)), 0, 'kind');
  const eol = r.uniform() < 0.4 ? '\r\n' : '\n';
  const lines = [names.join(',')];
  for (let i = 0; i < rows; i++) {
    if (r.uniform() < 0.01) lines.push('');
    const values = names.map((name) => {
      if (name === 'kind') return pick(r, CATEGORIES);
      const u = r.uniform();
      if (u < notJson) return pick(r, NOT_JSON);
      return u < 0.85 ? String(r.normal(10, 3) * (r.uniform() < 0.1 ? 1e-12 : 1)) : pick(r, ODD_NUMBERS);
    });
    lines.push(values.map((v) => cell(r, v)).join(','));
  }
  const text = (r.uniform() < 0.3 ? '\uFEFF' : '') + lines.join(eol) + (r.uniform() < 0.8 ? eol : '');
  return { text, names, text_columns: textColumn ? ['kind'] : [] };
}

async function* pieces(r: Rng, bytes: Buffer, most: number): AsyncIterable<Uint8Array> {
  for (let i = 0; i < bytes.length;) {
    const size = 1 + Math.floor(r.uniform() * most);
    yield bytes.subarray(i, i + size);
    i += size;
  }
}

const whole = (text: string): AsyncIterable<Uint8Array> => [Buffer.from(text)] as unknown as AsyncIterable<Uint8Array>;

type Outcome = { header: string[]; rows: unknown[][] } | { error: string };
const failure = (error: unknown): Outcome => {
  if (error instanceof TextColumn) return { error: `TextColumn ${error.column}` };
  if (error instanceof CsvFallback) return { error: 'CsvFallback' };
  throw error;
};
const asRows = (table: CsvColumns): Outcome => ({ header: table.header, rows: tableRows(table) });

/** Value for value with Object.is (NaN equals NaN, -0 differs from 0); holes and undefined alike. */
function expectSameRows(actual: Outcome, expected: Outcome, context: string): void {
  if ('error' in actual || 'error' in expected) {
    expect('error' in actual ? actual.error : 'rows', context).toBe('error' in expected ? expected.error : 'rows');
    return;
  }
  expect(actual.header, context).toEqual(expected.header);
  expect(actual.rows.length, context).toBe(expected.rows.length);
  for (let i = 0; i < expected.rows.length; i++) {
    expect(actual.rows[i].length, `${context}: row ${i}`).toBe(expected.rows[i].length);
    for (let j = 0; j < expected.rows[i].length; j++) {
      if (!Object.is(actual.rows[i][j], expected.rows[i][j])) {
        throw new Error(`${context}: row ${i} column ${j}: columns ${String(actual.rows[i][j])}, rows ${String(expected.rows[i][j])}`);
      }
    }
  }
}

/** Every Float64Array of a table is a numeric column: the values are its numbers, each array exactly `rows` long. */
function expectWellFormed(table: CsvColumns, context: string): void {
  let rows = 0;
  for (const block of table.blocks) {
    rows += block.rows;
    for (const column of block.columns) if (column !== null) expect(column.length, context).toBe(block.rows);
  }
  expect(rows, context).toBe(table.rows);
}

describe('CSV read into columns', () => {
  it('gives the values of the row scanner, bit for bit, whatever the chunks', async () => {
    const r = rng(3103);
    let tables = 0;
    for (let n = 0; n < 200; n++) {
      const g = generate(r, Math.floor(r.uniform() * 40), r.uniform() < 0.6, 1 + Math.floor(r.uniform() * 5), 0.002);
      const order = n % 3 === 2 ? [...g.names].reverse().concat(['absent']) : undefined;
      const options = { order, text: g.text_columns };
      const expected = await scanCsv(whole(g.text), options).catch(failure);
      const columns = await scanCsvColumns(pieces(r, Buffer.from(g.text), 1 + (n % 9)), options).then(
        (table) => (expectWellFormed(table, `case ${n}`), tables++, asRows(table)),
        failure,
      );
      expectSameRows(columns, expected, `case ${n}: ${JSON.stringify(g.text)}`);
    }
    // Most files must be read by the fast reader, not left to csv-parse.
    expect(tables).toBeGreaterThan(150);
  });

  it('keeps no view of a chunk: the same values when every chunk is read into one reused buffer', async () => {
    const r = rng(404);
    for (let n = 0; n < 100; n++) {
      const g = generate(r, 5 + Math.floor(r.uniform() * 30));
      const bytes = Buffer.from(g.text);
      const options = { text: g.text_columns };
      const shared = Buffer.alloc(16);
      // fileChunks' contract: a chunk is valid until the next one is asked for.
      async function* reused(): AsyncIterable<Uint8Array> {
        for await (const piece of pieces(r, bytes, 16)) {
          shared.fill(0x2c);
          shared.set(piece);
          yield shared.subarray(0, piece.length);
        }
      }
      const context = `case ${n}: ${JSON.stringify(g.text)}`;
      expectSameRows(await scanCsv(reused(), options).catch(failure), await scanCsv(whole(g.text), options).catch(failure), context);
      expectSameRows(await scanCsvColumns(reused(), options).then(asRows, failure), await scanCsv(whole(g.text), options).catch(failure), context);
    }
  });

  it('fills blocks past their size (8,192 rows) with the same values', async () => {
    const r = rng(8192);
    const g = generate(r, 20_000, true);
    const expected = await scanCsv(whole(g.text), { text: g.text_columns });
    const table = await scanCsvColumns(pieces(r, Buffer.from(g.text), 70_000), { text: g.text_columns });
    expect(table.blocks.length).toBeGreaterThan(2);
    expectWellFormed(table, 'large');
    expectSameRows(asRows(table), expected, 'large');
  });

  it('through readRows: a numeric column that holds text is read again as text, csv-parse input comes as rows', async () => {
    const path = join(dir, 'forty.csv');
    await writeFile(path, 'age,income\r\n40,"1.5"\r\nforty,\r\n');
    const columns = await readRows(path, 'csv', undefined, { csvColumns: {} });
    const arrays = await readRows(path, 'csv', undefined, { csvArrays: {} });
    expect(columns.table!.blocks[0].columns).toEqual([['40', 'forty'], Float64Array.of(1.5, Number.NaN)]);
    expectSameRows({ header: columns.columns!, rows: tableRows(columns.table!) }, { header: arrays.columns!, rows: arrays.rows as unknown[][] }, 'forty');
    expect(rowCount(columns)).toBe(2);
    // Block by block: the first read's blocks are given up when "forty" starts the read over.
    const reads: unknown[][][] = [];
    const sunk = await readRows(path, 'csv', undefined, {
      csvColumns: {},
      csvBlocks: () => {
        const blocks: unknown[][] = [];
        reads.push(blocks);
        return (block) => blocks.push(block.columns);
      },
    });
    expect(sunk.table!.blocks).toEqual([]);
    expect(sunk.table!.rows).toBe(2);
    expect(reads).toEqual([[], [columns.table!.blocks[0].columns]]);

    // A header naming a column "0" is csv-parse's to read: its rows, as with csvArrays, and no table.
    await writeFile(path, '0,b\n1,2\n3,4\n');
    const fallback = await readRows(path, 'csv', undefined, { csvColumns: {} });
    expect(fallback.table).toBeUndefined();
    expect(fallback.rows).toEqual((await readRows(path, 'csv', undefined, { csvArrays: {} })).rows);
  });

  it('on two threads: the columns of one pass over the file', async () => {
    const r = rng(22);
    for (let n = 0; n < 6; n++) {
      const g = generate(r, 3000 + Math.floor(r.uniform() * 12_000), false);
      const path = join(dir, `split-${n}.csv`);
      await writeFile(path, g.text);
      const order = n % 2 === 1 ? [g.names[g.names.length - 1]] : undefined;
      const expected = await scanCsvColumns(whole(g.text), { order }).then(asRows, failure);
      const split = await readCsvSplitColumns(path, (await stat(path)).size, { order }, { minBytes: 0, always: true });
      expect(split, `case ${n}`).not.toBeNull();
      expectWellFormed(split!, `case ${n}`);
      expect(split!.blocks.length, `case ${n}`).toBeGreaterThan(1);
      expectSameRows(asRows(split!), expected, `case ${n}`);
      // Block by block, the same blocks in the same order.
      const sunk: CsvBlock[] = [];
      const table = await readCsvSplitColumns(path, (await stat(path)).size, { order }, { minBytes: 0, always: true }, (block) => sunk.push(block));
      expect(table!.blocks, `case ${n}`).toEqual([]);
      expectSameRows(asRows({ ...table!, blocks: sunk }), expected, `case ${n}, block by block`);
    }
  }, 60_000);

  it('on two threads, a part of several MiB and several full blocks: the same columns, the blocks posted full', async () => {
    const r = rng(2048);
    const g = generate(r, 60_000, false, 6);
    const path = join(dir, 'split-large.csv');
    await writeFile(path, g.text);
    const size = (await stat(path)).size;
    expect(size).toBeGreaterThan(3 << 20);
    const expected = await scanCsvColumns(whole(g.text), {}).then(asRows, failure);
    const sunk: CsvBlock[] = [];
    const table = await readCsvSplitColumns(path, size, {}, { minBytes: 0, always: true }, (block) => sunk.push(block));
    expectSameRows(asRows({ ...table!, blocks: sunk }), expected, 'large');
    // Every block but the last of each part is full: the worker posts blocks as they fill, not at every MiB.
    const partial = sunk.filter((block) => block.rows < 8192);
    expect(partial.length).toBeLessThanOrEqual(2);
    expect(sunk.length).toBeLessThanOrEqual(Math.ceil(60_000 / 8192) + 1);
  }, 60_000);
});

describe('columns against rows: the same reference and the same check', () => {
  /** The reference rows and the current rows of one generated pair of files, read both ways. */
  async function readBoth(r: Rng, name: string, rows: number, shift: number, names?: string[]) {
    const g = generate(r, rows, true, names ? names.length - 1 : 2 + Math.floor(r.uniform() * 4));
    // Shift the current file's numbers a little (the check then has drift to find).
    const text = shift === 0 ? g.text : g.text.replace(/(^|,)(\d+\.\d+)(?=,|\r?\n|$)/gm, (_, sep: string, x: string) => `${sep}${Number(x) + shift}`);
    const path = join(dir, `${name}.csv`);
    await writeFile(path, text);
    const options = { order: names, text: ['kind'] };
    const columns = await readRows(path, 'csv', undefined, { csvColumns: options });
    const arrays = await readRows(path, 'csv', undefined, { csvArrays: options });
    expect(columns.table, name).toBeDefined();
    return { columns, arrays, names: g.names, path };
  }

  it('fromColumns gives the reference file fromRows gives, calibrated or not', async () => {
    const r = rng(77);
    const now = new Date('2026-12-03T12:00:00Z');
    for (let n = 0; n < 8; n++) {
      const { columns, arrays } = await readBoth(r, `ref-${n}`, 500 + Math.floor(r.uniform() * 9000), 0);
      const featureNames = columns.columns!;
      const options = { now, calibration: n % 4 === 0 ? { sizes: [100, 400], replicates: 200 } : false, categorical: n % 2 === 0 ? ['kind'] : undefined };
      const fromRows = ReferenceDistribution.fromRows(arrays.rows as Row[], { ...options, featureNames });
      const fromColumns = ReferenceDistribution.fromColumns(columns.table!, featureNames, options);
      expect(JSON.stringify(fromColumns.toJSON()), `case ${n}`).toBe(JSON.stringify(fromRows.toJSON()));
    }
    // With the multivariate block (built from rows), the same too.
    const { columns, arrays } = await readBoth(r, 'ref-mv', 3000, 0);
    const options = { now, multivariate: { randomFeatures: 16, replicates: 100 } };
    expect(JSON.stringify(ReferenceDistribution.fromColumns(columns.table!, columns.columns!, options).toJSON())).toBe(
      JSON.stringify(ReferenceDistribution.fromRows(arrays.rows as Row[], { ...options, featureNames: columns.columns! }).toJSON()),
    );
  });

  it('a column with no number is the same error either way', async () => {
    const path = join(dir, 'empty-column.csv');
    await writeFile(path, 'a,b\n1,\n2,\n');
    const columns = await readRows(path, 'csv', undefined, { csvColumns: {} });
    const arrays = await readRows(path, 'csv', undefined, { csvArrays: {} });
    expect(() => ReferenceDistribution.fromColumns(columns.table!, ['a', 'b'])).toThrow('numeric feature "b" has no non-missing value in the reference rows');
    expect(() => ReferenceDistribution.fromRows(arrays.rows as Row[], { featureNames: ['a', 'b'] })).toThrow('numeric feature "b" has no non-missing value in the reference rows');
  });

  it('recordColumns gives the check recordArrays gives (histograms, tails, missing, categories, the multivariate score)', async () => {
    const r = rng(1212);
    const detector = new DriftDetector();
    for (let n = 0; n < 4; n++) {
      const ref = await readBoth(r, `base-${n}`, 4000, 0);
      const reference = ReferenceDistribution.fromColumns(ref.columns.table!, ref.columns.columns!, {
        categorical: ['kind'],
        ...(n % 2 === 1 ? { multivariate: { randomFeatures: 16, replicates: 100 } } : {}),
      });
      // The current file in the reference's order; its own generator, so some values lie outside the reference's range.
      const signals = reference.signals.map((s) => s.name);
      const cur = await readBoth(r, `cur-${n}`, 2000 + Math.floor(r.uniform() * 15_000), n + 0.5, signals);
      const rows = accumulate(cur.arrays.rows as Row[], reference);
      const columns = new FeatureSetAccumulator(reference.signals);
      for (const block of cur.columns.table!.blocks) columns.recordColumns(block);
      // As the check records them: each block as it is read.
      const sunk = new FeatureSetAccumulator(reference.signals);
      await readRows(cur.path, 'csv', undefined, { csvColumns: { order: signals, text: ['kind'] }, csvBlocks: () => (block) => sunk.recordColumns(block) });
      expect(columns.rows).toBe(rows.rows);
      const strip = (result: object) => JSON.stringify({ ...result, timestamp: null });
      const expected = strip(detector.evaluate(rows, reference));
      expect(strip(detector.evaluate(columns, reference)), `case ${n}`).toBe(expected);
      expect(strip(detector.evaluate(sunk, reference)), `case ${n}, block by block`).toBe(expected);
      expect(columns.mmd?.sum, `case ${n}`).toEqual(rows.mmd?.sum);
      expect(sunk.mmd?.sum, `case ${n}`).toEqual(rows.mmd?.sum);
    }
  });
});
