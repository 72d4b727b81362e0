import { describe, expect, it } from 'vitest';
import { buildFeatures, columnGroupSize } from '../../../../src/core/reference/build.js';
import { rng } from '../../../fixtures/random.js';

// The build reads its columns in groups, one pass over the rows per group (issue 17): wider
// groups for fewer rows, never more passes than groups of 16 would take, and the same models whatever the grouping.
describe('columnGroupSize', () => {
  it('reads every column in one pass when their arrays fit 32 MiB, else in even groups, no more of them than of 16', () => {
    expect(columnGroupSize(100_000, 100)).toBe(34); // 41 fit: three passes of 34
    expect(columnGroupSize(100_000, 40)).toBe(40);
    expect(columnGroupSize(100_000, 80)).toBe(40);
    expect(columnGroupSize(1_000_000, 20)).toBe(10); // 8 fit, 16 allowed: two passes, evened to 10 + 10
    expect(columnGroupSize(10, 3)).toBe(3);
    expect(columnGroupSize(0, 0)).toBe(1);
    for (const [rows, columns] of [
      [5_000, 1_000],
      [200_000, 100],
      [2_000_000, 50],
    ]) {
      const size = columnGroupSize(rows, columns);
      const groups = Math.ceil(columns / size);
      expect(groups).toBeLessThanOrEqual(Math.ceil(columns / 16));
      expect(size * 8 * rows <= 32 << 20 || size <= 16).toBe(true);
      expect(groups * size).toBeGreaterThanOrEqual(columns);
      // Even groups: the last one is not much smaller than the others.
      expect(columns - (groups - 1) * size).toBeGreaterThan(size - groups);
    }
  });

  it('gives the same models as reading the columns one at a time', () => {
    const r = rng(5);
    const rows = Array.from({ length: 3_000 }, () => Array.from({ length: 40 }, (_, j) => (j % 7 === 0 ? Math.round(r.normal(0, 3)) : r.normal(j, 1))));
    const names = Array.from({ length: 40 }, (_, j) => `f${j}`);
    const together = buildFeatures(rows, { featureNames: names }).features;
    names.forEach((name, j) => {
      const alone = buildFeatures(
        rows.map((row) => [row[j]]),
        { featureNames: [name] },
      ).features[0];
      expect(together[j]).toEqual(alone);
    });
  });
});
