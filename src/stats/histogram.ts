/**
 * A histogram on frozen bin edges: the mergeable accumulation behind every numeric feature.
 *
 * Bins are right-closed, as the reference's PSI bins are: with sorted unique edges
 * e0 < e1 < … < e(k−1), bin 0 is (−∞, e0], bin i is (e(i−1), e(i)] and bin k is (e(k−1), +∞).
 * A value therefore lands in bin `i` = the number of edges strictly below it.
 *
 * Counts are float64 so that `merge` and `subtract` stay exact for integers below 2^53;
 * the window keeps a running sum of panes with them (design.md, "Windows and time").
 */
export class Histogram {
  readonly edges: Float64Array;
  readonly counts: Float64Array;
  total = 0;

  constructor(edges: Float64Array, counts?: Float64Array) {
    this.edges = edges;
    this.counts = counts ?? new Float64Array(edges.length + 1);
    if (this.counts.length !== edges.length + 1) {
      throw new RangeError(`a histogram over ${edges.length} edges needs ${edges.length + 1} counts, got ${this.counts.length}`);
    }
    for (let i = 0; i < this.counts.length; i++) this.total += this.counts[i];
  }

  record(value: number, weight = 1): void {
    this.counts[binIndex(this.edges, value)] += weight;
    this.total += weight;
  }

  merge(other: Histogram): void {
    assertSameEdges(this, other);
    const a = this.counts;
    const b = other.counts;
    for (let i = 0; i < a.length; i++) a[i] += b[i];
    this.total += other.total;
  }

  subtract(other: Histogram): void {
    assertSameEdges(this, other);
    const a = this.counts;
    const b = other.counts;
    for (let i = 0; i < a.length; i++) a[i] -= b[i];
    this.total -= other.total;
  }

  reset(): void {
    this.counts.fill(0);
    this.total = 0;
  }

  clone(): Histogram {
    return new Histogram(this.edges, this.counts.slice());
  }
}

/** Index of the right-closed bin holding `value`: the number of edges strictly below it. */
export function binIndex(edges: Float64Array, value: number): number {
  let lo = 0;
  let hi = edges.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if (edges[mid] < value) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

function assertSameEdges(a: Histogram, b: Histogram): void {
  // Pane histograms share the reference's edge array, so identity is the fast path.
  if (a.edges === b.edges) return;
  if (a.edges.length !== b.edges.length || a.edges.some((e, i) => e !== b.edges[i])) {
    throw new RangeError('cannot combine histograms built on different bin edges');
  }
}
