// The merge stage of scale-out (issue 15): partial panes from 6 source partitions, offered in
// shuffled order, some twice, must give every window exactly the batch check of the events whose
// time falls in it (the oracle), close only when every partition's watermark has passed, and
// refuse to change a window already closed.
import { describe, expect, it } from 'vitest';
import { DriftDetector, accumulate } from '../../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { FeatureSetAccumulator } from '../../../../src/core/stats/feature-set.js';
import { PaneMerger } from '../../../../src/core/window/pane-merger.js';
import { decodePartialPane, encodePartialPane, type PartialPane } from '../../../../src/core/window/partial-pane.js';
import { creditRow, rng } from '../../../fixtures/random.js';

const SLIDE = 60_000;
const PANES = 5; // 5-minute windows sliding by 1 minute
const PARTITIONS = [0, 1, 2, 3, 4, 5];
const g = rng(1515);
const ref = ReferenceDistribution.fromRows(
  Array.from({ length: 1500 }, () => creditRow(g)),
  { modelVersion: 'v1' },
);
const detector = new DriftDetector({ minSamples: 10, now: () => new Date(0) });

interface Event {
  t: number;
  partition: number;
  offset: number;
  row: Record<string, unknown>;
}
// 20 minutes of events keyed by request id over partitions 0–4 (partition 5 stays idle), drift from minute 12.
const offsets = new Map<number, number>();
const events: Event[] = Array.from({ length: 6000 }, () => {
  const t = Math.floor(g.uniform() * 20 * SLIDE);
  const partition = Math.floor(g.uniform() * 5);
  const offset = offsets.get(partition) ?? 0;
  offsets.set(partition, offset + 1);
  return { t, partition, offset, row: creditRow(g, t > 12 * SLIDE) };
}).sort((a, b) => a.t - b.t);

/** What each instance publishes: one partial pane per (partition, pane), with the partition's watermark then. */
function partialPanes(): PartialPane[] {
  const out: PartialPane[] = [];
  for (const partition of PARTITIONS) {
    const mine = events.filter((e) => e.partition === partition);
    const byPane = new Map<number, Event[]>();
    for (const e of mine) byPane.set(Math.floor(e.t / SLIDE), [...(byPane.get(Math.floor(e.t / SLIDE)) ?? []), e]);
    for (const [index, list] of byPane) {
      const values = new FeatureSetAccumulator(ref.features);
      for (const e of list) values.recordObject(e.row);
      out.push({
        model: 'credit-risk',
        version: 'v1',
        partition,
        paneStartMs: index * SLIDE,
        paneEndMs: (index + 1) * SLIDE,
        firstOffset: Math.min(...list.map((e) => e.offset)),
        lastOffset: Math.max(...list.map((e) => e.offset)),
        watermarkMs: (index + 1) * SLIDE,
        values,
      });
    }
  }
  return out;
}
const shuffled = <T>(items: T[]) =>
  items
    .map((x) => [g.uniform(), x] as const)
    .sort((a, b) => a[0] - b[0])
    .map(([, x]) => x);
/** The oracle: the batch check of the events in [end − size, end). */
const batchFor = (endMs: number) =>
  detector.evaluate(
    accumulate(
      events.filter((e) => e.t >= endMs - PANES * SLIDE && e.t < endMs).map((e) => e.row),
      ref,
    ),
    ref,
  );

describe('PaneMerger', () => {
  it('gives every window exactly the batch check of its events, whatever the order and with every partial pane delivered twice', () => {
    const merger = new PaneMerger(ref.features, PANES, SLIDE, PARTITIONS);
    const wire = partialPanes().map((p) => encodePartialPane(p));
    const outcomes: string[] = [];
    for (const bytes of shuffled([...wire, ...wire])) outcomes.push(merger.offer(decodePartialPane(bytes, ref.features)));
    expect(outcomes.filter((o) => o === 'replaced')).toHaveLength(wire.length);
    // Partition 5 is idle: until it reports, nothing closes.
    expect(merger.closeDue()).toEqual([]);
    merger.report(5, 20 * SLIDE);
    const windows = merger.closeDue();
    expect(windows.map((w) => w.endMs)).toEqual(Array.from({ length: 20 }, (_, i) => (i + 1) * SLIDE));
    for (const w of windows) expect(detector.evaluate(w.values, ref)).toEqual(batchFor(w.endMs));
    // The drift shows in the late windows and not in the early ones (the data are not trivial).
    expect(detector.evaluate(windows[19]!.values, ref).drift_detected).toBe(true);
    expect(detector.evaluate(windows[9]!.values, ref).drift_detected).toBe(false);
    expect(merger.paneCount).toBeLessThanOrEqual(PANES);
  });

  it('waits for the slowest partition, and a partial pane for a closed window is late and changes nothing', () => {
    const merger = new PaneMerger(ref.features, PANES, SLIDE, PARTITIONS);
    const partials = partialPanes();
    const early = partials.filter((p) => p.paneEndMs <= 10 * SLIDE || p.partition !== 3);
    for (const p of early) merger.offer(p);
    merger.report(5, 20 * SLIDE);
    const closed = merger.closeDue();
    // Partition 3 has reported up to minute 10 only.
    expect(closed.at(-1)!.endMs).toBe(10 * SLIDE);
    for (const p of partials.filter((q) => !early.includes(q))) expect(merger.offer(p)).toBe('merged');
    const rest = merger.closeDue();
    expect(rest.map((w) => w.endMs)).toEqual(Array.from({ length: 10 }, (_, i) => (i + 11) * SLIDE));
    for (const w of rest) expect(detector.evaluate(w.values, ref)).toEqual(batchFor(w.endMs));
    // A publisher that restarted sends an old pane again: late, counted, not merged.
    expect(merger.offer(partials.find((p) => p.paneEndMs === 3 * SLIDE)!)).toBe('late');
    expect(merger.late).toBe(1);
  });

  it('skips a long empty stretch at once, and resumes at the first window holding a pane', () => {
    const merger = new PaneMerger(ref.features, PANES, SLIDE, [0]);
    const one = partialPanes().find((p) => p.partition === 0 && p.paneStartMs === 0)!;
    merger.offer(one);
    merger.report(0, 1e12);
    // One window per minute up to 1e12 would be 16 million windows: the stretch is skipped instead.
    const windows = merger.closeDue();
    expect(windows.map((w) => w.endMs)).toEqual([1, 2, 3, 4, 5].map((k) => k * SLIDE));
    const later = { ...one, paneStartMs: 1e12 + 5 * SLIDE - (1e12 % SLIDE), paneEndMs: 1e12 + 6 * SLIDE - (1e12 % SLIDE), watermarkMs: 1e12 + 6 * SLIDE };
    expect(merger.offer(later)).toBe('merged');
    expect(merger.closeDue().map((w) => w.endMs)[0]).toBe(later.paneEndMs);
  });

  it('refuses panes off the slide and partitions not in the source topic', () => {
    const merger = new PaneMerger(ref.features, PANES, SLIDE, [0, 1]);
    const p = partialPanes()[0]!;
    expect(() => merger.offer({ ...p, paneStartMs: 1, paneEndMs: SLIDE + 1 })).toThrow(/not aligned/);
    expect(() => merger.offer({ ...p, partition: 9 })).toThrow(/partition 9/);
    expect(() => new PaneMerger(ref.features, PANES, SLIDE, [])).toThrow(/no partitions/);
  });
});
