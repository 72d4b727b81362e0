/**
 * Issue 17, item 4 (memory) — the service's resident size after 1 M and after 5 M events
 * through the real broker (BENCH_KAFKA_BROKERS, else KAFKA_BROKERS, else 127.0.0.1:9092).
 * 5,000,000 events with 20 numeric features, event times 10 ms apart (a 1 h window sliding by
 * 5 min slides about 160 times), are produced in chunks to a fresh one-partition topic (kept
 * 10 min by the broker); then, in this process, the bare kafkajs consume loop through the
 * seam (the baseline) and the service (`startService`, HTTP off) consume it; each one's RSS is
 * read after a full GC once 1 M and once 5 M events have passed. Target: the service's two
 * figures within 10 % of each other. Needs `node --expose-gc` (npm run bench gives it).
 * BENCH_STREAM_EVENTS changes the 5 M.
 */
import { pino } from 'pino';
import { resolveConfig } from '../../src/app/config/load.js';
import { createKafkajsClient, type KafkaClient } from '../../src/adapters/kafka/index.js';
import { startService } from '../../src/app/service.js';
import { encodeEvents, referenceDir } from './events.js';
import { collectGarbage, progress, report } from './harness.js';

const BROKERS = (process.env.BENCH_KAFKA_BROKERS ?? process.env.KAFKA_BROKERS ?? '127.0.0.1:9092').split(',');
const EVENTS = Number(process.env.BENCH_STREAM_EVENTS ?? 5_000_000);
const FIRST = Math.min(1_000_000, Math.floor(EVENTS / 5));
const FEATURES = 20;
const CHUNK = 50_000;
const PRODUCE_BATCH = 1_000;
const STEP_MS = 10;

const logger = pino({ level: process.env.BENCH_LOG_LEVEL ?? 'silent' });
const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));
const id = `${Date.now().toString(36)}${Math.random().toString(36).slice(2, 6)}`;
const kafka: KafkaClient = createKafkajsClient({ brokers: BROKERS, clientId: 'driftwatch-bench', connectionTimeoutMs: 3000 }, logger);
const mib = (bytes: number) => bytes / 1_048_576;
const rss = () => {
  collectGarbage();
  return process.memoryUsage().rss;
};

async function waitUntil(what: string, timeoutMs: number, done: () => boolean | Promise<boolean>, pollMs = 20): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!(await done())) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(pollMs);
  }
}

const admin = await kafka.admin().catch((error: Error) => {
  console.error(`Kafka is not reachable on ${BROKERS.join(',')} (${error.message}): start it with npm run services:up`);
  process.exit(1);
});
const { dir } = await referenceDir(FEATURES);
const topic = `bench-stream-memory-${id}`;
await admin.ensureTopics([{ topic, partitions: 1, config: { 'retention.ms': '600000', 'segment.bytes': '104857600' } }]);

progress(`producing ${EVENTS.toLocaleString()} events with ${FEATURES} features to ${topic}, ${CHUNK.toLocaleString()} encoded at a time`);
const producer = kafka.producer();
await producer.connect();
const start = Date.now() - EVENTS * STEP_MS - 3_600_000;
const p0 = performance.now();
let bytes = 0;
for (let from = 0; from < EVENTS; from += CHUNK) {
  const n = Math.min(CHUNK, EVENTS - from);
  const encoded = encodeEvents(n, FEATURES, start + from * STEP_MS, STEP_MS, 7 + from);
  bytes += encoded.bytes;
  for (let i = 0; i < n; i += PRODUCE_BATCH)
    await producer.send(
      topic,
      encoded.values.slice(i, i + PRODUCE_BATCH).map((value) => ({ value })),
    );
}
await producer.disconnect();
const produceS = (performance.now() - p0) / 1000;

/** RSS after GC once `FIRST` and once every event has passed `count()`. */
async function checkpoints(what: string, count: () => number | Promise<number>): Promise<{ first: number; last: number; seconds: number }> {
  const t0 = performance.now();
  await waitUntil(`${FIRST} events in ${what}`, 600_000, async () => (await count()) >= FIRST);
  const first = rss();
  await waitUntil(`${EVENTS} events in ${what}`, 600_000, async () => (await count()) >= EVENTS);
  return { first, last: rss(), seconds: (performance.now() - t0) / 1000 };
}

progress('bare consume loop (baseline)');
let bareCount = 0;
const bare = kafka.consumer({ groupId: `bench-stream-bare-${id}`, topics: [topic], fromBeginning: true });
await bare.start({
  onBatch: async (batch, context) => {
    bareCount += batch.messages.length;
    context.resolveOffset(batch.messages[batch.messages.length - 1].offset);
  },
});
const bareRun = await checkpoints('the bare loop', () => bareCount);
await bare.stop();

progress('service');
const config = resolveConfig(
  {},
  {
    KAFKA_BROKERS: BROKERS.join(','),
    HTTP_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    KAFKA_TOPIC: topic,
    KAFKA_GROUP_ID: `bench-stream-service-${id}`,
    DRIFT_EVENTS_TOPIC: `bench-stream-drift-${id}`,
    DEAD_LETTER_TOPIC: `bench-stream-dlq-${id}`,
    REFERENCE_DIR: dir,
  },
).config;
const service = await startService(config, { logger });
const consumed = async () => (await service.metrics.eventsConsumed.get()).values.reduce((s, v) => s + v.value, 0);
const serviceRun = await checkpoints('the service', consumed);
await service.pipeline.idle();
const invalid = (await service.metrics.eventsInvalid.get()).values.reduce((s, v) => s + v.value, 0);
await service.stop();
await admin.disconnect();

const change = (run: { first: number; last: number }) => (Math.abs(run.last - run.first) / run.first) * 100;
const k = (n: number) => `${n / 1_000_000} M`;
report('stream-memory (issue 17 item 4, real broker)', [
  {
    name: `service RSS after ${k(FIRST)} events`,
    value: mib(serviceRun.first),
    unit: 'MiB',
    baseline: { name: 'bare consume loop', value: mib(bareRun.first) },
    note: `produced ${(mib(bytes) / 1024).toFixed(2)} GiB at ${Math.round(EVENTS / produceS).toLocaleString()} ev/s; ${invalid} dead letters`,
  },
  { name: `service RSS after ${k(EVENTS)} events`, value: mib(serviceRun.last), unit: 'MiB', baseline: { name: 'bare consume loop', value: mib(bareRun.last) } },
  {
    name: `service RSS |change| ${k(FIRST)} → ${k(EVENTS)}`,
    value: change(serviceRun),
    unit: '%',
    baseline: { name: 'bare consume loop', value: change(bareRun) },
    target: { kind: 'max', value: 10 },
    note: `${k(FIRST)} → ${k(EVENTS)} took the service ${serviceRun.seconds.toFixed(0)} s, the bare loop ${bareRun.seconds.toFixed(0)} s`,
  },
]);
process.exit(0);
