import { categoryNames, createAccumulator, parseNumeric, type FeatureAccumulator, type FeatureModel } from './feature.js';
import { attachedMultivariate, MultivariateRecorder, type MultivariateInput } from '../multivariate/state.js';
import type { MmdState } from '../multivariate/rff-mmd.js';

/**
 * One event's values in the order of `models` (a reference's features): a view of
 * `models.length` slots of a shared Float64Array — a numeric feature's value, a categorical
 * feature's category as its index in `categoryNames(model)` — NaN (or ±Infinity) where a value
 * is missing. The fast event decoder produces these, so that an event's values are never boxed.
 */
export class NumericRow {
  constructor(
    readonly models: readonly FeatureModel[],
    readonly data: Float64Array,
    readonly offset: number,
  ) {}

  /** The same values keyed by feature name (missing ones left out), as the object path takes them. */
  toObject(): Record<string, number | string> {
    // No prototype: a feature named "__proto__" is an own key like any other (review).
    const out = Object.create(null) as Record<string, number | string>;
    for (let i = 0; i < this.models.length; i++) {
      const model = this.models[i];
      const v = this.data[this.offset + i];
      if (v - v === 0) out[model.name] = model.type === 'numeric' ? v : categoryNames(model)[v];
    }
    return out;
  }
}

/** A raw value as the map's input: the number parseNumeric reads, NaN when missing or invalid. */
function numberOf(raw: unknown): number {
  if (typeof raw === 'number') return raw - raw === 0 ? raw : Number.NaN;
  const value = parseNumeric(raw);
  return typeof value === 'number' ? value : Number.NaN;
}

/**
 * Rows recorded together by recordArrays and recordRows: 256 rows of 100 features are about
 * 200 KiB, and one feature's bins, edges and grid stay in the cache over the block.
 */
const ROW_BLOCK = 256;

/**
 * The current values of every feature of one reference: one accumulator per feature, in the
 * reference's feature order. A window pane is one of these; so is a batch check's input.
 *
 * Decoded rows may be deferred (`deferRow`) and recorded later in blocks, column by column
 * (`recordRows`): recording an event's 100 values one feature after the other touches 100
 * features' bins and grids, which do not all stay in the cache from one event to the next
 * (docs/benchmarks.md, "2026-12-03 column recording"). Every read of the values — `features`,
 * `rows`, `mmd`, merge, subtract, byteSize — and every other record records the pending rows
 * first, in the order they came, so the values and the multivariate state are those of
 * recording each row at once, bit for bit.
 */
export class FeatureSetAccumulator {
  private readonly accumulators: FeatureAccumulator[];
  private count = 0;
  /** Rows deferred by deferRow, not yet recorded (at most ROW_BLOCK − 1 of them). */
  private readonly pending: NumericRow[] = [];

  /**
   * The multivariate state of the rows (docs/multivariate.md, "Pane state"), when the models
   * carry a multivariate map (a reference's signals do when it has a multivariate block): every
   * record path adds the row's map to it, and merge, subtract and reset treat it as the histograms.
   */
  private readonly mv: MultivariateRecorder | null;

  constructor(
    readonly models: readonly FeatureModel[],
    multivariate: MultivariateInput | null = attachedMultivariate(models),
  ) {
    this.accumulators = models.map(createAccumulator);
    this.names = models.map((m) => m.name);
    this.mv = multivariate ? new MultivariateRecorder(multivariate) : null;
  }

  private readonly names: string[];

  /** One accumulator per feature, in the reference's order (the pending rows recorded). */
  get features(): FeatureAccumulator[] {
    if (this.pending.length > 0) this.flush();
    return this.accumulators;
  }

  /** Rows recorded (a row may have every feature missing), the pending ones included. */
  get rows(): number {
    if (this.pending.length > 0) this.flush();
    return this.count;
  }

  set rows(rows: number) {
    if (this.pending.length > 0) this.flush();
    this.count = rows;
  }

  /** Σφ and the row count of the recorded rows, or null without a multivariate map. */
  get mmd(): MmdState | null {
    if (this.pending.length > 0) this.flush();
    return this.mv?.state ?? null;
  }

