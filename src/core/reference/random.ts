import { logGamma } from '../stats/special.js';

/**
 * Seeded random variates for the resampled calibration (calibration.ts): a small generator and
 * the gamma, Dirichlet, binomial and multinomial draws it needs. Deterministic for a seed on
 * every platform (integer arithmetic, and only Math.log/sqrt/cos, which V8 computes the same
 * everywhere), so a reference rebuilt from the same rows with the same seed is byte for byte the same.
 */

/** sfc32 (Chris Doty-Humphrey's Small Fast Counting generator, 128-bit state), seeded through splitmix32. */
export class Random {
  private a: number;
  private b: number;
  private c: number;
  private d: number;
  private spare = 0;
  private hasSpare = false;

  constructor(...seeds: number[]) {
    let s = 0x9e3779b9;
    for (const x of seeds) s = splitmix32(s ^ (x >>> 0));
    this.a = splitmix32(s);
    this.b = splitmix32(this.a);
    this.c = splitmix32(this.b);
    this.d = 1;
    for (let i = 0; i < 12; i++) this.next32();
  }

  next32(): number {
    const t = (((this.a + this.b) | 0) + this.d) | 0;
    this.d = (this.d + 1) | 0;
    this.a = this.b ^ (this.b >>> 9);
    this.b = (this.c + (this.c << 3)) | 0;
    this.c = (this.c << 21) | (this.c >>> 11);
    this.c = (this.c + t) | 0;
    return t >>> 0;
  }

  /** Uniform on (0, 1) in steps of 2^−32: never 0 or 1, so its logarithm is finite. */
  uniform(): number {
    return (this.next32() + 0.5) / 4294967296;
  }

  /** Standard normal (Marsaglia's polar method, both values used). */
  normal(): number {
    if (this.hasSpare) {
      this.hasSpare = false;
      return this.spare;
    }
    for (;;) {
      const u = 2 * this.uniform() - 1;
      const v = 2 * this.uniform() - 1;
      const s = u * u + v * v;
      if (s >= 1 || s === 0) continue;
      const f = Math.sqrt((-2 * Math.log(s)) / s);
      this.spare = v * f;
      this.hasSpare = true;
      return u * f;
    }
  }

  /**
   * Gamma(shape, 1) for shape > 0: Marsaglia & Tsang (2000), "A simple method for generating
   * gamma variables", ACM TOMS 26(3); below shape 1 by their boost, Gamma(a) = Gamma(a + 1)·U^(1/a).
   */
  gamma(shape: number): number {
    if (!(shape > 0)) throw new RangeError(`gamma shape (${shape}) must be > 0`);
    if (shape < 1) return this.gamma(shape + 1) * Math.pow(this.uniform(), 1 / shape);
    const d = shape - 1 / 3;
    const c = 1 / Math.sqrt(9 * d);
    for (;;) {
      const x = this.normal();
      const t = 1 + c * x;
      if (t <= 0) continue;
      const v = t * t * t;
      const u = this.uniform();
      const x2 = x * x;
      if (u < 1 - 0.0331 * x2 * x2) return d * v;
      if (Math.log(u) < 0.5 * x2 + d * (1 - v + Math.log(v))) return d * v;
    }
  }

