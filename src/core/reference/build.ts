import {
  nextDown,
  numericModel,
  parseCategory,
  parseNumeric,
  quantileSorted,
  uniqueSorted,
  type CategoricalFeatureModel,
  type FeatureModel,
  type FeatureType,
  type NumericFeatureModel,
} from '../stats/index.js';
import { SortScratch, sortFloat64 } from '../stats/sort.js';
import { columnMoments, sortedMoments } from '../stats/moments.js';
import { InputError } from '../errors.js';

export interface BuildOptions {
  /** Feature names: required for array rows; for object rows, defaults to the keys of the first row. */
  featureNames?: readonly string[];
  /** Features forced categorical (otherwise inferred). */
  categorical?: readonly string[];
  /** Features forced numeric (non-numeric values then count as invalid and missing). */
  numeric?: readonly string[];
  modelVersion?: string | null;
  /** Number of PSI bins B (edges at the quantiles k/B, k = 1..B−1). Default 10. */
  psiBins?: number;
  /** Number of fine bins for KS and Wasserstein (edges at the quantiles k/F). Default 400. */
  fineBins?: number;
}

export const DEFAULT_PSI_BINS = 10;
/** 400 fine bins keep every continuous fine bin near 1/400 = 0.0025 of the reference mass, half the 0.005 KS budget. */
export const DEFAULT_FINE_BINS = 400;
const SUMMARY_QUANTILES = [0.01, 0.05, 0.1, 0.25, 0.5, 0.75, 0.9, 0.95, 0.99];

export type Row = Readonly<Record<string, unknown>> | readonly unknown[];

export interface BuiltFeature {
  model: FeatureModel;
  invalidCount: number;
}

/**
 * Reference rows given column by column, in blocks of rows (the CSV reader's column blocks,
 * adapters/files/csv.ts): per column of the feature names, a Float64Array of numbers (NaN where
 * missing), an array of raw values, or null for a column every row lacks.
 */
export interface ColumnTable {
  readonly rows: number;
  readonly blocks: readonly { readonly rows: number; readonly columns: readonly (Float64Array | readonly unknown[] | null)[] }[];
}

/** Where buildFeatures reads its columns: array or object rows, or a ColumnTable. */
interface ColumnSource {
  readonly length: number;
  /** The raw values of one column. */
  raw(index: number, name: string): unknown[];
  /** Columns read as readNumericColumns reads them. */
  numeric(indices: readonly number[], names: readonly string[], into: readonly Float64Array[]): NumericColumn[];
}

/** Decides each feature's type and builds its model from the reference rows. */
export function buildFeatures(rows: readonly Row[], options: BuildOptions = {}): { names: string[]; features: BuiltFeature[] } {
  if (rows.length === 0) throw new InputError('cannot build a reference from zero rows');
  const names = resolveFeatureNames(rows, options.featureNames);
  return buildFrom(
    {
      length: rows.length,
      raw: (index, name) => rawColumn(rows, index, name),
      numeric: (indices, names, into) => readNumericColumns(rows, indices, names, into),
    },
    names,
    options,
  );
}

/**
 * buildFeatures of rows given as columns (`names`: the table's columns, in order): the same
 * models, bit for bit, as buildFeatures of the same values as array rows, read without a row
 * object (docs/benchmarks.md, "2026-12-03 columnar CSV").
 */
export function buildFeaturesFromColumns(table: ColumnTable, names: readonly string[], options: BuildOptions = {}): { names: string[]; features: BuiltFeature[] } {
  if (table.rows === 0) throw new InputError('cannot build a reference from zero rows');
  if (names.length === 0) throw new InputError('rows given as columns need their feature names');
  const resolved = resolveFeatureNames([], names);
  return buildFrom(
    {
      length: table.rows,
      raw: (index) => rawTableColumn(table, index),
      numeric: (indices, _names, into) => readTableColumns(table, indices, into),
    },
    resolved,
    options,
  );
}

