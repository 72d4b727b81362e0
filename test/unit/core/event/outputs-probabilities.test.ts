/**
 * The fast decoder and per-class probabilities (docs/references-and-check.md, "Per-class
 * probabilities"): for a reference with outputs it reads an event's `probabilities` object of
 * known classes → numbers in [0, 1] or null (and the confidence an event without one takes);
 * anything the rules of core/event/probabilities.ts mark invalid (an unknown class, a value out
 * of range, an array) goes to the slow path. Either way the window records what the definition
 * gives — `decodeEvent` (JSON.parse + zod) with the reference's output names, the outputs set
 * beside the features as the engine does — value for value.
 */
import { describe, expect, it } from 'vitest';
import { EventDecoder } from '../../../../src/core/event/decoder.js';
import { RowArena } from '../../../../src/core/event/arena.js';
import { decodeEvent } from '../../../../src/core/event/event.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { FeatureSetAccumulator, NumericRow, type FeatureModel } from '../../../../src/core/stats/index.js';
import { withOutputs } from '../../../../src/runtime/engine.js';

const meta = { partition: 0, offset: 1, timestampMs: Date.UTC(2026, 10, 26) };

function reference(outputs: string[]): ReferenceDistribution {
  const rows = Array.from({ length: 400 }, (_, i) => {
    const approve = (i % 97) / 100;
    return { age: 20 + (i % 40), prediction: approve >= 0.5 ? 'approve' : 'deny', confidence: Math.max(approve, 1 - approve), probabilities: { approve, deny: 1 - approve } };
  });
  return ReferenceDistribution.fromRows(rows, { outputs });
}

function state(models: readonly FeatureModel[], record: (a: FeatureSetAccumulator) => void) {
  const accumulator = new FeatureSetAccumulator(models);
  record(accumulator);
  return accumulator.features.map((f) =>
    f.type === 'numeric' ? { counts: Array.from(f.histogram.counts), missing: f.missing, invalid: f.invalid, below: f.belowSum, above: f.aboveSum } : f,
  );
}

const PROBABILITIES = [
  undefined,
  'null',
  '{"approve":0.7,"deny":0.3}',
  '{"deny":0.3,"approve":0.7}',
  '{"approve":0.7}',
  '{"approve":0.7,"deny":null}',
  '{"approve":0.6,"deny":0.1,"review":0.3}',
  '{}',
  '[0.7,0.3]',
  '{"approve":"0.7","deny":0.3}',
  '{"approve":1.5,"deny":-0.5}',
  '{"approve":"high"}',
  '0.7',
  '{"approve":0.7,"approve":0.2}',
  '{"approve":1e400}',
  '{"appr\\u006fve":0.7}',
  '{"approve":0.7,"deny":{"x":[1]}}',
  '{"approve":-0,"deny":1}',
  '{ "approve" : 0.25 , "deny" : 0.75 }',
];
const CONFIDENCES = [undefined, 'null', '0.91'];

function events(): string[] {
  const out: string[] = [];
  for (const p of PROBABILITIES) {
    for (const c of CONFIDENCES) {
      const parts = [
        '"model":"credit","model_version":"v1","timestamp":"2026-11-26T10:00:00.000Z"',
        '"features":{"age":41}',
        '"prediction":"approve"',
        c === undefined ? null : `"confidence":${c}`,
        p === undefined ? null : `"probabilities":${p}`,
      ].filter((x) => x !== null);
      out.push(`{${parts.join(',')}}`);
      out.push(`{${[...parts].reverse().join(' , ')}}`);
    }
  }
  return out;
}

describe.each([
  ['prediction, confidence and probabilities', ['prediction', 'confidence', 'probabilities']],
  ['probabilities only', ['probabilities']],
  ['confidence only', ['confidence']],
])('the decoders with a reference of %s', (_, outputs) => {
  const ref = reference(outputs);
  const decoder = new EventDecoder(
    () => ref.signals,
    () => ref.outputs.length,
  );
  const names = ref.outputNames;

  it('record exactly what the definition gives, on either path', () => {
    let fast = 0;
    let fastWithProbabilities = 0;
    let slow = 0;
    for (const text of events()) {
      const before = { ...decoder.counts };
      const result = decoder.decode(Buffer.from(text), meta, {}, new RowArena());
      const definition = decodeEvent(Buffer.from(text), meta, {}, () => names);
      expect(result.ok, text).toBe(definition.ok);
      if (!result.ok || !definition.ok) continue;
      const expected = state(ref.signals, (a) => a.recordObject(withOutputs(definition.record.values, definition.record.outputs, ref.outputs) as Record<string, unknown>));
      const values = result.record.values instanceof NumericRow ? result.record.values : withOutputs(result.record.values, result.record.outputs, ref.outputs);
      const actual = state(ref.signals, (a) => (values instanceof NumericRow ? a.recordRow(values) : a.recordObject(values as Record<string, unknown>)));
      expect(actual, text).toEqual(expected);
      if (decoder.counts.fast > before.fast) {
        fast++;
        if (text.includes('"probabilities":{')) fastWithProbabilities++;
      } else slow++;
    }
    // The common cases take the fast path, probabilities included; the rest goes to the definition.
    expect(fast).toBeGreaterThanOrEqual(20);
    expect(fastWithProbabilities).toBeGreaterThanOrEqual(outputs.includes('probabilities') ? 12 : 6);
    expect(slow).toBeGreaterThan(0);
  });

  it('counts an unknown class as invalid class probabilities, and a defaulted confidence', () => {
    const text = '{"model":"credit","model_version":"v1","features":{"age":41},"probabilities":{"approve":0.6,"deny":0.1,"review":0.3},"timestamp":1795692000}';
    const result = decoder.decode(text, meta, {}, new RowArena());
    expect(result.ok).toBe(true);
    if (!result.ok) return;
    const { values } = result.record;
    const merged = (values instanceof NumericRow ? values.toObject() : withOutputs(values, result.record.outputs, ref.outputs)) as Record<string, unknown>;
    const accumulator = new FeatureSetAccumulator(ref.signals);
    accumulator.recordObject(merged);
    const byName = Object.fromEntries(ref.signals.map((m, i) => [m.name, accumulator.features[i]]));
    for (const name of names.filter((n) => n.startsWith('probability_'))) expect(byName[name]).toMatchObject({ missing: 1, invalid: 1 });
    if (names.includes('confidence')) expect(merged.confidence).toBe(0.6);
  });
});

describe('a reference without outputs', () => {
  it('takes events with probabilities on the fast path, ignoring them', () => {
    const plain = ReferenceDistribution.fromRows(
      Array.from({ length: 50 }, (_, i) => ({ age: i })),
      {},
    );
    const decoder = new EventDecoder(
      () => plain.signals,
      () => 0,
    );
    const result = decoder.decode('{"model":"m","model_version":"v1","features":{"age":3},"probabilities":{"a":1},"timestamp":1795692000}', meta, {}, new RowArena());
    expect(decoder.counts).toEqual({ fast: 1, slow: 0 });
    expect(result.ok && (result.record.values as NumericRow).toObject()).toEqual({ age: 3 });
  });
});
