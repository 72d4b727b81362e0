/**
 * Golden tests of the Hellinger and L-infinity distances (issue 12, items 3 and 5) against
 * numpy/scipy on the same bins (test/golden/generate.py), on numpy's bins directly and end to end
 * (reference built from rows, saved, loaded, then DriftDetector with --metric hellinger / linf).
 *
 * Tolerance 1e-9 absolute for both (distances in 0..1). Same integer counts, same unfloored
 * proportions. L∞ is one subtraction of the same doubles: exact. Hellinger differs from numpy only
 * in summation order and the final division by √2 (numpy) vs inside the root (here); measured
 * max |Δ| is printed and was ≤ 1.2e-16 (see docs/statistics.md).
 */
import { afterAll, describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { hellingerDistance, lInfinityDistance, METRICS, scoreMetric, UnknownMetricError } from '../../../../src/core/stats/index.js';
import { categoricalCases, numericCases, type GoldenCase } from '../../../golden/fixtures.js';

const proportionsOf = (counts: number[]): number[] => {
  const total = counts.reduce((a, b) => a + b, 0);
  return counts.map((c) => c / total);
};

const measured = { hellinger: 0, linf: 0 };
const gap = (name: keyof typeof measured, actual: number, expected: number): number => {
  const d = Math.abs(actual - expected);
  measured[name] = Math.max(measured[name], d);
  return d;
};

function detectWith(metric: 'hellinger' | 'linf', c: GoldenCase) {
  const built = ReferenceDistribution.fromRows(c.reference.map((x) => ({ x })));
  const reference = ReferenceDistribution.fromJSON(JSON.parse(JSON.stringify(built.toJSON())), c.name);
  return new DriftDetector({ metric }).detect(
    c.current.map((x) => ({ x })),
    reference,
  ).features.x;
}

describe.each(numericCases())('numeric golden case $name', (c) => {
  const e = c.expected;
  const p = proportionsOf(e.psi_reference_counts);
  const q = proportionsOf(e.psi_current_counts);

  it('hellingerDistance equals numpy norm(√p − √q)/√2 on the PSI bins', () => {
    expect(gap('hellinger', hellingerDistance(p, q), e.hellinger)).toBeLessThanOrEqual(1e-9);
  });

  it('lInfinityDistance equals scipy chebyshev(p, q) on the PSI bins', () => {
    expect(gap('linf', lInfinityDistance(p, q), e.linf)).toBeLessThanOrEqual(1e-9);
  });

  it.each(['hellinger', 'linf'] as const)('DriftDetector --metric %s scores the same value from a saved reference', (metric) => {
    const f = detectWith(metric, c);
    expect(f.metric).toBe(metric);
    expect(gap(metric, f.score!, e[metric])).toBeLessThanOrEqual(1e-9);
  });
});

describe.each(categoricalCases())('categorical golden case $name', (c) => {
  const e = c.expected;
  const p = proportionsOf(e.reference_counts);
  const q = proportionsOf(e.current_counts);

  it('hellingerDistance equals numpy norm(√p − √q)/√2 over the union of categories', () => {
    expect(gap('hellinger', hellingerDistance(p, q), e.hellinger)).toBeLessThanOrEqual(1e-9);
  });

  it('lInfinityDistance equals scipy chebyshev(p, q) over the union of categories', () => {
    expect(gap('linf', lInfinityDistance(p, q), e.linf)).toBeLessThanOrEqual(1e-9);
  });

  it.each(['hellinger', 'linf'] as const)('DriftDetector --metric %s scores the same value (unseen categories included)', (metric) => {
    const f = detectWith(metric, c);
    expect(f.metric).toBe(metric);
    expect(gap(metric, f.score!, e[metric])).toBeLessThanOrEqual(1e-9);
  });
});

describe('hellinger and linf descriptors', () => {
  it('are registered score metrics for both feature types with NannyML’s constant default 0.1', () => {
    for (const name of ['hellinger', 'linf'] as const) {
      const d = scoreMetric(name);
      expect(d).toBe(METRICS[name]);
      expect(d).toMatchObject({ name, featureTypes: ['numeric', 'categorical'], defaultThreshold: 0.1, higherIsDrift: true, score: true });
    }
  });

  it('an unknown metric lists them among the choices', () => {
    expect(() => scoreMetric('helinger')).toThrow(UnknownMetricError);
    expect(() => scoreMetric('helinger')).toThrow('Unknown metric "helinger". Available: psi, ks, js, wasserstein, hellinger, linf');
  });

  it('edge values: identical distributions 0, disjoint ones 1', () => {
    expect(hellingerDistance([0.5, 0.5, 0], [0.5, 0.5, 0])).toBe(0);
    expect(lInfinityDistance([0.5, 0.5, 0], [0.5, 0.5, 0])).toBe(0);
    expect(hellingerDistance([1, 0], [0, 1])).toBe(1);
    expect(lInfinityDistance([1, 0], [0, 1])).toBe(1);
  });

  it('have no p-value, so threshold auto is refused with the metrics that have one', () => {
    expect(() => new DriftDetector({ metric: 'hellinger', threshold: 'auto' })).toThrow(
      'threshold auto needs a score with a p-value; hellinger has none: use psi, js, ks or auto, or a fixed threshold',
    );
    expect(() => new DriftDetector({ metric: 'linf', threshold: 'auto' })).toThrow(/linf has none/);
  });
});

afterAll(() => {
  console.log(`hellinger/linf golden: max |Δ| hellinger ${measured.hellinger.toExponential(2)}, linf ${measured.linf.toExponential(2)}`);
});
