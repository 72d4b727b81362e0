// Partial panes (scale-out, issue 15): encoded by one instance, decoded and merged by another.
// Oracle: the batch check of the same rows. Panes from several "instances" merged in shuffled
// orders after a round trip through the wire format score exactly like the batch, bit for bit;
// every malformed buffer is refused with an InputError that names what is wrong.
import { describe, expect, it } from 'vitest';
import { DriftDetector, accumulate } from '../../../../src/core/detect/detector.js';
import { InputError } from '../../../../src/core/errors.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { FeatureSetAccumulator } from '../../../../src/core/stats/feature-set.js';
import { decodePartialPane, encodePartialPane, PARTIAL_PANE_VERSION, type PartialPane } from '../../../../src/core/window/partial-pane.js';
import { creditRow, rng } from '../../../fixtures/random.js';

const g = rng(15);
const ref = ReferenceDistribution.fromRows(
  Array.from({ length: 2000 }, () => creditRow(g)),
  { modelVersion: 'v1' },
);
/** Drifted rows with values beyond the reference's range (tails), missing and invalid values, and unseen categories. */
const rows = Array.from({ length: 3000 }, (_, i) => {
  const row: Record<string, unknown> = { ...creditRow(g, true) };
  if (i % 7 === 0) row.income = (row.income as number) * 40 + g.uniform();
  if (i % 11 === 0) row.age = null;
  if (i % 13 === 0) row.age = 'not a number';
  for (const [k, v] of Object.entries(row)) if (typeof v === 'string' && i % 17 === 0) row[k] = `unseen <${i % 3}> ✓`;
  return row;
});

function paneOf(slice: Record<string, unknown>[], partition: number, first: number): PartialPane {
  const values = new FeatureSetAccumulator(ref.features);
  for (const row of slice) values.recordObject(row);
  return {
    model: 'credit-risk',
    version: 'v1',
    partition,
    paneStartMs: 60_000,
    paneEndMs: 120_000,
    firstOffset: first,
    lastOffset: first + slice.length - 1,
    watermarkMs: 125_000,
    values,
  };
}
// Three "instances", each owning some partitions: 12 partial panes of unequal sizes.
const cuts = [0, 100, 450, 451, 900, 1300, 1700, 1701, 2100, 2500, 2800, 2990, 3000];
const partials = cuts.slice(0, -1).map((lo, i) => paneOf(rows.slice(lo, cuts[i + 1]), i % 4, lo));

describe('partial pane wire format', () => {
  it('round-trips the header and every count, missing, invalid and tail sum', () => {
    for (const p of partials) {
      const back = decodePartialPane(encodePartialPane(p), ref.features);
      expect({ ...back, values: undefined }).toEqual({ ...p, values: undefined });
      expect(back.values.rows).toBe(p.values.rows);
      back.values.features.forEach((f, i) => {
        const o = p.values.features[i]!;
        if (f.type === 'numeric' && o.type === 'numeric') {
          expect([...f.histogram.counts]).toEqual([...o.histogram.counts]);
          expect(f.histogram.total).toBe(o.histogram.total);
          expect([f.missing, f.invalid, f.belowSum, f.aboveSum]).toEqual([o.missing, o.invalid, o.belowSum, o.aboveSum]);
        } else if (f.type === 'categorical' && o.type === 'categorical') {
          expect(new Map(f.counts)).toEqual(new Map(o.counts));
          expect([f.total, f.missing, f.invalid]).toEqual([o.total, o.missing, o.invalid]);
        } else throw new Error('type changed');
      });
    }
  });

  it('merged after the wire in any order, the window scores exactly like the batch check of the same rows', () => {
    const detector = new DriftDetector({ minSamples: 10, now: () => new Date(0) });
    const batch = detector.evaluate(accumulate(rows, ref), ref);
    expect(batch.features.income!.wasserstein).not.toBeNull();
    const wire = partials.map((p) => encodePartialPane(p));
    for (let trial = 0; trial < 5; trial++) {
      const order = wire.map((_, i) => i).sort(() => g.uniform() - 0.5);
      const merged = new FeatureSetAccumulator(ref.features);
      for (const i of order) merged.merge(decodePartialPane(wire[i]!, ref.features).values);
      expect(detector.evaluate(merged, ref)).toEqual(batch);
    }
  });

  it('refuses malformed buffers with an InputError naming the problem', () => {
    const good = encodePartialPane(partials[1]!);
    const refused = (bytes: Uint8Array, models = ref.features) => {
      try {
        decodePartialPane(bytes, models);
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    expect(refused(new TextEncoder().encode('{"not":"a pane"}'))).toMatch(/bad magic/);
    const v2 = good.slice();
    v2[4] = PARTIAL_PANE_VERSION + 1;
    expect(refused(v2)).toMatch(/version 2 is not supported/);
    // Every truncation is refused, never read past the end.
    for (let n = 0; n < good.length; n += Math.max(1, Math.floor(good.length / 97))) expect(refused(good.slice(0, n))).toMatch(/truncated|magic|header/);
    const longer = new Uint8Array(good.length + 3);
    longer.set(good);
    expect(refused(longer)).toMatch(/3 bytes after the last feature/);
    // Another reference: fewer features, or a different bin count.
    const other = ReferenceDistribution.fromRows(
      Array.from({ length: 500 }, () => ({ income: g.uniform() })),
      { modelVersion: 'v1', fineBins: 50 },
    );
    expect(refused(good, other.features)).toMatch(/features, the reference 1/);
    // A count that is not a non-negative integer (a flipped sign bit in the rows field).
    const headerLength = new DataView(good.buffer).getUint32(5, true);
    const bad = good.slice();
    bad[5 + 4 + headerLength + 7] ^= 0x80;
    expect(refused(bad)).toMatch(/rows is not a count/);
  });
});
