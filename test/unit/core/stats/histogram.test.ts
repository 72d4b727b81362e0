import { describe, expect, it } from 'vitest';
import { Histogram, binIndex } from '../../../../src/core/stats/index.js';

const edges = Float64Array.from([0, 1, 2.5]);

describe('binIndex: right-closed bins (−∞, e0], (e0, e1], …, (e_last, +∞)', () => {
  it('puts a value equal to an edge in the lower bin', () => {
    expect(binIndex(edges, 0)).toBe(0);
    expect(binIndex(edges, 1)).toBe(1);
    expect(binIndex(edges, 2.5)).toBe(2);
  });

  it('puts a value just above an edge in the upper bin', () => {
    expect(binIndex(edges, Number.EPSILON)).toBe(1);
    expect(binIndex(edges, 1 + Number.EPSILON)).toBe(2);
    expect(binIndex(edges, 2.5000000000000004)).toBe(3);
  });

  it('is the number of edges strictly below the value (numpy.searchsorted side="left")', () => {
    for (const v of [-1e300, -3, -0.5, 0.5, 1.7, 2.4, 3, 1e300]) {
      expect(binIndex(edges, v)).toBe(Array.from(edges).filter((e) => e < v).length);
    }
  });

  it('has a single bin when there are no edges', () => {
    expect(binIndex(new Float64Array(0), 42)).toBe(0);
  });
});

describe('Histogram', () => {
  const filled = (values: number[]): Histogram => {
    const h = new Histogram(edges);
    for (const v of values) h.record(v);
    return h;
  };

  it('records into right-closed bins and keeps the total', () => {
    const h = filled([-1, 0, 0.5, 1, 2, 2.5, 3, 7]);
    expect(Array.from(h.counts)).toEqual([2, 2, 2, 2]);
    expect(h.total).toBe(8);
  });

  it('merge then subtract of the same histogram restores counts and total exactly', () => {
    const a = filled([-1, 0.2, 0.2, 2, 9]);
    const before = Array.from(a.counts);
    const b = filled([0, 1, 1, 1, 3, 3]);
    a.merge(b);
    expect(Array.from(a.counts)).toEqual(before.map((c, i) => c + b.counts[i]));
    expect(a.total).toBe(11);
    a.subtract(b);
    expect(Array.from(a.counts)).toEqual(before);
    expect(a.total).toBe(5);
  });

  it('subtracting every pane of a running sum leaves it empty (a window after all panes left)', () => {
    const panes = [filled([0.1, 2]), filled([5, 5, -2]), filled([1])];
    const window = new Histogram(edges);
    for (const p of panes) window.merge(p);
    for (const p of panes) window.subtract(p);
    expect(Array.from(window.counts)).toEqual([0, 0, 0, 0]);
    expect(window.total).toBe(0);
  });

  it('merges histograms on equal (not identical) edge arrays', () => {
    const a = filled([0.5]);
    const b = new Histogram(Float64Array.from(edges));
    b.record(0.5);
    a.merge(b);
    expect(Array.from(a.counts)).toEqual([0, 2, 0, 0]);
  });

  it('throws when merging or subtracting histograms on different edges', () => {
    const a = filled([0.5]);
    const shifted = new Histogram(Float64Array.from([0, 1, 2.6]));
    const shorter = new Histogram(Float64Array.from([0, 1]));
    expect(() => a.subtract(shifted)).toThrow(RangeError);
    expect(() => a.subtract(shifted)).toThrow('cannot combine histograms built on different bin edges');
    expect(() => a.subtract(shorter)).toThrow('cannot combine histograms built on different bin edges');
    expect(() => a.merge(shifted)).toThrow('cannot combine histograms built on different bin edges');
    expect(Array.from(a.counts)).toEqual([0, 1, 0, 0]);
  });

  it('rejects counts of the wrong length', () => {
    expect(() => new Histogram(edges, new Float64Array(3))).toThrow('a histogram over 3 edges needs 4 counts, got 3');
  });

  it('clone is independent and reset empties', () => {
    const a = filled([0.5, 3]);
    const b = a.clone();
    a.reset();
    expect(Array.from(a.counts)).toEqual([0, 0, 0, 0]);
    expect(a.total).toBe(0);
    expect(Array.from(b.counts)).toEqual([0, 1, 0, 1]);
    expect(b.total).toBe(2);
  });
});
