import { describe, expect, it } from 'vitest';
import { RADIX_SORT_MIN_LENGTH, sortFloat64 } from '../../../../src/core/stats/sort.js';
import { readNumericColumns } from '../../../../src/core/reference/build.js';
import { parseNumeric } from '../../../../src/core/stats/feature.js';
import { rng } from '../../../fixtures/random.js';

/** The bits of each double, so that −0 and +0 (and the order of equal-looking values) are told apart. */
const bits = (a: Float64Array) => Array.from(new Uint32Array(a.slice().buffer));

// The radix sort must give exactly the order of Float64Array.prototype.sort: every reference
// quantile is read from it, and the reference file must not change by a bit (issue 17).
describe('sortFloat64 orders as Float64Array.prototype.sort', () => {
  const r = rng(23);
  const make = (n: number, f: (i: number) => number) => Float64Array.from({ length: n }, (_, i) => f(i));
  const special = [0, -0, Number.NaN, -Infinity, Infinity, 5e-324, -5e-324, Number.MAX_VALUE, -Number.MAX_VALUE, 1, -1];
  const shapes: Record<string, Float64Array> = {
    'normal, both signs': make(50_000, () => r.normal(3, 2)),
    'positive only (constant sign and exponent digits)': make(20_000, () => 1 + r.uniform()),
    'integers with ties': make(30_000, () => Math.round(r.normal(0, 4))),
    'every magnitude': make(20_000, () => r.normal(0, 1) * 10 ** Math.round(r.normal(0, 80))),
    'zeros of both signs, infinities, NaN, subnormals': make(10_000, (i) => special[i % special.length]),
    'one value repeated': make(RADIX_SORT_MIN_LENGTH, () => 7.25),
    'already sorted': make(10_000, (i) => i / 3),
    reversed: make(10_000, (i) => -i / 3),
    'short (built-in sort)': make(RADIX_SORT_MIN_LENGTH - 1, () => r.normal(0, 1)),
    empty: new Float64Array(0),
  };
  for (const [name, values] of Object.entries(shapes)) {
    it(name, () => {
      const expected = values.slice().sort();
      const actual = values.slice();
      expect(sortFloat64(actual)).toBe(actual);
      expect(bits(actual)).toEqual(bits(expected));
    });
  }

  it('sorts a view at an offset into a larger buffer, and nothing outside it', () => {
    const buffer = make(3 * RADIX_SORT_MIN_LENGTH, () => r.normal(0, 1));
    const before = buffer.slice();
    const view = buffer.subarray(RADIX_SORT_MIN_LENGTH, 2 * RADIX_SORT_MIN_LENGTH + 5);
    const expected = view.slice().sort();
    sortFloat64(view);
    expect(bits(view)).toEqual(bits(expected));
    expect(bits(buffer.subarray(0, RADIX_SORT_MIN_LENGTH))).toEqual(bits(before.subarray(0, RADIX_SORT_MIN_LENGTH)));
    expect(bits(buffer.subarray(2 * RADIX_SORT_MIN_LENGTH + 5))).toEqual(bits(before.subarray(2 * RADIX_SORT_MIN_LENGTH + 5)));
  });
});

// The reference build reads columns of the rows in one row-major pass; it must give the values
// and the counts that parseNumeric gives value by value.
describe('readNumericColumns', () => {
  it('reads array and object rows as parseNumeric does, counting missing and invalid values', () => {
    const raw: unknown[] = [1.5, '2', ' 3e2 ', null, undefined, '', 'nan', Number.NaN, Infinity, 'abc', true, { a: 1 }, -0, '0x10', 4];
    const arrays = raw.map((v, i) => [i, v]);
    const objects = raw.map((v, i) => ({ i, v }));
    const expected = raw.map(parseNumeric);
    const values = expected.filter((v): v is number => typeof v === 'number');
    const missing = expected.filter((v) => typeof v !== 'number').length;
    const invalid = expected.filter((v) => v === 'invalid').length;
    for (const rows of [arrays, objects]) {
      const [index, column] = readNumericColumns(rows, [0, 1], ['i', 'v']);
      expect(Array.from(index.values)).toEqual(raw.map((_, i) => i));
      expect(bits(column.values)).toEqual(bits(Float64Array.from(values)));
      expect({ missing: column.missing, invalid: column.invalid }).toEqual({ missing, invalid });
    }
  });

  it('counts a value past the end of a short array row as missing', () => {
    const [column] = readNumericColumns([[1, 2], [3]], [1], ['x']);
    expect(Array.from(column.values)).toEqual([2]);
    expect(column.missing).toBe(1);
    expect(column.invalid).toBe(0);
  });
});