/** The rows of a ColumnTable as arrays (for the builders that read rows: outputs, the multivariate block). */
export function tableRows(table: ColumnTable): unknown[][] {
  const rows: unknown[][] = [];
  for (const { rows: count, columns } of table.blocks) {
    for (let r = 0; r < count; r++) {
      const row = new Array<unknown>(columns.length);
      for (let k = 0; k < columns.length; k++) {
        const column = columns[k];
        if (column !== null) row[k] = column[r];
      }
      rows.push(row);
    }
  }
  return rows;
}

function rawTableColumn(table: ColumnTable, index: number): unknown[] {
  const out = new Array<unknown>(table.rows);
  let at = 0;
  for (const { rows, columns } of table.blocks) {
    const column = index < columns.length ? columns[index] : null;
    for (let r = 0; r < rows; r++) out[at++] = column === null ? undefined : column[r];
  }
  return out;
}

/** readNumericColumns of a ColumnTable: Float64Array columns copied without a type test per value. */
function readTableColumns(table: ColumnTable, indices: readonly number[], into: readonly Float64Array[]): NumericColumn[] {
  const n = table.rows;
  return indices.map((index, k) => {
    const values = into[k] && into[k].length >= n ? into[k] : new Float64Array(n);
    const one = [values];
    const count = new Int32Array(1);
    const missing = new Int32Array(1);
    const invalid = new Int32Array(1);
    for (const { rows, columns } of table.blocks) {
      const column = index < columns.length ? columns[index] : null;
      if (column instanceof Float64Array) {
        let c = count[0];
        let m = 0;
        for (let r = 0; r < rows; r++) {
          const v = column[r];
          // A finite number (x − x is 0 only for finite x); NaN and ±Infinity are missing, as parseNumeric reads them.
          if (v - v === 0) values[c++] = v;
          else m++;
        }
        count[0] = c;
        missing[0] += m;
      } else if (column === null) missing[0] += rows;
      else for (let r = 0; r < rows; r++) readValue(column[r], 0, one, count, missing, invalid);
    }
    return { values: count[0] === values.length ? values : values.subarray(0, count[0]), missing: missing[0], invalid: invalid[0] };
  });
}

/** buildFeatures' body, over any source of columns. */
function buildFrom(source: ColumnSource, names: string[], options: BuildOptions): { names: string[]; features: BuiltFeature[] } {
  const forcedCategorical = new Set(options.categorical ?? []);
  const forcedNumeric = new Set(options.numeric ?? []);
  for (const name of [...forcedCategorical, ...forcedNumeric]) {
    if (!names.includes(name)) {
      throw new InputError(`feature "${name}" named in the type options is not among the features: ${names.join(', ')}`, { context: { feature: name } });
    }
  }
  for (const name of forcedCategorical) {
    if (forcedNumeric.has(name)) throw new InputError(`feature "${name}" cannot be forced both numeric and categorical`, { context: { feature: name } });
  }
  const psiBins = options.psiBins ?? DEFAULT_PSI_BINS;
  const fineBins = options.fineBins ?? DEFAULT_FINE_BINS;
  if (!Number.isInteger(psiBins) || psiBins < 2) throw new InputError(`psiBins (${psiBins}) must be an integer ≥ 2`);
  if (!Number.isInteger(fineBins) || fineBins < psiBins) throw new InputError(`fineBins (${fineBins}) must be an integer ≥ psiBins (${psiBins})`);

  const features: BuiltFeature[] = new Array(names.length);
  // Columns are read a group at a time (columnGroupSize) in one row-major pass: reading one column of
  // array rows at a time misses the cache on every row, and reading all of them at once would
  // hold every column beside the rows.
  const candidates = names.map((name, index) => ({ name, index })).filter(({ name }) => !forcedCategorical.has(name));
  for (const name of forcedCategorical) {
    const index = names.indexOf(name);
    features[index] = buildCategorical(name, source.raw(index, name));
  }
  // One group's column arrays and one sort's working arrays serve every group: a model keeps
  // none of them, and fresh ones per column are enough external memory to set off full
  // collections that mark every row (about a fifth of the build at 100,000 × 100).
  const groupSize = columnGroupSize(source.length, candidates.length);
  const buffers = Array.from({ length: Math.min(groupSize, candidates.length) }, () => new Float64Array(source.length));
  const scratch = new SortScratch();
  for (let start = 0; start < candidates.length; start += groupSize) {
    const group = candidates.slice(start, start + groupSize);
    const columns = source.numeric(
      group.map((c) => c.index),
      group.map((c) => c.name),
      buffers,
    );
    // The group's numeric columns are sorted first, so that their summary moments are computed
    // side by side (sortedMoments: the same bits as one column at a time, in a fraction of the time).
    const numeric: { name: string; index: number; column: NumericColumn }[] = [];
    group.forEach(({ name, index }, k) => {
      const column = columns[k];
      // An invalid value makes the column categorical (inferType) unless it is forced numeric.
      if (column.invalid > 0 && !forcedNumeric.has(name)) features[index] = buildCategorical(name, source.raw(index, name));
      else numeric.push({ name, index, column: sortColumn(name, column, scratch) });
    });
    const moments = sortedMoments(numeric.map(({ column }) => column.values));
    numeric.forEach(({ name, index, column }, j) => {
      features[index] = numericFromSorted(name, column, psiBins, fineBins, moments.mean[j], moments.squares[j]);
    });
  }
  return { names, features };
}

