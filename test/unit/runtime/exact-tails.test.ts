// Bit-identical windows (issue 16, item 4): the floating-point tail sums behind Wasserstein are
// exact and order-independent, so a window built from panes merged and subtracted in any order
// — an uninterrupted run, a restart, a batch recomputation — gives the same bits.
import { describe, expect, it } from 'vitest';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { FeatureSetAccumulator } from '../../../src/core/stats/feature-set.js';
import { ExactSum } from '../../../src/core/stats/histogram.js';
import { creditRow, rng } from '../../fixtures/random.js';

/** The exact sum (values in [1e-6, 1e6] are integers once scaled by 2^200), correctly rounded. */
function exact(values: number[]): number {
  let total = 0n;
  for (const v of values) total += BigInt(v * 2 ** 200);
  return Number(total) / 2 ** 200;
}
const naive = (values: number[]) => values.reduce((a, b) => a + b, 0);

function shuffle<T>(items: T[], r: () => number): T[] {
  const out = [...items];
  for (let i = out.length - 1; i > 0; i--) {
    const j = Math.floor(r() * (i + 1));
    [out[i], out[j]] = [out[j], out[i]];
  }
  return out;
}

describe('ExactSum', () => {
  const g = rng(42);
  const values = Array.from({ length: 5000 }, () => (g.uniform() < 0.5 ? 1 : -1) * Math.exp((g.uniform() - 0.5) * 27));

  it('is the correctly rounded exact sum, in any order (a naive sum is not)', () => {
    const want = exact(values);
    let naiveDiffers = 0;
    for (let k = 0; k < 20; k++) {
      const order = shuffle(values, () => g.uniform());
      const s = new ExactSum();
      for (const v of order) s.add(v);
      expect(s.value).toBe(want);
      if (naive(order) !== want) naiveDiffers++;
    }
    expect(naiveDiffers).toBeGreaterThan(0);
  });

  it('merge then subtract restores the bits; panes merged in different orders agree', () => {
    const panes = Array.from({ length: 12 }, (_, p) => {
      const s = new ExactSum();
      for (const v of values.slice(p * 400, (p + 1) * 400)) s.add(v);
      return s;
    });
    const forward = new ExactSum();
    for (const p of panes) forward.merge(p);
    const backward = new ExactSum();
    for (const p of [...panes].reverse()) backward.merge(p);
    expect(forward.value).toBe(backward.value);
    expect(forward.value).toBe(exact(values.slice(0, 4800)));
    // A sliding window: subtract the first three, add them back in another order.
    for (const p of panes.slice(0, 3)) forward.subtract(p);
    const rest = new ExactSum();
    for (const p of panes.slice(3)) rest.merge(p);
    expect(forward.value).toBe(rest.value);
  });

  it('handles zeros, infinities and NaN and undoes them on subtract', () => {
    const s = new ExactSum();
    expect(s.value).toBe(0);
    s.add(0);
    expect(s.value).toBe(0);
    const inf = new ExactSum();
    inf.add(Number.POSITIVE_INFINITY);
    s.add(1.5);
    s.merge(inf);
    expect(s.value).toBe(Number.POSITIVE_INFINITY);
    s.subtract(inf);
    expect(s.value).toBe(1.5);
  });
});

describe('window tails do not depend on the order of panes', () => {
  it('a window of panes merged and subtracted in two orders scores exactly like a batch recomputation, wasserstein included', () => {
    const g = rng(8);
    const ref = ReferenceDistribution.fromRows(
      Array.from({ length: 2000 }, () => creditRow(g)),
      { modelVersion: 'v1' },
    );
    // Drifted rows: many values beyond the reference's max and min, so the tails matter.
    const rows = Array.from({ length: 3000 }, () => {
      const row: Record<string, unknown> = { ...creditRow(g, true) };
      row.income = (row.income as number) * (g.uniform() < 0.5 ? 0.05 : 9) + g.uniform() * 1e-3;
      return row;
    });
    const panes = Array.from({ length: 6 }, (_, p) => {
      const pane = new FeatureSetAccumulator(ref.features);
      for (const row of rows.slice(p * 500, (p + 1) * 500)) pane.recordObject(row);
      return pane;
    });
    const detector = new DriftDetector({ minSamples: 10, now: () => new Date(0) });
    // An uninterrupted run: panes added as they come, the oldest subtracted as the window slides.
    const running = new FeatureSetAccumulator(ref.features);
    const extra = new FeatureSetAccumulator(ref.features);
    for (const row of rows.slice(0, 500).reverse()) extra.recordObject(row);
    running.merge(extra);
    for (const p of panes) running.merge(p);
    running.subtract(extra);
    running.subtract(panes[0]);
    // A restart: the same panes rebuilt, merged in another order.
    const rebuilt = new FeatureSetAccumulator(ref.features);
    for (const p of [panes[5], panes[2], panes[4], panes[1], panes[3]]) rebuilt.merge(p);
    const batch = accumulate(rows.slice(500), ref);
    const a = detector.evaluate(running, ref);
    const b = detector.evaluate(rebuilt, ref);
    const c = detector.evaluate(batch, ref);
    expect(a.features.income.wasserstein).not.toBeNull();
    expect(a).toEqual(b);
    expect(a).toEqual(c);
  });
});
