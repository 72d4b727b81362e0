/**
 * JSON numbers read straight from bytes, with the value `JSON.parse` gives (the correctly
 * rounded double, bit for bit), for the fast event decoder (scanner.ts).
 *
 * Converting decimal text to a double is most of what `JSON.parse` spends on a prediction event
 * (≈ 130 ns for a 17-digit number). Two exact shortcuts cover the numbers models publish:
 * - Clinger's: a significand below 2^53 (15 digits, or 16 while it stays below) and a power of
 *   ten up to 10^22 are both exact doubles, so one IEEE multiplication or division gives the
 *   correctly rounded value;
 * - up to 20 significant digits over 10^k (k ≤ 22): the significand times 10^-k, both held as
 *   double-double sums (Dekker's exact products), ≈ 2^-100 relative error, kept only when
 *   rounding it to a double gives the same result a hair below and above (±2^-80 relative):
 *   then the exact value rounds the same way. Otherwise (a near-tie, more digits, a large
 *   exponent) the number is read with `Number()`, which is what JSON.parse uses.
 * A unit test holds every path to `Number()` over millions of numbers, ties included.
 */

/** Powers of ten that are exact doubles. */
const POW10 = Array.from({ length: 23 }, (_, k) => Number(`1e${k}`));
/** 2^27 + 1: Dekker's splitter for exact products of doubles. */
const SPLITTER = 134217729;
const NEAR = 2 ** -80;

/** The rounding error of `a * b` (whose rounded value is `p`): a·b = p + error exactly. */
function productError(a: number, b: number, p: number): number {
  let t = SPLITTER * a;
  const ah = t - (t - a);
  const al = a - ah;
  t = SPLITTER * b;
  const bh = t - (t - b);
  const bl = b - bh;
  return ah * bh - p + ah * bl + al * bh + al * bl;
}

/** 10^-k as an unevaluated sum hi + lo (|lo| ≤ ulp(hi)/2, ≈ 2^-106 relative), with hi split for exact products. */
const RECIPROCAL_HI = POW10.map((d) => 1 / d);
const RECIPROCAL_LO = POW10.map((d, k) => {
  const hi = RECIPROCAL_HI[k];
  const s = hi * d;
  return (1 - s - productError(hi, d, s)) / d;
});
const RECIPROCAL_HI_HIGH = RECIPROCAL_HI.map((hi) => {
  const t = SPLITTER * hi;
  return t - (t - hi);
});
const RECIPROCAL_HI_LOW = RECIPROCAL_HI.map((hi, k) => hi - RECIPROCAL_HI_HIGH[k]);

/**
 * (m·10^j + low) / 10^k correctly rounded, for m < 2^53, j ≤ 4, low < 10^j and k ≤ 22;
 * NaN when the value is too close to halfway between two doubles to decide this way.
 */
function quotient(m: number, j: number, low: number, k: number): number {
  // The significand as p + rest, exactly (10^j < 2^27 needs no split).
  const scale = POW10[j];
  const p = m * scale;
  let t = SPLITTER * m;
  const mh = t - (t - m);
  const ml = m - mh;
  const rest = mh * scale - p + ml * scale + low;
  // Times 10^-k as hi + lo: p·hi exactly as qh + e, the rest to first order.
  const hi = RECIPROCAL_HI[k];
  const qh = p * hi;
  t = SPLITTER * p;
  const ph = t - (t - p);
  const pl = p - ph;
  const bh = RECIPROCAL_HI_HIGH[k];
  const bl = RECIPROCAL_HI_LOW[k];
  const e = ph * bh - qh + ph * bl + pl * bh + pl * bl;
  const ql = e + (p * RECIPROCAL_LO[k] + rest * hi);
  const near = Math.abs(qh) * NEAR;
  const below = qh + (ql - near);
  return below === qh + (ql + near) ? below : Number.NaN;
}

/**
 * Reads the JSON number starting at `start` (strict JSON grammar) into `into[at]` (a typed
 * array: no number is boxed on the way). Returns the index after the number, or −1 when the
 * bytes there are not a JSON number.
 */
