/**
 * Per-class probabilities as model outputs (docs/references-and-check.md, "Per-class
 * probabilities"): `outputs: ['probabilities']` records one numeric output `probability_<class>`
 * per class of the training rows, scored like any output and reported with the reason
 * `probability_drift`. Golden: each class's statistics equal the numpy/scipy values of
 * test/golden/generate_probabilities.py for the same samples (the tolerances of the feature
 * goldens), and so does the confidence an event without one takes (its largest probability).
 */
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import { driftEventFromCheck, driftEventSchema } from '../../../../src/core/detect/drift-event.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { InputError } from '../../../../src/core/errors.js';
import { INVALID_PROBABILITIES, resolveOutputs } from '../../../../src/core/event/probabilities.js';
import type { NumericCase } from '../../../golden/fixtures.js';

interface ProbabilityFixture {
  classes: string[];
  cases: NumericCase[];
  confidence: NumericCase;
}
const fixture = JSON.parse(readFileSync(new URL('../../../golden/fixtures/probabilities.json', import.meta.url), 'utf8')) as ProbabilityFixture;

const roundTrip = (r: ReferenceDistribution) => ReferenceDistribution.fromJSON(JSON.parse(JSON.stringify(r.toJSON())), 'ref.json');

/**
 * Rows of one input (a fixed cycle, the same in both samples) and the fixture's probabilities as
 * a `probabilities` object: a missing reference value leaves its class out, a missing current
 * value is null (both count as missing).
 */
function rowsOf(which: 'reference' | 'current'): Record<string, unknown>[] {
  const n = fixture.cases[0][which].length;
  return Array.from({ length: n }, (_, i) => {
    const probabilities: Record<string, number | null> = {};
    fixture.cases.forEach((c, j) => {
      const v = c[which][i];
      if (v !== null || which === 'current') probabilities[fixture.classes[j]] = v;
    });
    return { age: 20 + (i % 37), probabilities };
  });
}

/** The same rows as events give them to the detector: outputs by name, by the rules of probabilities.ts. */
function eventRows(rows: Record<string, unknown>[], reference: ReferenceDistribution): Record<string, unknown>[] {
  return rows.map((r) => ({ age: r.age, ...resolveOutputs(r, reference.outputNames).outputs }));
}

/** Training rows with the confidence (the largest probability) as a column of its own. */
const withConfidence = (rows: Record<string, unknown>[]): Record<string, unknown>[] =>
  rows.map((r) => {
    const values = Object.values(r.probabilities as Record<string, number | null>).filter((v): v is number => v !== null);
    return { ...r, confidence: values.length > 0 ? Math.max(...values) : null };
  });

