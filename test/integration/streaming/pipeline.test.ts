// The streaming monitor end to end against the real broker and the real InfluxDB: a seeded
// stream (no drift, then a shift in income and employment_type) produced to Kafka; the service
// consumes it; InfluxDB then holds per-feature points equal to a batch recomputation of each
// window, the drift events topic names exactly the shifted features at the first window that
// holds enough shifted events, and malformed events reach the dead-letter topic with reasons.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config/load.js';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import { startService, type RunningService } from '../../../src/app/service.js';
import { DLQ_HEADERS } from '../../../src/adapters/kafka/dead-letter.js';
import type { InboundMessage } from '../../../src/adapters/kafka/index.js';
import type { DriftEvent } from '../../../src/core/detect/drift-event.js';
import type { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { brokers, creditStream, eventJson, featureDriftPoints, influx, kafkaClient, quietLogger, readTopic, referenceDir, runId, waitFor, type StreamEvent } from '../helpers.js';

const MIN = 60_000;
const WINDOW_MS = 20 * MIN;
const SLIDE_MS = 5 * MIN;
// Once with the prediction consumer on the main thread and once on a worker thread
// (KAFKA_CONSUMER_THREAD): the delivery semantics must not depend on it.
describe.each(['main', 'worker'] as const)('KAFKA_CONSUMER_THREAD=%s', (thread) => {
  const id = runId();
  const model = `credit-risk-${id}`;
  const topic = `predictions-${id}`;
  const eventsTopic = `drift-events-${id}`;
  const dlqTopic = `dlq-${id}`;
  // Two hours ago, aligned to the slide, so every window lies in the past of the wall clock.
  const start = Math.floor((Date.now() - 2 * 3_600_000) / SLIDE_MS) * SLIDE_MS;
  const events: StreamEvent[] = creditStream(start, 80, 20, 40);
  const kafka = kafkaClient();
  let service: RunningService;
  let reference: ReferenceDistribution;

  const malformed: { value: string; reason: string; path?: string }[] = [
    { value: 'this is not json', reason: 'invalid_json' },
    { value: JSON.stringify({ model, model_version: 'v1', timestamp: new Date(start + 10 * MIN).toISOString(), features: 'age=42' }), reason: 'invalid_event', path: 'features' },
    {
      value: JSON.stringify({ model, model_version: 'v404', timestamp: new Date(start + 10 * MIN).toISOString(), features: { age: 1 } }),
      reason: 'no_reference',
      path: 'model_version',
    },
    { value: JSON.stringify({ model, model_version: 'v1', timestamp: 'yesterday-ish', features: { age: 1 } }), reason: 'invalid_timestamp', path: 'timestamp' },
    {
      value: JSON.stringify({ model, model_version: 'v1', timestamp: new Date(Date.now() + 48 * 3_600_000).toISOString(), features: { age: 1 } }),
      reason: 'future_timestamp',
      path: 'timestamp',
    },
  ];

  beforeAll(async () => {
    const refs = await referenceDir('v1');
    reference = refs.reference;
    const admin = await kafka.admin();
    await admin.ensureTopics([{ topic, partitions: 2 }, { topic: eventsTopic }, { topic: dlqTopic }]);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    const messages = events.map((e) => ({ key: model, value: eventJson(model, 'v1', e) }));
    // The bad events go in the middle of the stream: they must not stop it.
    messages.splice(700, 0, ...malformed.map((m) => ({ key: model, value: m.value })));
    await producer.send(topic, messages);
    await producer.disconnect();

    const { url, token, org, bucket } = influx();
    const { config } = resolveConfig(
      {},
      {
        KAFKA_BROKERS: brokers(),
        KAFKA_TOPIC: topic,
        KAFKA_GROUP_ID: `driftwatch-${id}`,
        KAFKA_CONSUMER_THREAD: thread,
        DRIFT_EVENTS_TOPIC: eventsTopic,
        DEAD_LETTER_TOPIC: dlqTopic,
        INFLUX_URL: url,
        INFLUX_TOKEN: token,
        INFLUX_ORG: org,
        INFLUX_BUCKET: bucket,
        REFERENCE_DIR: refs.dir,
        DRIFT_WINDOW: '20m',
        DRIFT_CHECK_INTERVAL: '5m',
        ALLOWED_LATENESS: '5s',
        PARTITION_IDLE_TIMEOUT: '2s',
        EMIT_ALL_CHECKS: 'true',
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
      },
    );
    service = await startService(config, { logger: quietLogger });
  });

  afterAll(async () => {
    await service?.stop();
  });

  /** The windows the stream fills: every window end from the first pane to the last. */
  function expectedWindowEnds(): number[] {
    const first = Math.floor(Math.min(...events.map((e) => e.timestampMs)) / SLIDE_MS) * SLIDE_MS + SLIDE_MS;
    const last = Math.floor(Math.max(...events.map((e) => e.timestampMs)) / SLIDE_MS) * SLIDE_MS + SLIDE_MS;
    const ends: number[] = [];
    for (let end = first; end <= last; end += SLIDE_MS) ends.push(end);
    return ends;
  }

  function batchCheck(end: number) {
    const rows = events.filter((e) => e.timestampMs >= end - WINDOW_MS && e.timestampMs < end).map((e) => e.features);
    return new DriftDetector({ now: () => new Date(0) }).evaluate(accumulate(rows, reference), reference);
  }

  describe('streaming monitor against real Kafka and InfluxDB', () => {
    it('writes per-feature points to InfluxDB whose PSI and KS equal a batch recomputation of each window', async () => {
      const ends = expectedWindowEnds();
      // The last windows close only when the quiet stream's watermark moves on with the wall clock.
      let seen = 0;
      const points = await waitFor(`every window in InfluxDB (expecting ${ends.length * reference.features.length} points)`, 60_000, async () => {
        const p = await featureDriftPoints(model);
        seen = p.size;
        return p.size >= ends.length * reference.features.length ? p : null;
      }).catch((error) => {
        throw new Error(`${(error as Error).message}; found ${seen}`);
      });
      expect(points.size).toBe(ends.length * reference.features.length);
      for (const end of ends) {
        const batch = batchCheck(end);
        for (const feature of reference.featureNames) {
          const point = points.get(`${new Date(end).toISOString()}|${feature}`);
          expect(point, `window ${new Date(end).toISOString()} ${feature}`).toBeDefined();
          const expected = batch.features[feature];
          // Same integer counts on the same bins: the statistics are identical; InfluxDB keeps float64.
          expect(point!.psi).toBe(expected.psi);
          if (expected.ks !== null) expect(point!.ks).toBe(expected.ks);
          expect(point!.sample_count).toBe(expected.sample_count);
          expect(point!.drifted).toBe(expected.drifted);
        }
      }
    });

    it('publishes drift_detected naming exactly the shifted features, at the first window the batch check calls drifted', async () => {
      const windows = expectedWindowEnds().length;
      const messages = await readTopic(kafka, eventsTopic, (m) => m.filter((x) => JSON.parse(x.value!.toString()).type === 'drift_check').length >= windows);
      const parsed = messages.map((m) => ({ key: m.key?.toString(), event: JSON.parse(m.value!.toString()) as DriftEvent, headers: m.headers }));
      const detected = parsed.filter((p) => p.event.type === 'drift_detected');
      expect(detected).toHaveLength(1);
      const firstDriftedEnd = expectedWindowEnds().find((end) => batchCheck(end).drift_detected)!;
      const { event, key, headers } = detected[0];
      expect(event.window.end).toBe(new Date(firstDriftedEnd).toISOString());
      expect(key).toBe(model);
      expect(headers.event_id).toBe(event.event_id);
      expect(Object.keys(event.drifted_features).sort()).toEqual(Object.keys(batchCheck(firstDriftedEnd).drifted_features).sort());
      expect(Object.keys(event.drifted_features).every((f) => f === 'income' || f === 'employment_type')).toBe(true);
      expect(event.model_version).toBe('v1');
      expect(event.drift_detected).toBe(true);
      // Every check of a window lying wholly after the shift names exactly the two shifted features.
      const shiftedFrom = start + 40 * MIN;
      const checks = parsed.filter((p) => p.event.type === 'drift_check' && Date.parse(p.event.window.start) >= shiftedFrom);
      expect(checks.length).toBeGreaterThan(0);
      for (const { event: c } of checks) expect(Object.keys(c.drifted_features).sort()).toEqual(['employment_type', 'income']);
      // Before the shift, no window drifts.
      const clean = parsed.filter((p) => p.event.type === 'drift_check' && Date.parse(p.event.window.end) <= shiftedFrom);
      expect(clean.length).toBeGreaterThan(0);
      for (const { event: c } of clean) expect(c.drift_detected).toBe(false);
    });

    it('sends malformed events to the dead-letter topic with their reason, original bytes and source position', async () => {
      const messages: InboundMessage[] = await readTopic(kafka, dlqTopic, (m) => m.length >= malformed.length);
      expect(messages).toHaveLength(malformed.length);
      for (const bad of malformed) {
        const dead = messages.find((m) => m.value?.toString() === bad.value);
        expect(dead, bad.reason).toBeDefined();
        expect(dead!.headers[DLQ_HEADERS.reason]).toBe(bad.reason);
        if (bad.path) expect(dead!.headers[DLQ_HEADERS.path]).toBe(bad.path);
        expect(dead!.headers[DLQ_HEADERS.topic]).toBe(topic);
        expect(dead!.headers[DLQ_HEADERS.detail].length).toBeGreaterThan(5);
      }
    });

    it('serves /healthz, /readyz, /metrics and /drift', async () => {
      const base = `http://127.0.0.1:${service.httpPort}`;
      expect((await fetch(`${base}/healthz`)).status).toBe(200);
      const ready = await waitFor('readiness', 10_000, async () => {
        const r = await fetch(`${base}/readyz`);
        return r.status === 200 ? r.json() : null;
      });
      expect(ready).toMatchObject({ status: 'ready', checks: { group_joined: true, references_loaded: true, sinks_reachable: true } });
      const metrics = await (await fetch(`${base}/metrics`)).text();
      expect(metrics).toContain(`driftwatch_events_consumed_total{model="${model}"} ${events.length}`);
      expect(metrics).toMatch(new RegExp(`feature_drift_score\\{model="${model}",model_version="v1",feature="income"\\} \\d`));
      expect(metrics).toContain(`drift_detected{model="${model}",model_version="v1"} 1`);
      expect(metrics).toContain('driftwatch_evaluation_duration_seconds_bucket');
      expect(metrics).toContain('driftwatch_events_invalid_total{model="",reason="invalid_json"} 1');
      const drift = (await (await fetch(`${base}/drift`)).json()) as { models: Record<string, { drift_detected: boolean; feature_scores: Record<string, number> }> };
      expect(drift.models[model].drift_detected).toBe(true);
      expect(Object.keys(drift.models[model].feature_scores).sort()).toEqual([...reference.featureNames].sort());
    });
  });
});
