/**
 * The naive sliding window the streaming benchmarks compare with: keep every raw value of the
 * window (one growable array per feature and pane), and at each slide concatenate the window's
 * values, sort them and score them from scratch (PSI on the reference deciles, exact KS against
 * the sorted reference sample). Events are taken in event-time order; a window is scored when
 * the first event of a later pane arrives (no lateness).
 */
import { decileEdges, ksSorted, psiSorted } from './baseline.js';

export class NaiveWindow {
  private readonly panes = new Map<number, number[][]>();
  private highest = Number.NEGATIVE_INFINITY;
  evaluations = 0;
  /** Sum of every score computed, so that no work can be optimised away. */
  checksum = 0;
  private readonly edges: number[][];

  constructor(
    private readonly features: number,
    private readonly panesPerWindow: number,
    private readonly slideMs: number,
    /** Sorted reference sample per feature; null keeps the raw values without scoring. */
    private readonly referenceSorted: Float64Array[] | null,
  ) {
    this.edges = referenceSorted ? referenceSorted.map((r) => decileEdges(r)) : [];
  }

  record(eventTimeMs: number, values: ArrayLike<number>): void {
    const index = Math.floor(eventTimeMs / this.slideMs);
    if (index > this.highest) {
      if (Number.isFinite(this.highest)) for (let end = this.highest + 1; end <= index; end++) this.closeWindowEnding(end);
      this.highest = index;
    }
    let pane = this.panes.get(index);
    if (!pane) {
      pane = Array.from({ length: this.features }, () => []);
      this.panes.set(index, pane);
    }
    for (let j = 0; j < this.features; j++) pane[j].push(values[j]);
  }

  /** The window of panes [end − P, end − 1]: score it, then drop the pane leaving it. */
  private closeWindowEnding(endPane: number): void {
    const first = endPane - this.panesPerWindow;
    if (this.referenceSorted) {
      const inWindow = [...this.panes].filter(([i]) => i >= first && i < endPane).map(([, p]) => p);
      if (inWindow.length > 0) {
        this.evaluations++;
        for (let j = 0; j < this.features; j++) {
          const size = inWindow.reduce((s, p) => s + p[j].length, 0);
          const current = new Float64Array(size);
          let k = 0;
          for (const p of inWindow) for (const v of p[j]) current[k++] = v;
          current.sort();
          this.checksum += psiSorted(this.referenceSorted[j], current, this.edges[j]) + ksSorted(this.referenceSorted[j], current);
        }
      }
    }
    for (const i of this.panes.keys()) if (i <= first) this.panes.delete(i);
  }

  get paneCount(): number {
    return this.panes.size;
  }
}