  /**
   * Defers a row decoded for these very models (the caller checks `row.models === this.models`)
   * until the next read or flush, and records a block as soon as one is pending. The row's data
   * must stay as it is until then (a RowArena's rows do, for the batch). Returns true when no
   * row was pending before: the caller keeps the accumulator on its list to flush.
   */
  deferRow(row: NumericRow): boolean {
    const { pending } = this;
    pending.push(row);
    if (pending.length === ROW_BLOCK) this.flush();
    return pending.length === 1;
  }

  /** Records the deferred rows. */
  flush(): void {
    const { pending } = this;
    if (pending.length === 0) return;
    this.recordBlocks(pending);
    pending.length = 0;
  }

  /** Records a row keyed by feature name; absent keys count as missing, extra keys are ignored. */
  recordObject(values: Readonly<Record<string, unknown>>): void {
    if (this.pending.length > 0) this.flush();
    const { accumulators: features, names } = this;
    // Events usually list their features in the reference's order: walk the keys while they
    // match, then look the remaining features up by name (absent ones count as missing).
    let i = 0;
    for (const key in values) {
      if (i === names.length || key !== names[i]) break;
      features[i].record(values[key]);
      i++;
    }
    // Own keys only: a feature named like an Object.prototype member is absent, not a function.
    for (; i < features.length; i++) features[i].record(Object.hasOwn(values, names[i]) ? values[names[i]] : undefined);
    this.count++;
    const mv = this.mv;
    if (mv) {
      const { indices } = mv.input;
      for (let k = 0; k < indices.length; k++) {
        const name = names[indices[k]];
        mv.raw[k] = Object.hasOwn(values, name) ? numberOf(values[name]) : Number.NaN;
      }
      mv.commit();
    }
  }

  /** Records a row decoded for these very models (the caller checks `row.models === this.models`). */
  recordRow(row: NumericRow): void {
    if (this.pending.length > 0) this.flush();
    const { accumulators: features } = this;
    const { data, offset } = row;
    for (let i = 0; i < features.length; i++) {
      const feature = features[i];
      const value = data[offset + i];
      if (value - value === 0) {
        if (feature.type === 'numeric') feature.recordNumber(value);
        else feature.recordCategory(feature.categoryList[value]);
      } else if (feature.type === 'numeric') feature.recordMissing(false);
      else feature.record(undefined);
    }
    this.count++;
    const mv = this.mv;
    if (mv) {
      const { indices } = mv.input;
      for (let k = 0; k < indices.length; k++) {
        const value = data[offset + indices[k]];
        mv.raw[k] = value - value === 0 ? value : Number.NaN;
      }
      mv.commit();
    }
  }

  /**
   * Records rows decoded for these very models, as recordRow would one after the other, but a
   * block of rows at a time, one feature at a time over the block (cache-friendly).
   */
  recordRows(rows: readonly NumericRow[]): void {
    if (this.pending.length > 0) this.flush();
    this.recordBlocks(rows);
  }

  private recordBlocks(rows: readonly NumericRow[]): void {
    const { accumulators: features, mv } = this;
    for (let from = 0; from < rows.length; from += ROW_BLOCK) {
      const to = Math.min(from + ROW_BLOCK, rows.length);
      for (let i = 0; i < features.length; i++) features[i].recordSlot(rows, i, from, to);
      if (!mv) continue;
      // The map row by row, in the rows' order: its sums are floating-point, and the order is part of their bits.
      const { indices } = mv.input;
      for (let r = from; r < to; r++) {
        const { data, offset } = rows[r];
        for (let k = 0; k < indices.length; k++) {
          const value = data[offset + indices[k]];
          mv.raw[k] = value - value === 0 ? value : Number.NaN;
        }
        mv.commit();
      }
    }
    this.count += rows.length;
  }

  /** Records many rows given in the reference's feature order, one feature at a time (cache-friendly). */
  recordArrays(rows: readonly (readonly unknown[])[]): void {
    if (this.pending.length > 0) this.flush();
    const { accumulators: features } = this;
    // A block of rows at a time, every feature over the block: the block's rows stay in the
    // cache while each feature reads its column of them (one feature over all rows misses it on every row).
    for (let from = 0; from < rows.length; from += ROW_BLOCK) {
      const to = Math.min(from + ROW_BLOCK, rows.length);
      for (let i = 0; i < features.length; i++) {
        const feature = features[i];
        if (feature.type === 'numeric') {
          feature.recordColumn(rows, i, from, to);
          continue;
        }
        for (let r = from; r < to; r++) {
          const row = rows[r];
          feature.record(i < row.length ? row[i] : undefined);
        }
      }
      if (this.mv) this.recordBlockMap(rows, from, to);
    }
    this.count += rows.length;
  }