export function readNumber(bytes: Uint8Array, start: number, end: number, into: Float64Array, at: number): number {
  let i = start;
  let negative = false;
  if (i < end && bytes[i] === 45 /* - */) {
    negative = true;
    i++;
  }
  if (i >= end) return -1;
  let c = bytes[i];
  // Significant digits, integer part then fraction (leading zeros skipped): the first 15 in m,
  // up to 4 more in low; beyond that (tooLong) the text goes to Number().
  let m = 0;
  let digits = 0;
  let low = 0;
  let lowDigits = 0;
  let tooLong = false;
  let exponent = 0;
  if (c === 48 /* 0 */) {
    i++;
  } else if (c >= 49 && c <= 57) {
    const stop = i + 15 < end ? i + 15 : end;
    while (i < stop && (c = bytes[i]) >= 48 && c <= 57) {
      m = m * 10 + (c - 48);
      i++;
    }
    digits = i - (negative ? start + 1 : start);
    while (i < end && (c = bytes[i]) >= 48 && c <= 57) {
      if (lowDigits < 4) {
        low = low * 10 + (c - 48);
        lowDigits++;
      } else tooLong = true;
      i++;
    }
  } else return -1;
  if (i < end && bytes[i] === 46 /* . */) {
    i++;
    const fractionStart = i;
    if (digits === 0) while (i < end && bytes[i] === 48) i++;
    if (lowDigits === 0) {
      const stop = i + 15 - digits < end ? i + 15 - digits : end;
      // Four digits a step while they last (one multiply-add on m instead of four in a chain).
      while (i + 4 <= stop) {
        const d0 = bytes[i] - 48;
        const d1 = bytes[i + 1] - 48;
        const d2 = bytes[i + 2] - 48;
        const d3 = bytes[i + 3] - 48;
        if (d0 >>> 0 > 9 || d1 >>> 0 > 9 || d2 >>> 0 > 9 || d3 >>> 0 > 9) break;
        m = m * 10000 + (d0 * 1000 + d1 * 100 + d2 * 10 + d3);
        i += 4;
      }
      while (i < stop && (c = bytes[i]) >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        i++;
      }
      if (i === stop && m < 900719925474099 && i < end && (c = bytes[i]) >= 48 && c <= 57) {
        m = m * 10 + (c - 48);
        i++;
      }
    }
    while (i < end && (c = bytes[i]) >= 48 && c <= 57) {
      if (lowDigits < 4) {
        low = low * 10 + (c - 48);
        lowDigits++;
      } else tooLong = true;
      i++;
    }
    if (i === fractionStart) return -1;
    exponent = fractionStart - i;
  }
  if (i < end && ((c = bytes[i]) === 101 || c === 69) /* e E */) {
    i++;
    let exponentNegative = false;
    if (i < end && ((c = bytes[i]) === 43 || c === 45)) {
      exponentNegative = c === 45;
      i++;
    }
    const exponentStart = i;
    let e = 0;
    while (i < end && (c = bytes[i]) >= 48 && c <= 57) {
      // A longer exponent is not kept exactly: the text goes to Number() (review found that a
      // cut-short exponent plus a long fraction could land back in the fast range).
      if (e < 100_000) e = e * 10 + (c - 48);
      else tooLong = true;
      i++;
    }
    if (i === exponentStart) return -1;
    exponent += exponentNegative ? -e : e;
  }
  let value: number;
  if (m === 0 && low === 0 && !tooLong) value = 0;
  else if (tooLong) value = Number.NaN;
  else if (lowDigits === 0) {
    if (exponent === 0) value = m;
    else if (exponent < 0 && exponent >= -22) value = m / POW10[-exponent];
    else if (exponent > 0 && exponent <= 22) value = m * POW10[exponent];
    else value = Number.NaN;
  } else if (exponent < 0 && exponent >= -22) value = quotient(m, lowDigits, low, -exponent);
  else value = Number.NaN;
  if (value !== value) {
    // Number() reads a JSON number exactly as JSON.parse does (both round correctly).
    value = Math.abs(Number(Buffer.from(bytes.buffer, bytes.byteOffset + start, i - start).toString('latin1')));
  }
  into[at] = negative ? -value : value;
  return i;
}
