import type { CategoricalAccumulator, CategoricalFeatureModel, FeatureAccumulator, FeatureModel, NumericAccumulator, NumericFeatureModel } from './feature.js';

/**
 * A reference feature and its current values laid side by side on common bins, prepared once
 * per feature and evaluation and shared by every metric.
 */
export interface NumericComparison {
  readonly type: 'numeric';
  readonly model: NumericFeatureModel;
  readonly current: NumericAccumulator;
  /** Non-missing reference and current values. */
  readonly referenceCount: number;
  readonly currentCount: number;
  /** Counts per PSI bin. */
  readonly referencePsiCounts: Float64Array;
  readonly currentPsiCounts: Float64Array;
}

export interface CategoricalComparison {
  readonly type: 'categorical';
  readonly model: CategoricalFeatureModel;
  readonly current: CategoricalAccumulator;
  readonly referenceCount: number;
  readonly currentCount: number;
  /** Union of reference and current categories: reference ones first, in reference order. */
  readonly categories: readonly string[];
  readonly referenceCounts: Float64Array;
  readonly currentCounts: Float64Array;
  /** Categories seen in the current values and never in the reference. */
  readonly unseenCategories: readonly string[];
}

export type Comparison = NumericComparison | CategoricalComparison;

export function compare(model: FeatureModel, current: FeatureAccumulator): Comparison {
  if (model.type === 'numeric' && current.type === 'numeric') {
    const currentPsiCounts = new Float64Array(model.psiCounts.length);
    const fine = current.histogram.counts;
    for (let i = 0; i < fine.length; i++) currentPsiCounts[model.psiBinOfFine[i]] += fine[i];
    return {
      type: 'numeric',
      model,
      current,
      referenceCount: model.count,
      currentCount: current.histogram.total,
      referencePsiCounts: model.psiCounts,
      currentPsiCounts,
    };
  }
  if (model.type === 'categorical' && current.type === 'categorical') {
    const categories = [...model.categories.keys()];
    const unseenCategories = [...current.counts.keys()].filter((c) => !model.categories.has(c)).sort();
    categories.push(...unseenCategories);
    return {
      type: 'categorical',
      model,
      current,
      referenceCount: model.count,
      currentCount: current.total,
      categories,
      referenceCounts: Float64Array.from(categories, (c) => model.categories.get(c) ?? 0),
      currentCounts: Float64Array.from(categories, (c) => current.counts.get(c) ?? 0),
      unseenCategories,
    };
  }
  throw new TypeError(`feature "${model.name}" is ${model.type} in the reference but accumulated as ${current.type}`);
}

/** The two count vectors PSI and JS compare: PSI bins for numeric, categories for categorical. */
export function binnedCounts(c: Comparison): { reference: Float64Array; current: Float64Array } {
  return c.type === 'numeric' ? { reference: c.referencePsiCounts, current: c.currentPsiCounts } : { reference: c.referenceCounts, current: c.currentCounts };
}

/** Proportions of a count vector; null when it holds no values. */
export function proportions(counts: Float64Array): Float64Array | null {
  let total = 0;
  for (let i = 0; i < counts.length; i++) total += counts[i];
  if (total <= 0) return null;
  return counts.map((x) => x / total);
}
