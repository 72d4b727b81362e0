// The compose stack's demo-producer service: runDemoProducer against an in-memory Kafka seam
// (the real broker path is the same KafkaClient interface the service uses).
import { describe, expect, it } from 'vitest';
import { rng, creditRow } from '../../../src/app/demo/credit.js';
import { demoEvent, runDemoProducer, type DemoEvent } from '../../../src/app/demo/producer.js';
import type { Admin, KafkaClient, OutboundMessage, Producer } from '../../../src/adapters/kafka/index.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { decodeEvent } from '../../../src/core/event/event.js';
import { DriftDetector } from '../../../src/core/detect/detector.js';
import { virtualClock } from '../runtime/virtual-clock.js';

interface Sent {
  topic: string;
  messages: OutboundMessage[];
}

function fakeKafka(options: { failSend?: boolean } = {}) {
  const sent: Sent[] = [];
  const ensured: { topic: string; partitions?: number }[] = [];
  const calls: string[] = [];
  const producer: Producer = {
    connect: async () => void calls.push('connect'),
    disconnect: async () => void calls.push('disconnect'),
    send: async (topic, messages) => {
      if (options.failSend) throw new Error('broker down');
      sent.push({ topic, messages });
    },
  };
  const admin: Admin = {
    ensureTopics: async (topics) => void ensured.push(...topics),
    topicOffsets: async () => [],
    listTopics: async () => ensured.map((t) => t.topic),
    disconnect: async () => void calls.push('admin.disconnect'),
  };
  const client: KafkaClient = {
    consumer: () => {
      throw new Error('the demo producer does not consume');
    },
    producer: () => producer,
    admin: async () => admin,
  };
  const events = () => sent.flatMap((s) => s.messages.map((m) => JSON.parse(String(m.value)) as DemoEvent));
  return { client, sent, ensured, calls, events };
}

const base = { topic: 'predictions', model: 'credit-risk', modelVersion: 'v1.2.0', seed: 42 };
const T0 = Date.parse('2026-11-26T10:00:00.000Z');

/** A virtual clock at T0 that aborts the returned signal after `ms` of virtual time. */
function abortAfter(ms: number) {
  const clock = virtualClock(T0);
  const abort = new AbortController();
  clock.scheduler.schedule(() => abort.abort(), ms);
  return { clock, signal: abort.signal };
}

