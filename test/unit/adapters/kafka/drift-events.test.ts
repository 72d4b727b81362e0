// The drift-events exporter: what it publishes, and whether a failed publish is retried.
// Regression: a producer error without a `retriable` flag was taken as retriable, against the
// rule of core/errors.ts (an error that does not say it is retriable is not retried).
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import type { Evaluation } from '../../../../src/core/detect/evaluation.js';
import { driftEventSchema } from '../../../../src/core/detect/drift-event.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { DRIFT_EVENTS_REQUEST_BYTES, KafkaDriftEventExporter } from '../../../../src/adapters/kafka/drift-events.js';
import type { OutboundMessage, Producer } from '../../../../src/adapters/kafka/index.js';
import { creditRow, rng } from '../../../fixtures/random.js';

const r = rng(9);
const reference = ReferenceDistribution.fromRows(
  Array.from({ length: 1000 }, () => creditRow(r)),
  { modelVersion: 'v1' },
);
const check = new DriftDetector({ minSamples: 10 }).detect(
  Array.from({ length: 300 }, () => creditRow(r)),
  reference,
);
const evaluation = (change: 'drift_detected' | null): Evaluation => ({
  windowStart: new Date('2026-11-26T09:00:00Z'),
  windowEnd: new Date('2026-11-26T10:00:00Z'),
  closedAtWallMs: 0,
  checks: [{ model: 'credit', modelVersion: 'v1', check, change, state: change ? 'drifting' : 'ok', lateEvents: 0, invalidEvents: 0, durationMs: 1 }],
});

function producer(fail?: unknown) {
  const sent: { topic: string; messages: OutboundMessage[] }[] = [];
  const p: Producer = {
    connect: async () => {},
    disconnect: async () => {},
    send: async (topic, messages) => {
      if (fail !== undefined) throw fail;
      sent.push({ topic, messages });
    },
  };
  return { producer: p, sent };
}

describe('KafkaDriftEventExporter', () => {
  it('publishes each event keyed by model, with event_id and type as headers, valid against the schema', async () => {
    const { producer: p, sent } = producer();
    expect(await new KafkaDriftEventExporter(p, 'drift-events', true).export(evaluation('drift_detected'))).toEqual({ ok: true });
    expect(sent).toHaveLength(1);
    expect(sent[0].topic).toBe('drift-events');
    const types = sent[0].messages.map((m) => m.headers?.type);
    expect(types).toEqual(['drift_detected', 'drift_check']);
    for (const m of sent[0].messages) {
      const event = driftEventSchema.parse(JSON.parse(String(m.value)));
      expect([m.key, m.headers?.event_id, m.headers?.type]).toEqual(['credit', event.event_id, event.type]);
    }
  });

  it('splits a run of 400 models into produce requests below the broker limit, every event once and in order', async () => {
    // Regression (fault suite, 400 drifting models): one request for all events exceeded the
    // topic's max.message.bytes, the broker refused it and the whole run's events were lost.
    const many: Evaluation = {
      ...evaluation('drift_detected'),
      checks: Array.from({ length: 400 }, (_, i) => ({ ...evaluation('drift_detected').checks[0]!, model: `model-${i}` })),
    };
    const { producer: p, sent } = producer();
    expect(await new KafkaDriftEventExporter(p, 'drift-events', true).export(many)).toEqual({ ok: true });
    expect(sent.length).toBeGreaterThan(1);
    for (const request of sent) expect(request.messages.reduce((n, m) => n + Buffer.byteLength(String(m.value)), 0)).toBeLessThanOrEqual(DRIFT_EVENTS_REQUEST_BYTES);
    const published = sent.flatMap((r) => r.messages.map((m) => `${m.key} ${m.headers?.type}`));
    expect(published).toEqual(Array.from({ length: 400 }, (_, i) => [`model-${i} drift_detected`, `model-${i} drift_check`]).flat());
  });

  it('publishes nothing for a check without a state change unless every check is emitted', async () => {
    const { producer: p, sent } = producer();
    expect(await new KafkaDriftEventExporter(p, 'drift-events', false).export(evaluation(null))).toEqual({ ok: true });
    expect(sent).toEqual([]);
  });

  it.each([
    ['says it is retriable (a kafkajs connection error)', true, Object.assign(new Error('Connection error: ECONNREFUSED'), { retriable: true })],
    ['says it is not (kafkajs: retries exhausted, a message too large)', false, Object.assign(new Error('Number of retries exceeded'), { retriable: false })],
    ['does not say (regression; a TypeError)', false, new TypeError("Cannot read properties of undefined (reading 'length')")],
    ['carries a non-boolean flag (regression)', false, Object.assign(new Error('odd'), { retriable: 'yes' })],
  ])('a publish error that %s: the export fails with retriable %s, naming the topic', async (_, retriable, cause) => {
    const { producer: p } = producer(cause);
    const result = await new KafkaDriftEventExporter(p, 'drift-events', true).export(evaluation('drift_detected'));
    expect(result.ok).toBe(false);
    if (result.ok) return;
    expect(result.error.retriable).toBe(retriable);
    expect(result.error.cause).toBe(cause);
    expect(result.error.message).toBe(`publishing 2 drift event(s) to topic "drift-events" failed: ${(cause as Error).message}`);
    expect(result.error.context).toEqual({ topic: 'drift-events' });
  });
});
