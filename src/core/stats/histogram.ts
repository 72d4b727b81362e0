/**
 * A histogram on frozen bin edges: the mergeable accumulation behind every numeric feature.
 *
 * Bins are right-closed, as the reference's PSI bins are: with sorted unique edges
 * e0 < e1 < … < e(k−1), bin 0 is (−∞, e0], bin i is (e(i−1), e(i)] and bin k is (e(k−1), +∞).
 * A value therefore lands in bin `i` = the number of edges strictly below it.
 *
 * Counts are float64 so that `merge` and `subtract` stay exact for integers below 2^53;
 * the window keeps a running sum of panes with them (docs/windows-and-delivery.md).
 */
export class Histogram {
  readonly edges: Float64Array;
  readonly counts: Float64Array;
  total = 0;
  readonly locator: BinLocator;

  constructor(edges: Float64Array, counts?: Float64Array) {
    this.edges = edges;
    this.locator = BinLocator.for(edges);
    this.counts = counts ?? new Float64Array(edges.length + 1);
    if (this.counts.length !== edges.length + 1) {
      throw new RangeError(`a histogram over ${edges.length} edges needs ${edges.length + 1} counts, got ${this.counts.length}`);
    }
    for (let i = 0; i < this.counts.length; i++) this.total += this.counts[i];
  }

  record(value: number): void {
    this.counts[this.locator.index(value)]++;
    this.total++;
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

/**
 * `binIndex` in near-constant time: a uniform grid over [first edge, last edge] whose cells
 * know the first bin their values can fall in, so a lookup is a multiplication, a table read
 * and a step or two over the edges instead of a binary search over all of them (the hot path
 * of every event and of the batch check). Built once per edge array and shared by every
 * histogram on it. The steps move the bin both ways until edges[i − 1] < value ≤ edges[i], so a
 * rounding error in the cell index costs a step, never a wrong bin.
 */
export class BinLocator {
  private static readonly cache = new WeakMap<Float64Array, BinLocator>();
  private readonly start: Uint32Array | Uint16Array;
  /** The first and last edges: `inside` takes the values in (first, last]. */
  readonly first: number;
  readonly last: number;
  private readonly scale: number;
  /** False when the edges have no grid (fewer than two, or a span of 0 or ±∞): `inside` must not be used. */
  readonly gridded: boolean;
  private readonly cells: number;

  static for(edges: Float64Array): BinLocator {
    let locator = BinLocator.cache.get(edges);
    if (!locator) {
      locator = new BinLocator(edges);
      BinLocator.cache.set(edges, locator);
    }
    return locator;
  }

  private constructor(private readonly edges: Float64Array) {
    const n = edges.length;
    this.first = n > 0 ? edges[0] : 0;
    this.last = n > 0 ? edges[n - 1] : 0;
    const span = this.last - this.first;
    // Sixteen cells per edge (at most 8192: a table of 16 KiB), so that nearly every cell holds
    // no edge even where the edges are densest (quantile edges crowd where the data does): the
    // walk then takes no step, and its branches are predicted. Four cells per edge took a step
    // in most cells of the dense part, and the mispredicted steps were a third of the batch
    // check's binning (100,000 × 100: 230 → 172 ms, docs/benchmarks.md, "Column kernels, third
    // round"); 32 per edge is faster alone but loses more in cache misses beside the rows.
    this.cells = n > 1 && span > 0 && Number.isFinite(span) ? Math.min(16 * n, 8192) : 1;
    this.scale = this.cells > 1 ? this.cells / span : 0;
    this.gridded = this.cells > 1;
    const Table = n < 65_536 ? Uint16Array : Uint32Array;
    this.start = new Table(this.cells);
    // start[c] = binIndex(edges, the cell's lower end), by one walk: the lower ends increase with c.
    for (let c = 0, i = 0; c < this.cells && this.cells > 1; c++) {
      const low = this.first + c / this.scale;
      while (i < n && edges[i] < low) i++;
      this.start[c] = i;
    }
  }

  index(value: number): number {
    const edges = this.edges;
    if (!(value > this.first)) return 0 === edges.length || value <= this.first ? 0 : binIndex(edges, value);
    if (value > this.last) return edges.length;
    if (this.cells === 1) return binIndex(edges, value);
    return this.inside(value);
  }

