import { describe, expect, it } from 'vitest';
import { ReferenceDistribution, inferType, type Row } from '../../../../src/core/reference/index.js';
import { InputError } from '../../../../src/core/errors.js';
import type { NumericFeatureModel } from '../../../../src/core/stats/index.js';
import { numericCases } from '../../../golden/fixtures.js';

const numeric = (ref: ReferenceDistribution, name: string): NumericFeatureModel => {
  const f = ref.feature(name);
  if (f?.type !== 'numeric') throw new Error(`expected numeric feature ${name}, got ${f?.type}`);
  return f;
};

/** The largest double below x. */
function nextDown(x: number): number {
  if (x === 0) return -Number.MIN_VALUE;
  const bits = new BigInt64Array(Float64Array.of(x).buffer);
  bits[0] += x > 0 ? -1n : 1n;
  return new Float64Array(bits.buffer)[0];
}

describe('type inference', () => {
  it('any non-numeric, non-empty value makes a column categorical', () => {
    expect(inferType([1, 2, '3', null, '', 'nan', Number.NaN, Infinity])).toBe('numeric');
    expect(inferType([1, 2, 3, 'abc'])).toBe('categorical');
    expect(inferType(['12', ' 4.5 ', 'x'])).toBe('categorical');
    expect(inferType([true, false])).toBe('categorical');
    expect(inferType([{ a: 1 }, 2])).toBe('categorical');
  });

  it('fromRows infers per feature', () => {
    const rows = [
      { n: 1, s: '1.5', c: 'a', mixed: 3 },
      { n: 2, s: '2', c: 'b', mixed: 'three' },
      { n: null, s: '', c: null, mixed: 4 },
    ];
    const ref = ReferenceDistribution.fromRows(rows);
    expect(ref.features.map((f) => [f.name, f.type])).toEqual([
      ['n', 'numeric'],
      ['s', 'numeric'],
      ['c', 'categorical'],
      ['mixed', 'categorical'],
    ]);
  });

  it('categorical and numeric options force the type', () => {
    const rows = [
      { zip: 10115, grade: 'A', amount: 5 },
      { zip: 80331, grade: 'B', amount: 'n/a' },
      { zip: 10115, grade: 'A', amount: 7 },
    ];
    const ref = ReferenceDistribution.fromRows(rows, { categorical: ['zip'], numeric: ['amount'] });
    const zip = ref.feature('zip');
    expect(zip?.type).toBe('categorical');
    if (zip?.type === 'categorical') expect(Object.fromEntries(zip.categories)).toEqual({ '10115': 2, '80331': 1 });
    const amount = numeric(ref, 'amount');
    expect(amount.count).toBe(2);
    expect(amount.missingCount).toBe(1);
    expect(ref.toJSON().features.amount.invalid_count).toBe(1);
    expect(ref.feature('grade')?.type).toBe('categorical');
  });

  it('rejects type options naming unknown features or forcing both types', () => {
    const rows = [{ a: 1 }];
    expect(() => ReferenceDistribution.fromRows(rows, { categorical: ['b'] })).toThrow(InputError);
    expect(() => ReferenceDistribution.fromRows(rows, { categorical: ['b'] })).toThrow('feature "b" named in the type options is not among the features: a');
    expect(() => ReferenceDistribution.fromRows(rows, { categorical: ['a'], numeric: ['a'] })).toThrow('feature "a" cannot be forced both numeric and categorical');
  });

  it('rejects a feature named "__proto__" (the reference file keys features by name; review found it could not be read back)', () => {
    expect(() => ReferenceDistribution.fromRows([JSON.parse('{"a": 1, "__proto__": "x"}') as Row])).toThrow('a feature cannot be named "__proto__"');
    expect(() => ReferenceDistribution.fromRows([[1, 'x']], { featureNames: ['a', '__proto__'] })).toThrow(InputError);
  });

  it('array rows take featureNames', () => {
    const rows: Row[] = [
      [1, 'x'],
      [2, 'y'],
    ];
    expect(() => ReferenceDistribution.fromRows(rows)).toThrow('rows given as arrays need featureNames');
    const ref = ReferenceDistribution.fromRows(rows, { featureNames: ['v', 'k'] });
    expect(ref.features.map((f) => [f.name, f.type])).toEqual([
      ['v', 'numeric'],
      ['k', 'categorical'],
    ]);
  });
});

