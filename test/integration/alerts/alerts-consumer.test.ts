// `driftwatch alerts` end to end: real drift events on a real Kafka topic, the standalone
// consumer (startAlertsService → runAlertsConsumer), a local HTTP server standing in for
// Slack and the webhook, committed offsets read back from the broker.
import { createHmac, randomUUID } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it, onTestFinished } from 'vitest';
import { alertsConfigSchema } from '../../../src/adapters/alerts/config.js';
import { startAlertsService, type AlertsService } from '../../../src/adapters/alerts/consumer.js';
import type { DriftEvent } from '../../../src/core/detect/drift-event.js';
import { createKafkajsClient } from '../../../src/adapters/kafka/kafkajs.js';
import type { KafkaClient, Producer } from '../../../src/adapters/kafka/types.js';
import { captureLogger, driftEvent, HOUR_MS, metricValue, startHttpServer, waitFor, type TestHttpServer } from '../../unit/adapters/alerts/helpers.js';

const runId = `${Date.now()}-${randomUUID().slice(0, 8)}`;
const topic = `driftwatch-alerts-it-${runId}`;
const groupId = `driftwatch-alerts-it-${runId}`;
const SECRET = `it-hmac-${runId}`;
const T0 = Date.parse('2026-11-26T10:00:00.000Z');

let kafka: KafkaClient;
let producer: Producer;
let server: TestHttpServer;
const services: AlertsService[] = [];

async function start(registry: Registry, log = captureLogger()): Promise<AlertsService> {
  const config = alertsConfigSchema.parse({
    slackWebhookUrl: `${server.url}/slack/T0/B0/secret-token`,
    webhookUrl: `${server.url}/hook`,
    webhookSecret: SECRET,
    dashboardUrlTemplate: 'http://grafana:3000/d/driftwatch?var-model={model}&from={window_start_ms}&to={window_end_ms}',
    consumerGroupId: groupId,
  });
  const service = await startAlertsService(config, { kafka, topic, logger: log.logger, registry, fromBeginning: true });
  services.push(service);
  return service;
}

const produce = (events: (DriftEvent | string)[]) =>
  producer.send(
    topic,
    events.map((e) => (typeof e === 'string' ? { key: 'garbage', value: e } : { key: e.model, value: JSON.stringify(e) })),
  );

/** Sum over partitions of (committed offset) once it reaches the high watermark everywhere. */
async function waitForCommitsAtEnd(timeoutMs: number): Promise<{ partition: number; offset: string }[]> {
  const admin = await kafka.admin();
  const probe = kafka.consumer({ groupId, topics: [topic] }); // never started: only reads the group's offsets
  try {
    const deadline = Date.now() + timeoutMs;
    for (;;) {
      const high = await admin.topicOffsets(topic);
      const committed = await probe.committed(topic);
      const at = new Map(committed.map((c) => [c.partition, c.offset]));
      if (high.every((h) => h.high === '0' || at.get(h.partition) === h.high)) return committed.map((c) => ({ partition: c.partition, offset: c.offset }));
      if (Date.now() > deadline) throw new Error(`offsets not committed to the end: high ${JSON.stringify(high)}, committed ${JSON.stringify(committed)}`);
      await new Promise((r) => setTimeout(r, 200));
    }
  } finally {
    await admin.disconnect();
  }
}

describe('driftwatch alerts: standalone consumer on a real broker', () => {
  beforeAll(async () => {
    kafka = createKafkajsClient({ brokers: inject('kafkaBrokers').split(','), clientId: 'driftwatch-alerts-it' });
    const admin = await kafka.admin();
    await admin.ensureTopics([{ topic, partitions: 2 }]);
    await admin.disconnect();
    producer = kafka.producer();
    await producer.connect();
    server = await startHttpServer();
  });

  afterAll(async () => {
    for (const s of services) await s.stop(2000).catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    await server?.close();
  });

  it('consumes drift events, alerts Slack and the webhook once per episode, and commits offsets', async () => {
    const registry = new Registry();
    const a = driftEvent({ model: 'credit-risk', endMs: T0, scores: { income: 0.79, age: 0.31 } });
    const aCheck = driftEvent({ model: 'credit-risk', type: 'drift_check', endMs: T0 });
    const aResolved = driftEvent({ model: 'credit-risk', type: 'drift_resolved', endMs: T0 + HOUR_MS });
    const b = driftEvent({ model: 'churn', version: 'v3', endMs: T0, scores: { tenure: 0.41 } });
    await produce([a, aCheck, a /* redelivered duplicate */, 'not a drift event', b, aResolved]);

    const service = await start(registry);
    onTestFinished(() => service.stop(5000));
    const slack = () => server.requests.filter((r) => r.path.startsWith('/slack/'));
    const hook = () => server.requests.filter((r) => r.path === '/hook');
    await waitFor(() => slack().length >= 3 && hook().length >= 3, 60_000, 'three Slack and three webhook deliveries');
    const committed = await waitForCommitsAtEnd(60_000);
    expect(committed.reduce((n, c) => n + Number(c.offset), 0)).toBe(6);

    // Per-key order is kept (same partition): credit-risk detected before resolved.
    const texts = slack().map((r) => (r.json() as { text: string }).text);
    expect(texts.filter((t) => t.includes('credit-risk'))).toEqual(['🚨 Data Drift Detected! credit-risk v1.2.0 (critical)', '✅ Data drift resolved: credit-risk v1.2.0']);
    expect(texts).toContain('🚨 Data Drift Detected! churn v3 (warning)');

    const hooks = hook().map((r) => ({ event: r.json() as DriftEvent, r }));
    expect(hooks.map((h) => h.event.event_id).sort()).toEqual([a.event_id, aResolved.event_id, b.event_id].sort());
    for (const { r } of hooks) {
      expect(r.headers['x-driftwatch-signature']).toBe(`sha256=${createHmac('sha256', SECRET).update(r.body).digest('hex')}`);
    }
    expect(hooks.find((h) => h.event.event_id === a.event_id)!.event).toEqual(a);

    expect(await metricValue(registry, 'alerts_invalid_events_total')).toBe(1);
    expect(await metricValue(registry, 'alerts_suppressed_total', { reason: 'duplicate' })).toBe(1);
    expect(await metricValue(registry, 'alerts_sent_total', { channel: 'slack' })).toBe(3);
  });

  it('a restarted consumer resumes after the committed offsets', async () => {
    const before = server.requests.length;
    const c = driftEvent({ model: 'fraud', endMs: T0 + 2 * HOUR_MS, scores: { amount: 0.35 } });
    await produce([c]);
    const registry = new Registry();
    const service = await start(registry);
    onTestFinished(() => service.stop(5000));
    await waitFor(() => server.requests.length >= before + 2, 60_000, 'the new event to be delivered');
    await waitForCommitsAtEnd(60_000);
    // Give a re-read of old events the chance to show up: it must not.
    await new Promise((r) => setTimeout(r, 1000));
    const fresh = server.requests.slice(before);
    expect(fresh).toHaveLength(2);
    expect(fresh.every((r) => r.body.toString('utf8').includes('fraud'))).toBe(true);
    expect(await metricValue(registry, 'alerts_sent_total')).toBe(2);
  });
});
