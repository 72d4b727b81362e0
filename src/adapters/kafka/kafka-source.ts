import type { SchedulerLike } from 'rxjs';
import type { StateChangelog } from '../../runtime/delivery/changelog.js';
import { encodeMetadata, encodeMetadataV2, parseMetadata } from '../../runtime/delivery/commit-metadata.js';
import type { DurableState } from '../../runtime/engine.js';
import type { Pipeline } from '../../runtime/pipeline.js';
import type { Logger, SourceMessage } from '../../runtime/ports.js';
import { retry, sleep } from '../../runtime/retry.js';
import type { BatchContext, GroupConsumer, InboundBatch, TopicPartitions } from './types.js';

/**
 * The Kafka side of the service: a consumer group reading prediction events with explicit,
 * trailing commits.
 *
 * Delivery (docs/windows-and-delivery.md): the committed offset of a partition trails the oldest record still in
 * an open window, and its metadata keeps the end of the last evaluated window and the offset
 * read up to; the hysteresis state goes to the state changelog first (or, without one, rides
 * in the metadata while it fits). After a restart or a rebalance the whole window state is
 * dropped, every assigned partition is re-read from its committed offset, windows already
 * evaluated are not evaluated again, and records read before (below the stored read offset)
 * that fall into closed panes are skipped rather than reported late again.
 */
export interface KafkaSourceOptions {
  consumer: GroupConsumer;
  topic: string;
  pipeline: Pipeline;
  logger: Logger;
  /** Messages handled between heartbeats and backpressure checks. */
  chunkSize?: number;
  /** The consumer crashed and the client will not restart it. */
  onFatal?: (error: Error) => void;
  /** Runs the retry waits and the backlog wait (default: the wall clock), so tests use virtual time. */
  scheduler?: SchedulerLike;
  /**
   * Where the per-(model, version) state goes (written before each commit, read back on
   * assignment). Absent: it rides in the commit metadata while it fits (format version 1).
   */
  changelog?: StateChangelog;
}

/** While the runtime is backlogged, a batch waits for the evaluation in hand, heartbeating at least this often. */
export const BACKLOG_HEARTBEAT_MS = 1000;

export class KafkaSource {
  private generation = 0;
  /** Assignments received (a newer one supersedes the retries of an older one). */
  private assignments = 0;
  private assigned: number[] = [];
  private ready: Promise<void> = Promise.resolve();
  private stopping = false;
  private inFlight: Promise<void> | null = null;
  private readonly chunkSize: number;

  constructor(private readonly options: KafkaSourceOptions) {
    this.chunkSize = options.chunkSize ?? 500;
  }

  get joined(): boolean {
    return this.options.consumer.joined;
  }

  /** The group is joined and the broker answers (see GroupConsumer.brokerReachable). */
  get brokerReachable(): boolean {
    return this.options.consumer.brokerReachable ?? this.options.consumer.joined;
  }

  async start(): Promise<void> {
    await this.options.consumer.start({
      onAssignment: (assignment) => {
        // Batches wait for it; it never rejects (a failure is logged, retried, then fatal).
        this.ready = this.assignWithRetry(assignment);
        return this.ready;
      },
      onBatch: (batch, context) => this.onBatch(batch, context),
      onCrash: (error, restarting) => {
        this.options.logger.error(
          { err: error.message, restarting },
          restarting ? 'Kafka consumer crashed; the client restarts it' : 'Kafka consumer crashed and will not restart',
        );
        if (!restarting && !this.stopping) this.options.onFatal?.(error);
      },
    });
  }

  /**
   * Handles an assignment, retried a few times (reading committed offsets needs the broker);
   * at shutdown a failure is ignored, otherwise after the last attempt `onFatal` stops the
   * service cleanly. Never rejects into the client.
   */
  private async assignWithRetry(assignment: TopicPartitions[]): Promise<void> {
    const { logger } = this.options;
    const mine = ++this.assignments;
    const superseded = () => this.assignments !== mine;
    try {
      await retry(() => this.onAssignment(assignment), {
        maxAttempts: 5,
        backoff: { baseMs: 500, maxMs: 5_000 },
        scheduler: this.options.scheduler,
        shouldRetry: () => !this.stopping && !superseded(),
        onRetry: (error, attempt, retryInMs) => logger.warn({ err: (error as Error).message, attempt, retryInMs }, 'handling the partition assignment failed; retrying'),
      });
    } catch (error) {
      if (this.stopping || superseded()) {
        logger.debug({ err: (error as Error).message }, 'partition assignment abandoned (stopping or superseded)');
        return;
      }
      const fatal = new Error(`cannot handle the partition assignment: ${(error as Error).message}`, { cause: error });
      logger.error({ err: (error as Error).message }, fatal.message);
      this.options.onFatal?.(fatal);
    }
  }