describe.each(numericCases())('numeric reference model from golden case $name', (c) => {
  const ref = ReferenceDistribution.fromRows(c.reference.map((x) => ({ x })));
  const model = numeric(ref, 'x');

  it('fine edges ⊇ PSI edges ∪ {min, max}, both strictly increasing, none outside [min, max] but the double below min', () => {
    const fine = new Set(model.fineEdges);
    for (const e of model.psiEdges) expect(fine.has(e)).toBe(true);
    for (const edges of [model.fineEdges, model.psiEdges]) {
      for (let i = 1; i < edges.length; i++) expect(edges[i]).toBeGreaterThan(edges[i - 1]);
    }
    expect(fine.has(model.summary.min)).toBe(true);
    expect(model.fineEdges[0]).toBeGreaterThanOrEqual(nextDown(model.summary.min));
    expect(model.fineEdges[model.fineEdges.length - 1]).toBe(model.summary.max);
  });

  it('fine counts have one more entry than fine edges and sum to the non-missing count', () => {
    expect(model.fineCounts.length).toBe(model.fineEdges.length + 1);
    expect(model.fineCounts.reduce((a, b) => a + b, 0)).toBe(c.expected.reference_count);
    expect(model.count).toBe(c.expected.reference_count);
    expect(model.psiCounts.reduce((a, b) => a + b, 0)).toBe(c.expected.reference_count);
  });

  it('PSI counts coarsened from the fine bins equal numpy’s bin counts', () => {
    // Exact: both are integer counts of right-closed bins on the same edges.
    expect(Array.from(model.psiCounts)).toEqual(c.expected.psi_reference_counts);
  });

  it('fine bins are fine enough for the KS promise |D − D_exact| ≤ 0.005, whatever the current values', () => {
    // The saved D is evaluated at the fine edges, which observe F(e) but not F(e−). For x inside
    // a fine bin (lo, hi]: F_cur(x) − F_ref(x) ≤ [F_cur(hi) − F_ref(hi)] + ref mass of (lo, hi],
    // the atom at hi included (current values just below a reference atom hide behind it).
    // So the promise needs, for every fine bin: reference mass ≤ 0.005, or a bin that holds
    // nothing but its right edge (lo = the double just below hi). Bin 0 is (−∞, e0].
    // Exact check on integer counts.
    const offenders: string[] = [];
    for (let i = 0; i < model.fineCounts.length; i++) {
      const lo = i === 0 ? -Infinity : model.fineEdges[i - 1];
      const hi = i < model.fineEdges.length ? model.fineEdges[i] : Infinity;
      const mass = model.fineCounts[i] / model.count;
      if (mass > 0.005 && !(Number.isFinite(hi) && lo === nextDown(hi))) offenders.push(`(${lo}, ${hi}]: ${mass}`);
    }
    expect(offenders).toEqual([]);
  });

  it('summary std is numpy.std (ddof = 0)', () => {
    // Tolerance 1e-12 relative: a two-pass mean/variance; measured ≤ 2e-15 relative.
    expect(Math.abs(model.summary.std - c.expected.reference_std) / c.expected.reference_std).toBeLessThanOrEqual(1e-12);
  });

  it('JSON round trip (stringify → parse → fromJSON → toJSON) is identical', () => {
    const json = ref.toJSON();
    const text = JSON.stringify(json);
    const back = ReferenceDistribution.fromJSON(JSON.parse(text));
    expect(JSON.stringify(back.toJSON())).toBe(text);
    expect(back.toJSON()).toEqual(json);
    const m = numeric(back, 'x');
    expect(m.fineEdges).toEqual(model.fineEdges);
    expect(m.psiBinOfFine).toEqual(model.psiBinOfFine);
  });
});

describe('reference JSON round trip with every kind of feature', () => {
  it('is identical for numeric, discrete, categorical and missing-heavy features', () => {
    const rows = Array.from({ length: 500 }, (_, i) => ({
      x: ((i * 7919) % 1000) / 10,
      k: i % 5,
      c: ['a', 'b', 'c'][i % 3],
      m: i % 4 === 0 ? null : i,
      n: i % 11 === 0 ? 'bad' : String(i),
    }));
    const ref = ReferenceDistribution.fromRows(rows, { modelVersion: 'v1.2.0', numeric: ['n'], now: new Date('2026-11-26T10:00:00Z') });
    const json = JSON.parse(JSON.stringify(ref.toJSON()));
    const back = ReferenceDistribution.fromJSON(json);
    expect(back.toJSON()).toEqual(json);
    expect(back.modelVersion).toBe('v1.2.0');
    expect(back.createdAt).toBe('2026-11-26T10:00:00.000Z');
    expect(back.featureNames).toEqual(['x', 'k', 'c', 'm', 'n']);
    expect(json.features.n.invalid_count).toBe(rows.filter((r) => r.n === 'bad').length);
    expect(json.features.m.missing_count).toBe(rows.filter((r) => r.m === null).length);
    expect(json.features.k.discrete).toBe(true);
  });
});
