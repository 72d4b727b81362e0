import { describe, expect, it } from 'vitest';
import { decodeEvent, looksValid, parseEventTime, predictionEventSchema } from '../../../../src/core/event/event.js';

const meta = { partition: 0, offset: 7, timestampMs: Date.parse('2026-11-26T10:00:00Z') };

describe('prediction event decoding', () => {
  // The hand-written fast check must accept exactly what the zod schema accepts.
  const samples: unknown[] = [
    { model: 'm', model_version: 'v1', timestamp: '2026-11-26T10:00:00Z', features: { a: 1 } },
    { features: {} },
    { feature_vector: [1, 2] },
    { model: '', features: {} },
    { model: 3, features: {} },
    { model_version: '', features: {} },
    { timestamp: true, features: {} },
    { timestamp: 1764150000, features: {} },
    { features: 'a=1' },
    { features: [1] },
    { features: null },
    { feature_vector: {} },
    { model: 'm' },
    [],
    null,
    'text',
    42,
    { features: { a: 1 }, extra: { nested: true } },
  ];
  it.each(samples.map((s) => [JSON.stringify(s), s]))('fast check and schema agree on %s', (_, sample) => {
    expect(looksValid(sample)).toBe(predictionEventSchema.safeParse(sample).success);
  });

  it('takes model and version from the event, else from the configured defaults', () => {
    const ok = decodeEvent(JSON.stringify({ features: { a: 1 } }), meta, { model: 'm', modelVersion: 'v1' });
    expect(ok).toMatchObject({ ok: true, record: { model: 'm', modelVersion: 'v1', eventTimeMs: meta.timestampMs, offset: 7 } });
    const missing = decodeEvent(JSON.stringify({ model: 'm', features: { a: 1 } }), meta, {});
    expect(missing).toMatchObject({ ok: false, failure: { reason: 'invalid_event', path: 'model_version' } });
  });

  it('names the bad field', () => {
    expect(decodeEvent('{"features": 3}', meta, { model: 'm', modelVersion: 'v' })).toMatchObject({
      ok: false,
      failure: { reason: 'invalid_event', path: 'features', detail: 'features: expected an object of feature values' },
    });
    expect(decodeEvent('{"model": "m", "model_version": "v", "timestamp": "soon", "features": {}}', meta, {})).toMatchObject({
      ok: false,
      failure: { reason: 'invalid_timestamp', path: 'timestamp' },
    });
    expect(decodeEvent('[1,2', meta, {})).toMatchObject({ ok: false, failure: { reason: 'invalid_json' } });
    expect(decodeEvent(null, meta, {})).toMatchObject({ ok: false, failure: { reason: 'invalid_json', detail: 'empty message value' } });
  });

  it('reads event times as ISO 8601 or epoch milliseconds (seconds below 1e11)', () => {
    expect(parseEventTime('2026-11-26T10:00:00.123Z')).toBe(Date.parse('2026-11-26T10:00:00.123Z'));
    expect(parseEventTime(1_764_150_000_123)).toBe(1_764_150_000_123);
    expect(parseEventTime(1_764_150_000)).toBe(1_764_150_000_000);
    expect(parseEventTime(-1)).toBeNull();
    expect(parseEventTime('yesterday')).toBeNull();
  });
});
