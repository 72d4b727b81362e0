import { ExactSum, Histogram, binIndex } from './histogram.js';
import { nextDown } from './quantile.js';

/**
 * The in-memory form of one feature of a reference distribution, and the mergeable
 * accumulations of current values that are compared with it.
 *
 * Numeric features are accumulated on the reference's fine bins; PSI bins are a coarsening of
 * them (every PSI edge is also a fine edge), so one histogram serves PSI, KS, JS and Wasserstein.
 */
export type FeatureType = 'numeric' | 'categorical';

export interface NumericSummary {
  mean: number;
  /** Population standard deviation (ddof = 0), as numpy.std. */
  std: number;
  min: number;
  max: number;
  quantiles: Record<string, number>;
}

export interface NumericFeatureModel {
  readonly name: string;
  readonly type: 'numeric';
  /** Non-missing reference values. */
  readonly count: number;
  readonly missingCount: number;
  /** PSI edges: reference quantiles at k/B, k = 1..B−1, duplicates removed. */
  readonly psiEdges: Float64Array;
  /** Fine edges (a superset of psiEdges, including the reference min and max). */
  readonly fineEdges: Float64Array;
  /** Exact reference counts per fine bin, length fineEdges.length + 1. */
  readonly fineCounts: Float64Array;
  /** True when the fine edges are every distinct reference value (small-support features). */
  readonly discrete: boolean;
  readonly summary: NumericSummary;
  /** PSI bin of each fine bin (derived). */
  readonly psiBinOfFine: Int32Array;
  /** Reference counts per PSI bin (derived). */
  readonly psiCounts: Float64Array;
}

export interface CategoricalFeatureModel {
  readonly name: string;
  readonly type: 'categorical';
  readonly count: number;
  readonly missingCount: number;
  readonly categories: ReadonlyMap<string, number>;
}

export type FeatureModel = NumericFeatureModel | CategoricalFeatureModel;

const categoryLists = new WeakMap<CategoricalFeatureModel, readonly string[]>();

/** A categorical model's reference categories in a fixed order (a row stores a category as its index here). */
export function categoryNames(model: CategoricalFeatureModel): readonly string[] {
  let names = categoryLists.get(model);
  if (!names) categoryLists.set(model, (names = [...model.categories.keys()]));
  return names;
}

/** Derives the PSI coarsening of a numeric feature's fine bins. */
export function numericModel(fields: Omit<NumericFeatureModel, 'type' | 'psiBinOfFine' | 'psiCounts'>): NumericFeatureModel {
  const { fineEdges, fineCounts, psiEdges } = fields;
  const psiBinOfFine = new Int32Array(fineCounts.length);
  const psiCounts = new Float64Array(psiEdges.length + 1);
  for (let i = 0; i < fineCounts.length; i++) {
    // Fine bin i is (e[i−1], e[i]]; the last one is (e[last], +∞).
    const bin = i < fineEdges.length ? binIndex(psiEdges, fineEdges[i]) : psiEdges.length;
    psiBinOfFine[i] = bin;
    psiCounts[bin] += fineCounts[i];
  }
  return { ...fields, type: 'numeric', psiBinOfFine, psiCounts };
}

/** Why a raw value did not count as a value. */
export type ValueOutcome = 'ok' | 'missing' | 'invalid';

/** Decimal notation only: "0x10", "0b1" and "1_000" are not numbers in a CSV or an event. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)(e[+-]?\d+)?$/i;

/**
 * Parses a raw numeric value. Missing: null, undefined, '', NaN, ±Infinity (also as the
 * strings "nan", "inf", "-inf", "infinity"). Invalid (counted as missing and as invalid):
 * anything else that is not a finite number or a string holding one.
 */
export function parseNumeric(raw: unknown): number | ValueOutcome {
  if (typeof raw === 'number') return Number.isFinite(raw) ? raw : 'missing';
  if (raw === null || raw === undefined) return 'missing';
  if (typeof raw === 'string') {
    const text = raw.trim();
    if (text === '') return 'missing';
    if (DECIMAL.test(text)) {
      const value = Number(text);
      return Number.isFinite(value) ? value : 'missing';
    }
    return /^[+-]?(nan|inf|infinity)$/i.test(text) ? 'missing' : 'invalid';
  }
  return 'invalid';
}

/** Parses a raw categorical value: strings as they are, finite numbers and booleans as text; NaN and ±Infinity are missing. */
export function parseCategory(raw: unknown): string | ValueOutcome {
  if (typeof raw === 'string') return raw === '' ? 'missing' : raw;
  if (raw === null || raw === undefined) return 'missing';
  if (typeof raw === 'number') return Number.isFinite(raw) ? String(raw) : 'missing';
  if (typeof raw === 'boolean') return String(raw);
  return 'invalid';
}

