import type { SchedulerLike } from 'rxjs';
import { StateChangelog, type ChangelogStore } from '../../runtime/delivery/changelog.js';
import { parseMetadata } from '../../runtime/delivery/commit-metadata.js';
import type { MergeStage } from '../../runtime/partitioned/merge-stage.js';
import type { PartialsPublisher, PartialStage, PartitionRestore, SourceCommit } from '../../runtime/partitioned/partial-stage.js';
import { KIND_HEADER, parseMergeMetadata, parsePartialMetadata } from '../../runtime/partitioned/wire.js';
import type { Logger, SourceMessage } from '../../runtime/ports.js';
import { retry } from '../../runtime/retry.js';
import type { BatchContext, GroupConsumer, InboundBatch, OutboundMessage, Producer, TopicPartitions } from './types.js';

/**
 * The Kafka side of scale-out (docs/architecture.md, "Scale-out"), through the one Kafka seam
 * (types.ts; kafkajs stays behind kafkajs.ts): the internal topic's publisher, the source
 * consumer of the partial-aggregation stage (the prediction events topic, group KAFKA_GROUP_ID),
 * and the consumer of the merge stage (the internal topic, group <KAFKA_GROUP_ID>-merge).
 */

/** The internal topic of partial panes of a consumer group (SCALE_PARTIALS_TOPIC overrides it). */
export function partialsTopic(groupId: string): string {
  return `${groupId}-partials`;
}

/** The merge stage's consumer group on the internal topic. */
export function mergeGroupId(groupId: string): string {
  return `${groupId}-merge`;
}

/**
 * The internal topic's configuration: deleted by time, not compacted (its key is the (model,
 * version), shared by every pane of it). The merge stage's committed offset trails the open
 * windows, so the retention must exceed the window plus the longest outage to survive (7 days).
 */
export const PARTIALS_TOPIC_CONFIG: Record<string, string> = { 'cleanup.policy': 'delete', 'retention.ms': String(7 * 86_400_000) };

/** A produce request of at most this many bytes (partial panes are a few kB each). */
const MAX_REQUEST_BYTES = 512 * 1024;

/** Publishes partial panes (keyed by model\0version) and watermark reports (to every partition). */
export class KafkaPartialsPublisher implements PartialsPublisher {
  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly partitions: number,
  ) {}

  async publish(panes: { key: string; value: Uint8Array }[], report: string | null): Promise<void> {
    let batch: OutboundMessage[] = [];
    let bytes = 0;
    for (const pane of panes) {
      if (batch.length > 0 && bytes + pane.value.length > MAX_REQUEST_BYTES) {
        await this.producer.send(this.topic, batch);
        batch = [];
        bytes = 0;
      }
      batch.push({ key: pane.key, value: Buffer.from(pane.value.buffer, pane.value.byteOffset, pane.value.byteLength), headers: { [KIND_HEADER]: 'pane' } });
      bytes += pane.value.length;
    }
    if (batch.length > 0) await this.producer.send(this.topic, batch);
    // After the panes, acknowledged: a report never overtakes the panes it vouches for.
    if (report !== null) {
      const reports: OutboundMessage[] = [];
      for (let partition = 0; partition < this.partitions; partition++) reports.push({ key: null, value: report, partition, headers: { [KIND_HEADER]: 'watermark' } });
      await this.producer.send(this.topic, reports);
    }
  }
}

interface RunnerBase {
  consumer: GroupConsumer;
  topic: string;
  logger: Logger;
  onFatal?: (error: Error) => void;
  scheduler?: SchedulerLike;
}

/** The consumer's crash callback: logged; fatal when the client will not restart it, unless stopping. */
function crashHandler(base: RunnerBase, stopping: () => boolean): (error: Error, restarting: boolean) => void {
  return (error, restarting) => {
    base.logger.error({ err: error.message, restarting }, restarting ? 'Kafka consumer crashed; the client restarts it' : 'Kafka consumer crashed and will not restart');
    if (!restarting && !stopping()) base.onFatal?.(error);
  };
}

