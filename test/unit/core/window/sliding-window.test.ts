// SlidingWindow against a batch recomputation of the same events: every window evaluated from
// the running sum of panes (add the entering pane, subtract the leaving one) equals a fresh
// accumulation of the events recorded in [end − size, end); late events, eviction, boundaries.
import { describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { FeatureSetAccumulator } from '../../../../src/core/stats/index.js';
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
