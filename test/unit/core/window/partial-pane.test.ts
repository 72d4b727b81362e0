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
    const next = good.slice();
    next[4] = PARTIAL_PANE_VERSION + 1;
    expect(refused(next)).toMatch(new RegExp(`version ${PARTIAL_PANE_VERSION + 1} is not supported \\(this build reads 1 and ${PARTIAL_PANE_VERSION}\\)`));
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

/** A version-1 record of the same pane: version 2 without its multivariate part (the layout of version 1). */
function asVersion1(v2: Uint8Array, multivariateBytes: number): Uint8Array {
  const v1 = v2.slice(0, v2.length - multivariateBytes);
  v1[4] = 1;
  return v1;
}

describe('partial pane wire format, version 2: the multivariate state', () => {
  // References from the same rows: the same bins, with and without the block (or another map).
  const training = Array.from({ length: 2000 }, () => creditRow(g));
  const mvOf = (multivariate?: object) => ReferenceDistribution.fromRows(training, { modelVersion: 'v1', ...(multivariate ? { multivariate } : {}) });
  const plainRef = mvOf();
  const mvRef = mvOf({ randomFeatures: 64, replicates: 100, sizes: [100, 1000] });
  const D = mvRef.multivariate!.spec.features;
  const mvPane = (slice: Record<string, unknown>[], partition: number, on = mvRef): PartialPane => {
    const values = new FeatureSetAccumulator(on.signals);
    for (const row of slice) values.recordObject(row);
    return { ...partials[0]!, partition, firstOffset: 0, lastOffset: slice.length, values };
  };
  const mvPartials = cuts.slice(0, -1).map((lo, i) => mvPane(rows.slice(lo, cuts[i + 1]), i % 4));
  // kind · dims · D · checksum · count · D sums
  const MV_BYTES = 1 + 4 + 4 + 4 + 8 + 8 * D;

  it('round-trips Σφ and the count bit for bit, and the merged window scores like the batch check', () => {
    for (const p of mvPartials) {
      const back = decodePartialPane(encodePartialPane(p), mvRef.signals);
      expect(back.values.mmd!.count).toBe(p.values.rows);
      expect([...back.values.mmd!.sum]).toEqual([...p.values.mmd!.sum]);
    }
    const plain = encodePartialPane(mvPane(rows.slice(cuts[1], cuts[2]), 1, plainRef));
    const withState = encodePartialPane(mvPartials[1]!);
    expect([plain[4], withState[4]]).toEqual([1, PARTIAL_PANE_VERSION]);
    expect(withState.length - plain.length).toBe(MV_BYTES);
    const detector = new DriftDetector({ minSamples: 10, now: () => new Date(0) });
    const batch = detector.evaluate(accumulate(rows, mvRef), mvRef);
    expect(batch.multivariate?.status).toBe('ok');
    const merged = new FeatureSetAccumulator(mvRef.signals);
    for (const p of mvPartials) merged.merge(decodePartialPane(encodePartialPane(p), mvRef.signals).values);
    const got = detector.evaluate(merged, mvRef);
    // Σφ summed per pane, then over the panes: another order of additions than the batch's.
    expect(got.multivariate!.score!).toBeCloseTo(batch.multivariate!.score!, 12);
    expect(Math.abs(got.multivariate!.score! / batch.multivariate!.score! - 1)).toBeLessThan(1e-12);
    expect({ ...got, multivariate: undefined }).toEqual({ ...batch, multivariate: undefined });
  });

  it('a pane without multivariate state is written as version 1; a version-1 record still decodes, as a pane without multivariate state', () => {
    // Version 1 is what instances not yet upgraded read: a pane with nothing more to say keeps it.
    const plain = encodePartialPane(partials[3]!);
    expect(plain[4]).toBe(1);
    expect(decodePartialPane(plain, ref.features).values.mmd).toBeNull();
    // With a multivariate block, the version-1 pane has the histograms and no multivariate state.
    const v2 = encodePartialPane(mvPartials[3]!);
    const back = decodePartialPane(asVersion1(v2, MV_BYTES), mvRef.signals);
    expect(back.values.mmd).toBeNull();
    expect(back.values.rows).toBe(mvPartials[3]!.values.rows);
    expect(back.values.features).toEqual(decodePartialPane(v2, mvRef.signals).values.features);
    expect({ ...back, values: undefined }).toEqual({ ...mvPartials[3]!, values: undefined });
  });

  it('refuses a multivariate state the reference cannot merge, naming why', () => {
    const refused = (bytes: Uint8Array, models: Parameters<typeof decodePartialPane>[1]) => {
      try {
        decodePartialPane(bytes, models);
      } catch (error) {
        expect(error).toBeInstanceOf(InputError);
        return (error as Error).message;
      }
      throw new Error('accepted');
    };
    const good = encodePartialPane(mvPartials[2]!);
    // A pane with the state, a reference without the block; and the other way round.
    expect(refused(good, plainRef.signals)).toMatch(/carries a multivariate state, the reference has no multivariate block/);
    // A version-2 pane that says it has none (kind 0), for a reference with the block; a kind this build does not know.
    const v1 = encodePartialPane(mvPane(rows.slice(0, 50), 2, plainRef));
    const none = new Uint8Array(v1.length + 1);
    none.set(v1);
    none[4] = 2;
    expect(refused(none, mvRef.signals)).toMatch(/carries no multivariate state, the reference has a multivariate block/);
    expect(decodePartialPane(none, plainRef.signals).values.mmd).toBeNull();
    const kind = good.slice();
    kind[good.length - MV_BYTES] = 7;
    expect(refused(kind, mvRef.signals)).toMatch(/multivariate kind 7 is not known \(0 none, 1 rff-mmd\)/);
    // Another map: another seed gives other ω and b (checksum), another D another size.
    expect(refused(good, mvOf({ randomFeatures: 64, replicates: 100, sizes: [100], seed: 7 }).signals)).toMatch(
      /the pane's multivariate map \(checksum \d+\) is not the reference's \(\d+\)/,
    );
    expect(refused(good, mvOf({ randomFeatures: 32, replicates: 100, sizes: [100] }).signals)).toMatch(/4 inputs and 64 random features, the reference's 4 and 32/);
    // A count that is not the pane's rows, a sum that is not finite.
    const start = good.length - 8 * D - 8;
    const count = good.slice();
    new DataView(count.buffer).setFloat64(start, mvPartials[2]!.values.rows + 1, true);
    expect(refused(count, mvRef.signals)).toMatch(new RegExp(`the multivariate state covers ${mvPartials[2]!.values.rows + 1} rows, the pane ${mvPartials[2]!.values.rows}`));
    const nan = good.slice();
    new DataView(nan.buffer).setFloat64(start + 8 + 8 * 5, Number.NaN, true);
    expect(refused(nan, mvRef.signals)).toMatch(/multivariate sum 5 is not finite/);
    for (let n = good.length - MV_BYTES; n < good.length; n += 97) expect(refused(good.slice(0, n), mvRef.signals)).toMatch(/truncated/);
  });
});
