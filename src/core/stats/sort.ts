/**
 * Sorting float64 columns: the reference build's one O(n log n) step.
 *
 * `sortFloat64` sorts in place into exactly the order of `Float64Array.prototype.sort` (−0 before
 * +0, NaN last), so every quantile read from the result is the same double. Long arrays go
 * through an LSD radix sort on the IEEE 754 bits mapped to unsigned keys that order as the
 * numbers do (negative: all bits flipped; positive: the sign bit set): six passes of 11 bits,
 * a pass skipped when one digit holds every value (common in the exponent bits of a feature's
 * range). Short arrays use the built-in sort, which is cheaper below a few thousand values.
 */

/** Below this length the built-in sort is as fast (it skips the histograms' fixed cost). */
export const RADIX_SORT_MIN_LENGTH = 2048;

const DIGIT_BITS = 11;
const BUCKETS = 1 << DIGIT_BITS;
const MASK = BUCKETS - 1;
const PASSES = 6;

/** Sorts `values` in place (finite, infinite, −0 and NaN alike) and returns it. */
export function sortFloat64(values: Float64Array): Float64Array {
  const n = values.length;
  if (n < RADIX_SORT_MIN_LENGTH || (values.byteOffset & 7) !== 0) return values.sort();
  const words = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
  // NaN sorts last in Float64Array.prototype.sort whatever its sign and payload: take NaNs out
  // first and put back the canonical NaN (NaN bits are not observable through a Float64Array
  // read, so any NaN is the same value).
  let lo = new Uint32Array(n);
  let hi = new Uint32Array(n);
  let m = 0;
  for (let i = 0; i < n; i++) {
    const x = values[i];
    if (x !== x) continue;
    const l = words[2 * i];
    const h = words[2 * i + 1];
    if (h & 0x80000000) {
      lo[m] = ~l >>> 0;
      hi[m] = ~h >>> 0;
    } else {
      lo[m] = l;
      hi[m] = (h | 0x80000000) >>> 0;
    }
    m++;
  }

  const counts = new Uint32Array(PASSES * BUCKETS);
  for (let i = 0; i < m; i++) {
    const l = lo[i];
    const h = hi[i];
    counts[l & MASK]++;
    counts[BUCKETS + ((l >>> 11) & MASK)]++;
    counts[2 * BUCKETS + ((l >>> 22) | ((h & 1) << 10))]++;
    counts[3 * BUCKETS + ((h >>> 1) & MASK)]++;
    counts[4 * BUCKETS + ((h >>> 12) & MASK)]++;
    counts[5 * BUCKETS + (h >>> 23)]++;
  }

  let lo2 = new Uint32Array(m);
  let hi2 = new Uint32Array(m);
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
    const shift = pass * DIGIT_BITS;
    if (shift + DIGIT_BITS <= 32) scatterLow(lo, hi, lo2, hi2, counts, base, shift, m);
    else if (shift >= 32) scatterHigh(lo, hi, lo2, hi2, counts, base, shift - 32, m);
    else scatterStraddling(lo, hi, lo2, hi2, counts, base, shift, m);
    const tl = lo;
    lo = lo2;
    lo2 = tl;
    const th = hi;
    hi = hi2;
    hi2 = th;
  }

  for (let i = 0; i < m; i++) {
    const l = lo[i];
    const h = hi[i];
    if (h & 0x80000000) {
      words[2 * i] = l;
      words[2 * i + 1] = (h & 0x7fffffff) >>> 0;
    } else {
      words[2 * i] = ~l >>> 0;
      words[2 * i + 1] = ~h >>> 0;
    }
  }
  for (let i = m; i < n; i++) values[i] = Number.NaN;
  return values;
}

function scatterLow(lo: Uint32Array, hi: Uint32Array, lo2: Uint32Array, hi2: Uint32Array, offsets: Uint32Array, base: number, shift: number, m: number): void {
  for (let i = 0; i < m; i++) {
    const l = lo[i];
    const at = offsets[base + ((l >>> shift) & MASK)]++;
    lo2[at] = l;
    hi2[at] = hi[i];
  }
}

function scatterHigh(lo: Uint32Array, hi: Uint32Array, lo2: Uint32Array, hi2: Uint32Array, offsets: Uint32Array, base: number, shift: number, m: number): void {
  for (let i = 0; i < m; i++) {
    const h = hi[i];
    const at = offsets[base + ((h >>> shift) & MASK)]++;
    lo2[at] = lo[i];
    hi2[at] = h;
  }
}

/** The digit whose bits run from the low word into the high one. */
function scatterStraddling(lo: Uint32Array, hi: Uint32Array, lo2: Uint32Array, hi2: Uint32Array, offsets: Uint32Array, base: number, shift: number, m: number): void {
  for (let i = 0; i < m; i++) {
    const l = lo[i];
    const h = hi[i];
    const at = offsets[base + (((l >>> shift) | (h << (32 - shift))) & MASK)]++;
    lo2[at] = l;
    hi2[at] = h;
  }
}
