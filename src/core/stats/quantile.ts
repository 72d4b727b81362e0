/**
 * Quantile of sorted data with numpy's default method ("linear", Hyndman & Fan type 7):
 * h = (n − 1)·p, result = x[⌊h⌋] + (h − ⌊h⌋)·(x[⌊h⌋+1] − x[⌊h⌋]).
 */
export function quantileSorted(sorted: ArrayLike<number>, p: number): number {
  const n = sorted.length;
  if (n === 0) throw new RangeError('quantile of an empty sample');
  if (p <= 0) return sorted[0];
  if (p >= 1) return sorted[n - 1];
  const h = (n - 1) * p;
  const lo = Math.floor(h);
  const hi = Math.min(lo + 1, n - 1);
  const frac = h - lo;
  const a = sorted[lo];
  const b = sorted[hi];
  // numpy's _lerp interpolates from the nearer end (b − (b − a)·(1 − t) when t ≥ 0.5) so that
  // results stay monotone; doing the same keeps the edges equal to numpy's bit for bit.
  const diff = b - a;
  return frac >= 0.5 ? b - diff * (1 - frac) : a + diff * frac;
}

/** Sorted, strictly increasing copy of the given edges (duplicates removed). */
export function uniqueSorted(values: ArrayLike<number>): Float64Array {
  const sorted = Float64Array.from(values).sort();
  let k = 0;
  for (let i = 0; i < sorted.length; i++) {
    if (i === 0 || sorted[i] !== sorted[k - 1]) sorted[k++] = sorted[i];
  }
  return sorted.slice(0, k);
}

const scratch = new Float64Array(1);
const bits = new BigInt64Array(scratch.buffer);

/** The largest double strictly below x (Math.nextDown). */
export function nextDown(x: number): number {
  if (Number.isNaN(x) || x === Number.NEGATIVE_INFINITY) return x;
  if (x === 0) return -Number.MIN_VALUE;
  scratch[0] = x;
  bits[0] += x > 0 ? -1n : 1n;
  return scratch[0];
}
