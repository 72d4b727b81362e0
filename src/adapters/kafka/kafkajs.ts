import { Kafka, logLevel, Partitioners, type ConfigResourceTypes, type Consumer, type SASLOptions } from 'kafkajs';
import type { Logger } from 'pino';
import { WorkerGroupConsumer } from './consumer-thread.js';
import type {
  Admin,
  CommittedOffset,
  GroupConsumer,
  GroupConsumerHandlers,
  GroupConsumerOptions,
  InboundMessage,
  KafkaClient,
  KafkaConnection,
  OffsetCommit,
  Producer,
  TopicPartitions,
} from './types.js';

/** The kafkajs implementation of the Kafka seam (the only file importing kafkajs). */
/**
 * Broker errors a fresh or rebalancing cluster answers with for a while and that kafkajs retries
 * by itself (its `retriable` protocol errors); kafkajs logs each at error level, which on a
 * new broker fills the log with errors that fix themselves. They are logged as warnings.
 */
const TRANSIENT_BROKER_ERRORS = [
  'The group coordinator is not available',
  'This is not the correct coordinator for this group',
  "The coordinator is loading and hence can't process requests",
  'This server does not host this topic-partition',
  'There is no leader for this topic-partition',
  'This server is not the leader for that topic-partition',
  'The group is rebalancing, so a rejoin is needed',
  // A commit of a generation that a rebalance ended (a member SIGKILLed): kafkajs rejoins.
  'Specified group generation id is not valid',
];

/**
 * Error answers whose outcome the kafkajs call hands to its caller, logged by kafkajs's
 * connection at error level anyway. CreateTopics answers "Topic creation errors" when another
 * instance created the topic first (instances started together, the internal topic of
 * SCALE_MODE=partitioned); createTopics counts that as done and throws any other failure to
 * ensureTopics' caller, which reports it. Logged as warnings too.
 */
const CALLER_HANDLED_ERRORS = ['Topic creation errors'];

/** Whether a kafkajs log entry reports one of TRANSIENT_BROKER_ERRORS or CALLER_HANDLED_ERRORS (in its error or its message). */
export function isTransient(log: { message?: unknown; error?: unknown }): boolean {
  const text = `${typeof log.error === 'string' ? log.error : ''} ${typeof log.message === 'string' ? log.message : ''}`;
  return TRANSIENT_BROKER_ERRORS.some((known) => text.includes(known)) || CALLER_HANDLED_ERRORS.some((known) => text.includes(known));
}

export function createKafkajsClient(connection: KafkaConnection, logger?: Logger): KafkaClient {
  const kafka = new Kafka({
    clientId: connection.clientId,
    brokers: connection.brokers,
    ssl: connection.ssl,
    sasl: connection.sasl as SASLOptions | undefined,
    connectionTimeout: connection.connectionTimeoutMs ?? 3000,
    logLevel: logLevel.WARN,
    logCreator: () => (entry) => {
      const { message, ...rest } = entry.log;
      const level = entry.level <= logLevel.ERROR ? (isTransient(entry.log) ? 'warn' : 'error') : entry.level === logLevel.WARN ? 'warn' : 'debug';
      logger?.[level]({ kafka: entry.namespace, ...rest }, message);
    },
  });
  return {
    consumer: (options) => (options.thread === 'worker' ? new WorkerGroupConsumer(connection, { ...options, thread: 'main' }, logger) : new KafkajsGroupConsumer(kafka, options)),
    producer: () => kafkajsProducer(kafka),
    admin: async () => kafkajsAdmin(kafka),
  };
}

/** No fetch or heartbeat answered for this long: the broker counts as lost (fetches wait at most 5 s). */
const BROKER_SILENCE_MS = 15_000;

class KafkajsGroupConsumer implements GroupConsumer {
  private readonly consumer: Consumer;
  joined = false;
  private contactOk = false;
  private lastContactMs = 0;

  get brokerReachable(): boolean {
    return this.joined && this.contactOk && Date.now() - this.lastContactMs <= BROKER_SILENCE_MS;
  }

  private contact(ok: boolean): void {
    this.contactOk = ok;
    if (ok) this.lastContactMs = Date.now();
  }

  constructor(
    private readonly kafka: Kafka,
    private readonly options: GroupConsumerOptions,
  ) {
    this.consumer = kafka.consumer({
      groupId: options.groupId,
      sessionTimeout: options.sessionTimeoutMs ?? 30_000,
      heartbeatInterval: options.heartbeatIntervalMs ?? 3_000,
      maxBytesPerPartition: options.maxBytesPerPartition ?? 1_048_576,
      allowAutoTopicCreation: false,
    });
  }

