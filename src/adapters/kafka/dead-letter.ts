import { SinkError } from '../../core/errors.js';
import type { DeadLetter, DeadLetterReceipt, DeadLetterSink } from '../../runtime/ports.js';
import type { OutboundMessage, Producer } from './types.js';

/** Header names on dead-lettered messages (the original headers are kept too, when they fit). */
export const DLQ_HEADERS = {
  reason: 'dlq_reason',
  detail: 'dlq_detail',
  path: 'dlq_path',
  model: 'dlq_model',
  topic: 'dlq_source_topic',
  partition: 'dlq_source_partition',
  offset: 'dlq_source_offset',
  timestamp: 'dlq_source_timestamp',
  /** "true" when the payload (or key, or original headers) was cut to fit the topic. */
  truncated: 'dlq_truncated',
  /** Size in bytes of the original payload, when it was cut. */
  originalSize: 'dlq_original_size',
  /** Size in bytes of the original key, when it was cut. */
  originalKeySize: 'dlq_original_key_size',
  /** Number of original headers left out because they did not fit. */
  headersDropped: 'dlq_headers_dropped',
} as const;

/**
 * Kafka's default `max.message.bytes` (1 MiB + 12) less a margin: what is assumed when the
 * dead-letter topic's own limit cannot be read.
 */
export const DEFAULT_DLQ_MAX_MESSAGE_BYTES = 1_000_000;
/** Bytes kept free per produce request for the record-batch header (61 B) and per-record framing. */
const BATCH_OVERHEAD = 256;
const RECORD_OVERHEAD = 64;
const MAX_KEY_BYTES = 1024;
const MAX_DETAIL_CHARS = 1000;

export interface KafkaDeadLetterOptions {
  /**
   * The dead-letter topic's `max.message.bytes` (read from the broker at start). Every message
   * is cut to fit it, and every produce request stays below it, so a write can never fail for
   * its size and be retried forever.
   */
  maxMessageBytes?: number;
}

/**
 * Dead letters to a Kafka topic: the original bytes and key, the reason and the source
 * (topic, partition, offset) in headers. A dead letter that would exceed the topic's
 * `max.message.bytes` is written with its payload cut to fit, the cut and the original size in
 * headers (`dlq_truncated`, `dlq_original_size`): the source coordinates find the original.
 */
export class KafkaDeadLetterSink implements DeadLetterSink {
  readonly maxMessageBytes: number;

  constructor(
    private readonly producer: Producer,
    readonly topic: string,
    options: KafkaDeadLetterOptions = {},
  ) {
    this.maxMessageBytes = Math.max(4096, options.maxMessageBytes ?? DEFAULT_DLQ_MAX_MESSAGE_BYTES);
  }

  async send(items: DeadLetter[]): Promise<DeadLetterReceipt> {
    const truncated: DeadLetter[] = [];
    if (items.length === 0) return { truncated };
    const budget = this.maxMessageBytes - BATCH_OVERHEAD;
    // One produce request per chunk whose records together fit the limit: the broker checks
    // each record batch (all records of one partition in a request) against max.message.bytes.
    let chunk: OutboundMessage[] = [];
    let chunkBytes = 0;
    const chunks: OutboundMessage[][] = [];
    for (const item of items) {
      const { message, bytes, cut } = fitDeadLetter(item, budget);
      if (cut) truncated.push(item);
      if (chunk.length > 0 && chunkBytes + bytes > budget) {
        chunks.push(chunk);
        chunk = [];
        chunkBytes = 0;
      }
      chunk.push(message);
      chunkBytes += bytes;
    }
    if (chunk.length > 0) chunks.push(chunk);
    try {
      for (const c of chunks) await this.producer.send(this.topic, c);
    } catch (cause) {
      throw new SinkError(`dead-letter topic "${this.topic}": ${(cause as Error).message}`, { retriable: true, cause, context: { topic: this.topic } });
    }
    return { truncated };
  }
}

const byteLength = (v: Buffer | string | null | undefined): number => (v == null ? 0 : typeof v === 'string' ? Buffer.byteLength(v) : v.length);

function headerBytes(headers: Record<string, string>): number {
  let n = 0;
  for (const [k, v] of Object.entries(headers)) n += Buffer.byteLength(k) + Buffer.byteLength(v) + 10;
  return n;
}

/** Cuts a buffer to at most `max` bytes (a string is cut on a UTF-8 boundary-agnostic byte basis). */
function cut(value: Buffer | string, max: number): Buffer {
  const buf = typeof value === 'string' ? Buffer.from(value) : value;
  return buf.length <= max ? buf : buf.subarray(0, Math.max(0, max));
}

/**
 * The Kafka message of one dead letter, within `budget` bytes: the driftwatch headers always
 * (the detail cut to 1,000 characters), the original headers when they fit in a quarter of the
 * budget, the key up to 1 KB, and the payload in what remains.
 */
export function fitDeadLetter(item: DeadLetter, budget: number): { message: OutboundMessage; bytes: number; cut: boolean } {
  const detail = item.failure.detail.length > MAX_DETAIL_CHARS ? `${item.failure.detail.slice(0, MAX_DETAIL_CHARS)}…` : item.failure.detail;
  const model = item.failure.model !== undefined && item.failure.model.length > 256 ? `${item.failure.model.slice(0, 256)}…` : item.failure.model;
  const own: Record<string, string> = {
    [DLQ_HEADERS.reason]: item.failure.reason,
    [DLQ_HEADERS.detail]: detail,
    ...(item.failure.path ? { [DLQ_HEADERS.path]: item.failure.path.slice(0, 256) } : {}),
    ...(model ? { [DLQ_HEADERS.model]: model } : {}),
    [DLQ_HEADERS.topic]: item.source.topic,
    [DLQ_HEADERS.partition]: String(item.source.partition),
    [DLQ_HEADERS.offset]: String(item.source.offset),
    [DLQ_HEADERS.timestamp]: String(item.source.timestampMs),
  };
  let wasCut = false;
  let original = item.headers;
  const originalBytes = headerBytes(original);
  const extra: Record<string, string> = {};
  if (originalBytes > budget / 4) {
    extra[DLQ_HEADERS.headersDropped] = String(Object.keys(original).length);
    original = {};
    wasCut = true;
  }
  let key: Buffer | string | null = item.key;
  const keyBytes = byteLength(key);
  if (keyBytes > MAX_KEY_BYTES) {
    key = cut(key!, MAX_KEY_BYTES);
    extra[DLQ_HEADERS.originalKeySize] = String(keyBytes);
    wasCut = true;
  }
  let value: Buffer | string = item.value ?? '';
  const valueBytes = byteLength(value);
  // Reserve the cut headers up front, so that adding them cannot overflow the budget.
  const cutHeaders = { [DLQ_HEADERS.truncated]: 'true', [DLQ_HEADERS.originalSize]: String(valueBytes) };
  const fixed = RECORD_OVERHEAD + headerBytes(own) + headerBytes(original) + headerBytes(extra) + headerBytes(cutHeaders) + byteLength(key);
  if (fixed + valueBytes > budget) {
    value = cut(value, budget - fixed);
    wasCut = true;
  }
  const headers = { ...original, ...own, ...extra, ...(wasCut ? cutHeaders : {}) };
  const bytes = RECORD_OVERHEAD + headerBytes(headers) + byteLength(key) + byteLength(value);
  return { message: { key, value, headers }, bytes, cut: wasCut };
}