  /**
   * `index` of a value known to be in (first, last] on a gridded locator: the batch check's
   * hot loop tests the range once for both the bin and the Wasserstein tails (NumericAccumulator.recordColumn).
   */
  inside(value: number): number {
    const edges = this.edges;
    const cell = Math.floor((value - this.first) * this.scale);
    let i = this.start[cell < this.cells ? cell : this.cells - 1];
    // first < value ≤ last here, so edges[n − 1] ≥ value stops the first walk inside the array.
    while (edges[i] < value) i++;
    while (i > 0 && edges[i - 1] >= value) i--;
    return i;
  }
}

/** The parts of an ExactSum: its partials and its counts of non-finite terms. */
export interface ExactSumParts {
  partials: number[];
  positiveInfinite: number;
  negativeInfinite: number;
  nan: number;
}

/**
 * An exact, order-independent sum of float64 values: the window's floating-point tail sums
 * (the Wasserstein tails beyond the reference min and max) are kept in one, so that a window
 * built by adding and subtracting panes in any order — an uninterrupted run, a restart that
 * re-read the panes, a batch recomputation — gives the same bits.
 *
 * The sum is held exactly as non-overlapping partials of increasing magnitude (Shewchuk,
 * "Adaptive Precision Floating-Point Arithmetic and Fast Robust Geometric Predicates", 1997);
 * `value` is the exact sum correctly rounded to the nearest double (the final step of Python's
 * `math.fsum`), a function of the exact sum alone. Adding, merging and subtracting are exact,
 * so `merge(a); subtract(a)` restores the value bit for bit. A non-finite term, or an exact sum
 * beyond the double range, makes the value ±Infinity or NaN (counted, so subtracting it undoes it).
 */
export class ExactSum {
  private readonly partials: number[] = [];
  /** Non-finite terms, by kind: +Infinity, −Infinity, NaN (and partial overflows, as +/−Infinity). */
  private positiveInfinite = 0;
  private negativeInfinite = 0;
  private nan = 0;

  add(x: number): void {
    if (x - x !== 0) {
      this.countSpecial(x, 1);
      return;
    }
    const p = this.partials;
    let i = 0;
    for (let j = 0; j < p.length; j++) {
      let y = p[j];
      if (Math.abs(x) < Math.abs(y)) {
        const t = x;
        x = y;
        y = t;
      }
      const hi = x + y;
      if (hi - hi !== 0) {
        // The running sum left the double range: count it as an infinity (rare, not exact).
        this.countSpecial(hi, 1);
        p.length = 0;
        return;
      }
      const lo = y - (hi - x);
      if (lo !== 0) p[i++] = lo;
      x = hi;
    }
    p.length = i;
    if (x !== 0 || i === 0) p.push(x);
  }

  merge(other: ExactSum): void {
    for (const x of other.partials) this.add(x);
    this.positiveInfinite += other.positiveInfinite;
    this.negativeInfinite += other.negativeInfinite;
    this.nan += other.nan;
  }

  subtract(other: ExactSum): void {
    for (const x of other.partials) this.add(-x);
    this.positiveInfinite -= other.positiveInfinite;
    this.negativeInfinite -= other.negativeInfinite;
    this.nan -= other.nan;
  }

  /** The exact sum's parts, for serialising a pane (core/window/partial-pane.ts). */
  toParts(): ExactSumParts {
    return { partials: [...this.partials], positiveInfinite: this.positiveInfinite, negativeInfinite: this.negativeInfinite, nan: this.nan };
  }

  /** A sum equal to the one `parts` came from (its partials are re-added, so any input gives a valid sum). */
  static fromParts(parts: ExactSumParts): ExactSum {
    const sum = new ExactSum();
    for (const x of parts.partials) sum.add(x);
    sum.positiveInfinite += parts.positiveInfinite;
    sum.negativeInfinite += parts.negativeInfinite;
    sum.nan += parts.nan;
    return sum;
  }

  reset(): void {
    this.partials.length = 0;
    this.positiveInfinite = 0;
    this.negativeInfinite = 0;
    this.nan = 0;
  }

  /** The exact sum, correctly rounded (round half to even). */
  get value(): number {
    if (this.nan > 0 || (this.positiveInfinite > 0 && this.negativeInfinite > 0)) return Number.NaN;
    if (this.positiveInfinite > 0) return Number.POSITIVE_INFINITY;
    if (this.negativeInfinite > 0) return Number.NEGATIVE_INFINITY;
    const p = this.partials;
    let n = p.length;
    if (n === 0) return 0;
    let hi = p[--n];
    let lo = 0;
    while (n > 0) {
      const x = hi;
      const y = p[--n];
      hi = x + y;
      const yr = hi - x;
      lo = y - yr;
      if (lo !== 0) break;
    }
    // Half-way case: the rest of the partials decide the rounding direction.
    if (n > 0 && ((lo < 0 && p[n - 1] < 0) || (lo > 0 && p[n - 1] > 0))) {
      const y = lo * 2;
      const x = hi + y;
      const yr = x - hi;
      if (y === yr) hi = x;
    }
    return hi;
  }

  private countSpecial(x: number, sign: 1 | -1): void {
    if (Number.isNaN(x)) this.nan += sign;
    else if (x > 0) this.positiveInfinite += sign;
    else this.negativeInfinite += sign;
  }
}
