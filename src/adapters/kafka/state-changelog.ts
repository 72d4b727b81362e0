import { randomUUID } from 'node:crypto';
import type { ChangelogStore } from '../../runtime/delivery/changelog.js';
import type { KafkaClient, Producer } from './types.js';

/** The compacted topic holding the per-(model, version) state of a consumer group. */
export function stateChangelogTopic(groupId: string): string {
  return `${groupId}-state-changelog`;
}

/** Its topic configuration: compacted, so the log keeps the latest value of every key. */
export const STATE_CHANGELOG_CONFIG: Record<string, string> = { 'cleanup.policy': 'compact', 'min.compaction.lag.ms': '0' };

/**
 * The state changelog on a compacted Kafka topic (docs/windows-and-delivery.md, "Durable
 * state"). Writes go through the service's producer (acks from all in-sync replicas); reading
 * it back uses a short-lived consumer of a throwaway group that commits nothing (kafkajs has no
 * group-less consumer), from the beginning to the high watermarks taken when the read starts.
 */
export class KafkaChangelogStore implements ChangelogStore {
  constructor(
    private readonly kafka: KafkaClient,
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly options: { readTimeoutMs?: number } = {},
  ) {}

  async readAll(): Promise<Map<string, string>> {
    const admin = await this.kafka.admin();
    let high: { partition: number; high: string }[];
    try {
      high = await admin.topicOffsets(this.topic);
    } finally {
      await admin.disconnect();
    }
    const want = new Map(high.map((h) => [h.partition, Number(h.high)]));
    const state = new Map<string, string>();
    if ([...want.values()].every((n) => n === 0)) return state;
    const seen = new Map<number, number>();
    const done = () => [...want].every(([p, n]) => (seen.get(p) ?? 0) >= n);
    const consumer = this.kafka.consumer({ groupId: `${this.topic}-restore-${randomUUID()}`, topics: [this.topic], fromBeginning: true });
    let finish: () => void = () => undefined;
    const finished = new Promise<void>((resolve) => (finish = resolve));
    await consumer.start({
      onBatch: async (batch, context) => {
        for (const m of batch.messages) {
          // Offsets may have gaps (compaction); the last record before the high watermark is
          // always kept (the active segment is never compacted).
          if (Number(m.offset) >= (want.get(batch.partition) ?? 0)) break;
          const key = m.key?.toString();
          if (key !== undefined) {
            if (m.value === null) state.delete(key);
            else state.set(key, m.value.toString());
          }
          seen.set(batch.partition, Number(m.offset) + 1);
          context.resolveOffset(m.offset);
        }
        if (done()) finish();
      },
    });
    const timeoutMs = this.options.readTimeoutMs ?? 60_000;
    let timer: NodeJS.Timeout | undefined;
    try {
      await Promise.race([
        finished,
        new Promise<never>((_, reject) => {
          timer = setTimeout(() => reject(new Error(`reading the state changelog ${this.topic} took more than ${timeoutMs} ms`)), timeoutMs);
        }),
      ]);
      return state;
    } finally {
      clearTimeout(timer);
      await consumer.stop();
    }
  }

  async write(records: { key: string; value: string | null }[]): Promise<void> {
    for (let i = 0; i < records.length; i += 500) await this.producer.send(this.topic, records.slice(i, i + 500));
  }
}
