/**
 * The reference file's fast schema (src/core/reference/schema.ts, fastReferenceFileSchema: a
 * feature's long arrays checked in one loop) against the exact one over corrupted files: it must
 * accept exactly the files the exact schema accepts, with the same output, and fromJSON must
 * then name the exact schema's problem.
 */
import { describe, expect, it } from 'vitest';
import { fastReferenceFileSchema, referenceFileSchema } from '../../../../src/core/reference/schema.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { rng, type Rng } from '../../../fixtures/random.js';

const reference = () =>
  JSON.parse(
    JSON.stringify(
      ReferenceDistribution.fromRows(
        Array.from({ length: 400 }, (_, i) => ({ x: Math.sin(i) * 100 + i / 7, n: i % 9, c: ['a', 'b'][i % 2] })),
        { modelVersion: 'v1', now: new Date('2026-01-01T00:00:00Z'), calibration: { sizes: [50, 200], replicates: 100 } },
      ).toJSON(),
    ),
  ) as Record<string, unknown> & { features: Record<string, Record<string, unknown>> };

/** Values an element or an array may be replaced with: each refused by one of the element schemas, or by none. */
const ELEMENTS: unknown[] = ['1', null, true, Number.NaN, Number.POSITIVE_INFINITY, -Number.POSITIVE_INFINITY, 1.5, -1, -0, 0, 2 ** 53, 2 ** 53 - 1, 1e300, -1e-300, {}, [1]];
const ARRAYS: unknown[] = [[], undefined, null, 5, 'edges', {}, [[]]];

const pick = <T>(r: Rng, xs: readonly T[]): T => xs[Math.floor(r.uniform() * xs.length)];

/** A copy of the file with one to three of its features' long arrays corrupted. */
function corrupt(r: Rng): unknown {
  const file = reference();
  const numeric = Object.values(file.features).filter((f) => f.type === 'numeric');
  const changes = 1 + Math.floor(r.uniform() * 3);
  for (let c = 0; c < changes; c++) {
    const feature = pick(r, numeric);
    const key = pick(r, ['psi_edges', 'fine_edges', 'fine_counts']);
    const array = feature[key] as unknown[];
    if (r.uniform() < 0.25) feature[key] = pick(r, ARRAYS);
    else if (Array.isArray(array) && array.length > 0) array[Math.floor(r.uniform() * array.length)] = pick(r, ELEMENTS);
    if (feature[key] === undefined) delete feature[key];
  }
  return file;
}

/** Every single replacement: each value of ELEMENTS at the first, second, middle and last element of each long array, and each of ARRAYS for the array. */
function* replacements(): Generator<[string, unknown]> {
  for (const name of ['x', 'n']) {
    for (const key of ['psi_edges', 'fine_edges', 'fine_counts']) {
      const length = (reference().features[name][key] as unknown[]).length;
      for (const at of new Set([0, 1, Math.floor(length / 2), length - 1])) {
        for (const value of ELEMENTS) {
          const file = reference();
          (file.features[name][key] as unknown[])[at] = value;
          yield [`${name}.${key}[${at}] = ${String(value)}`, file];
        }
      }
      for (const value of ARRAYS) {
        const file = reference();
        if (value === undefined) delete file.features[name][key];
        else file.features[name][key] = value;
        yield [`${name}.${key} = ${JSON.stringify(value)}`, file];
      }
    }
  }
}

describe('the fast reference schema', () => {
  it('accepts exactly what the exact schema accepts, with the same output', () => {
    const r = rng(1717);
    let accepted = 0;
    let refused = 0;
    const cases: [string, unknown][] = [['valid', reference()], ...replacements(), ...Array.from({ length: 200 }, (_, n): [string, unknown] => [`random ${n}`, corrupt(r)])];
    for (const [name, file] of cases) {
      const fast = fastReferenceFileSchema.safeParse(file);
      const exact = referenceFileSchema.safeParse(file);
      expect(fast.success, `${name}: ${exact.success ? 'accepted' : exact.error.issues[0].message}`).toBe(exact.success);
      if (exact.success) {
        expect(fast.data, name).toEqual(exact.data);
        accepted++;
      } else refused++;
    }
    // Both sides must have been met: replacements such as 0 for the last count, or -0 for 0, keep a file valid.
    expect(accepted).toBeGreaterThan(3);
    expect(refused).toBeGreaterThan(300);
  });

  it('leaves the naming of a problem to the exact schema', () => {
    const file = reference();
    (file.features.x.fine_counts as unknown[])[3] = 2.5;
    expect(() => ReferenceDistribution.fromJSON(file, 'ref.json')).toThrow(
      /^ref\.json: invalid reference distribution at features\.x\.fine_counts\.3: Invalid input: expected int, received number\n/,
    );
  });
});