/**
 * Where one decoded event's values are (a NumericRow, feature-set.ts): slot i of the row is
 * `data[offset + i]`, NaN (or ±Infinity) when missing.
 */
export interface RowSlots {
  readonly data: Float64Array;
  readonly offset: number;
}

/** Current values of one numeric feature: counts on the reference's fine bins. */
export class NumericAccumulator {
  readonly type = 'numeric' as const;
  readonly histogram: Histogram;
  missing = 0;
  invalid = 0;
  /**
   * Σ (min − x) over current values below the reference min, and Σ (x − max) above the max:
   * the Wasserstein tails, kept exact (ExactSum) so that the window's value does not depend on
   * the order its panes were merged and subtracted in (bit-identical restarts, issue 16).
   */
  readonly below = new ExactSum();
  readonly above = new ExactSum();

  /** Σ (min − x) over current values below the reference min: the Wasserstein lower tail. */
  get belowSum(): number {
    return this.below.value;
  }

  /** Σ (x − max) over current values above the reference max: the Wasserstein upper tail. */
  get aboveSum(): number {
    return this.above.value;
  }

  private readonly min: number;
  private readonly max: number;
  /**
   * recordColumn's common case, the values x with insideLow < x ≤ insideHigh: within the
   * locator's grid (first edge < x ≤ last edge) and in [min, max] (x > nextDown(min) is x ≥ min),
   * so that x adds to neither tail. A built reference has the min (or nextDown(min), before an
   * atom) as its first edge and the max as its last, and then this is the whole grid.
   */
  private readonly insideLow: number;
  private readonly insideHigh: number;

  constructor(readonly model: NumericFeatureModel) {
    this.histogram = new Histogram(model.fineEdges);
    this.min = model.summary.min;
    this.max = model.summary.max;
    const { locator } = this.histogram;
    this.insideLow = Math.max(locator.first, nextDown(this.min));
    this.insideHigh = Math.min(locator.last, this.max);
  }

  /** Rows seen, missing or not. */
  get rows(): number {
    return this.histogram.total + this.missing;
  }

  record(raw: unknown): void {
    // Fast path: a finite number (x − x is 0 only for finite x).
    if (typeof raw === 'number' && raw - raw === 0) {
      this.recordNumber(raw);
      return;
    }
    const value = parseNumeric(raw);
    if (typeof value === 'number') this.recordNumber(value);
    else this.recordMissing(value === 'invalid');
  }

  recordNumber(value: number): void {
    this.histogram.record(value);
    if (value < this.min) this.below.add(this.min - value);
    else if (value > this.max) this.above.add(value - this.max);
  }

  recordMissing(invalid: boolean): void {
    this.missing++;
    if (invalid) this.invalid++;
  }

  /** Records column `column` of rows [from, to): the batch check's hot loop, with the common case inline. */
  recordColumn(rows: readonly (readonly unknown[])[], column: number, from = 0, to = rows.length): void {
    const { counts, locator } = this.histogram;
    if (!locator.gridded) {
      for (let r = from; r < to; r++) this.record(column < rows[r].length ? rows[r][column] : undefined);
      return;
    }
    // One range test serves the bin and the Wasserstein tails (see insideLow).
    const { insideLow, insideHigh } = this;
    let recorded = 0;
    for (let r = from; r < to; r++) {
      const row = rows[r];
      // A short row's missing value is recorded apart: `column < row.length ? row[column] :
      // undefined` would merge every number with undefined, and V8 then boxes each value read
      // (a heap number per value: 10 M of them in a 100,000 × 100 check).
      if (column >= row.length) {
        this.record(undefined);
        continue;
      }
      const raw = row[column];
      if (typeof raw === 'number' && raw > insideLow && raw <= insideHigh) {
        counts[locator.inside(raw)]++;
        recorded++;
      } else if (typeof raw === 'number' && raw - raw === 0) this.recordNumber(raw);
      else this.record(raw);
    }
    this.histogram.total += recorded;
  }

  /**
   * Records slot `slot` of decoded rows [from, to) (FeatureSetAccumulator.recordRows): what
   * recordNumber or recordMissing would record for each, with recordColumn's common case inline.
   */
  recordSlot(rows: readonly RowSlots[], slot: number, from: number, to: number): void {
    const { counts, locator } = this.histogram;
    // Without a grid `inside` must not be used (and (insideLow, insideHigh] may still hold values).
    const { insideLow, insideHigh } = this;
    const gridded = locator.gridded;
    let recorded = 0;
    for (let r = from; r < to; r++) {
      const row = rows[r];
      const value = row.data[row.offset + slot];
      if (gridded && value > insideLow && value <= insideHigh) {
        counts[locator.inside(value)]++;
        recorded++;
      } else if (value - value === 0) this.recordNumber(value);
      else this.recordMissing(false);
    }
    this.histogram.total += recorded;
  }

