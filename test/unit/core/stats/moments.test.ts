import { describe, expect, it } from 'vitest';
import { columnMoments, sortedMoments } from '../../../../src/core/stats/moments.js';
import { rng } from '../../../fixtures/random.js';

// The reference files hold the running mean and the squared deviations of each sorted column
// bit for bit (the bundled example's byte-for-byte tests): walking columns side by side must
// not change a bit of either (issue 17).
describe('sortedMoments', () => {
  const r = rng(31);
  /** The summary as the build computed it one column at a time, before the lanes. */
  const serial = (values: Float64Array) => {
    let mean = 0;
    for (let i = 0; i < values.length; i++) mean += (values[i] - mean) / (i + 1);
    let squares = 0;
    for (let i = 0; i < values.length; i++) squares += (values[i] - mean) ** 2;
    return { mean, squares };
  };
  const column = (n: number, scale: number) => Float64Array.from({ length: n }, () => r.normal(scale, scale / 3 + 1e-3) * 10 ** Math.round(r.normal(0, 2))).sort();

  it('gives every column the bits of the one-column walk, for any number of columns and unequal lengths', () => {
    for (const k of [1, 3, 8, 9, 17]) {
      const columns = Array.from({ length: k }, (_, j) => column(1 + Math.floor(r.uniform() * 5000), j + 1));
      const { mean, squares } = sortedMoments(columns);
      expect(mean.length).toBe(k);
      columns.forEach((values, j) => {
        const expected = serial(values);
        expect(Object.is(mean[j], expected.mean), `mean of column ${j} of ${k}`).toBe(true);
        expect(Object.is(squares[j], expected.squares), `squares of column ${j} of ${k}`).toBe(true);
        expect(columnMoments(values)).toEqual(expected);
      });
    }
  });

  it('matches numpy-style mean and variance to rounding', () => {
    const values = column(10_000, 5);
    const { mean, squares } = sortedMoments([values]);
    const plainMean = values.reduce((a, b) => a + b, 0) / values.length;
    expect(mean[0]).toBeCloseTo(plainMean, 9);
    expect(squares[0] / values.length).toBeCloseTo(values.reduce((a, b) => a + (b - plainMean) ** 2, 0) / values.length, 6);
  });

  it('handles an empty column beside others and no columns at all', () => {
    const { mean, squares } = sortedMoments([new Float64Array(0), Float64Array.of(1, 2, 3)]);
    expect([mean[0], squares[0]]).toEqual([0, 0]);
    expect([mean[1], squares[1]]).toEqual([2, 2]);
    expect(sortedMoments([]).mean.length).toBe(0);
  });
});
