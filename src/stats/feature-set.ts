import { createAccumulator, type FeatureAccumulator, type FeatureModel } from './feature.js';

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
  }

  /** Records a row keyed by feature name; absent keys count as missing, extra keys are ignored. */
  recordObject(values: Readonly<Record<string, unknown>>): void {
    const { features, models } = this;
    for (let i = 0; i < features.length; i++) features[i].record(values[models[i].name]);
    this.rows++;
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