/** Handles an assignment with a few retries (committed offsets need the broker), else fatal. */
async function assignWithRetry(what: string, base: RunnerBase, stopping: () => boolean, run: () => Promise<void>): Promise<void> {
  try {
    await retry(run, {
      maxAttempts: 5,
      backoff: { baseMs: 500, maxMs: 5_000 },
      scheduler: base.scheduler,
      shouldRetry: () => !stopping(),
      onRetry: (error, attempt, retryInMs) =>
        base.logger.warn({ err: (error as Error).message, attempt, retryInMs }, `${what}: handling the partition assignment failed; retrying`),
    });
  } catch (error) {
    if (stopping()) return;
    const fatal = new Error(`${what}: cannot handle the partition assignment: ${(error as Error).message}`, { cause: error });
    base.logger.error({ err: (error as Error).message }, fatal.message);
    base.onFatal?.(fatal);
  }
}

export interface PartialSourceOptions extends RunnerBase {
  stage: PartialStage;
  /** How often watermarks are re-read for quiet streams and idle partitions (default 1 s). */
  tickMs?: number;
  chunkSize?: number;
}

/**
 * The partial-aggregation stage's consumer of the prediction events topic: every assigned
 * partition is re-read from its committed offset on a (re)join, batches are recorded, and after
 * each batch (and on a tick) the stage publishes what its watermarks closed; the offsets it
 * returns are committed once the publisher acknowledged.
 */
export class PartialSource {
  private ready: Promise<void> = Promise.resolve();
  private stopping = false;
  private inFlight: Promise<void> | null = null;
  private timer: NodeJS.Timeout | undefined;
  private flushing: Promise<void> | null = null;

  constructor(private readonly options: PartialSourceOptions) {}

  get joined(): boolean {
    return this.options.consumer.joined;
  }

  get brokerReachable(): boolean {
    return this.options.consumer.brokerReachable ?? this.options.consumer.joined;
  }

  async start(): Promise<void> {
    await this.options.consumer.start({
      onAssignment: (assignment) => {
        this.ready = assignWithRetry(
          'partial aggregation',
          this.options,
          () => this.stopping,
          () => this.onAssignment(assignment),
        );
        return this.ready;
      },
      onBatch: (batch, context) => this.onBatch(batch, context),
      onCrash: crashHandler(this.options, () => this.stopping),
    });
    this.timer = setInterval(() => void this.flushAndCommit(), this.options.tickMs ?? 1_000);
    this.timer.unref?.();
  }

  private async onAssignment(assignment: TopicPartitions[]): Promise<void> {
    if (this.stopping) return;
    const { consumer, topic, stage, logger } = this.options;
    const partitions = assignment.find((a) => a.topic === topic)?.partitions ?? [];
    const committed = await consumer.committed(topic);
    const restored = new Map<number, PartitionRestore>();
    for (const c of committed) {
      if (!partitions.includes(c.partition)) continue;
      const meta = parsePartialMetadata(c.metadata);
      if (meta) restored.set(c.partition, meta);
      else {
        // A commit of SCALE_MODE=single (a move to partitioned): its read offset, no watermark.
        const single = parseMetadata(c.metadata);
        if (single) restored.set(c.partition, { watermarkMs: Number.NEGATIVE_INFINITY, readOffset: single.r });
      }
    }
    stage.assign(partitions, restored);
    for (const c of committed) {
      if (!partitions.includes(c.partition) || this.stopping) continue;
      if (Number(c.offset) >= 0) consumer.seek(topic, c.partition, c.offset);
    }
    logger.info(
      { partitions, committed: committed.filter((c) => partitions.includes(c.partition)).map((c) => `${c.partition}@${c.offset}`) },
      'partial aggregation: source partitions assigned; rebuilding unpublished panes from the committed offsets',
    );
  }

