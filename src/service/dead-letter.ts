import type { Logger } from 'pino';
import type { Producer } from '../kafka/index.js';
import type { DecodeFailure } from '../source/event.js';
import { SinkError } from '../errors.js';

/** A message that could not be used, with the reason, bound for the dead-letter topic. */
export interface DeadLetter {
  value: Buffer | string | null;
  key: Buffer | string | null;
  headers: Record<string, string>;
  failure: DecodeFailure;
  source: { topic: string; partition: number; offset: number; timestampMs: number };
}

export interface DeadLetterSink {
  send(items: DeadLetter[]): Promise<void>;
}

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
  constructor(private readonly producer: Producer, readonly topic: string) {}

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

/** Dead letters of a recorded stream: one warning each, naming the line and the reason. */
export class LogDeadLetterSink implements DeadLetterSink {
  readonly received: DeadLetter[] = [];

  constructor(private readonly logger: Logger, private readonly keep = false) {}

  async send(items: DeadLetter[]): Promise<void> {
    for (const item of items) {
      if (this.keep) this.received.push(item);
      this.logger.warn({ line: item.source.offset + 1, reason: item.failure.reason, path: item.failure.path }, `dead letter: ${item.failure.detail}`);
    }
  }
}