function resolveFeatureNames(rows: readonly Row[], given?: readonly string[]): string[] {
  const names = resolveNames(rows, given);
  // The reference file keys features by name, and a JSON object cannot hold this one safely.
  if (names.includes('__proto__')) throw new InputError('a feature cannot be named "__proto__"; rename the column', { context: { feature: '__proto__' } });
  return names;
}

function resolveNames(rows: readonly Row[], given?: readonly string[]): string[] {
  if (given && given.length > 0) {
    const duplicate = given.find((n, i) => given.indexOf(n) !== i);
    if (duplicate) throw new InputError(`feature "${duplicate}" is named twice`, { context: { feature: duplicate } });
    return [...given];
  }
  const first = rows[0];
  if (Array.isArray(first)) throw new InputError('rows given as arrays need featureNames');
  return Object.keys(first as object);
}

/** A column with any non-numeric, non-empty value is categorical. */
export function inferType(column: readonly unknown[]): FeatureType {
  for (const value of column) if (parseNumeric(value) === 'invalid') return 'categorical';
  return 'numeric';
}

/** A column's values read as numbers: the finite ones packed in order, the others counted. */
export interface NumericColumn {
  /** The finite values, in row order (buildNumeric sorts them in place). */
  values: Float64Array;
  /** Missing values, invalid ones included. */
  missing: number;
  invalid: number;
}

/** The raw values of one column: `row[index]` of array rows, `row[name]` of object rows. */
function rawColumn(rows: readonly Row[], index: number, name: string): unknown[] {
  return rows.map((row) => (Array.isArray(row) ? row[index] : (row as Record<string, unknown>)[name]));
}

/** Columns read together by readNumericColumns in one pass over the rows, whatever their size. */
const COLUMN_GROUP = 16;
/**
 * More columns are read together while their arrays stay within this many bytes. 64 MiB (two
 * passes of 50 at 100,000 × 100) allocated 40 MB of fresh arrays outside the heap per build,
 * enough external memory to start a marking of the whole heap (every row the caller holds) on
 * each build; 32 MiB (three passes of 34, 27 MB) starts none and costs less in all: build CPU
 * 0.41–0.44 s against 0.41–0.49 s, wall 0.39–0.40 s against 0.38–0.43 s (docs/benchmarks.md,
 * "Column kernels, third round").
 */
const COLUMN_GROUP_BYTES = 32 << 20;

/**
 * How many columns one pass over the rows reads: every pass loads each row again, so fewer,
 * wider passes are faster (100,000 × 100 rows: two passes of 50 read in about 0.6× the time
 * of seven of 16), as long as the group's arrays fit COLUMN_GROUP_BYTES (COLUMN_GROUP
 * columns are allowed whatever their size); then the passes are evened out (100 columns of
 * 100,000 rows: three of 34, not 41, 41 and 18; 20 columns of 1,000,000 rows: two of 10, not
 * 16 and 4).
 */
