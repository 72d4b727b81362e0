// Decoded rows recorded in column blocks (recordRows, deferRow: issue 17, in process) must give
// the values recordRow gives one row at a time, bit for bit — histograms, missing counts, exact
// tails, category counts in their insertion order and the multivariate sums, whose bits depend
// on the order the rows are committed in — and no read may see a deferred row unrecorded.
import { describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { Random } from '../../../../src/core/reference/random.js';
import { FeatureSetAccumulator, NumericRow } from '../../../../src/core/stats/feature-set.js';
import { categoryNames, numericModel, type FeatureModel, type NumericAccumulator } from '../../../../src/core/stats/feature.js';

/** Everything an accumulator holds, for comparing two record paths (category counts in insertion order). */
const state = (acc: FeatureSetAccumulator) => ({
  rows: acc.rows,
  features: acc.features.map((f) => {
    if (f.type !== 'numeric') return { counts: [...f.counts], total: f.total, missing: f.missing, invalid: f.invalid };
    const n = f as NumericAccumulator;
    return { counts: Array.from(n.histogram.counts), total: n.histogram.total, missing: n.missing, invalid: n.invalid, below: n.below.toParts(), above: n.above.toParts() };
  }),
  mmd: acc.mmd ? { sum: Array.from(acc.mmd.sum), count: acc.mmd.count } : null,
});

/** Reference rows {a, b, c, kind}: a and b correlated normals, c independent, kind categorical. */
function referenceRows(n: number, seed: number): Record<string, unknown>[] {
  const r = new Random(seed);
  return Array.from({ length: n }, () => {
    const x = r.normal();
    return { a: x, b: 0.8 * x + 0.6 * r.normal(), c: 3 + 2 * r.normal(), kind: r.uniform() < 0.3 ? 'p' : r.uniform() < 0.5 ? 'q' : 's' };
  });
}

const reference = ReferenceDistribution.fromRows(referenceRows(3000, 1), {
  now: new Date('2026-12-03T00:00:00Z'),
  multivariate: { replicates: 200, sizes: [100, 500], randomFeatures: 32 },
});

/**
 * `n` decoded rows for `models` in one buffer: normal values (some far outside the reference
 * range), NaN and ±Infinity as missing, categories by index or missing, in a seeded order.
 */
function decodedRows(models: readonly FeatureModel[], n: number, seed: number): NumericRow[] {
  const r = new Random(seed);
  const data = new Float64Array(models.length * n);
  const special = [Number.NaN, Number.POSITIVE_INFINITY, Number.NEGATIVE_INFINITY, -1e9, 1e9];
  for (let i = 0; i < n; i++) {
    models.forEach((m, j) => {
      const slot = i * models.length + j;
      // A category is an index into categoryNames, or missing (NaN), as the decoder writes it.
      if (m.type === 'categorical') data[slot] = r.uniform() < 0.05 ? Number.NaN : Math.floor(r.uniform() * categoryNames(m).length);
      else if (r.uniform() < 0.05) data[slot] = special[Math.floor(r.uniform() * special.length)];
      else data[slot] = m.summary.mean + 2 * m.summary.std * r.normal();
    });
  }
  return Array.from({ length: n }, (_, i) => new NumericRow(models, data, i * models.length));
}

describe('recordRows and deferRow', () => {
  const models = reference.signals;
  // More than two blocks of 256, and a partial one.
  const rows = decodedRows(models, 700, 5);

  it('record what recordRow records row by row, multivariate bits included', () => {
    const byRow = new FeatureSetAccumulator(models);
    for (const row of rows) byRow.recordRow(row);
    const byBlocks = new FeatureSetAccumulator(models);
    byBlocks.recordRows(rows);
    const deferred = new FeatureSetAccumulator(models);
    for (const row of rows) deferred.deferRow(row);
    expect(byRow.mmd).not.toBeNull();
    expect(state(byBlocks)).toEqual(state(byRow));
    expect(state(deferred)).toEqual(state(byRow));
    // The sample exercises what it should: missing values, both tails, every category.
    const a = byRow.features[0] as NumericAccumulator;
    expect(a.missing).toBeGreaterThan(0);
    expect(a.belowSum).toBeGreaterThan(0);
    expect(a.aboveSum).toBeGreaterThan(0);
    const kind = byRow.features[3];
    expect(kind.type === 'categorical' && [kind.counts.size, kind.missing > 0]).toEqual([3, true]);
  });

  it('keep the order of the rows when other records come between the deferred ones', () => {
    const objects = referenceRows(60, 9);
    const sequential = new FeatureSetAccumulator(models);
    const mixed = new FeatureSetAccumulator(models);
    rows.slice(0, 300).forEach((row, i) => {
      sequential.recordRow(row);
      mixed.deferRow(row);
      if (i % 5 === 0) {
        sequential.recordObject(objects[i / 5]);
        mixed.recordObject(objects[i / 5]);
      }
      if (i % 37 === 0) {
        sequential.recordArray([1, 2, 3, 'q']);
        mixed.recordArray([1, 2, 3, 'q']);
      }
    });
    expect(state(mixed)).toEqual(state(sequential));
  });

  it('are recorded by every read: rows, features, mmd, merge, subtract and byteSize; reset forgets them', () => {
    const expected = new FeatureSetAccumulator(models);
    expected.recordRows(rows.slice(0, 10));
    const reads: ((acc: FeatureSetAccumulator) => unknown)[] = [
      (acc) => acc.rows,
      (acc) => acc.features,
      (acc) => acc.mmd,
      (acc) => acc.byteSize,
      (acc) => new FeatureSetAccumulator(models).merge(acc),
    ];
    for (const read of reads) {
      const acc = new FeatureSetAccumulator(models);
      for (const row of rows.slice(0, 10)) acc.deferRow(row);
      read(acc);
      // The rows were recorded by the read: taking them away from a copy leaves nothing.
      const copy = new FeatureSetAccumulator(models);
      copy.merge(acc);
      copy.subtract(expected);
      expect(copy.rows).toBe(0);
      expect(copy.features.every((f) => (f.type === 'numeric' ? f.histogram.total === 0 && f.missing === 0 : f.total === 0 && f.missing === 0))).toBe(true);
      expect(state(acc)).toEqual(state(expected));
    }
    // A pane with rows pending that merges and subtracts another's deferred rows: as if both recorded at once.
    const merged = (defer: boolean) => {
      const add = (acc: FeatureSetAccumulator, from: number, to: number) => {
        for (const row of rows.slice(from, to)) {
          if (defer) acc.deferRow(row);
          else acc.recordRow(row);
        }
      };
      const left = new FeatureSetAccumulator(models);
      const right = new FeatureSetAccumulator(models);
      add(left, 0, 5);
      add(right, 5, 10);
      left.merge(right);
      const afterMerge = state(left);
      add(right, 10, 15);
      left.subtract(right);
      return { afterMerge, afterSubtract: state(left) };
    };
    expect(merged(true)).toEqual(merged(false));
    expect(merged(true).afterMerge.rows).toBe(10);

    const reset = new FeatureSetAccumulator(models);
    for (const row of rows.slice(0, 10)) reset.deferRow(row);
    reset.reset();
    expect(state(reset)).toEqual(state(new FeatureSetAccumulator(models)));
  });

  it('tell the caller when an accumulator first holds pending rows, and record each full block at once', () => {
    const acc = new FeatureSetAccumulator(models);
    const first = rows.slice(0, 256).map((row) => acc.deferRow(row));
    expect(first[0]).toBe(true);
    expect(first.slice(1).every((f) => !f)).toBe(true);
    // The 256th row recorded the block: the next row is the first pending one again.
    expect(acc.deferRow(rows[256])).toBe(true);
    acc.flush();
    acc.flush();
    expect(acc.rows).toBe(257);
  });

  it('bin values without the grid when the edges have none (one edge, or a span beyond the double range)', () => {
    const model = (name: string, fineEdges: Float64Array, min: number, max: number) =>
      numericModel({
        name,
        count: 10,
        missingCount: 0,
        psiEdges: fineEdges.slice(0, 1),
        fineEdges,
        fineCounts: new Float64Array(fineEdges.length + 1).fill(1),
        discrete: false,
        summary: { mean: 0, std: 1, min, max, quantiles: {} },
      });
    const wide = [model('one', Float64Array.of(0.5), 0.5, 0.5), model('wide', Float64Array.of(-1e308, 0, 1e308), -1e308, 1e308)];
    const values = [Number.NEGATIVE_INFINITY, -1e308, -1, 0, 0.25, 0.5, 0.75, 1, 1e308, Number.NaN];
    const data = new Float64Array(values.flatMap((v) => [v, v]));
    const decoded = values.map((_, i) => new NumericRow(wide, data, 2 * i));
    const byRow = new FeatureSetAccumulator(wide);
    for (const row of decoded) byRow.recordRow(row);
    const byBlocks = new FeatureSetAccumulator(wide);
    byBlocks.recordRows(decoded);
    expect(state(byBlocks)).toEqual(state(byRow));
    expect((byBlocks.features[1] as NumericAccumulator).histogram.counts[1]).toBeGreaterThan(0);
  });
});
