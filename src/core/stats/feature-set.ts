import { categoryNames, createAccumulator, type FeatureAccumulator, type FeatureModel } from './feature.js';

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

/** Rows recorded together by recordArrays: 256 rows of 100 features are about 200 KiB. */
const ROW_BLOCK = 256;

/**
 * The current values of every feature of one reference: one accumulator per feature, in the
 * reference's feature order. A window pane is one of these; so is a batch check's input.
 */
export class FeatureSetAccumulator {
  readonly features: FeatureAccumulator[];
  /** Rows recorded (a row may have every feature missing). */
  rows = 0;

  constructor(readonly models: readonly FeatureModel[]) {
    this.features = models.map(createAccumulator);
    this.names = models.map((m) => m.name);
  }

  private readonly names: string[];

  /** Records a row keyed by feature name; absent keys count as missing, extra keys are ignored. */
  recordObject(values: Readonly<Record<string, unknown>>): void {
    const { features, names } = this;
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
    this.rows++;
  }

  /** Records a row decoded for these very models (the caller checks `row.models === this.models`). */
  recordRow(row: NumericRow): void {
    const { features } = this;
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
    this.rows++;
  }

  /** Records many rows given in the reference's feature order, one feature at a time (cache-friendly). */
  recordArrays(rows: readonly (readonly unknown[])[]): void {
    const { features } = this;
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
    }
    this.rows += rows.length;
  }

  /** Records a row given in the reference's feature order; short rows leave the rest missing. */
  recordArray(values: ArrayLike<unknown>): void {
    const { features } = this;
    for (let i = 0; i < features.length; i++) features[i].record(i < values.length ? values[i] : undefined);
    this.rows++;
  }

  merge(other: FeatureSetAccumulator): void {
    for (let i = 0; i < this.features.length; i++) {
      // Both sides of a merge are built from the same models, so the types line up.
      (this.features[i] as { merge(o: FeatureAccumulator): void }).merge(other.features[i]);
    }
    this.rows += other.rows;
  }

  subtract(other: FeatureSetAccumulator): void {
    for (let i = 0; i < this.features.length; i++) {
      (this.features[i] as { subtract(o: FeatureAccumulator): void }).subtract(other.features[i]);
    }
    this.rows -= other.rows;
  }

  reset(): void {
    for (const feature of this.features) feature.reset();
    this.rows = 0;
  }

  get byteSize(): number {
    let bytes = 64;
    for (const feature of this.features) bytes += feature.byteSize;
    return bytes;
  }
}