  async start(handlers: GroupConsumerHandlers): Promise<void> {
    const { consumer } = this;
    // kafkajs has no on-revoke callback (tulios/kafkajs#916): the GROUP_JOIN event carries the
    // new assignment, from which the caller drops and rebuilds per-partition state.
    consumer.on(consumer.events.GROUP_JOIN, (event) => {
      this.joined = true;
      const assignment: TopicPartitions[] = Object.entries(event.payload.memberAssignment).map(([topic, partitions]) => ({
        topic,
        partitions: [...(partitions as number[])].sort((a, b) => a - b),
      }));
      // No error may escape as an unhandled rejection (issue 16: a rejoin during shutdown called
      // seek() on a stopping consumer and crashed the process): a failure is a crash the
      // client does not restart, which the source turns into a clean stop.
      Promise.resolve()
        .then(() => handlers.onAssignment?.(assignment))
        .catch((error: unknown) => handlers.onCrash?.(error instanceof Error ? error : new Error(String(error)), false));
    });
    // Health that tells the truth (issue 16): every answer from the broker marks it reachable,
    // a timeout, a disconnect or a crash marks it lost at once.
    consumer.on(consumer.events.FETCH, () => this.contact(true));
    consumer.on(consumer.events.HEARTBEAT, () => this.contact(true));
    consumer.on(consumer.events.GROUP_JOIN, () => this.contact(true));
    consumer.on(consumer.events.REQUEST_TIMEOUT, () => this.contact(false));
    consumer.on(consumer.events.DISCONNECT, () => this.contact(false));
    consumer.on(consumer.events.CRASH, (event) => {
      this.contact(false);
      this.joined = false;
      handlers.onCrash?.(event.payload.error, event.payload.restart);
    });
    await consumer.connect();
    await consumer.subscribe({ topics: this.options.topics, fromBeginning: this.options.fromBeginning ?? true });
    await consumer.run({
      autoCommit: false,
      eachBatchAutoResolve: false,
      partitionsConsumedConcurrently: 1,
      eachBatch: async ({ batch, isRunning, isStale, heartbeat, resolveOffset }) => {
        const messages: InboundMessage[] = batch.messages.map((m) => ({
          topic: batch.topic,
          partition: batch.partition,
          offset: m.offset,
          timestampMs: Number(m.timestamp),
          key: m.key,
          value: m.value,
          headers: stringHeaders(m.headers),
        }));
        await handlers.onBatch({ topic: batch.topic, partition: batch.partition, messages, highWatermark: batch.highWatermark }, { isRunning, isStale, heartbeat, resolveOffset });
      },
    });
  }

  async commit(offsets: OffsetCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    await this.consumer.commitOffsets(offsets.map((o) => ({ topic: o.topic, partition: o.partition, offset: o.offset, metadata: o.metadata ?? null })));
  }

  async committed(topic: string): Promise<CommittedOffset[]> {
    const admin = this.adminFor();
    await admin.connect();
    try {
      const [result] = await admin.fetchOffsets({ groupId: this.options.groupId, topics: [topic] });
      return (result?.partitions ?? []).map((p) => ({ partition: p.partition, offset: p.offset, metadata: p.metadata ?? null }));
    } finally {
      await admin.disconnect();
    }
  }

  private adminFor() {
    // kafkajs consumers cannot read committed offsets themselves; a short-lived admin on the
    // same cluster does (with their metadata).
    return this.kafka.admin();
  }

  seek(topic: string, partition: number, offset: string): void {
    this.consumer.seek({ topic, partition, offset });
  }

  pause(topics: TopicPartitions[]): void {
    this.consumer.pause(topics);
  }

  resume(topics: TopicPartitions[]): void {
    this.consumer.resume(topics);
  }

  async stop(): Promise<void> {
    await this.consumer.disconnect();
    this.joined = false;
  }
}

function stringHeaders(headers: Record<string, unknown> | undefined): Record<string, string> {
  const out: Record<string, string> = {};
  if (headers === undefined) return out;
  // for…in rather than Object.entries: no array per message on the common header-less path.
  for (const key in headers) {
    if (!Object.hasOwn(headers, key)) continue;
    const value = headers[key];
    if (value === undefined) continue;
    out[key] = Array.isArray(value) ? value.map(String).join(',') : Buffer.isBuffer(value) ? value.toString('utf8') : String(value);
  }
  return out;
}

function kafkajsProducer(kafka: Kafka): Producer {
  const producer = kafka.producer({
    createPartitioner: Partitioners.DefaultPartitioner,
    allowAutoTopicCreation: false,
    idempotent: false,
    maxInFlightRequests: 1,
  });
  return {
    connect: () => producer.connect(),
    disconnect: () => producer.disconnect(),
    async send(topic, messages) {
      if (messages.length === 0) return;
      await producer.send({
        topic,
        acks: -1,
        messages: messages.map((m) => ({ key: m.key ?? null, value: m.value, headers: m.headers, partition: m.partition })),
      });
    },
  };
}

/** ConfigResourceTypes.TOPIC: kafkajs is CommonJS and Node's ESM loader does not see that enum as a named export. */
const TOPIC_RESOURCE = 2 as ConfigResourceTypes;

async function kafkajsAdmin(kafka: Kafka): Promise<Admin> {
  const admin = kafka.admin();
  await admin.connect();
  return {
    async ensureTopics(topics) {
      const existing = new Set(await admin.listTopics());
      const missing = topics.filter((t) => !existing.has(t.topic));
      if (missing.length === 0) return;
      await admin.createTopics({
        waitForLeaders: true,
        topics: missing.map((t) => ({
          topic: t.topic,
          numPartitions: t.partitions ?? 1,
          replicationFactor: -1,
          ...(t.config ? { configEntries: Object.entries(t.config).map(([name, value]) => ({ name, value })) } : {}),
        })),
      });
    },
    async topicConfig(topic, names) {
      const described = await admin.describeConfigs({ includeSynonyms: false, resources: [{ type: TOPIC_RESOURCE, name: topic, configNames: names }] });
      const out: Record<string, string> = {};
      for (const resource of described.resources) for (const entry of resource.configEntries) out[entry.configName] = entry.configValue;
      return out;
    },
    listTopics: () => admin.listTopics(),
    async topicOffsets(topic) {
      const offsets = await admin.fetchTopicOffsets(topic);
      return offsets.map((o) => ({ partition: o.partition, high: o.high }));
    },
    disconnect: () => admin.disconnect(),
  };
}
