// Issue 16, item 1, against the real broker: malformed events of 1.1 MB and 5 MB (the input
// topic accepts 6 MB; the dead-letter topic keeps the broker's default max.message.bytes of
// about 1 MB) are dead-lettered with their payload cut to fit, the cut, the original size and
// the source coordinates in headers, and the stream behind them goes on being evaluated.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config/load.js';
import { startService, type RunningService } from '../../../src/app/service.js';
import { DLQ_HEADERS } from '../../../src/adapters/kafka/dead-letter.js';
import { brokers, creditStream, driftChecks, eventJson, kafkaClient, quietLogger, readTopic, referenceDir, runId, type StreamEvent } from '../helpers.js';

const MIN = 60_000;
const SLIDE_MS = 5 * MIN;
const id = runId();
const model = `oversized-${id}`;
const topic = `predictions-${id}`;
const eventsTopic = `drift-events-${id}`;
const dlqTopic = `dlq-${id}`;
const start = Math.floor((Date.now() - 2 * 3_600_000) / SLIDE_MS) * SLIDE_MS;
const events: StreamEvent[] = creditStream(start, 40, 10, 1000);
const kafka = kafkaClient();
let service: RunningService;

const big1 = `{"model":"${model}","model_version":"v1","features":${'['.repeat(10)}${'x'.repeat(1_150_000)}`; // not JSON
const big5 = `{"model":"${model}","broken":"${'y'.repeat(5_000_000)}`;

beforeAll(async () => {
  const refs = await referenceDir('v1');
  const admin = await kafka.admin();
  await admin.ensureTopics([{ topic, partitions: 1, config: { 'max.message.bytes': String(6 * 1024 * 1024) } }, { topic: eventsTopic }]);
  await admin.disconnect();
  const producer = kafka.producer();
  await producer.connect();
  const half = events.length / 2;
  await producer.send(
    topic,
    events.slice(0, half).map((e) => ({ key: model, value: eventJson(model, 'v1', e) })),
  );
  await producer.send(topic, [{ key: model, value: big1 }]);
  await producer.send(topic, [{ key: model, value: big5 }]);
  await producer.send(
    topic,
    events.slice(half).map((e) => ({ key: model, value: eventJson(model, 'v1', e) })),
  );
  await producer.disconnect();
  const { config } = resolveConfig(
    {},
    {
      KAFKA_BROKERS: brokers(),
      KAFKA_TOPIC: topic,
      KAFKA_GROUP_ID: `driftwatch-${id}`,
      DRIFT_EVENTS_TOPIC: eventsTopic,
      DEAD_LETTER_TOPIC: dlqTopic,
      REFERENCE_DIR: refs.dir,
      DRIFT_WINDOW: '20m',
      DRIFT_CHECK_INTERVAL: '5m',
      ALLOWED_LATENESS: '5s',
      PARTITION_IDLE_TIMEOUT: '1h',
      EMIT_ALL_CHECKS: 'true',
      HTTP_ENABLED: 'false',
    },
  );
  service = await startService(config, { logger: quietLogger });
});

afterAll(async () => {
  await service?.stop();
});

describe('oversized dead letters (real broker)', () => {
  it('writes 1.1 MB and 5 MB malformed events cut to fit the dead-letter topic, and the stream goes on', async () => {
    const dead = await readTopic(kafka, dlqTopic, (m) => m.length >= 2, 60_000);
    expect(dead).toHaveLength(2);
    const byOffset = new Map(dead.map((m) => [m.headers[DLQ_HEADERS.offset], m]));
    const half = String(events.length / 2);
    const first = byOffset.get(half)!;
    const second = byOffset.get(String(events.length / 2 + 1))!;
    for (const [m, size] of [
      [first, Buffer.byteLength(big1)],
      [second, Buffer.byteLength(big5)],
    ] as const) {
      expect(m.headers).toMatchObject({
        [DLQ_HEADERS.reason]: 'invalid_json',
        [DLQ_HEADERS.truncated]: 'true',
        [DLQ_HEADERS.originalSize]: String(size),
        [DLQ_HEADERS.topic]: topic,
        [DLQ_HEADERS.partition]: '0',
      });
      expect(m.value!.length).toBeLessThan(1_048_588);
      expect(m.value!.length).toBeGreaterThan(900_000);
    }
    // The stream behind the big events was evaluated: the last full window is there.
    const lastEnd = new Date(start + 40 * MIN - SLIDE_MS).toISOString();
    const checks = await readTopic(kafka, eventsTopic, (m) => driftChecks(m).some((c) => c.window.end === lastEnd), 60_000);
    expect(driftChecks(checks).length).toBeGreaterThanOrEqual(6);
    const text = await service.metrics.registry.getSingleMetricAsString('driftwatch_events_invalid_total');
    expect(text).toMatch(/reason="oversized"[^\n]* 2/);
  });
});