  private async onBatch(batch: InboundBatch, context: BatchContext): Promise<void> {
    if (this.stopping) return;
    const run = this.handle(batch, context);
    this.inFlight = run;
    try {
      await run;
    } catch (error) {
      if (!this.stopping) throw error;
    } finally {
      if (this.inFlight === run) this.inFlight = null;
    }
  }

  private async handle(batch: InboundBatch, context: BatchContext): Promise<void> {
    await this.ready;
    const { stage } = this.options;
    const generation = stage.currentGeneration;
    const chunkSize = this.options.chunkSize ?? 500;
    const { messages } = batch;
    for (let i = 0; i < messages.length; i += chunkSize) {
      if (this.stopping || !context.isRunning() || context.isStale() || generation !== stage.currentGeneration) return;
      const chunk: SourceMessage[] = messages.slice(i, i + chunkSize).map((m) => ({
        topic: m.topic,
        partition: m.partition,
        offset: Number(m.offset),
        timestampMs: m.timestampMs,
        key: m.key,
        value: m.value,
        headers: m.headers,
      }));
      await stage.ingest(chunk, () => generation === stage.currentGeneration && !context.isStale());
      context.resolveOffset(String(chunk[chunk.length - 1].offset));
      await context.heartbeat();
    }
    const last = messages[messages.length - 1];
    if (last && generation === stage.currentGeneration) stage.partitionLag(batch.partition, Math.max(0, Number(batch.highWatermark) - Number(last.offset) - 1));
    await this.flushAndCommit();
  }

  /** Publishes what is due and commits what that made safe; never two at once. */
  flushAndCommit(): Promise<void> {
    this.flushing ??= this.flushOnce().finally(() => (this.flushing = null));
    return this.flushing;
  }

  private async flushOnce(): Promise<void> {
    const { stage, consumer, topic, logger } = this.options;
    let commits: SourceCommit[] | null;
    try {
      commits = await stage.flush();
    } catch (error) {
      if (!this.stopping) logger.warn({ err: (error as Error).message }, 'partial aggregation: publishing stopped; offsets not committed');
      return;
    }
    if (!commits || commits.length === 0) return;
    try {
      await consumer.commit(commits.map((c) => ({ topic, partition: c.partition, offset: String(c.offset), metadata: c.metadata })));
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'partial aggregation: offset commit failed; the next commit or the new owner of the partitions catches up');
    }
  }

  /** Stops: the batch in hand finishes, a last flush publishes and commits, the consumer leaves. */
  async stop(): Promise<void> {
    this.stopping = true;
    clearInterval(this.timer);
    await this.inFlight?.catch(() => undefined);
    await this.flushing?.catch(() => undefined);
    await this.flushOnce();
    await this.options.consumer.stop();
  }
}

export interface MergeSourceOptions extends RunnerBase {
  stage: MergeStage;
  /** The state changelog's store: the hysteresis of the (model, version) keys merged here. */
  changelogStore: ChangelogStore;
  /** The last window a SCALE_MODE=single run of the group evaluated, read at start (a move to partitioned), or null. */
  migratedEndMs?: number | null;
}

/** The last window end in the source group's commits when they are SCALE_MODE=single's, else null. */
export async function singleModeEnd(consumer: Pick<GroupConsumer, 'committed'>, topic: string): Promise<number | null> {
  let end: number | null = null;
  for (const c of await consumer.committed(topic)) {
    const meta = parseMetadata(c.metadata);
    if (meta && (end === null || meta.e > end)) end = meta.e;
  }
  return end;
}

/**
 * The merge stage's consumer of the internal topic: on a (re)join the owned internal partitions
 * are re-read from their committed offsets (which trail every partial pane still held), the
 * hysteresis is read back from the state changelog; after each batch the closed windows are
 * evaluated and exported, the hysteresis is written, then the offsets are committed.
 */
