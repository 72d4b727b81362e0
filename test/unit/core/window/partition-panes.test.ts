// Both pure stages of scale-out together (issue 15): three "instances" aggregate the 6 source
// partitions of one model into partial panes, which cross the wire format into the merger.
// Oracles: the batch check of the events that were not late, window by window; and, when one
// instance dies mid-stream and another resumes its partition from the committed offset, the
// uninterrupted run (its republished panes replace, never add, and no event counts twice).
import { describe, expect, it } from 'vitest';
import { DriftDetector, accumulate } from '../../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { PaneMerger, type MergedWindow } from '../../../../src/core/window/pane-merger.js';
import { decodePartialPane, encodePartialPane } from '../../../../src/core/window/partial-pane.js';
import { PartitionPanes } from '../../../../src/core/window/partition-panes.js';
import { categoryNames, NumericRow } from '../../../../src/core/stats/index.js';
import { creditRow, rng } from '../../../fixtures/random.js';

const SLIDE = 60_000;
const PANES = 5;
const LATENESS = 20_000;
const PARTITIONS = [0, 1, 2, 3, 4, 5];
const g = rng(777);
const ref = ReferenceDistribution.fromRows(
  Array.from({ length: 1500 }, () => creditRow(g)),
  { modelVersion: 'v1' },
);
const detector = new DriftDetector({ minSamples: 10, now: () => new Date(0) });

interface Event {
  t: number;
  offset: number;
  row: Record<string, unknown>;
}
/** Per partition, events in offset order with event times up to 40 s out of order (some late). */
const streams = PARTITIONS.map(() =>
  Array.from({ length: 1000 }, (_, offset) => {
    const base = (offset / 1000) * 20 * SLIDE;
    return { t: Math.max(0, Math.floor(base - g.uniform() * 40_000)), offset, row: creditRow(g, base > 12 * SLIDE) };
  }),
);

/** One instance's reading of one partition from `from`, with the simple watermark max(t) − lateness. */
function read(panes: PartitionPanes, partition: number, events: Event[], publish: (bytes: Uint8Array) => void, state: { maxSeen: number }, late: Set<string>) {
  for (const e of events) {
    if (panes.record(partition, e.offset, e.t, e.row) === 'late') late.add(`${partition}:${e.offset}`);
    else late.delete(`${partition}:${e.offset}`);
    state.maxSeen = Math.max(state.maxSeen, e.t);
    for (const p of panes.advance(partition, state.maxSeen - LATENESS)) publish(encodePartialPane(p));
  }
}

function oracle(late: Set<string>, endMs: number) {
  const rows = streams.flatMap((events, partition) => events.filter((e) => !late.has(`${partition}:${e.offset}`) && e.t >= endMs - PANES * SLIDE && e.t < endMs).map((e) => e.row));
  return detector.evaluate(accumulate(rows, ref), ref);
}

function finish(merger: PaneMerger, instances: PartitionPanes[], owner: (p: number) => number, publish: (b: Uint8Array) => void): MergedWindow[] {
  // End of input: every partition's watermark goes past the last pane.
  for (const p of PARTITIONS) for (const part of instances[owner(p)]!.advance(p, 21 * SLIDE)) publish(encodePartialPane(part));
  return merger.closeDue();
}

function uninterrupted(): { windows: MergedWindow[]; late: Set<string>; merger: PaneMerger } {
  const merger = new PaneMerger(ref.features, PANES, SLIDE, PARTITIONS);
  const publish = (bytes: Uint8Array) => merger.offer(decodePartialPane(bytes, ref.features));
  const owner = (p: number) => Math.floor(p / 2);
  const instances = [0, 1, 2].map(() => new PartitionPanes('credit-risk', 'v1', ref.features, SLIDE));
  const late = new Set<string>();
  PARTITIONS.forEach((p) => read(instances[owner(p)]!, p, streams[p]!, publish, { maxSeen: -Infinity }, late));
  return { windows: finish(merger, instances, owner, publish), late, merger };
}