describe('runDemoProducer', () => {
  it('produces wire-format prediction events keyed by model, stamped now, that driftwatch decodes', async () => {
    const kafka = fakeKafka();
    const clock = virtualClock(T0);
    const before = clock.now();
    const result = await clock.run(
      runDemoProducer({
        ...base,
        kafka: kafka.client,
        scheduler: clock.scheduler,
        ratePerSecond: 1000,
        driftAfterMs: Infinity,
        signal: new AbortController().signal,
        maxEvents: 50,
      }),
    );
    const after = clock.now();
    expect(result).toEqual({ sent: 50, drifted: 0 });
    expect(kafka.ensured).toEqual([{ topic: 'predictions', partitions: 1 }]);
    expect(kafka.calls).toEqual(['admin.disconnect', 'connect', 'disconnect']);
    expect(new Set(kafka.sent.map((s) => s.topic))).toEqual(new Set(['predictions']));
    const messages = kafka.sent.flatMap((s) => s.messages);
    expect(messages).toHaveLength(50);
    for (const [i, m] of messages.entries()) {
      expect(m.key).toBe('credit-risk');
      const decoded = decodeEvent(Buffer.from(String(m.value)), { partition: 0, offset: i, timestampMs: Number.NaN }, {});
      expect(decoded.ok).toBe(true);
      if (!decoded.ok) continue;
      expect(decoded.record.model).toBe('credit-risk');
      expect(decoded.record.modelVersion).toBe('v1.2.0');
      expect(decoded.record.eventTimeMs).toBeGreaterThanOrEqual(before);
      expect(decoded.record.eventTimeMs).toBeLessThanOrEqual(after);
      expect(Object.keys(decoded.record.values).sort()).toEqual(['age', 'credit_score', 'employment_type', 'income', 'loan_amount']);
    }
    const event = JSON.parse(String(messages[0].value)) as DemoEvent;
    expect(event.request_id).toBe('demo-42-0');
    expect(event.prediction).toBeGreaterThanOrEqual(0);
    expect(event.prediction).toBeLessThanOrEqual(1);
    expect(event.confidence).toBeGreaterThanOrEqual(0.5);
  });

  it('is deterministic per seed and drifts (and only drifts) after driftAfterMs', async () => {
    const kafka = fakeKafka();
    const { clock, signal } = abortAfter(700);
    const result = await clock.run(runDemoProducer({ ...base, kafka: kafka.client, scheduler: clock.scheduler, ratePerSecond: 100, driftAfterMs: 300, signal }));
    const events = kafka.events();
    expect(events).toHaveLength(result.sent);
    // 70 events in 0.7 s of virtual time at 100/s, 40 of them after the drift starts.
    expect(result).toEqual({ sent: 70, drifted: 40 });
    expect(result.sent).toBeGreaterThan(35);
    expect(result.sent).toBeLessThan(90);
    expect(result.drifted).toBeGreaterThan(10);
    expect(result.drifted).toBeLessThan(result.sent);
    // Replaying the generator with the drift flag switching at the same event reproduces every row.
    const cleanCount = result.sent - result.drifted;
    const r = rng(42);
    events.forEach((e, i) => {
      expect(demoEvent(r, i, Date.parse(e.timestamp), { model: 'credit-risk', modelVersion: 'v1.2.0', seed: 42 }, i >= cleanCount)).toEqual(e);
    });
    // The drifted events start no earlier than driftAfterMs after the first one.
    const first = Date.parse(events[0].timestamp);
    expect(Date.parse(events[cleanCount].timestamp) - first).toBeGreaterThanOrEqual(290);
    expect(Date.parse(events[cleanCount - 1].timestamp) - first).toBeLessThan(300 + 50);
  });

  it('paces events at the rate', async () => {
    const kafka = fakeKafka();
    const { clock, signal } = abortAfter(1000);
    const result = await clock.run(runDemoProducer({ ...base, kafka: kafka.client, scheduler: clock.scheduler, ratePerSecond: 5, driftAfterMs: 0, signal }));
    // t = 0, 200, 400, 600, 800 ms (the abort at 1000 comes first).
    expect(result.sent).toBeGreaterThanOrEqual(5);
    expect(result.sent).toBeLessThanOrEqual(6);
    expect(result.drifted).toBe(result.sent);
    const times = kafka.events().map((e) => Date.parse(e.timestamp));
    for (let i = 1; i < times.length; i++) expect(times[i] - times[i - 1]).toBeGreaterThanOrEqual(150);
    expect(times.map((t) => t - T0)).toEqual([0, 200, 400, 600, 800]);
  });

  it('drifted demo rows drift against a reference of clean rows, clean ones do not', () => {
    const r = rng(7);
    const reference = ReferenceDistribution.fromRows(
      Array.from({ length: 5000 }, () => creditRow(r)),
      { modelVersion: 'v1.2.0' },
    );
    const detector = new DriftDetector();
    const rows = (drift: boolean) => Array.from({ length: 2000 }, (_, i) => demoEvent(r, i, 0, base, drift).features);
    const clean = detector.detect(rows(false), reference);
    const drifted = detector.detect(rows(true), reference);
    expect(clean.drift_detected).toBe(false);
    expect(drifted.drift_detected).toBe(true);
    // income crosses the PSI threshold of 0.3; employment_type moves too, but less.
    expect(Object.keys(drifted.drifted_features)).toEqual(['income']);
    expect(drifted.features.employment_type.psi!).toBeGreaterThan(5 * clean.features.employment_type.psi!);
  });

  it('stops at once when already aborted, and rejects bad options', async () => {
    const kafka = fakeKafka();
    const abort = new AbortController();
    abort.abort();
    await expect(runDemoProducer({ ...base, kafka: kafka.client, ratePerSecond: 10, driftAfterMs: 0, signal: abort.signal })).resolves.toEqual({ sent: 0, drifted: 0 });
    expect(kafka.calls).toEqual([]);
    const signal = new AbortController().signal;
    await expect(runDemoProducer({ ...base, kafka: kafka.client, ratePerSecond: 0, driftAfterMs: 0, signal })).rejects.toThrow(/ratePerSecond must be a positive number/);
    await expect(runDemoProducer({ ...base, kafka: kafka.client, ratePerSecond: 1, driftAfterMs: -1, signal })).rejects.toThrow(/driftAfterMs/);
    await expect(runDemoProducer({ ...base, kafka: kafka.client, ratePerSecond: 1, driftAfterMs: 0, seed: 1.5, signal })).rejects.toThrow(/seed must be an integer/);
    await expect(runDemoProducer({ ...base, kafka: kafka.client, ratePerSecond: 1, driftAfterMs: 0, topic: ' ', signal })).rejects.toThrow(/topic must not be empty/);
  });

  it('disconnects and rejects when a send fails', async () => {
    const kafka = fakeKafka({ failSend: true });
    await expect(runDemoProducer({ ...base, kafka: kafka.client, ratePerSecond: 10, driftAfterMs: 0, signal: new AbortController().signal })).rejects.toThrow(/broker down/);
    expect(kafka.calls).toEqual(['admin.disconnect', 'connect', 'disconnect']);
  });

  it('skips topic creation when asked', async () => {
    const kafka = fakeKafka();
    const clock = virtualClock(T0);
    await clock.run(
      runDemoProducer({
        ...base,
        kafka: kafka.client,
        scheduler: clock.scheduler,
        ratePerSecond: 100,
        driftAfterMs: 0,
        signal: new AbortController().signal,
        maxEvents: 3,
        createTopic: false,
      }),
    );
    expect(kafka.ensured).toEqual([]);
    expect(kafka.events()).toHaveLength(3);
  });
});