export class MergeSource {
  private ready: Promise<void> = Promise.resolve();
  private stopping = false;
  private inFlight: Promise<void> | null = null;
  private changelog: StateChangelog | null = null;

  constructor(private readonly options: MergeSourceOptions) {}

  get joined(): boolean {
    return this.options.consumer.joined;
  }

  get brokerReachable(): boolean {
    return this.options.consumer.brokerReachable ?? this.options.consumer.joined;
  }

  async start(): Promise<void> {
    await this.options.consumer.start({
      onAssignment: (assignment) => {
        this.ready = assignWithRetry(
          'merge',
          this.options,
          () => this.stopping,
          () => this.onAssignment(assignment),
        );
        return this.ready;
      },
      onBatch: (batch, context) => this.onBatch(batch, context),
      onCrash: crashHandler(this.options, () => this.stopping),
    });
  }

  private async onAssignment(assignment: TopicPartitions[]): Promise<void> {
    if (this.stopping) return;
    const { consumer, topic, stage, logger } = this.options;
    const partitions = assignment.find((a) => a.topic === topic)?.partitions ?? [];
    const committed = await consumer.committed(topic);
    // A changelog per assignment: it tombstones only what this assignment wrote and dropped.
    const changelog = new StateChangelog(this.options.changelogStore, logger);
    const hysteresis = await changelog.load();
    const restored = new Map<number, { ends: Record<string, number> }>();
    for (const c of committed) {
      if (!partitions.includes(c.partition)) continue;
      const ends = parseMergeMetadata(c.metadata);
      if (ends) restored.set(c.partition, { ends });
    }
    this.changelog = changelog;
    stage.assign(partitions, restored, hysteresis, this.options.migratedEndMs ?? null);
    for (const c of committed) {
      if (!partitions.includes(c.partition) || this.stopping) continue;
      if (Number(c.offset) >= 0) consumer.seek(topic, c.partition, c.offset);
    }
    logger.info(
      { partitions, committed: committed.filter((c) => partitions.includes(c.partition)).map((c) => `${c.partition}@${c.offset}`) },
      'merge: internal partitions assigned; rebuilding held panes from the committed offsets',
    );
  }

  private async onBatch(batch: InboundBatch, context: BatchContext): Promise<void> {
    if (this.stopping) return;
    const run = this.handle(batch, context);
    this.inFlight = run;
    try {
      await run;
    } catch (error) {
      if (!this.stopping) throw error;
    } finally {
      if (this.inFlight === run) this.inFlight = null;
    }
  }

  private async handle(batch: InboundBatch, context: BatchContext): Promise<void> {
    await this.ready;
    const { stage, consumer, topic, logger } = this.options;
    const generation = stage.currentGeneration;
    if (this.stopping || !context.isRunning() || context.isStale()) return;
    await stage.handle(batch.messages.map((m) => ({ partition: m.partition, offset: Number(m.offset), key: m.key, value: m.value, headers: m.headers })));
    if (generation !== stage.currentGeneration || context.isStale()) return;
    const last = batch.messages[batch.messages.length - 1];
    if (last) context.resolveOffset(last.offset);
    await context.heartbeat();
    // The hysteresis first, acknowledged; only then the offsets that depend on it.
    try {
      await this.changelog?.save(stage.hysteresisSnapshot());
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'merge: writing the state changelog failed; offsets not committed this time');
      return;
    }
    const commits = stage.commits(batch.partition);
    try {
      await consumer.commit(commits.map((c) => ({ topic, partition: c.partition, offset: String(c.offset), metadata: c.metadata ?? undefined })));
    } catch (error) {
      logger.warn({ err: (error as Error).message }, 'merge: offset commit failed; the next commit or the new owner catches up');
    }
  }

  async stop(): Promise<void> {
    this.stopping = true;
    await this.inFlight?.catch(() => undefined);
    await this.options.consumer.stop();
  }
}
