// SlidingWindow against a batch recomputation of the same events: every window evaluated from
// the running sum of panes (add the entering pane, subtract the leaving one) equals a fresh
// accumulation of the events recorded in [end − size, end); late events, eviction, boundaries.
import { describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { categoryNames, FeatureSetAccumulator, NumericRow, type FeatureModel } from '../../../../src/core/stats/index.js';
import { SlidingWindow } from '../../../../src/core/window/sliding-window.js';
import { creditRow, rng } from '../../../fixtures/random.js';

const SLIDE = 60_000;
const PANES = 5;
const r = rng(77);
const reference = ReferenceDistribution.fromRows(
  Array.from({ length: 1000 }, () => creditRow(r)),
  { modelVersion: 'v1' },
);

describe('SlidingWindow', () => {
  it('equals a batch recomputation for every window, with out-of-order and late events', () => {
    const window = new SlidingWindow(reference.features, PANES, SLIDE);
    const recorded: { t: number; row: Record<string, unknown> }[] = [];
    let late = 0;
    let nextEnd = PANES * SLIDE;
    window.startAt(nextEnd);
    for (let step = 0; step < 3_000; step++) {
      const now = step * 400; // 400 ms per event; some up to 10 min out of order
      const t = Math.max(0, now - Math.floor(r.uniform() ** 4 * 600_000));
      const row = creditRow(r);
      if (window.record(t, row, 0, step) === 'late') {
        late++;
        expect(t).toBeLessThan(nextEnd - PANES * SLIDE); // only events of closed panes are late
      } else recorded.push({ t, row });
      // The "watermark" is now − 30 s: every window ending before it is evaluated, in order.
      while (nextEnd <= now - 30_000) {
        const end = nextEnd;
        const oracle = new FeatureSetAccumulator(reference.features);
        for (const e of recorded) if (e.t >= end - PANES * SLIDE && e.t < end) oracle.recordObject(e.row);
        expect(window.rowsInWindowEnding(end)).toBe(oracle.rows);
        const values = window.evaluate(end, (v) => ({ rows: v.rows, features: structuredClone(v.features) }));
        expect(values.rows).toBe(oracle.rows);
        expect(values.features).toEqual(structuredClone(oracle.features));
        nextEnd += SLIDE;
        // Eviction: only panes still inside a window to come are kept.
        expect(window.paneCount).toBeLessThanOrEqual(PANES + Math.ceil(180_000 / SLIDE));
      }
    }
    expect(late).toBeGreaterThan(10); // the stream did exercise lateness
    expect(nextEnd).toBeGreaterThan(15 * SLIDE);
  });

  it('records decoded rows, deferred until a flush or a read, as it records the same events by name', () => {
    // The fast decoder's rows go to the panes in blocks (FeatureSetAccumulator.deferRow); events
    // it leaves to the slow path come as objects between them. Every window must hold what
    // recording every event by name at once gives, whether a flush came before the read or not.
    const models = reference.features;
    const decodedRow = (row: Record<string, unknown>, data: Float64Array, offset: number): NumericRow | null => {
      for (let i = 0; i < models.length; i++) {
        const m: FeatureModel = models[i];
        const v = row[m.name];
        const slot = m.type === 'numeric' ? (typeof v === 'number' ? v : Number.NaN) : categoryNames(m).indexOf(v as string);
        if (slot === -1) return null; // a new category: the slow path's
        data[offset + i] = slot;
      }
      return new NumericRow(models, data, offset);
    };
    const rows = new SlidingWindow(models, PANES, SLIDE);
    const objects = new SlidingWindow(models, PANES, SLIDE);
    let nextEnd = PANES * SLIDE;
    rows.startAt(nextEnd);
    objects.startAt(nextEnd);
    let data = new Float64Array(0);
    let deferred = 0;
    for (let step = 0; step < 4_000; step++) {
      if (step % 100 === 0) data = new Float64Array(100 * models.length); // a batch's arena
      const now = step * 300;
      const t = Math.max(0, now - Math.floor(r.uniform() ** 4 * 600_000));
      const row: Record<string, unknown> = creditRow(r);
      if (step % 13 === 0) row.employment_type = 'unseen';
      if (step % 17 === 0) row.income = null;
      const decoded = decodedRow(row, data, (step % 100) * models.length);
      if (decoded) deferred++;
      expect(rows.record(t, decoded ?? row, 0, step)).toBe(objects.record(t, row, 0, step));
      if (step % 100 === 99 && step % 300 !== 299) rows.flush(); // some batches end before a window closes, some not
      while (nextEnd <= now - 30_000) {
        const end = nextEnd;
        expect(rows.rowsInWindowEnding(end)).toBe(objects.rowsInWindowEnding(end));
        const state = (v: FeatureSetAccumulator) => ({ rows: v.rows, features: structuredClone(v.features) });
        expect(rows.evaluate(end, state)).toEqual(objects.evaluate(end, state));
        nextEnd += SLIDE;
      }
    }
    expect(deferred).toBeGreaterThan(3000);
    expect(nextEnd).toBeGreaterThan(15 * SLIDE);
    expect(rows.byteSize).toBe(objects.byteSize);
  });

  it('puts an event on a pane boundary into the pane it starts, and rejects a window out of order', () => {
    const window = new SlidingWindow(reference.features, 2, SLIDE);
    window.startAt(2 * SLIDE);
    window.record(SLIDE - 1, creditRow(r), 0, 0);
    window.record(SLIDE, creditRow(r), 0, 1);
    window.record(2 * SLIDE, creditRow(r), 0, 2); // belongs to the window ending at 3 min
    expect(window.evaluate(2 * SLIDE, (v) => v.rows)).toBe(2);
    expect(window.record(SLIDE - 1, creditRow(r), 0, 3)).toBe('late'); // pane 0 has left
    expect(window.record(SLIDE, creditRow(r), 0, 4)).toBe('recorded'); // pane 1 is still open
    expect(() => window.evaluate(5 * SLIDE, (v) => v.rows)).toThrow(/evaluated out of order \(expected pane 2, got 4\)/);
    expect(window.evaluate(3 * SLIDE, (v) => v.rows)).toBe(3);
  });
});