  private async onAssignment(assignment: TopicPartitions[]): Promise<void> {
    if (this.stopping) return;
    const generation = ++this.generation;
    const { consumer, topic, pipeline, logger } = this.options;
    const partitions = assignment.find((a) => a.topic === topic)?.partitions ?? [];
    this.assigned = partitions;
    const committed = await consumer.committed(topic);
    // The state changelog is read whole, before any seek: a failure retries the assignment.
    const changelogState = this.options.changelog ? await this.options.changelog.load() : {};
    if (generation !== this.generation) return;
    pipeline.rebuild(partitions);
    let state: DurableState | null = null;
    const handledBelow = new Map<number, number>();
    for (const c of committed) {
      if (!partitions.includes(c.partition)) continue;
      const meta = parseMetadata(c.metadata);
      if (meta) {
        handledBelow.set(c.partition, meta.r);
        if (!state || meta.e > state.lastEndMs) state = { lastEndMs: meta.e, hysteresis: meta.s ?? {} };
      }
      // A consumer being stopped must not be seeked (kafkajs throws).
      if (this.stopping) return;
      if (Number(c.offset) >= 0) consumer.seek(topic, c.partition, c.offset);
    }
    // The changelog wins over a version-1 metadata's state (written before the changelog existed).
    if (state) state = { lastEndMs: state.lastEndMs, hysteresis: { ...state.hysteresis, ...changelogState } };
    pipeline.restore(state, handledBelow);
    logger.info(
      { partitions, lastEvaluatedWindowEnd: state ? new Date(state.lastEndMs).toISOString() : null, committed: committed.map((c) => `${c.partition}@${c.offset}`) },
      'partitions assigned; rebuilding open windows from the committed offsets',
    );
  }

  private async onBatch(batch: InboundBatch, context: BatchContext): Promise<void> {
    if (this.stopping) return;
    const run = this.handle(batch, context);
    this.inFlight = run;
    try {
      await run;
    } catch (error) {
      // At shutdown a dead-letter write may be abandoned: the batch is read again next time.
      if (!this.stopping) throw error;
    } finally {
      if (this.inFlight === run) this.inFlight = null;
    }
  }

  private async handle(batch: InboundBatch, context: BatchContext): Promise<void> {
    await this.ready;
    const generation = this.generation;
    const { pipeline } = this.options;
    const { messages } = batch;
    for (let i = 0; i < messages.length; i += this.chunkSize) {
      while (pipeline.backlogged()) {
        const waited = new AbortController();
        await Promise.race([pipeline.idle(), sleep(BACKLOG_HEARTBEAT_MS, { scheduler: this.options.scheduler, signal: waited.signal })]);
        waited.abort(); // the evaluation may have ended first: cancel the timer
        await context.heartbeat();
        if (this.stopping || !context.isRunning()) return;
      }
      if (this.stopping || !context.isRunning() || context.isStale() || generation !== this.generation) return;
      // One object per message and no intermediate array: per-event garbage is what the
      // streaming path pays most for beside decoding (docs/benchmarks.md, "Streaming").
      const end = Math.min(i + this.chunkSize, messages.length);
      const chunk = new Array<SourceMessage>(end - i);
      for (let j = i; j < end; j++) {
        const m = messages[j];
        chunk[j - i] = { topic: m.topic, partition: m.partition, offset: Number(m.offset), timestampMs: m.timestampMs, key: m.key, value: m.value, headers: m.headers };
      }
      await pipeline.ingest(chunk, () => generation === this.generation && !context.isStale());
      context.resolveOffset(String(chunk[chunk.length - 1].offset));
      await context.heartbeat();
    }
    const last = messages[messages.length - 1];
    if (last && generation === this.generation) {
      const lag = Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1);
      pipeline.partitionLag(batch.topic, batch.partition, lag);
    }
  }

  /**
   * Commits, for each assigned partition, the offset trailing the open windows, with the
   * durable state in the metadata. Called after every evaluation and at shutdown.
   */
  async commit(): Promise<void> {
    const { consumer, topic, pipeline, logger } = this.options;
    const { changelog } = this.options;
    const { state, offsets, read } = pipeline.commitPosition();
    const commits = this.assigned
      .filter((p) => offsets.has(p))
      .map((partition) => ({
        topic,
        partition,
        offset: String(offsets.get(partition)),
        metadata: state ? (changelog ? encodeMetadataV2(state, read.get(partition) ?? 0) : encodeMetadata(state, read.get(partition) ?? 0, logger)) : undefined,
      }));
    if (commits.length === 0) return;
    if (changelog && state) {
      // The state first, acknowledged; only then the offsets that depend on it. A failed write
      // leaves the previous commit standing (the next commit tries again).
      try {
        await changelog.save(state.hysteresis);
      } catch (error) {
        logger.warn({ err: (error as Error).message }, 'writing the state changelog failed; offsets not committed this time (the next commit tries again)');
        return;
      }
    }
    try {
      await consumer.commit(commits);
    } catch (error) {
      // A rebalance may have taken the partitions; the new owner rebuilds from the last commit.
      logger.warn({ err: (error as Error).message }, 'offset commit failed; the next commit or the new owner of the partitions catches up');
    }
  }

  /**
   * Stops reading: retries end, the batch in hand finishes, the evaluation in hand completes,
   * the sinks are flushed, offsets are committed (unless an export was abandoned: then the last
   * commit, which matches what was exported, stands), and the consumer leaves the group.
   */
  async stop(): Promise<void> {
    const { pipeline, logger } = this.options;
    this.stopping = true;
    pipeline.abort();
    await this.inFlight?.catch(() => undefined);
    await pipeline.stop();
    await pipeline.flushExporters();
    if (pipeline.exportAbandoned) logger.warn('an export was abandoned at shutdown: offsets left at the last commit, the window is evaluated again after the restart');
    else await this.commit();
    await this.options.consumer.stop();
  }
}
