/**
 * Sorting float64 columns: the reference build's one O(n log n) step.
 *
 * `sortFloat64` sorts in place into exactly the order of `Float64Array.prototype.sort` (−0 before
 * +0, NaN last), so every quantile read from the result is the same double. Long arrays go
 * through an LSD radix sort on the IEEE 754 bits mapped to unsigned keys that order as the
 * numbers do (negative: all bits flipped; positive: the sign bit set): three passes of 11 bits
 * over the high 32 bits of the key (a pass skipped when one digit holds every value, common in
 * the exponent bits of a feature's range), then each run of equal high words, short for most
 * data, ordered by its low words — half the passes of a full 64-bit radix sort. Short arrays use the built-in sort, which is cheaper below a few thousand values.
 */

/** Below this length the built-in sort is as fast (it skips the histograms' fixed cost). */
export const RADIX_SORT_MIN_LENGTH = 2048;

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
const MASK = BUCKETS - 1;
/** Passes over the 32-bit high word (11 + 11 + 10 bits); the low words are ordered within runs after. */
const PASSES = 3;

/**
 * The radix sort's working arrays, kept by a caller that sorts many columns (the reference
 * build sorts one per feature): allocating them per column is about 2 MB of fresh external
 * memory per 100,000 values, and at a hundred columns that pressure alone sets off full
 * garbage collections that mark every row the caller holds.
 */
export class SortScratch {
  private buffer = new Uint32Array(0);
  readonly counts = new Uint32Array(PASSES * BUCKETS);

  /** Four key arrays of length n: low and high words, and the scatter's copies of them. */
  keys(n: number): [Uint32Array, Uint32Array, Uint32Array, Uint32Array] {
    if (this.buffer.length < 4 * n) this.buffer = new Uint32Array(4 * n);
    const b = this.buffer;
    return [b.subarray(0, n), b.subarray(n, 2 * n), b.subarray(2 * n, 3 * n), b.subarray(3 * n, 4 * n)];
  }
}

/**
 * Sorts `values` in place (finite, infinite, −0 and NaN alike) and returns it. `scratch`, when
 * given, lends the working arrays (one per thread, reused column after column).
 */
export function sortFloat64(values: Float64Array, scratch: SortScratch = new SortScratch()): Float64Array {
  const n = values.length;
  if (n < RADIX_SORT_MIN_LENGTH || (values.byteOffset & 7) !== 0) return values.sort();
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  // NaN sorts last in Float64Array.prototype.sort whatever its sign and payload: take NaNs out
  // first and put back the canonical NaN (NaN bits are not observable through a Float64Array
  // read, so any NaN is the same value).
  let [lo, hi, lo2, hi2] = scratch.keys(n);
  const counts = scratch.counts.fill(0);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x !== x) continue;
    const h = words[2 * i + 1];
    // Negative: every bit flipped; positive: the sign bit set. Without a branch (`h >> 31` is
    // all ones for a negative value): a column of both signs would mispredict half its values.
    const flip = h >> 31;
    const key = (h ^ (flip | 0x80000000)) >>> 0;
    lo[m] = (words[2 * i] ^ flip) >>> 0;
    hi[m] = key;
    counts[key & MASK]++;
    counts[BUCKETS + ((key >>> 11) & MASK)]++;
    counts[2 * BUCKETS + (key >>> 22)]++;
    m++;
  }

  // The high words (sign, exponent, 20 bits of mantissa) in three passes, each carrying its low word.
  for (let pass = 0; pass < PASSES; pass++) {
    const base = pass * BUCKETS;
    // One digit holding every value: this pass would leave the order as it is.
    let skip = false;
    let sum = 0;
    for (let b = 0; b < BUCKETS; b++) {
      const c = counts[base + b];
      if (c === m) skip = true;
      counts[base + b] = sum;
      sum += c;
    }
    if (skip) continue;
    scatterHigh(lo, hi, lo2, hi2, counts, base, pass * DIGIT_BITS, m);
    const tl = lo;
    lo = lo2;
    lo2 = tl;
    const th = hi;
    hi = hi2;
    hi2 = th;
  }
  orderRunsAndWriteBack(lo, hi, m, words);
  for (let i = m; i < n; i++) values[i] = Number.NaN;
  return values;
}

function scatterHigh(lo: Uint32Array, hi: Uint32Array, lo2: Uint32Array, hi2: Uint32Array, offsets: Uint32Array, base: number, shift: number, m: number): void {
  for (let i = 0; i < m; i++) {
    const h = hi[i];
    const at = offsets[base + ((h >>> shift) & MASK)]++;
    lo2[at] = lo[i];
    hi2[at] = h;
  }
}

/**
 * After the passes over the high words, values with equal high words are adjacent (mostly
 * alone: the high word holds 20 bits of mantissa) and in no particular order of their low
 * words; each run of them is put in order of the low word (by insertion when it is short), and
 * every key is written back into `words` as its double, in the same pass.
 */
function orderRunsAndWriteBack(lo: Uint32Array, hi: Uint32Array, m: number, words: Uint32Array): void {
  let start = 0;
  while (start < m) {
    const h = hi[start];
    let end = start + 1;
    if (end < m && hi[end] === h) {
      while (end < m && hi[end] === h) end++;
      orderRun(lo, start, end);
    }
    for (let i = start; i < end; i++) {
      // The inverse of the key mapping: a key with the sign bit set was positive.
      const flip = ~hi[i] >> 31;
      words[2 * i] = (lo[i] ^ flip) >>> 0;
      words[2 * i + 1] = (hi[i] ^ (flip | 0x80000000)) >>> 0;
    }
    start = end;
  }
}

/** Orders lo[start, end) (keys of one high word). */
function orderRun(lo: Uint32Array, start: number, end: number): void {
  if (end - start > 32) {
    // Ties (one double repeated) are the common long run, and already in order.
    let ordered = true;
    for (let i = start + 1; i < end && ordered; i++) ordered = lo[i - 1] <= lo[i];
    if (!ordered) lo.subarray(start, end).sort();
    return;
  }
  for (let i = start + 1; i < end; i++) {
    const x = lo[i];
    let j = i - 1;
    while (j >= start && lo[j] > x) {
      lo[j + 1] = lo[j];
      j--;
    }
    lo[j + 1] = x;
  }
}
