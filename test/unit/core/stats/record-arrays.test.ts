import { describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { FeatureSetAccumulator } from '../../../../src/core/stats/feature-set.js';
import type { NumericAccumulator } from '../../../../src/core/stats/feature.js';
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
});
