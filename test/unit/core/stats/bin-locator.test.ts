import { describe, expect, it } from 'vitest';
import { BinLocator, binIndex } from '../../../../src/core/stats/histogram.js';
import { nextDown, uniqueSorted } from '../../../../src/core/stats/quantile.js';
import { rng } from '../../../fixtures/random.js';

// The grid lookup must agree with the plain binary search everywhere: on every edge, just
// below and above each edge, outside the range, and on random values of several shapes.
describe('BinLocator agrees with binIndex', () => {
  const r = rng(17);
  const shapes: Record<string, number[]> = {
    normal: Array.from({ length: 400 }, () => r.normal(0, 1)),
    'heavy tail': Array.from({ length: 400 }, () => Math.exp(r.normal(0, 3))),
    integers: Array.from({ length: 50 }, (_, i) => i),
    'atoms split by nextDown': [0, 1, 2, 3].flatMap((v) => [nextDown(v), v]),
    'one edge': [5],
    'no edge': [],
    'huge range': [-1e300, -1, 0, 1, 1e300],
  };
  for (const [name, raw] of Object.entries(shapes)) {
    it(name, () => {
      const edges = uniqueSorted(raw);
      const locator = BinLocator.for(edges);
      const probes = [-Infinity, Infinity, -1e308, 1e308, 0, ...Array.from({ length: 5000 }, () => r.normal(0, 10) * (r.uniform() < 0.5 ? 1 : 1e3))];
      for (const e of edges) probes.push(e, nextDown(e), e + Math.abs(e) * 1e-15 + 1e-300);
      const wrong = probes.filter((v) => locator.index(v) !== binIndex(edges, v));
      expect(wrong).toEqual([]);
    });
  }
});
