import { describe, expect, it } from 'vitest';
import { CategoricalAccumulator, NumericAccumulator, parseCategory, parseNumeric, type CategoricalFeatureModel } from '../../../../src/core/stats/index.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';

describe('parseNumeric', () => {
  it.each([
    ['null', null],
    ['undefined', undefined],
    ["''", ''],
    ["'   '", '   '],
    ['NaN', Number.NaN],
    ['Infinity', Number.POSITIVE_INFINITY],
    ['-Infinity', Number.NEGATIVE_INFINITY],
    ['"nan"', 'nan'],
    ['"NaN"', 'NaN'],
    ['"inf"', 'inf'],
    ['"-inf"', '-inf'],
    ['"+Inf"', '+Inf'],
    ['"Infinity"', 'Infinity'],
    ['"-infinity"', '-infinity'],
  ])('%s is missing', (_label, raw) => {
    expect(parseNumeric(raw)).toBe('missing');
  });

  it.each([
    ['"abc"', 'abc'],
    ['"12abc"', '12abc'],
    ['"nanx"', 'nanx'],
    ['an object', { value: 1 }],
    ['an array', [1]],
    ['a boolean', true],
  ])('%s is invalid', (_label, raw) => {
    expect(parseNumeric(raw)).toBe('invalid');
  });

  it.each([
    ['42', 42],
    ['-3.5', -3.5],
    [' 7 ', 7],
    ['1e3', 1000],
    ['-0.25e-2', -0.0025],
    ['+5', 5],
  ])('numeric string %j parses to %d', (raw, value) => {
    expect(parseNumeric(raw)).toBe(value);
  });

  it('passes finite numbers through', () => {
    expect(parseNumeric(0)).toBe(0);
    expect(parseNumeric(-1.5e-300)).toBe(-1.5e-300);
  });
});

describe('NumericAccumulator counts missing and invalid values', () => {
  const reference = ReferenceDistribution.fromRows([{ x: 1 }, { x: 2 }, { x: 3 }]);
  const model = reference.features[0];

  it('missing values count as missing only; invalid ones as missing and invalid; numbers are binned', () => {
    if (model.type !== 'numeric') throw new Error('expected a numeric feature');
    const acc = new NumericAccumulator(model);
    for (const raw of [null, undefined, '', Number.NaN, Infinity, -Infinity, 'nan', 'inf', 'abc', { a: 1 }, '2.5', 2, '3']) acc.record(raw);
    expect(acc.missing).toBe(10);
    expect(acc.invalid).toBe(2);
    expect(acc.histogram.total).toBe(3);
    expect(acc.rows).toBe(13);
  });
});

describe('parseCategory', () => {
  it('keeps strings, stringifies numbers and booleans', () => {
    expect(parseCategory('salaried')).toBe('salaried');
    expect(parseCategory(3)).toBe('3');
    expect(parseCategory(false)).toBe('false');
  });

  it('treats null, undefined, empty string and NaN as missing, objects as invalid', () => {
    for (const raw of [null, undefined, '', Number.NaN]) expect(parseCategory(raw)).toBe('missing');
    expect(parseCategory({ a: 1 })).toBe('invalid');
  });

  // docs/statistics.md: ±Infinity is a missing value. parseCategory used to
  // turn a numeric ±Infinity into the category "Infinity" / "-Infinity" while treating NaN as
  // missing (fixed in ef83856, "Categorical values: NaN and ±Infinity count as missing").
  it('regression: ±Infinity in a categorical feature is missing, as NaN is (not a category "Infinity")', () => {
    expect(parseCategory(Number.POSITIVE_INFINITY)).toBe('missing');
    expect(parseCategory(Number.NEGATIVE_INFINITY)).toBe('missing');
  });

  it('CategoricalAccumulator counts missing and invalid values apart from categories', () => {
    const model: CategoricalFeatureModel = { name: 'c', type: 'categorical', count: 1, missingCount: 0, categories: new Map([['a', 1]]) };
    const acc = new CategoricalAccumulator(model);
    for (const raw of ['a', 'b', null, '', Number.NaN, { x: 1 }, 'a']) acc.record(raw);
    expect(Object.fromEntries(acc.counts)).toEqual({ a: 2, b: 1 });
    expect(acc.total).toBe(3);
    expect(acc.missing).toBe(4);
    expect(acc.invalid).toBe(1);
  });
});
