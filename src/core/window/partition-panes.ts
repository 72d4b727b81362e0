import { FeatureSetAccumulator, type FeatureModel } from '../stats/index.js';
import type { PartialPane } from './partial-pane.js';
import { DeferredRows, type RecordOutcome, type RowValues } from './sliding-window.js';

/**
 * The partial-aggregation stage of scale-out (docs/architecture.md, "Scale-out"), for one
 * (model, version) on one instance: panes per source partition this instance owns, each
 * published once its partition's watermark passes the pane's end. What it publishes is what
 * PaneMerger (pane-merger.ts) merges on the instance that owns the (model, version).
 *
 * A pane already published for a partition is closed there: a later event of that partition
 * for it is `late`, as in the single-instance window. Offsets are tracked per pane so that the
 * source offsets can be committed up to the lowest one not yet published (and acknowledged).
 * Pure: the caller supplies the watermark of each partition (watermark.ts) and does the I/O.
 */
interface OpenPane {
  values: FeatureSetAccumulator;
  firstOffset: number;
  lastOffset: number;
}

interface PartitionState {
  panes: Map<number, OpenPane>;
  /** Panes below this index are published (closed) for the partition. */
  closedBelow: number;
  watermarkMs: number;
}

export class PartitionPanes {
  private readonly partitions = new Map<number, PartitionState>();

  constructor(
    readonly model: string,
    readonly version: string,
    readonly models: readonly FeatureModel[],
    readonly slideMs: number,
  ) {}

  private state(partition: number): PartitionState {
    let s = this.partitions.get(partition);
    if (!s) this.partitions.set(partition, (s = { panes: new Map(), closedBelow: Number.NEGATIVE_INFINITY, watermarkMs: Number.NEGATIVE_INFINITY }));
    return s;
  }

  record(partition: number, offset: number, eventTimeMs: number, values: RowValues): RecordOutcome {
    const s = this.state(partition);
    const index = Math.floor(eventTimeMs / this.slideMs);
    if (index < s.closedBelow) return 'late';
    let pane = s.panes.get(index);
    if (!pane) s.panes.set(index, (pane = { values: new FeatureSetAccumulator(this.models), firstOffset: offset, lastOffset: offset }));
    // A decoded row is recorded in a block at the next flush or read (FeatureSetAccumulator.deferRow).
    this.deferred.record(pane.values, values);
    if (offset < pane.firstOffset) pane.firstOffset = offset;
    if (offset > pane.lastOffset) pane.lastOffset = offset;
    return 'recorded';
  }

  /** Panes holding deferred rows, until `flush`. */
  private readonly deferred = new DeferredRows();

  /** Records the decoded rows deferred since the last flush (after each batch; a read records them too). */
  flush(): void {
    this.deferred.flush();
  }

  /**
   * The partition's watermark moved to `watermarkMs`: returns the panes it closed, in pane order,
   * as partial panes to publish (each carrying the watermark), and forgets them.
   */
  advance(partition: number, watermarkMs: number): PartialPane[] {
    const s = this.state(partition);
    if (watermarkMs <= s.watermarkMs) return [];
    s.watermarkMs = watermarkMs;
    const closeBelow = Math.floor(watermarkMs / this.slideMs);
    const due = [...s.panes.keys()].filter((i) => i < closeBelow).sort((a, b) => a - b);
    const out: PartialPane[] = due.map((index) => {
      const pane = s.panes.get(index)!;
      s.panes.delete(index);
      return {
        model: this.model,
        version: this.version,
        partition,
        paneStartMs: index * this.slideMs,
        paneEndMs: (index + 1) * this.slideMs,
        firstOffset: pane.firstOffset,
        lastOffset: pane.lastOffset,
        watermarkMs,
        values: pane.values,
      };
    });
    if (closeBelow > s.closedBelow) s.closedBelow = closeBelow;
    return out;
  }

  /** The lowest offset of the partition still held in an unpublished pane, or null when none is. */
  lowestOpenOffset(partition: number): number | null {
    let low: number | null = null;
    for (const pane of this.partitions.get(partition)?.panes.values() ?? []) if (low === null || pane.firstOffset < low) low = pane.firstOffset;
    return low;
  }

  /**
   * A new owner of the partition resumes from the committed offset: the panes below the committed
   * watermark were published by the previous owner and stay closed (their events are late again).
   */
  restore(partition: number, watermarkMs: number): void {
    const s = this.state(partition);
    s.watermarkMs = Math.max(s.watermarkMs, watermarkMs);
    s.closedBelow = Math.max(s.closedBelow, Math.floor(watermarkMs / this.slideMs));
  }

  /** The partition was revoked: its open panes are dropped (the next owner re-reads them from the committed offset). */
  revoke(partition: number): void {
    this.partitions.delete(partition);
  }

  /** Open panes over every partition (memory accounting, tests). */
  get openPanes(): number {
    let n = 0;
    for (const s of this.partitions.values()) n += s.panes.size;
    return n;
  }
}
