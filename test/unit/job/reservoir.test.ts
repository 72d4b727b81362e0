// Reservoir sampling (FEATURE_STORE_MAX_ROWS): uniform inclusion whatever the position,
// the same sample for the same seed, nothing cut below the cap, arrival order kept.
import { describe, expect, it } from 'vitest';
import { Reservoir, seedOfWindowEnd } from '../../../src/app/job/reservoir.js';

function sample(n: number, k: number, seed: number): number[] {
  const r = new Reservoir<number>(k, seed);
  for (let i = 0; i < n; i++) r.offer(i);
  return r.inOrder();
}

describe('Reservoir', () => {
  it('keeps each of n items with probability k/n, first, middle and last alike', () => {
    const [n, k, trials] = [50, 10, 20_000];
    const hits = new Array<number>(n).fill(0);
    for (let seed = 1; seed <= trials; seed++) for (const i of sample(n, k, seed)) hits[i]!++;
    // Binomial(trials, k/n): mean 4000, sd ≈ 56.6; 5 sd either side.
    const mean = (trials * k) / n;
    const sd = Math.sqrt(trials * (k / n) * (1 - k / n));
    for (const [i, h] of hits.entries()) expect(Math.abs(h - mean), `item ${i}: ${h}`).toBeLessThan(5 * sd);
    // Pearson's chi² over the n counts (df 49: the 0.999 quantile is 85.4, scipy.stats.chi2.ppf).
    const chi2 = hits.reduce((s, h) => s + (h - mean) ** 2 / (mean * (1 - k / n)), 0);
    expect(chi2).toBeLessThan(85.4);
  });

  it('the same seed keeps the same items, another seed others; the kept ones in arrival order', () => {
    const a = sample(10_000, 100, seedOfWindowEnd(Date.parse('2026-12-01T12:00:00Z')));
    expect(a).toHaveLength(100);
    expect(sample(10_000, 100, seedOfWindowEnd(Date.parse('2026-12-01T12:00:00Z')))).toEqual(a);
    expect(sample(10_000, 100, seedOfWindowEnd(Date.parse('2026-12-01T13:00:00Z')))).not.toEqual(a);
    expect([...a].sort((x, y) => x - y)).toEqual(a);
  });

  it('below or at the cap every item is kept; a cap that is not a positive integer is refused', () => {
    expect(sample(7, 10, 1)).toEqual([0, 1, 2, 3, 4, 5, 6]);
    expect(sample(10, 10, 1)).toEqual([0, 1, 2, 3, 4, 5, 6, 7, 8, 9]);
    expect(() => new Reservoir(0, 1)).toThrow(/capacity must be a positive integer, got 0/);
  });
});
