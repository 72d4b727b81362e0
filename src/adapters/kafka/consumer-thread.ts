/**
 * KAFKA_CONSUMER_THREAD=worker: the source's group consumer on a worker thread
 * (consumer-thread-worker.ts), behind the same GroupConsumer seam. kafkajs fetches and decodes
 * there; each batch arrives as transferred buffers, and the main thread sees Buffer views into
 * them, one per message, as if kafkajs had handed them over. Handling a batch, resolving its
 * offsets and heartbeating keep their meaning (docs/windows-and-delivery.md): the worker is at
 * most one batch ahead, commits are the main thread's, and a batch fetched before a rebalance
 * or a seek counts as stale. docs/benchmarks.md ("Streaming") has what it measured.
 */
import { Worker } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ConsumerWorkerData, FromWorker, PackedBatch, ToWorker } from './consumer-thread-protocol.js';
import type { CommittedOffset, GroupConsumer, GroupConsumerHandlers, GroupConsumerOptions, InboundMessage, KafkaConnection, OffsetCommit, TopicPartitions } from './types.js';

const workerEntry = (() => {
  const self = import.meta.url;
  // Run from the sources (tsx, vitest) the entry is the .ts file and the worker needs tsx's loader.
  return self.endsWith('.ts') ? { url: new URL('./consumer-thread-worker.ts', self).href, tsx: true } : { url: new URL('./consumer-thread-worker.js', self).href, tsx: false };
})();

const BOOTSTRAP = `
const { workerData, parentPort } = require('node:worker_threads');
(async () => {
  if (workerData.tsx) (await import('tsx/esm/api')).register();
  await import(workerData.entry);
})().catch((error) => parentPort.postMessage({ type: 'startFailed', error: String((error && error.stack) || error) }));
`;

const EMPTY_HEADERS: Record<string, string> = Object.freeze({}) as Record<string, string>;

