// Smoke test of the Kafka paths driftwatch uses, through kafkajs against the real broker that
// test/setup/global-setup.ts provides: topic creation, produce, consume in a consumer group
// with explicit commits (offset + metadata), and a second member of the group resuming after
// the committed offsets.
import { randomUUID } from 'node:crypto';
import { Kafka, logLevel, Partitioners, type Admin, type Consumer, type Producer } from 'kafkajs';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const brokers = inject('kafkaBrokers').split(',');
const runId = `${Date.now()}-${randomUUID().slice(0, 8)}`;
const topic = `driftwatch-smoke-${runId}`;
const groupId = `driftwatch-smoke-group-${runId}`;

const kafka = new Kafka({
  clientId: 'driftwatch-smoke',
  brokers,
  logLevel: logLevel.WARN,
  retry: { retries: 8, initialRetryTime: 200 },
});

let admin: Admin;
let producer: Producer;
const consumers: Consumer[] = [];

async function waitFor(cond: () => boolean, timeoutMs: number, what: string): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

interface Received {
  partition: number;
  offset: string;
  key: string;
  value: string;
}

/**
 * Joins the group, consumes until `expected` messages arrived, commits each partition's next
 * offset (with metadata, as the product will), leaves the group, returns what it read.
 */
async function consumeAndCommit(expected: number, metadata: string): Promise<Received[]> {
  const consumer = kafka.consumer({
    groupId,
    sessionTimeout: 10_000,
    heartbeatInterval: 1_000,
    maxWaitTimeInMs: 200,
  });
  consumers.push(consumer);
  const received: Received[] = [];
  await consumer.connect();
  await consumer.subscribe({ topic, fromBeginning: true });
  await consumer.run({
    autoCommit: false,
    eachMessage: async ({ partition, message }) => {
      received.push({
        partition,
        offset: message.offset,
        key: message.key?.toString() ?? '',
        value: message.value?.toString() ?? '',
      });
    },
  });
  await waitFor(() => received.length >= expected, 60_000, `${expected} messages on ${topic}`);
  // Nothing beyond what is expected may arrive (a resumed consumer must not re-read).
  await new Promise((r) => setTimeout(r, 1_000));
  const next = new Map<number, bigint>();
  for (const m of received) {
    const o = BigInt(m.offset) + 1n;
    if ((next.get(m.partition) ?? -1n) < o) next.set(m.partition, o);
  }
  await consumer.commitOffsets([...next].map(([partition, offset]) => ({ topic, partition, offset: offset.toString(), metadata })));
  await consumer.disconnect();
  return received;
}

describe('kafka smoke (kafkajs)', () => {
  beforeAll(async () => {
    admin = kafka.admin();
    await admin.connect();
    producer = kafka.producer({ createPartitioner: Partitioners.DefaultPartitioner });
    await producer.connect();
  });

  afterAll(async () => {
    for (const c of consumers) await c.disconnect().catch(() => undefined);
    await producer?.disconnect().catch(() => undefined);
    if (admin) {
      await admin.deleteTopics({ topics: [topic] }).catch(() => undefined);
      await admin.deleteGroups([groupId]).catch(() => undefined);
      await admin.disconnect().catch(() => undefined);
    }
  });

  it('creates a topic with two partitions', async () => {
    const created = await admin.createTopics({
      topics: [{ topic, numPartitions: 2, replicationFactor: 1 }],
      waitForLeaders: true,
    });
    expect(created).toBe(true);
    expect(await admin.listTopics()).toContain(topic);
    const meta = await admin.fetchTopicMetadata({ topics: [topic] });
    expect(meta.topics[0]?.partitions).toHaveLength(2);
  });

  it('produces, consumes in a group, commits offsets, and a second member resumes after them', async () => {
    const batch = (n: number, first: number) =>
      Array.from({ length: n }, (_, i) => ({
        key: `k${first + i}`,
        value: JSON.stringify({ model: 'smoke', seq: first + i }),
        partition: (first + i) % 2,
      }));

    // First batch: 3 messages on partition 0, 3 on partition 1.
    const sent1 = await producer.send({ topic, messages: batch(6, 0), acks: -1 });
    expect(sent1.every((r) => r.errorCode === 0)).toBe(true);

    const first = await consumeAndCommit(6, 'window-end=1');
    expect(first.map((m) => m.key).sort()).toEqual(['k0', 'k1', 'k2', 'k3', 'k4', 'k5']);
    for (const m of first) expect(m.partition).toBe(Number(m.key.slice(1)) % 2);

    const committed = await admin.fetchOffsets({ groupId, topics: [topic] });
    const parts = committed.find((t) => t.topic === topic)?.partitions ?? [];
    expect(parts.map((p) => [p.partition, p.offset, p.metadata]).sort()).toEqual([
      [0, '3', 'window-end=1'],
      [1, '3', 'window-end=1'],
    ]);

    // Second batch; a new member of the same group must read only these.
    await producer.send({ topic, messages: batch(4, 6), acks: -1 });
    const second = await consumeAndCommit(4, 'window-end=2');
    expect(second.map((m) => m.key).sort()).toEqual(['k6', 'k7', 'k8', 'k9']);
    expect(second.every((m) => BigInt(m.offset) >= 3n)).toBe(true);

    const committed2 = await admin.fetchOffsets({ groupId, topics: [topic] });
    const parts2 = committed2.find((t) => t.topic === topic)?.partitions ?? [];
    expect(parts2.map((p) => [p.partition, p.offset]).sort()).toEqual([
      [0, '5'],
      [1, '5'],
    ]);
  });
});
