// `driftwatch demo-producer`'s own log: the counts once at the end (the command used to repeat
// runDemoProducer's "demo producer stopped" line, seen running the README's feature-store steps).
import { describe, expect, it } from 'vitest';
import { demoProducerCommand } from '../../../src/app/commands/demo-producer.js';
import type { KafkaClient } from '../../../src/adapters/kafka/index.js';

describe('driftwatch demo-producer', () => {
  it('logs "demo producer stopped" once, with the counts', async () => {
    const sent: unknown[] = [];
    const kafka = {
      consumer: () => {
        throw new Error('not used');
      },
      producer: () => ({ connect: async () => undefined, disconnect: async () => undefined, send: async (_t: string, m: unknown[]) => void sent.push(...m) }),
      admin: async () => ({ ensureTopics: async () => undefined, topicOffsets: async () => [], listTopics: async () => [], disconnect: async () => undefined }),
    } as unknown as KafkaClient;
    const stderr: string[] = [];
    const io = {
      stdout: () => undefined,
      stderr: (t: string) => void stderr.push(t),
      env: { KAFKA_BROKERS: '127.0.0.1:1', LOG_LEVEL: 'info' },
      kafka,
      stdin: (async function* () {})(),
    };
    const code = await demoProducerCommand(
      { rate: 1_000_000, driftAfter: '0s', model: 'credit-risk', modelVersion: 'v1.2.0', seed: 1, partitions: 1, maxEvents: 5, createTopic: false },
      io,
    );
    expect(code).toBe(0);
    expect(sent).toHaveLength(5);
    const stopped = stderr
      .join('')
      .split('\n')
      .filter((l) => l.includes('"msg":"demo producer stopped"'));
    expect(stopped).toHaveLength(1);
    expect(JSON.parse(stopped[0]!)).toMatchObject({ sent: 5, drifted: 5 });
  });
});