describe('a reference with per-class probabilities', () => {
  const reference = roundTrip(ReferenceDistribution.fromRows(withConfidence(rowsOf('reference')), { outputs: ['confidence', 'probabilities'] }));
  const result = new DriftDetector({ now: () => new Date(0) }).detect(eventRows(rowsOf('current'), reference), reference);

  it('records one numeric output per class, after the named outputs, apart from the features', () => {
    expect(reference.featureNames).toEqual(['age']);
    expect(reference.outputNames).toEqual(['confidence', ...fixture.classes.map((c) => `probability_${c}`)]);
    expect(reference.outputs.every((o) => o.type === 'numeric')).toBe(true);
    expect(Object.keys(result.outputs!)).toEqual(reference.outputNames);
    expect(Object.keys(result.features)).toEqual(['age']);
  });

  it.each(fixture.cases.map((c) => [c.name, c] as const))('%s has the statistics numpy and scipy give for the same samples', (name, c) => {
    const o = result.outputs![name];
    const e = c.expected;
    expect(Math.abs(o.psi! - e.psi)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(o.js! - e.js)).toBeLessThanOrEqual(1e-9);
    const gap = e.ks - o.ks!;
    expect(gap).toBeGreaterThanOrEqual(-1e-12);
    expect(gap).toBeLessThanOrEqual(0.005);
    expect(o.missing_rate).toBeCloseTo(e.missing_rate, 12);
    expect(o.reference_missing_rate).toBeCloseTo(e.reference_missing_rate, 12);
    expect(o.sample_count).toBe(e.current_count);
    expect(reference.outputs.find((m) => m.name === name)!.count).toBe(e.reference_count);
    // The temperature change moves every class's probability past the default PSI threshold.
    expect(e.psi).toBeGreaterThan(0.3);
    expect(o.reasons).toEqual(['probability_drift']);
  });

  it('an event without confidence takes its largest probability: the statistics numpy gives for the row maxima', () => {
    const o = result.outputs!.confidence;
    const e = fixture.confidence.expected;
    expect(Math.abs(o.psi! - e.psi)).toBeLessThanOrEqual(1e-9);
    expect(Math.abs(o.js! - e.js)).toBeLessThanOrEqual(1e-9);
    expect(e.ks - o.ks!).toBeGreaterThanOrEqual(-1e-12);
    expect(e.ks - o.ks!).toBeLessThanOrEqual(0.005);
    expect(o.sample_count).toBe(e.current_count);
    expect(o.reasons).toEqual(['confidence_drift']);
  });

  it('carries the class probabilities into the drift event, which validates against its schema', () => {
    const event = driftEventFromCheck('drift_detected', 'credit', 'v1', { start: new Date(0), end: new Date(3_600_000) }, result);
    expect(driftEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
    expect(Object.keys(event.drifted_outputs ?? {})).toEqual(reference.outputNames);
    expect(event.outputs!.probability_deny.reasons).toEqual(['probability_drift']);
  });

  it('the same rows as probability_<class> columns build the same reference', () => {
    const flat = withConfidence(rowsOf('reference')).map(({ probabilities, ...rest }) => ({
      ...rest,
      ...Object.fromEntries(Object.entries(probabilities as Record<string, number>).map(([c, v]) => [`probability_${c}`, v])),
    }));
    const fromColumns = ReferenceDistribution.fromRows(flat, { outputs: ['confidence', 'probabilities'], now: new Date(0) });
    const fromObjects = ReferenceDistribution.fromRows(withConfidence(rowsOf('reference')), { outputs: ['confidence', 'probabilities'], now: new Date(0) });
    expect(fromColumns.toJSON()).toEqual(fromObjects.toJSON());
  });
});

describe('the rules of an event’s probabilities', () => {
  const names = ['prediction', 'confidence', 'probability_approve', 'probability_deny'];
  const resolve = (event: Record<string, unknown>) => resolveOutputs(event, names);

  it('reads each reference class, a missing class is absent (missing), null too', () => {
    expect(resolve({ prediction: 'approve', confidence: 0.7, probabilities: { approve: 0.7, deny: 0.3 } })).toEqual({
      outputs: { prediction: 'approve', confidence: 0.7, probability_approve: 0.7, probability_deny: 0.3 },
      unknownClasses: [],
    });
    expect(resolve({ confidence: 0.9, probabilities: { approve: 0.9 } }).outputs).toEqual({ confidence: 0.9, probability_approve: 0.9 });
    expect(resolve({ probabilities: null }).outputs).toEqual({});
  });

  it('an unknown class makes every class probability of the event invalid, and is named', () => {
    expect(resolve({ confidence: 0.5, probabilities: { approve: 0.5, deny: 0.2, review: 0.3 } })).toEqual({
      outputs: { confidence: 0.5, probability_approve: INVALID_PROBABILITIES, probability_deny: INVALID_PROBABILITIES },
      unknownClasses: ['review'],
    });
  });

  it('a value outside [0, 1] is invalid, a probabilities value that is not an object makes all invalid', () => {
    expect(resolve({ probabilities: { approve: 1.5, deny: -0.5 } }).outputs).toMatchObject({ probability_approve: INVALID_PROBABILITIES, probability_deny: INVALID_PROBABILITIES });
    expect(resolve({ probabilities: [0.8, 0.2] }).outputs).toEqual({ probability_approve: INVALID_PROBABILITIES, probability_deny: INVALID_PROBABILITIES });
    // Text is recorded as given: the numeric output counts it invalid (a numeric string is read as its number).
    expect(resolve({ probabilities: { approve: 'high' } }).outputs).toEqual({ probability_approve: 'high' });
  });

  it('confidence defaults to the largest probability only when the event has no confidence at all', () => {
    expect(resolve({ probabilities: { approve: 0.2, deny: 0.8 } }).outputs.confidence).toBe(0.8);
    expect(resolve({ confidence: null, probabilities: { approve: 0.2, deny: 0.8 } }).outputs.confidence).toBe(null);
    expect(resolve({ probabilities: { approve: null } }).outputs).not.toHaveProperty('confidence');
    expect(resolveOutputs({ probabilities: { approve: 0.2 } }, ['prediction']).outputs).toEqual({});
  });

  it('a flat row takes its probability_<class> keys, never an input feature of that name', () => {
    const row = { probability_x: 1, probability_approve: 0.4, probability_deny: 0.6 };
    expect(resolveOutputs(row, names, { isFeature: (k) => k === 'probability_x' })).toEqual({
      outputs: { confidence: 0.6, probability_approve: 0.4, probability_deny: 0.6 },
      unknownClasses: [],
    });
    expect(resolveOutputs(row, names, { isFeature: () => false }).unknownClasses).toEqual(['x']);
  });
});

describe('bad probabilities are named', () => {
  const rows = [
    { a: 1, probabilities: { yes: 0.2, no: 0.8 } },
    { a: 2, probabilities: { yes: 0.6, no: 0.4 } },
  ];

  it('training rows without any class probability', () => {
    expect(() => ReferenceDistribution.fromRows([{ a: 1 }, { a: 2 }], { outputs: ['probabilities'] })).toThrow(InputError);
    expect(() => ReferenceDistribution.fromRows([{ a: 1 }, { a: 2 }], { outputs: ['probabilities'] })).toThrow(
      '--outputs probabilities: the reference rows give no class probabilities',
    );
  });

  it('a training probability outside [0, 1], or probabilities that are not an object', () => {
    expect(() => ReferenceDistribution.fromRows([...rows, { a: 3, probabilities: { yes: 0.5, no: -0.2 } }], { outputs: ['probabilities'] })).toThrow(
      'output "probability_no": a probability must lie in [0, 1], the training rows hold -0.2',
    );
    expect(() => ReferenceDistribution.fromRows([...rows, { a: 3, probabilities: [0.5, 0.5] }], { outputs: ['probabilities'] })).toThrow(
      'reference row 3: "probabilities" must be an object of class → probability, got an array',
    );
  });

  it('a class probability is numeric even when a training value is text (counted invalid)', () => {
    const r = ReferenceDistribution.fromRows([...rows, { a: 3, probabilities: { yes: 'n/a', no: 1 } }], { outputs: ['probabilities'] });
    expect(r.outputs.map((o) => [o.name, o.type])).toEqual([
      ['probability_yes', 'numeric'],
      ['probability_no', 'numeric'],
    ]);
    expect(r.toJSON().outputs!.probability_yes.invalid_count).toBe(1);
  });

  it('a file with an output name that is neither an output nor probability_<class>', () => {
    const json = ReferenceDistribution.fromRows(rows, { outputs: ['probabilities'] }).toJSON();
    expect(json.output_names).toEqual(['probability_yes', 'probability_no']);
    expect(roundTrip(ReferenceDistribution.fromJSON(json)).toJSON()).toEqual(json);
    expect(() => ReferenceDistribution.fromJSON({ ...json, output_names: ['probability_', 'probability_no'] }, 'r.json')).toThrow(
      'r.json: invalid reference distribution at output_names.0: unknown output "probability_"; outputs are prediction, confidence and probability_<class>',
    );
    expect(() => ReferenceDistribution.fromRows(rows, { outputs: ['probs'] })).toThrow(
      'unknown output "probs"; outputs are prediction, confidence, probabilities or probability_<class>',
    );
  });
});
