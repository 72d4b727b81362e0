/**
 * The one seam between driftwatch and its Kafka client. Everything outside src/kafka/ talks to
 * these interfaces; src/kafka/kafkajs.ts is the only file that imports kafkajs (no longer
 * actively maintained), so replacing the client touches one file.
 */
export interface KafkaConnection {
  brokers: string[];
  clientId: string;
  ssl?: boolean;
  sasl?: { mechanism: 'plain' | 'scram-sha-256' | 'scram-sha-512'; username: string; password: string };
  /** Milliseconds to wait for a broker connection. */
  connectionTimeoutMs?: number;
}

export interface InboundMessage {
  topic: string;
  partition: number;
  /** Offset as a decimal string (Kafka offsets are 64-bit). */
  offset: string;
  /** Record timestamp, epoch milliseconds. */
  timestampMs: number;
  key: Buffer | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface OutboundMessage {
  key?: string | Buffer | null;
  /** null: a tombstone (deletes the key from a compacted topic). */
  value: string | Buffer | null;
  headers?: Record<string, string>;
  partition?: number;
}

export interface BatchContext {
  /** False once stop() was called: finish the message in hand and return. */
  isRunning(): boolean;
  /** True when a rebalance made this batch's partition no longer ours. */
  isStale(): boolean;
  heartbeat(): Promise<void>;
  /**
   * Marks a message as handled: the next fetch of this partition starts after it. Unresolved
   * messages are fetched again. (This moves the read position only; commits are explicit.)
   */
  resolveOffset(offset: string): void;
}

export interface InboundBatch {
  topic: string;
  partition: number;
  messages: InboundMessage[];
  /** Partition high watermark (next offset to be written), for lag. */
  highWatermark: string;
}

export interface TopicPartitions {
  topic: string;
  partitions: number[];
}

export interface OffsetCommit {
  topic: string;
  partition: number;
  /** The next offset to read. */
  offset: string;
  /** Stored with the commit (driftwatch keeps the last evaluated window end here). */
  metadata?: string;
}

export interface CommittedOffset {
  partition: number;
  offset: string;
  metadata: string | null;
}

export interface GroupConsumerOptions {
  groupId: string;
  topics: string[];
  /** Read from the earliest offset when the group has no committed offset. Default true. */
  fromBeginning?: boolean;
  sessionTimeoutMs?: number;
  heartbeatIntervalMs?: number;
  /** Upper bound on bytes fetched per partition per request. */
  maxBytesPerPartition?: number;
  /**
   * Where the client runs: `main` (default) or `worker`, a worker thread that fetches and
   * decodes, handing batches over as transferred buffers (KAFKA_CONSUMER_THREAD).
   */
  thread?: 'main' | 'worker';
}

export interface GroupConsumerHandlers {
  /**
   * Called for each fetched batch, one at a time per partition. The consumer does not fetch
   * more for a partition while its batch is being handled: awaiting here is backpressure.
   */
  onBatch(batch: InboundBatch, context: BatchContext): Promise<void>;
  /** The partitions this member owns after a (re)join. */
  onAssignment?(assignment: TopicPartitions[]): void | Promise<void>;
  /** The consumer crashed; `restarting` says whether the client restarts it by itself. */
  onCrash?(error: Error, restarting: boolean): void;
}

export interface GroupConsumer {
  start(handlers: GroupConsumerHandlers): Promise<void>;
  /** Commits explicit offsets (no automatic commits are made). */
  commit(offsets: OffsetCommit[]): Promise<void>;
  /** Offsets committed for the group on a topic (-1 when none). */
  committed(topic: string): Promise<CommittedOffset[]>;
  /** Moves the next fetch of a partition to `offset` (to re-read and rebuild state). */
  seek(topic: string, partition: number, offset: string): void;
  pause(topics: TopicPartitions[]): void;
  resume(topics: TopicPartitions[]): void;
  /** True once the group was joined and partitions assigned. */
  readonly joined: boolean;
  /**
   * False as soon as the consumer loses the broker (a crash, a disconnect, a request timeout,
   * or no fetch or heartbeat answered for a while); true again on the next answer. Absent:
   * unknown (then `joined` alone tells).
   */
  readonly brokerReachable?: boolean;
  /** Stops fetching, waits for the batch in hand, leaves the group. */
  stop(): Promise<void>;
}

export interface Producer {
  connect(): Promise<void>;
  send(topic: string, messages: OutboundMessage[]): Promise<void>;
  disconnect(): Promise<void>;
}

export interface Admin {
  /** Creates the topics that are missing (with `config` entries such as cleanup.policy). */
  ensureTopics(topics: { topic: string; partitions?: number; config?: Record<string, string> }[]): Promise<void>;
  /** A topic's effective configuration values (broker defaults included), by name; absent when unreadable. */
  topicConfig?(topic: string, names: string[]): Promise<Record<string, string>>;
  listTopics(): Promise<string[]>;
  /** Latest offset (high watermark) per partition. */
  topicOffsets(topic: string): Promise<{ partition: number; high: string }[]>;
  disconnect(): Promise<void>;
}

export interface KafkaClient {
  consumer(options: GroupConsumerOptions): GroupConsumer;
  producer(): Producer;
  admin(): Promise<Admin>;
}
