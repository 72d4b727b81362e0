import { SinkError } from '../../core/errors.js';
import type { DeadLetter, DeadLetterSink } from '../../runtime/ports.js';
import type { Producer } from './types.js';

/** Header names on dead-lettered messages (the original headers are kept too). */
export const DLQ_HEADERS = {
  reason: 'dlq_reason',
  detail: 'dlq_detail',
  path: 'dlq_path',
  model: 'dlq_model',
  topic: 'dlq_source_topic',
  partition: 'dlq_source_partition',
  offset: 'dlq_source_offset',
  timestamp: 'dlq_source_timestamp',
} as const;

/** Dead letters to a Kafka topic: the original bytes and key, the reason in headers. */
export class KafkaDeadLetterSink implements DeadLetterSink {
  constructor(
    private readonly producer: Producer,
    readonly topic: string,
  ) {}

  async send(items: DeadLetter[]): Promise<void> {
    if (items.length === 0) return;
    try {
      await this.producer.send(
        this.topic,
        items.map((item) => ({
          key: item.key,
          value: item.value ?? '',
          headers: {
            ...item.headers,
            [DLQ_HEADERS.reason]: item.failure.reason,
            [DLQ_HEADERS.detail]: item.failure.detail,
            ...(item.failure.path ? { [DLQ_HEADERS.path]: item.failure.path } : {}),
            ...(item.failure.model ? { [DLQ_HEADERS.model]: item.failure.model } : {}),
            [DLQ_HEADERS.topic]: item.source.topic,
            [DLQ_HEADERS.partition]: String(item.source.partition),
            [DLQ_HEADERS.offset]: String(item.source.offset),
            [DLQ_HEADERS.timestamp]: String(item.source.timestampMs),
          },
        })),
      );
    } catch (cause) {
      throw new SinkError(`dead-letter topic "${this.topic}": ${(cause as Error).message}`, { retriable: true, cause, context: { topic: this.topic } });
    }
  }
}