export class WorkerGroupConsumer implements GroupConsumer {
  private worker: Worker | null = null;
  private handlers: GroupConsumerHandlers | null = null;
  private nextRequest = 0;
  private readonly requests = new Map<number, { resolve: (reply: Extract<FromWorker, { type: 'reply' }>) => void; reject: (error: Error) => void }>();
  /** Rebalances seen: a batch delivered before the latest one is stale. */
  private assignments = 0;
  /** Seeks issued per partition (the worker echoes its count in each batch). */
  private readonly seeks = new Map<string, number>();
  private running = false;
  private state = { joined: false, reachable: false };
  /** Batches are handled one at a time, in the order they arrive. */
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly connection: KafkaConnection,
    private readonly options: GroupConsumerOptions,
    private readonly logger?: Logger,
  ) {}

  get joined(): boolean {
    return this.state.joined;
  }

  get brokerReachable(): boolean {
    return this.state.reachable;
  }

  start(handlers: GroupConsumerHandlers): Promise<void> {
    this.handlers = handlers;
    this.running = true;
    const data: ConsumerWorkerData = { connection: this.connection, options: this.options };
    const worker = new Worker(BOOTSTRAP, { eval: true, workerData: { ...data, entry: workerEntry.url, tsx: workerEntry.tsx } });
    this.worker = worker;
    return new Promise<void>((resolve, reject) => {
      worker.on('message', (message: FromWorker) => {
        if (message.type === 'started') resolve();
        else if (message.type === 'startFailed') reject(new Error(message.error));
        else this.onMessage(message);
      });
      worker.on('error', (error) => {
        reject(error);
        this.state = { joined: false, reachable: false };
        if (this.running) handlers.onCrash?.(error, false);
      });
      worker.on('exit', (code) => {
        const error = new Error(`the Kafka consumer thread exited (code ${code})`);
        for (const request of this.requests.values()) request.reject(error);
        this.requests.clear();
        this.state = { joined: false, reachable: false };
        if (this.running) {
          this.running = false;
          reject(error);
          handlers.onCrash?.(error, false);
        }
      });
    });
  }

  private onMessage(message: Exclude<FromWorker, { type: 'started' | 'startFailed' }>): void {
    const handlers = this.handlers!;
    switch (message.type) {
      case 'batch': {
        const batch = message;
        this.queue = this.queue.then(() => this.handle(batch));
        return;
      }
      case 'assignment':
        this.assignments++;
        this.state = { ...this.state, joined: true };
        Promise.resolve()
          .then(() => handlers.onAssignment?.(message.assignment))
          .catch((error: unknown) => handlers.onCrash?.(error instanceof Error ? error : new Error(String(error)), false));
        return;
      case 'crash':
        handlers.onCrash?.(new Error(message.error), message.restarting);
        return;
      case 'state':
        this.state = { joined: message.joined, reachable: message.reachable };
        return;
      case 'reply': {
        const request = this.requests.get(message.id);
        this.requests.delete(message.id);
        request?.resolve(message);
        return;
      }
      case 'log':
        this.logger?.[message.level](message.fields, message.message);
        return;
    }
  }

  private async handle(packed: PackedBatch): Promise<void> {
    const assignmentsAtArrival = this.assignments;
    const key = `${packed.topic}:${packed.partition}`;
    const stale = () => this.assignments !== assignmentsAtArrival || packed.seekEpoch < (this.seeks.get(key) ?? 0);
    let resolved: string | null = null;
    let failure: string | undefined;
    try {
      if (stale()) return;
      await this.handlers!.onBatch(
        { topic: packed.topic, partition: packed.partition, messages: unpack(packed), highWatermark: packed.highWatermark },
        {
          isRunning: () => this.running,
          isStale: stale,
          heartbeat: async () => {
            const reply = await this.request({ op: 'heartbeat', id: 0 });
            if (reply.error !== undefined) throw new Error(reply.error);
          },
          resolveOffset: (offset) => {
            resolved = offset;
          },
        },
      );
    } catch (error) {
      failure = error instanceof Error ? error.message : String(error);
      this.logger?.warn({ err: failure, topic: packed.topic, partition: packed.partition }, 'handling a batch failed; it is read again from its first unhandled offset');
    } finally {
      this.post({ op: 'done', id: packed.id, resolved, ...(failure === undefined ? {} : { error: failure }) });
    }
  }

  private post(message: ToWorker): void {
    this.worker?.postMessage(message);
  }

  private request(message: ToWorker & { id: number }): Promise<Extract<FromWorker, { type: 'reply' }>> {
    const worker = this.worker;
    if (!worker) return Promise.reject(new Error('the Kafka consumer thread is not running'));
    const id = ++this.nextRequest;
    return new Promise((resolve, reject) => {
      this.requests.set(id, { resolve, reject });
      worker.postMessage({ ...message, id });
    });
  }

  async commit(offsets: OffsetCommit[]): Promise<void> {
    if (offsets.length === 0) return;
    const reply = await this.request({ op: 'commit', id: 0, offsets });
    if (reply.error !== undefined) throw new Error(reply.error);
  }

  async committed(topic: string): Promise<CommittedOffset[]> {
    const reply = await this.request({ op: 'committed', id: 0, topic });
    if (reply.error !== undefined) throw new Error(reply.error);
    return reply.committed ?? [];
  }

  seek(topic: string, partition: number, offset: string): void {
    if (!this.running) throw new Error('the Kafka consumer is stopping: cannot seek');
    const key = `${topic}:${partition}`;
    this.seeks.set(key, (this.seeks.get(key) ?? 0) + 1);
    this.post({ op: 'seek', topic, partition, offset });
  }

  pause(topics: TopicPartitions[]): void {
    this.post({ op: 'pause', topics });
  }

  resume(topics: TopicPartitions[]): void {
    this.post({ op: 'resume', topics });
  }

  async stop(): Promise<void> {
    const worker = this.worker;
    if (!worker) return;
    this.running = false;
    await this.queue;
    const reply = await this.request({ op: 'stop', id: 0 }).catch((error: Error) => ({ type: 'reply' as const, id: 0, error: error.message }));
    this.state = { joined: false, reachable: false };
    this.worker = null;
    await worker.terminate();
    if (reply.error !== undefined) throw new Error(reply.error);
  }
}

/** The batch's messages as Buffer views into the transferred buffers (no copy). */
function unpack(packed: PackedBatch): InboundMessage[] {
  const { count, topic, partition, offsets, timestamps, valueStarts, valueNull, keyStarts, keyNull } = packed;
  const out = new Array<InboundMessage>(count);
  const headers = new Map(packed.headers);
  for (let i = 0; i < count; i++) {
    out[i] = {
      topic,
      partition,
      offset: String(offsets[i]),
      timestampMs: timestamps[i],
      key: keyNull[i] === 1 ? null : Buffer.from(packed.keys, keyStarts[i], keyStarts[i + 1] - keyStarts[i]),
      value: valueNull[i] === 1 ? null : Buffer.from(packed.values, valueStarts[i], valueStarts[i + 1] - valueStarts[i]),
      headers: headers.get(i) ?? EMPTY_HEADERS,
    };
  }
  return out;
}
