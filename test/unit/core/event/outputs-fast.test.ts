/**
 * The fast decoder with model outputs (docs/references-and-check.md, "Model outputs"): for a
 * reference with outputs it also reads the event's top-level `prediction` and `confidence` into
 * the row's slots after the features. For every event it accepts, the values recorded must be
 * those of the definition — JSON.parse + zod (`decodeEvent` with outputs wanted) and the
 * outputs set beside the features as the engine does (absent ones missing) — and whatever it
 * declines goes to that definition.
 */
import { describe, expect, it } from 'vitest';
import { EventDecoder } from '../../../../src/core/event/decoder.js';
import { RowArena } from '../../../../src/core/event/arena.js';
import { decodeEvent } from '../../../../src/core/event/event.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { FeatureSetAccumulator, NumericRow, type FeatureModel } from '../../../../src/core/stats/index.js';

const meta = { partition: 0, offset: 1, timestampMs: Date.UTC(2026, 10, 26) };

function reference(predictionType: 'categorical' | 'numeric'): ReferenceDistribution {
  const rows = Array.from({ length: 400 }, (_, i) => ({
    age: 20 + (i % 40),
    segment: i % 3 === 0 ? 'a' : 'b',
    prediction: predictionType === 'categorical' ? (i % 4 === 0 ? 'deny' : 'approve') : (i % 100) / 100,
    confidence: 0.5 + (i % 50) / 100,
  }));
  return ReferenceDistribution.fromRows(rows, { outputs: ['prediction', 'confidence'] });
}

function state(models: readonly FeatureModel[], record: (a: FeatureSetAccumulator) => void) {
  const accumulator = new FeatureSetAccumulator(models);
  record(accumulator);
  return accumulator.features.map((f) =>
    f.type === 'numeric' ? { counts: Array.from(f.histogram.counts), missing: f.missing, invalid: f.invalid, below: f.belowSum, above: f.aboveSum } : f,
  );
}

const PREDICTIONS = [undefined, 'null', '"approve"', '"deny"', '""', '"maybe"', '0.7', '-1e400', '"esc\\"q"', '{"a":1}', 'true', '[1,2]', '"0.25"'];
const CONFIDENCES = [undefined, 'null', '0.83', '1e400', '-0', '"0.5"', 'false', '{"x":[1,2]}', '"high"'];

function events(): string[] {
  const out: string[] = [];
  for (const p of PREDICTIONS) {
    for (const c of CONFIDENCES) {
      const outputs = [p === undefined ? null : `"prediction":${p}`, c === undefined ? null : `"confidence":${c}`].filter((x) => x !== null);
      const head = '"model":"credit","model_version":"v1","timestamp":"2026-11-26T10:00:00.000Z"';
      const features = '"features":{"age":41,"segment":"b"}';
      out.push(`{${[head, features, ...outputs].join(',')}}`);
      out.push(`{${[...outputs.reverse(), features, head].join(' , ')}}`);
    }
  }
  out.push('{"model":"credit","model_version":"v1","features":{"age":30},"prediction":"deny","prediction":"approve","timestamp":1795692000}');
  out.push('{"model":"credit","model_version":"v1","features":{"age":30},"confidence":0.9,"confidence":0.1,"timestamp":1795692000}');
  out.push('{"model":"credit","model_version":"v1","features":{"prediction":"deny","age":30},"timestamp":1795692000}');
  return out;
}

describe.each(['categorical', 'numeric'] as const)('the fast decoder with outputs (prediction %s)', (predictionType) => {
  const ref = reference(predictionType);
  const decoder = new EventDecoder(
    () => ref.signals,
    () => ref.outputs.length,
  );

  it('records exactly what JSON.parse + zod gives, outputs beside the features, for every event it takes', () => {
    let fast = 0;
    for (const text of events()) {
      const before = decoder.counts.fast;
      const result = decoder.decode(Buffer.from(text), meta, {}, new RowArena());
      const slow = decodeEvent(Buffer.from(text), meta, {}, () => true);
      expect(result.ok, text).toBe(slow.ok);
      if (!result.ok || !slow.ok) continue;
      expect(result.record.eventTimeMs, text).toBe(slow.record.eventTimeMs);
      const values = slow.record.values as Record<string, unknown>;
      const expected = state(ref.signals, (a) => a.recordObject({ ...values, prediction: slow.record.outputs?.prediction, confidence: slow.record.outputs?.confidence }));
      if (decoder.counts.fast === before) continue;
      fast++;
      expect(result.record.values, text).toBeInstanceOf(NumericRow);
      expect((result.record.values as NumericRow).models).toBe(ref.signals);
      expect(
        state(ref.signals, (a) => a.recordRow(result.record.values as NumericRow)),
        text,
      ).toEqual(expected);
    }
    // The common cases take the fast path: absent, null, a known class or a number.
    expect(fast).toBeGreaterThanOrEqual(predictionType === 'categorical' ? 40 : 30);
  });

  it('takes the plain event with a known class (or score) and a confidence on the fast path', () => {
    const prediction = predictionType === 'categorical' ? '"approve"' : '0.3';
    const before = decoder.counts.fast;
    const result = decoder.decode(
      `{"model":"credit","model_version":"v1","timestamp":"2026-11-26T10:00:00.000Z","features":{"age":41,"segment":"b"},"prediction":${prediction},"confidence":0.83}`,
      meta,
      {},
      new RowArena(),
    );
    expect(decoder.counts.fast).toBe(before + 1);
    const row = result.ok ? (result.record.values as NumericRow) : null;
    expect(row?.toObject()).toEqual({ age: 41, segment: 'b', prediction: predictionType === 'categorical' ? 'approve' : 0.3, confidence: 0.83 });
  });
});
