import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { InfluxDB } from '@influxdata/influxdb-client';
import { pino } from 'pino';
import { inject } from 'vitest';
import { createKafkajsClient, type InboundMessage, type KafkaClient } from '../../src/adapters/kafka/index.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import type { DriftEvent } from '../../src/core/detect/drift-event.js';
import { creditRow, rng } from '../fixtures/random.js';
import { saveReference } from '../../src/adapters/files/reference-file.js';

export const brokers = () => inject('kafkaBrokers');
export const influx = () => ({ url: inject('influxUrl'), token: inject('influxToken'), org: inject('influxOrg'), bucket: inject('influxBucket') });
export const quietLogger = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function runId(): string {
  return `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
}

export function kafkaClient(clientId = 'driftwatch-test'): KafkaClient {
  return createKafkajsClient({ brokers: brokers().split(','), clientId }, quietLogger);
}

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = await probe();
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 200));
  }
}

/** Reads every message of a topic from the beginning, through the product's own Kafka seam, until `enough` says so. */
export async function readTopic(kafka: KafkaClient, topic: string, enough: (messages: InboundMessage[]) => boolean, timeoutMs = 30_000): Promise<InboundMessage[]> {
  const consumer = kafka.consumer({ groupId: `reader-${runId()}`, topics: [topic], fromBeginning: true });
  const messages: InboundMessage[] = [];
  await consumer.start({
    onBatch: async (batch, context) => {
      messages.push(...batch.messages);
      const last = batch.messages[batch.messages.length - 1];
      if (last) context.resolveOffset(last.offset);
    },
  });
  try {
    await waitFor(`messages on ${topic}`, timeoutMs, () => enough(messages));
    return messages;
  } catch (error) {
    // The count when it gave up: a message built before the wait would always say 0.
    throw new Error(`${(error as Error).message} (read ${messages.length})`, { cause: error });
  } finally {
    await consumer.stop();
  }
}

export async function fluxRows(flux: string): Promise<Record<string, unknown>[]> {
  const { url, token, org } = influx();
  return new InfluxDB({ url, token, timeout: 20_000 }).getQueryApi(org).collectRows(flux);
}

/** feature_drift rows of one model, pivoted: one object per (window end, feature). */
export async function featureDriftPoints(model: string): Promise<Map<string, Record<string, unknown>>> {
  const { bucket } = influx();
  const rows = await fluxRows(`from(bucket: "${bucket}") |> range(start: 2000-01-01T00:00:00Z) |> filter(fn: (r) => r._measurement == "feature_drift" and r.model == "${model}")`);
  const points = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    const time = new Date(row._time as string).toISOString();
    const key = `${time}|${row.feature}`;
    const point = points.get(key) ?? { time, feature: row.feature, model_version: row.model_version };
    point[row._field as string] = row._value;
    points.set(key, point);
  }
  return points;
}

export async function tempDir(prefix: string): Promise<string> {
  return mkdtemp(join(tmpdir(), prefix));
}

/** A reference directory with the credit-risk reference for `version`, built from seeded training rows. */
export async function referenceDir(version = 'v1'): Promise<{ dir: string; reference: ReferenceDistribution }> {
  const dir = await tempDir('driftwatch-refs-');
  const r = rng(20261126);
  const reference = ReferenceDistribution.fromRows(
    Array.from({ length: 5000 }, () => creditRow(r)),
    { modelVersion: version },
  );
  await saveReference(reference, join(dir, version, 'reference_distribution.json'));
  return { dir, reference };
}

export interface StreamEvent {
  timestampMs: number;
  features: Record<string, unknown>;
}

/** A seeded stream: `minutes` of events, `perMinute` a minute, income and employment_type drifting from `driftAtMinute`. */
export function creditStream(startMs: number, minutes: number, perMinute: number, driftAtMinute: number, seed = 99): StreamEvent[] {
  const r = rng(seed);
  const events: StreamEvent[] = [];
  const step = 60_000 / perMinute;
  const endMs = startMs + minutes * 60_000;
  for (let i = 0; i < minutes * perMinute; i++) {
    // Up to 5 s out of order, never past the last pane.
    const timestampMs = Math.min(endMs - 1, Math.round(startMs + i * step + r.uniform() * 5_000));
    const drifted = timestampMs >= startMs + driftAtMinute * 60_000;
    const features: Record<string, unknown> = { ...creditRow(r, drifted) };
    // A clear categorical shift (PSI ≈ 0.5 on its own), beside creditRow's income shift.
    if (drifted) features.employment_type = r.choice(['salaried', 'self-employed', 'retired', 'unemployed'], [0.3, 0.55, 0.1, 0.05]);
    events.push({ timestampMs, features });
  }
  return events;
}

export function eventJson(model: string, version: string, e: StreamEvent): string {
  return JSON.stringify({ model, model_version: version, timestamp: new Date(e.timestampMs).toISOString(), features: e.features, prediction: 0.5 });
}

/**
 * What the streaming tests share: a reference directory, a 2-partition predictions topic and a
 * drift events topic named after `id`, and the service environment for them (20 min windows
 * sliding by 5 min, 5 s lateness, no quiet-stream advance, every check published).
 */
export async function streamingSetup(
  id: string,
  overrides: Record<string, string> = {},
): Promise<{ reference: ReferenceDistribution; env: Record<string, string>; topic: string; eventsTopic: string }> {
  const refs = await referenceDir('v1');
  const topic = `predictions-${id}`;
  const eventsTopic = `drift-events-${id}`;
  const admin = await kafkaClient().admin();
  await admin.ensureTopics([{ topic, partitions: 2 }, { topic: eventsTopic }]);
  await admin.disconnect();
  const env = {
    KAFKA_BROKERS: brokers(),
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: `driftwatch-${id}`,
    DRIFT_EVENTS_TOPIC: eventsTopic,
    DEAD_LETTER_TOPIC: `dlq-${id}`,
    REFERENCE_DIR: refs.dir,
    DRIFT_WINDOW: '20m',
    DRIFT_CHECK_INTERVAL: '5m',
    ALLOWED_LATENESS: '5s',
    // No quiet-stream advance: windows close on event time only, as in an uninterrupted run.
    PARTITION_IDLE_TIMEOUT: '1h',
    EMIT_ALL_CHECKS: 'true',
    HTTP_ENABLED: 'false',
    ...overrides,
  };
  return { reference: refs.reference, env, topic, eventsTopic };
}

/** The drift_check events among messages of the drift events topic. */
export function driftChecks(messages: { value: Buffer | null }[]): DriftEvent[] {
  return messages.map((m) => JSON.parse(m.value!.toString()) as DriftEvent).filter((e) => e.type === 'drift_check');
}