export function columnGroupSize(rows: number, columns: number): number {
  const widest = Math.max(COLUMN_GROUP, Math.floor(COLUMN_GROUP_BYTES / (8 * Math.max(rows, 1))));
  if (columns <= widest) return Math.max(columns, 1);
  return Math.ceil(columns / Math.ceil(columns / widest));
}

/**
 * Reads columns of the rows (`row[indices[k]]` of array rows, `row[names[k]]` of object rows)
 * straight into Float64Arrays in one row-major pass, parsing as parseNumeric does: no
 * intermediate array of boxed values. `into`, when given, lends one array of at least
 * rows.length values per column (the columns returned are views of them).
 */
export function readNumericColumns(rows: readonly Row[], indices: readonly number[], names: readonly string[], into?: readonly Float64Array[]): NumericColumn[] {
  const n = rows.length;
  const width = indices.length;
  const values = indices.map((_, k) => (into && into[k].length >= n ? into[k] : new Float64Array(n)));
  const counts = new Int32Array(width);
  const missing = new Int32Array(width);
  const invalid = new Int32Array(width);
  for (let r = 0; r < n; r++) {
    const row = rows[r];
    if (Array.isArray(row)) readArrayRow(row as readonly unknown[], indices, values, counts, missing, invalid);
    else {
      for (let k = 0; k < width; k++) readValue((row as Readonly<Record<string, unknown>>)[names[k]], k, values, counts, missing, invalid);
    }
  }
  return values.map((v, k) => ({ values: counts[k] === v.length ? v : v.subarray(0, counts[k]), missing: missing[k], invalid: invalid[k] }));
}

/** The values of one array row into the columns (readNumericColumns' hot loop, apart so that array reads stay unboxed). */
function readArrayRow(row: readonly unknown[], indices: readonly number[], values: Float64Array[], counts: Int32Array, missing: Int32Array, invalid: Int32Array): void {
  for (let k = 0; k < indices.length; k++) {
    const raw = row[indices[k]];
    // Fast path: a finite number (x − x is 0 only for finite x).
    if (typeof raw === 'number' && raw - raw === 0) values[k][counts[k]++] = raw;
    else readValue(raw, k, values, counts, missing, invalid);
  }
}

/** One raw value into column k, parsed as parseNumeric does. */
function readValue(raw: unknown, k: number, values: Float64Array[], counts: Int32Array, missing: Int32Array, invalid: Int32Array): void {
  if (typeof raw === 'number' && raw - raw === 0) {
    values[k][counts[k]++] = raw;
    return;
  }
  const value = parseNumeric(raw);
  if (typeof value === 'number') values[k][counts[k]++] = value;
  else {
    missing[k]++;
    if (value === 'invalid') invalid[k]++;
  }
}

/** One column of the rows, as readNumericColumns reads it. */
export function readNumericColumn(rows: readonly Row[], index: number, name: string): NumericColumn {
  return readNumericColumns(rows, [index], [name])[0];
}

/** The same read over a column of raw values. */
function numericValues(column: readonly unknown[]): NumericColumn {
  const values = new Float64Array(column.length);
  let count = 0;
  let missing = 0;
  let invalid = 0;
  for (const raw of column) {
    const value = parseNumeric(raw);
    if (typeof value === 'number') values[count++] = value;
    else {
      missing++;
      if (value === 'invalid') invalid++;
    }
  }
  return { values: values.subarray(0, count), missing, invalid };
}

/**
 * The per-column builder of a numeric feature: from its raw values, or from a column already
 * read by readNumericColumn (whose values it then sorts in place).
 */
export function buildNumeric(name: string, input: readonly unknown[] | NumericColumn, psiBins: number, fineBins: number, scratch?: SortScratch): BuiltFeature {
  const column = sortColumn(name, Array.isArray(input) ? numericValues(input as readonly unknown[]) : (input as NumericColumn), scratch);
  const { mean, squares } = columnMoments(column.values);
  return numericFromSorted(name, column, psiBins, fineBins, mean, squares);
}

/** The column with its values sorted in place; a column with no value is an error naming the feature. */
function sortColumn(name: string, column: NumericColumn, scratch?: SortScratch): NumericColumn {
  if (column.values.length === 0) {
    throw new InputError(`numeric feature "${name}" has no non-missing value in the reference rows`, { context: { feature: name } });
  }
  return { ...column, values: sortFloat64(column.values, scratch) };
}

