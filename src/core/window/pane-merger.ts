import { attachedMultivariate } from '../multivariate/state.js';
import { FeatureSetAccumulator, type FeatureModel } from '../stats/index.js';
import type { PartialPane } from './partial-pane.js';

/**
 * The merge stage of scale-out (docs/architecture.md, "Scale-out"), for one (model, version):
 * partial panes arrive from every source partition, in any order and possibly more than once
 * (the internal topic is at-least-once); a window closes when every source partition's
 * watermark has passed its end, and its values are the sum of the partial panes it covers.
 *
 * Merging is idempotent, keyed by (source partition, pane): a partial pane delivered again
 * replaces the one held instead of adding to it, so a redelivery or a publisher that restarted
 * and published the same pane again never counts an event twice. A partial pane for a window
 * already closed is `late` and counted, never merged (it cannot change a published result).
 *
 * Pure: no clock, no I/O. Windows are sums of panes [end/slide − P, end/slide − 1], as in the
 * single-instance sliding window (sliding-window.ts); the sums are exact (integer counts and
 * ExactSum tails), so the order partial panes are merged in does not change a bit. The
 * multivariate state (Σφ, docs/multivariate.md, "Scale-out") is a floating-point sum: each window
 * is summed afresh in a fixed order (pane, then source partition), so the same partial panes give
 * the same bits however they arrived; against single mode's running sum (added and subtracted)
 * the order differs, and the score agrees to rounding (1e-12 relative, stages.test.ts).
 */
export type OfferOutcome = 'merged' | 'replaced' | 'late';

export interface MergedWindow {
  endMs: number;
  values: FeatureSetAccumulator;
  /** Partial panes summed into it. */
  partials: number;
  /**
   * Partial panes of the window without multivariate state (format version 1) while the
   * reference has a multivariate block: then `values` carry none, and the window cannot be
   * given a multivariate score. 0 otherwise.
   */
  withoutMultivariate: number;
}

export class PaneMerger {
  /** pane index → source partition → its partial pane. */
  private readonly panes = new Map<number, Map<number, PartialPane>>();
  /** Watermark per source partition: the highest one reported (by a partial pane or an idle report). */
  private readonly watermarks = new Map<number, number>();
  /** End of the next window to close. */
  private nextEndMs: number | null = null;
  late = 0;
  replaced = 0;

  constructor(
    readonly models: readonly FeatureModel[],
    readonly panesPerWindow: number,
    readonly slideMs: number,
    /** Every partition of the source topic: a window waits for all of them. */
    readonly partitions: readonly number[],
  ) {
    if (partitions.length === 0) throw new RangeError('pane merger: the source topic has no partitions');
  }

  /** Where the next window to close ends (e.g. after the last evaluated one, from durable state). */
  startAt(nextEndMs: number): void {
    this.nextEndMs = nextEndMs;
    const first = nextEndMs / this.slideMs - this.panesPerWindow;
    for (const index of this.panes.keys()) if (index < first) this.panes.delete(index);
  }

  offer(partial: PartialPane): OfferOutcome {
    if (partial.paneEndMs - partial.paneStartMs !== this.slideMs || partial.paneStartMs % this.slideMs !== 0) {
      throw new RangeError(`pane merger: pane [${partial.paneStartMs}, ${partial.paneEndMs}) is not aligned on the ${this.slideMs} ms slide`);
    }
    if (!this.partitions.includes(partial.partition)) throw new RangeError(`pane merger: partition ${partial.partition} is not a partition of the source topic`);
    this.report(partial.partition, partial.watermarkMs);
    const index = partial.paneStartMs / this.slideMs;
    // A pane is needed while a window still to close holds it: the next window's first pane on.
    if (this.nextEndMs !== null && index < this.nextEndMs / this.slideMs - this.panesPerWindow) {
      this.late++;
      return 'late';
    }
    let byPartition = this.panes.get(index);
    if (!byPartition) this.panes.set(index, (byPartition = new Map()));
    const outcome: OfferOutcome = byPartition.has(partial.partition) ? 'replaced' : 'merged';
    if (outcome === 'replaced') this.replaced++;
    byPartition.set(partial.partition, partial);
    return outcome;
  }

  /** A partition's watermark without a pane (an idle partition reports it, so it does not hold windows back). */
  report(partition: number, watermarkMs: number): void {
    const known = this.watermarks.get(partition);
    if (known === undefined || watermarkMs > known) this.watermarks.set(partition, watermarkMs);
  }

  /** The lowest watermark over every source partition; null while one has never reported. */
  get watermarkMs(): number | null {
    let low = Number.POSITIVE_INFINITY;
    for (const p of this.partitions) {
      const w = this.watermarks.get(p);
      if (w === undefined) return null;
      if (w < low) low = w;
    }
    return low;
  }

  /**
   * Closes, in order, every window whose end every partition's watermark has passed, and returns
   * them with their merged values. Windows holding no pane are skipped, not returned. Before
   * startAt, the first window is the one ending after the lowest pane held.
   */
  closeDue(): MergedWindow[] {
    const watermark = this.watermarkMs;
    if (watermark === null) return [];
    if (this.nextEndMs === null) {
      const first = Math.min(...this.panes.keys());
      if (!Number.isFinite(first)) return [];
      this.nextEndMs = (first + 1) * this.slideMs;
    }
    const out: MergedWindow[] = [];
    while (this.nextEndMs <= watermark) {
      const last = this.nextEndMs / this.slideMs - 1;
      // Skip a stretch of windows that hold no pane (as the single-instance engine does): jump to
      // the first window holding the lowest pane still held, or past the watermark.
      const held = this.lowestPaneFrom(last - this.panesPerWindow + 1);
      if (held === null) {
        this.nextEndMs = (Math.floor(watermark / this.slideMs) + 1) * this.slideMs;
        break;
      }
      if (held > last) {
        this.nextEndMs = (held + 1) * this.slideMs;
        continue;
      }
      const summed: FeatureSetAccumulator[] = [];
      // A fixed order (pane, then partition): the counts are exact whatever the order, and the
      // multivariate sums then come out the same bits on every run.
      for (let index = last - this.panesPerWindow + 1; index <= last; index++) {
        const byPartition = this.panes.get(index);
        if (!byPartition) continue;
        for (const partition of [...byPartition.keys()].sort((a, b) => a - b)) summed.push(byPartition.get(partition)!.values);
      }
      const map = attachedMultivariate(this.models);
      const withoutMultivariate = map === null ? 0 : summed.filter((v) => v.mmd === null).length;
      const values = new FeatureSetAccumulator(this.models, withoutMultivariate === 0 ? map : null);
      for (const v of summed) values.merge(v);
      out.push({ endMs: this.nextEndMs, values, partials: summed.length, withoutMultivariate });
      this.panes.delete(last - this.panesPerWindow + 1);
      this.nextEndMs += this.slideMs;
    }
    return out;
  }

  private lowestPaneFrom(index: number): number | null {
    let low: number | null = null;
    for (const i of this.panes.keys()) if (i >= index && (low === null || i < low)) low = i;
    return low;
  }

  /** Panes held (for memory accounting and tests). */
  get paneCount(): number {
    return this.panes.size;
  }
}
