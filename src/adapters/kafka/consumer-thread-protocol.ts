/**
 * Messages between the main thread and the consumer worker (consumer-thread.ts,
 * consumer-thread-worker.ts). A batch travels as one buffer of values, one of keys and typed
 * arrays of bounds, offsets and timestamps, all transferred (not copied) to the main thread.
 */
import type { CommittedOffset, GroupConsumerOptions, KafkaConnection, OffsetCommit, TopicPartitions } from './types.js';

export interface ConsumerWorkerData {
  connection: KafkaConnection;
  options: GroupConsumerOptions;
}

export interface PackedBatch {
  type: 'batch';
  id: number;
  /** Seeks of this partition the worker had applied when the batch was fetched. */
  seekEpoch: number;
  topic: string;
  partition: number;
  highWatermark: string;
  count: number;
  /** Offsets (below 2^53, as every Kafka offset in practice). */
  offsets: Float64Array;
  timestamps: Float64Array;
  /** Value i is values[valueStarts[i], valueStarts[i + 1]); valueNull[i] = 1 for a null value. */
  values: ArrayBuffer;
  valueStarts: Int32Array;
  valueNull: Uint8Array;
  keys: ArrayBuffer;
  keyStarts: Int32Array;
  keyNull: Uint8Array;
  /** Headers of the messages that have any, by index (none on the common path). */
  headers: [number, Record<string, string>][];
}

export type FromWorker =
  | PackedBatch
  | { type: 'assignment'; assignment: TopicPartitions[] }
  | { type: 'crash'; error: string; restarting: boolean }
  | { type: 'state'; joined: boolean; reachable: boolean }
  | { type: 'reply'; id: number; error?: string; committed?: CommittedOffset[] }
  | { type: 'log'; level: 'error' | 'warn' | 'debug'; fields: Record<string, unknown>; message: string }
  | { type: 'started' }
  | { type: 'startFailed'; error: string };

export type ToWorker =
  /** The main thread has handled batch `id` up to `resolved` (null: nothing), or failed it. */
  | { op: 'done'; id: number; resolved: string | null; error?: string }
  | { op: 'heartbeat'; id: number }
  | { op: 'commit'; id: number; offsets: OffsetCommit[] }
  | { op: 'committed'; id: number; topic: string }
  | { op: 'seek'; topic: string; partition: number; offset: string }
  | { op: 'pause'; topics: TopicPartitions[] }
  | { op: 'resume'; topics: TopicPartitions[] }
  | { op: 'stop'; id: number };