  /**
   * Binomial(n, p), exactly: by inversion of the pmf when the smaller mean n·min(p, 1 − p) is
   * below 10, else by Hörmann's transformed rejection with squeeze (BTRS; W. Hörmann (1993),
   * "The generation of binomial random variates", J. Statist. Comput. Simul. 46), whose
   * acceptance test compares with the exact log pmf. O(1) expected work at every n.
   */
  binomial(n: number, p: number): number {
    if (n <= 0 || p <= 0) return 0;
    if (p >= 1) return n;
    if (p > 0.5) return n - this.binomial(n, 1 - p);
    if (n * p < BINOMIAL_INVERSION_MEAN) return this.binomialInversion(n, p);
    const q = 1 - p;
    const spq = Math.sqrt(n * p * q);
    const b = 1.15 + 2.53 * spq;
    const a = -0.0873 + 0.0248 * b + 0.01 * p;
    const c = n * p + 0.5;
    const vr = 0.92 - 4.2 / b;
    const alpha = (2.83 + 5.1 / b) * spq;
    const lpq = Math.log(p / q);
    const m = Math.floor((n + 1) * p);
    // Needed only when the squeeze fails (about 1 draw in 7): computed then, once.
    let h = Number.NaN;
    for (;;) {
      const u = this.uniform() - 0.5;
      let v = this.uniform();
      const us = 0.5 - Math.abs(u);
      const k = Math.floor(((2 * a) / us + b) * u + c);
      if (k < 0 || k > n) continue;
      if (us >= 0.07 && v <= vr) return k;
      v = Math.log((v * alpha) / (a / (us * us) + b));
      if (h !== h) h = logFactorial(m) + logFactorial(n - m);
      if (v <= h - logFactorial(k) - logFactorial(n - k) + (k - m) * lpq) return k;
    }
  }

  private binomialInversion(n: number, p: number): number {
    const q = 1 - p;
    const ratio = p / q;
    let pmf = Math.exp(n * Math.log(q));
    let u = this.uniform();
    for (let x = 0; x < n; x++) {
      if (u <= pmf) return x;
      u -= pmf;
      pmf *= (ratio * (n - x)) / (x + 1);
    }
    return n;
  }

  /** Multinomial(n, probabilities) into `out`, by conditional binomials (probabilities sum to 1). */
  multinomial(n: number, probabilities: ArrayLike<number>, out: Float64Array): void {
    const last = probabilities.length - 1;
    let left = n;
    let mass = 1;
    for (let i = 0; i < last; i++) {
      const x = left > 0 && mass > 0 ? this.binomial(left, Math.min(1, probabilities[i] / mass)) : 0;
      out[i] = x;
      left -= x;
      mass -= probabilities[i];
    }
    out[last] = left;
  }

  /** Dirichlet(shapes) into `out` (every shape > 0). */
  dirichlet(shapes: ArrayLike<number>, out: Float64Array): void {
    let total = 0;
    // Gammas of tiny shapes can underflow to 0; all of them at once is redrawn.
    while (!(total > 0)) {
      total = 0;
      for (let i = 0; i < shapes.length; i++) {
        out[i] = this.gamma(shapes[i]);
        total += out[i];
      }
    }
    for (let i = 0; i < shapes.length; i++) out[i] /= total;
  }
}

/** ln k! for k below this is read from a table (filled once, on first use, from logGamma itself). */
const LOG_FACTORIAL_TABLE = 1 << 14;
let logFactorials: Float64Array | null = null;

function logFactorial(k: number): number {
  if (k >= LOG_FACTORIAL_TABLE) return logGamma(k + 1);
  if (!logFactorials) {
    logFactorials = new Float64Array(LOG_FACTORIAL_TABLE);
    for (let i = 0; i < LOG_FACTORIAL_TABLE; i++) logFactorials[i] = logGamma(i + 1);
  }
  return logFactorials[k];
}

/** Below this smaller mean n·min(p, 1 − p) a binomial is drawn by inversion (BTRS needs at least 10). */
const BINOMIAL_INVERSION_MEAN = 10;

function splitmix32(x: number): number {
  let z = (x + 0x9e3779b9) | 0;
  z = Math.imul(z ^ (z >>> 16), 0x85ebca6b);
  z = Math.imul(z ^ (z >>> 13), 0xc2b2ae35);
  return (z ^ (z >>> 16)) >>> 0;
}

/**
 * mulberry32: a small seeded 32-bit generator, uniform on [0, 1). The demo data, the job's row
 * reservoir and the false-alarm script draw from it; the calibration uses Random (more state).
 */
export function mulberry32(seed: number): () => number {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