  merge(other: NumericAccumulator): void {
    this.histogram.merge(other.histogram);
    this.missing += other.missing;
    this.invalid += other.invalid;
    this.below.merge(other.below);
    this.above.merge(other.above);
  }

  subtract(other: NumericAccumulator): void {
    this.histogram.subtract(other.histogram);
    this.missing -= other.missing;
    this.invalid -= other.invalid;
    this.below.subtract(other.below);
    this.above.subtract(other.above);
  }

  reset(): void {
    this.histogram.reset();
    this.missing = 0;
    this.invalid = 0;
    this.below.reset();
    this.above.reset();
  }

  /** Approximate bytes held (typed array plus fields). */
  get byteSize(): number {
    return this.histogram.counts.byteLength + 64;
  }
  /**
   * Records a column of numbers (NaN or ±Infinity where a value is missing), as recordColumn
   * records the same numbers in array rows: the batch check's columnar path (the CSV reader's
   * column blocks), with no type test and no row object per value.
   */
  recordFloat64(values: Float64Array): void {
    const { counts, locator } = this.histogram;
    const n = values.length;
    if (!locator.gridded) {
      for (let r = 0; r < n; r++) {
        const value = values[r];
        if (value - value === 0) this.recordNumber(value);
        else this.recordMissing(false);
      }
      return;
    }
    // One range test serves the bin and the Wasserstein tails (see insideLow).
    const { insideLow, insideHigh } = this;
    let recorded = 0;
    for (let r = 0; r < n; r++) {
      const value = values[r];
      if (value > insideLow && value <= insideHigh) {
        counts[locator.inside(value)]++;
        recorded++;
      } else if (value - value === 0) this.recordNumber(value);
      else this.recordMissing(false);
    }
    this.histogram.total += recorded;
  }
}

/** Current values of one categorical feature: a count per category. */
export class CategoricalAccumulator {
  readonly type = 'categorical' as const;
  readonly counts = new Map<string, number>();
  total = 0;
  missing = 0;
  invalid = 0;

  /** The reference categories in row order (see categoryNames). */
  readonly categoryList: readonly string[];

  constructor(readonly model: CategoricalFeatureModel) {
    this.categoryList = categoryNames(model);
  }

  get rows(): number {
    return this.total + this.missing;
  }

  record(raw: unknown): void {
    const value = parseCategory(raw);
    if (value === 'missing' || value === 'invalid') {
      this.missing++;
      if (value === 'invalid') this.invalid++;
      return;
    }
    this.counts.set(value, (this.counts.get(value) ?? 0) + 1);
    this.total++;
  }

  /** Records a category already known to be valid (a reference category, by its row index). */
  recordCategory(category: string): void {
    this.counts.set(category, (this.counts.get(category) ?? 0) + 1);
    this.total++;
  }

  /** Records slot `slot` of decoded rows [from, to): a category by its index in categoryList, or missing. */
  recordSlot(rows: readonly RowSlots[], slot: number, from: number, to: number): void {
    const { categoryList } = this;
    for (let r = from; r < to; r++) {
      const row = rows[r];
      const value = row.data[row.offset + slot];
      if (value - value === 0) this.recordCategory(categoryList[value]);
      else this.record(undefined);
    }
  }

  merge(other: CategoricalAccumulator): void {
    for (const [category, count] of other.counts) {
      this.counts.set(category, (this.counts.get(category) ?? 0) + count);
    }
    this.total += other.total;
    this.missing += other.missing;
    this.invalid += other.invalid;
  }

  subtract(other: CategoricalAccumulator): void {
    for (const [category, count] of other.counts) {
      const left = (this.counts.get(category) ?? 0) - count;
      if (left === 0) this.counts.delete(category);
      else this.counts.set(category, left);
    }
    this.total -= other.total;
    this.missing -= other.missing;
    this.invalid -= other.invalid;
  }

  reset(): void {
    this.counts.clear();
    this.total = 0;
    this.missing = 0;
    this.invalid = 0;
  }

  get byteSize(): number {
    let bytes = 64;
    for (const key of this.counts.keys()) bytes += 2 * key.length + 48;
    return bytes;
  }
}

export type FeatureAccumulator = NumericAccumulator | CategoricalAccumulator;

export function createAccumulator(model: FeatureModel): FeatureAccumulator {
  return model.type === 'numeric' ? new NumericAccumulator(model) : new CategoricalAccumulator(model);
}