describe('partial aggregation → wire → merge', () => {
  it('three instances give every window the batch check of its (non-late) events', () => {
    const { windows, late, merger } = uninterrupted();
    expect(late.size).toBeGreaterThan(0);
    expect(windows).toHaveLength(21);
    for (const w of windows) expect(detector.evaluate(w.values, ref)).toEqual(oracle(late, w.endMs));
    expect(merger.replaced).toBe(0);
  });

  it('an instance killed mid-stream: its successor resumes from the committed offset and the windows are unchanged', () => {
    const merger = new PaneMerger(ref.features, PANES, SLIDE, PARTITIONS);
    const publish = (bytes: Uint8Array) => merger.offer(decodePartialPane(bytes, ref.features));
    const first = new PartitionPanes('credit-risk', 'v1', ref.features, SLIDE);
    const second = new PartitionPanes('credit-risk', 'v1', ref.features, SLIDE);
    const late = new Set<string>();
    // Partition 0: `first` reads 600 events, commits at offset 450 (the lowest open offset then),
    // reads on to 700, publishing panes after the commit, and dies.
    const state = { maxSeen: -Infinity };
    read(first, 0, streams[0]!.slice(0, 450), publish, state, late);
    const committedOffset = first.lowestOpenOffset(0) ?? 450;
    const committed = { offset: committedOffset, watermarkMs: state.maxSeen - LATENESS, maxSeen: state.maxSeen };
    read(first, 0, streams[0]!.slice(450, 700), publish, state, late);
    // `second` takes partition 0 over from the commit: re-reads from the committed offset.
    second.restore(0, committed.watermarkMs);
    read(second, 0, streams[0]!.slice(committed.offset), publish, { maxSeen: committed.maxSeen }, late);
    // The other partitions run undisturbed on `second`.
    for (const p of PARTITIONS.slice(1)) read(second, p, streams[p]!, publish, { maxSeen: -Infinity }, late);
    const windows = finish(merger, [second], () => 0, publish);
    expect(merger.replaced).toBeGreaterThan(0); // panes published by both owners
    const baseline = uninterrupted().windows;
    expect(windows.map((w) => w.endMs)).toEqual(baseline.map((w) => w.endMs));
    windows.forEach((w, i) => expect(detector.evaluate(w.values, ref)).toEqual(detector.evaluate(baseline[i]!.values, ref)));
  });

  it('publishes the same bytes from decoded rows, deferred until a flush or the publication, as from the events by name', () => {
    // The fast decoder's rows are recorded in blocks (FeatureSetAccumulator.deferRow), the
    // events it leaves to the slow path (here a new category) as objects between them.
    const models = ref.features;
    const data = new Float64Array(streams[0]!.length * models.length);
    const decoded = (e: Event): NumericRow | Record<string, unknown> => {
      const offset = e.offset * models.length;
      for (let i = 0; i < models.length; i++) {
        const m = models[i]!;
        const v = e.row[m.name];
        const slot = m.type === 'numeric' ? (typeof v === 'number' ? v : Number.NaN) : categoryNames(m).indexOf(v as string);
        if (slot === -1) return e.row;
        data[offset + i] = slot;
      }
      return new NumericRow(models, data, offset);
    };
    const events = streams[0]!.map((e, i) => (i % 11 === 0 ? { ...e, row: { ...e.row, employment_type: 'unseen' } } : e));
    const byName = new PartitionPanes('credit-risk', 'v1', models, SLIDE);
    const byRow = new PartitionPanes('credit-risk', 'v1', models, SLIDE);
    const published: [string[], string[]] = [[], []];
    let maxSeen = -Infinity;
    events.forEach((e, i) => {
      expect(byRow.record(0, e.offset, e.t, decoded(e))).toBe(byName.record(0, e.offset, e.t, e.row));
      if (i % 50 === 49 && i % 150 !== 149) byRow.flush(); // some batches end before a pane closes, some not
      maxSeen = Math.max(maxSeen, e.t);
      [byName, byRow].forEach((panes, k) => {
        for (const pane of panes.advance(0, maxSeen - LATENESS)) published[k]!.push(Buffer.from(encodePartialPane(pane)).toString('base64'));
      });
    });
    [byName, byRow].forEach((panes, k) => {
      for (const pane of panes.advance(0, 21 * SLIDE)) published[k]!.push(Buffer.from(encodePartialPane(pane)).toString('base64'));
    });
    expect(published[0].length).toBeGreaterThan(15);
    expect(published[1]).toEqual(published[0]);
  });

  it('tracks the lowest open offset for commits, and forgets a revoked partition', () => {
    const panes = new PartitionPanes('credit-risk', 'v1', ref.features, SLIDE);
    panes.record(3, 10, 5_000, creditRow(g));
    panes.record(3, 11, 65_000, creditRow(g));
    expect(panes.lowestOpenOffset(3)).toBe(10);
    expect(panes.advance(3, 60_000).map((p) => [p.paneStartMs, p.firstOffset, p.lastOffset])).toEqual([[0, 10, 10]]);
    expect(panes.lowestOpenOffset(3)).toBe(11);
    expect(panes.record(3, 12, 59_999, creditRow(g))).toBe('late');
    panes.revoke(3);
    expect(panes.openPanes).toBe(0);
    expect(panes.lowestOpenOffset(3)).toBeNull();
  });
});
