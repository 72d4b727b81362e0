import { describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { FeatureSetAccumulator } from '../../../../src/core/stats/feature-set.js';
import { numericModel, type NumericAccumulator } from '../../../../src/core/stats/feature.js';
import { nextDown } from '../../../../src/core/stats/quantile.js';
import { rng } from '../../../fixtures/random.js';

/** Everything a numeric accumulator holds, for comparing two record paths. */
const state = (acc: FeatureSetAccumulator) =>
  acc.features.map((f) => {
    if (f.type !== 'numeric') return { counts: Object.fromEntries(f.counts), missing: f.missing, invalid: f.invalid };
    const n = f as NumericAccumulator;
    return { counts: Array.from(n.histogram.counts), total: n.histogram.total, missing: n.missing, invalid: n.invalid, below: n.below.toParts(), above: n.above.toParts() };
  });

// recordArrays (the batch check's column kernel, issue 17) must record exactly what recording
// the rows one by one records, whatever the rows hold.
describe('recordArrays', () => {
  it('records what recordArray records row by row: numbers, text, missing, invalid, short rows, values beyond the reference range', () => {
    const r = rng(41);
    const reference = ReferenceDistribution.fromRows(
      Array.from({ length: 2000 }, () => [r.normal(0, 1), r.normal(5, 2), r.uniform() < 0.5 ? 'a' : 'b']),
      { featureNames: ['x', 'y', 'kind'] },
    );
    const odd = [null, undefined, '', 'nan', 'abc', '2.5', Number.NaN, Number.POSITIVE_INFINITY, -1e9, 1e9, {}, true];
    const rows = Array.from({ length: 1500 }, (_, i) => {
      const row: unknown[] = [r.normal(0, 1.5), r.normal(5, 3), r.uniform() < 0.5 ? 'a' : 'c'];
      if (i % 7 === 0) row[i % 2] = odd[i % odd.length];
      // Short rows: the rest of their features are missing.
      return i % 11 === 0 ? row.slice(0, i % 3) : row;
    });
    const byColumns = new FeatureSetAccumulator(reference.signals);
    byColumns.recordArrays(rows);
    const byRows = new FeatureSetAccumulator(reference.signals);
    for (const row of rows) byRows.recordArray(row);
    expect(byColumns.rows).toBe(rows.length);
    expect(state(byColumns)).toEqual(state(byRows));
    expect((byColumns.features[0] as NumericAccumulator).missing).toBeGreaterThan(0);
  });

  it('keeps the Wasserstein tails exact when the reference range lies inside the edges (a hand-made or older model)', () => {
    // Edges wider than [min, max] on both sides, and an atom split at the min: the column
    // kernel's one range test must still send every value beyond min or max to its tail.
    const fineEdges = Float64Array.of(-10, nextDown(-1), -1, 0, 1, 10);
    const model = numericModel({
      name: 'x',
      count: 100,
      missingCount: 0,
      psiEdges: Float64Array.of(0),
      fineEdges,
      fineCounts: Float64Array.of(0, 10, 20, 20, 40, 10, 0),
      discrete: false,
      summary: { mean: 0, std: 1, min: -1, max: 2, quantiles: {} },
    });
    const r = rng(43);
    const values = [-11, -10, -5, nextDown(-1), -1, -0.5, 0, 1.5, 2, 2.5, 10, 11, ...Array.from({ length: 500 }, () => r.normal(0, 6))];
    const byColumns = new FeatureSetAccumulator([model]);
    byColumns.recordArrays(values.map((v) => [v]));
    const byRows = new FeatureSetAccumulator([model]);
    for (const v of values) byRows.recordArray([v]);
    expect(state(byColumns)).toEqual(state(byRows));
    const tails = byColumns.features[0] as NumericAccumulator;
    expect(tails.belowSum).toBeGreaterThan(0);
    expect(tails.aboveSum).toBeGreaterThan(0);
  });
});