  /** The multivariate map of rows [from, to), while the block is still in the cache. */
  private recordBlockMap(rows: readonly (readonly unknown[])[], from: number, to: number): void {
    const mv = this.mv!;
    const { indices } = mv.input;
    for (let r = from; r < to; r++) {
      const row = rows[r];
      for (let k = 0; k < indices.length; k++) mv.raw[k] = indices[k] < row.length ? numberOf(row[indices[k]]) : Number.NaN;
      mv.commit();
    }
  }

  /** Records a row given in the reference's feature order; short rows leave the rest missing. */
  recordArray(values: ArrayLike<unknown>): void {
    if (this.pending.length > 0) this.flush();
    const { accumulators: features } = this;
    for (let i = 0; i < features.length; i++) features[i].record(i < values.length ? values[i] : undefined);
    this.count++;
    const mv = this.mv;
    if (mv) {
      const { indices } = mv.input;
      for (let k = 0; k < indices.length; k++) mv.raw[k] = indices[k] < values.length ? numberOf(values[indices[k]]) : Number.NaN;
      mv.commit();
    }
  }

  merge(other: FeatureSetAccumulator): void {
    if (this.pending.length > 0) this.flush();
    const features = this.accumulators;
    const others = other.features;
    for (let i = 0; i < features.length; i++) {
      // Both sides of a merge are built from the same models, so the types line up.
      (features[i] as { merge(o: FeatureAccumulator): void }).merge(others[i]);
    }
    this.count += other.rows;
    if (this.mv) this.mv.state.merge(otherMmd(this, other));
  }

  subtract(other: FeatureSetAccumulator): void {
    if (this.pending.length > 0) this.flush();
    const features = this.accumulators;
    const others = other.features;
    for (let i = 0; i < features.length; i++) {
      (features[i] as { subtract(o: FeatureAccumulator): void }).subtract(others[i]);
    }
    this.count -= other.rows;
    if (this.mv) this.mv.state.subtract(otherMmd(this, other));
  }

  /** Forgets every value, the pending rows too. */
  reset(): void {
    this.pending.length = 0;
    for (const feature of this.accumulators) feature.reset();
    this.count = 0;
    if (this.mv) {
      this.mv.state.sum.fill(0);
      this.mv.state.count = 0;
    }
  }

  get byteSize(): number {
    let bytes = 64;
    for (const feature of this.features) bytes += feature.byteSize;
    return bytes + (this.mv ? this.mv.byteSize : 0);
  }
  /**
   * Records a block of rows given column by column in the reference's feature order (the CSV
   * reader's CsvBlock): a Float64Array of numbers (NaN where missing), an array of raw values, or
   * null for a column absent from the input. The same counts, sums and multivariate state as
   * recordArrays of the same values as array rows, bit for bit.
   */
  recordColumns(block: { readonly rows: number; readonly columns: readonly (Float64Array | readonly unknown[] | null)[] }): void {
    const { features } = this;
    const { rows, columns } = block;
    for (let i = 0; i < features.length; i++) {
      const feature = features[i];
      const column = i < columns.length ? columns[i] : null;
      if (column instanceof Float64Array && feature.type === 'numeric') feature.recordFloat64(column);
      else if (column === null) for (let r = 0; r < rows; r++) feature.record(undefined);
      else for (let r = 0; r < rows; r++) feature.record(column[r]);
    }
    const mv = this.mv;
    if (mv) {
      const { indices } = mv.input;
      const inputs = Array.from(indices, (index) => (index < columns.length ? columns[index] : null));
      for (let r = 0; r < rows; r++) {
        for (let k = 0; k < inputs.length; k++) {
          const column = inputs[k];
          mv.raw[k] = column === null ? Number.NaN : numberOf(column[r]);
        }
        mv.commit();
      }
    }
    this.rows += rows;
  }
}

/** The other side's MMD state: both sides of a merge carry one, or the windows would silently lose it. */
function otherMmd(self: FeatureSetAccumulator, other: FeatureSetAccumulator): MmdState {
  const state = other.mmd;
  if (!state || state.sum.length !== self.mmd!.sum.length) {
    throw new RangeError('cannot merge values without a multivariate state into values with one: build both on the reference signals');
  }
  return state;
}