/** A numeric feature's model from its sorted values and their moments (stats/moments.ts). */
function numericFromSorted(name: string, column: NumericColumn, psiBins: number, fineBins: number, mean: number, squares: number): BuiltFeature {
  const { values: sorted, missing, invalid } = column;
  const n = sorted.length;

  const psiEdges = uniqueSorted(Array.from({ length: psiBins - 1 }, (_, k) => quantileSorted(sorted, (k + 1) / psiBins)));
  const discrete = countDistinct(sorted, fineBins + 1) <= fineBins;
  const fineBase = discrete ? uniqueSorted(sorted) : Array.from({ length: fineBins + 1 }, (_, k) => quantileSorted(sorted, k / fineBins));
  const fineEdges = splitAtoms(uniqueSorted([...fineBase, ...psiEdges]), sorted);

  // Exact reference counts per right-closed fine bin: the values ≤ each edge, by binary search.
  const fineCounts = new Float64Array(fineEdges.length + 1);
  let below = 0;
  for (let bin = 0; bin < fineEdges.length; bin++) {
    const upTo = countAtMost(sorted, fineEdges[bin], below);
    fineCounts[bin] = upTo - below;
    below = upTo;
  }
  fineCounts[fineEdges.length] = n - below;

  const quantiles: Record<string, number> = {};
  for (const p of SUMMARY_QUANTILES) quantiles[`p${Math.round(p * 100)}`] = quantileSorted(sorted, p);

  const model: NumericFeatureModel = numericModel({
    name,
    count: n,
    missingCount: missing,
    psiEdges,
    fineEdges,
    fineCounts,
    discrete,
    summary: { mean, std: Math.sqrt(squares / n), min: sorted[0], max: sorted[n - 1], quantiles },
  });
  return { model, invalidCount: invalid };
}

/** Distinct values of a sorted array, counted up to `limit` (a feature with more is continuous). */
function countDistinct(sorted: Float64Array, limit: number): number {
  let count = sorted.length > 0 ? 1 : 0;
  for (let i = 1; i < sorted.length && count < limit; i++) if (sorted[i] !== sorted[i - 1]) count++;
  return count;
}

/** The number of sorted values ≤ x, searched from index `from` on (every value before it is ≤ x). */
function countAtMost(sorted: Float64Array, x: number, from: number): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] <= x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The number of sorted values < x, searched from index `from` on (every value before it is < x). */
function countBelow(sorted: Float64Array, x: number, from: number): number {
  let lo = from;
  let hi = sorted.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (sorted[mid] < x) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/**
 * Gives every reference atom (a value held by several rows) a bin of its own, (nextDown(a), a]:
 * the bin before it then holds only values strictly below the atom. KS is read at the edges,
 * and the error inside a bin is bounded by the reference mass of the bin, so without this a
 * current value just below an atom would hide behind the whole atom's mass.
 */
function splitAtoms(edges: Float64Array, sorted: Float64Array): Float64Array {
  const out: number[] = [];
  let j = 0;
  for (let i = 0; i < edges.length; i++) {
    const e = edges[i];
    j = countBelow(sorted, e, j);
    const k = countAtMost(sorted, e, j);
    const below = nextDown(e);
    if (k - j >= 2 && (out.length === 0 || out[out.length - 1] < below)) out.push(below);
    out.push(e);
  }
  return Float64Array.from(out);
}

export function buildCategorical(name: string, column: readonly unknown[]): BuiltFeature {
  const counts = new Map<string, number>();
  let missing = 0;
  let invalid = 0;
  for (const raw of column) {
    const value = parseCategory(raw);
    if (value === 'missing' || value === 'invalid') {
      missing++;
      if (value === 'invalid') invalid++;
    } else counts.set(value, (counts.get(value) ?? 0) + 1);
  }
  const sorted = new Map([...counts].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)));
  const model: CategoricalFeatureModel = { name, type: 'categorical', count: column.length - missing, missingCount: missing, categories: sorted };
  return { model, invalidCount: invalid };
}
