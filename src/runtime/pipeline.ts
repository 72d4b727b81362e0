import type { SchedulerLike } from 'rxjs';
import type { Evaluation } from '../core/detect/evaluation.js';
import type { EventDefaults } from '../core/event/event.js';
import { OffsetLedger } from './delivery/ledger.js';
import type { DurableState, Engine } from './engine.js';
import { Evaluator } from './evaluation.js';
import { Ingest } from './ingest.js';
import type { DeadLetterSink, EvaluationExporter, Logger, ReferenceLookup, RuntimeMetrics, SourceMessage } from './ports.js';
import type { BackoffOptions } from './retry.js';
import { Status } from './status.js';

export type { SourceMessage } from './ports.js';
export type { LatestCheck } from './status.js';

export interface PipelineOptions {
  engine: Engine;
  references: ReferenceLookup;
  exporters: EvaluationExporter[];
  deadLetters: DeadLetterSink;
  metrics: RuntimeMetrics;
  logger: Logger;
  defaults: EventDefaults;
  /** Events stamped further than this into the future (wall clock) are dead-lettered. */
  maxClockSkewMs: number;
  /** How often the watermark is re-read for quiet streams. Default 250 ms. */
  tickMs?: number;
  /** Called after each evaluation was exported (the Kafka source commits here). */
  onEvaluated?: (evaluation: Evaluation) => Promise<void>;
  /** Evaluation failed repeatedly: the service must stop and exit non-zero. */
  onFatal?: (error: Error) => void;
  /** How long a dead-letter write may keep failing before `onFatal` (default 5 min). */
  deadLetterTimeoutMs?: number;
  now?: () => number;
  scheduler?: SchedulerLike;
  retry?: BackoffOptions;
}

/** Where a source's partitions stand, for a commit (delivery semantics: docs/windows-and-delivery.md). */
export interface CommitPosition {
  /** What a restart needs besides the re-read events; null before the first evaluation. */
  state: DurableState | null;
  /** Per partition: the offset trailing every open window and every batch still in flight. */
  offsets: Map<number, number>;
  /** Per partition: the next offset after the last one handled (the next run's `handledBelow`). */
  read: Map<number, number>;
}

/**
 * The streaming runtime as a source sees it: the one port through which a source (Kafka, a
 * recorded file) hands over batches, assigns partitions and reads its commit position. It
 * composes the three stages — ingest, evaluation, status — around the engine and the offset
 * ledger; no source touches the engine itself.
 */
export class Pipeline {
  readonly status: Status;
  readonly now: () => number;
  private readonly ledger = new OffsetLedger();
  private readonly ingestStage: Ingest;
  private readonly evaluator: Evaluator;
  private readonly aborter = new AbortController();
  /** Last known lag per partition and when it was learnt (kept across rejoins and outages). */
  private readonly lastLag = new Map<number, { topic: string; lag: number; atMs: number }>();

  /** The last known lag of each partition and its age in ms (during an outage it is not refreshed). */
  lagSnapshot(): { topic: string; partition: number; lag: number; ageMs: number }[] {
    const now = this.now();
    return [...this.lastLag].map(([partition, k]) => ({ topic: k.topic, partition, lag: k.lag, ageMs: now - k.atMs }));
  }

  constructor(private readonly options: PipelineOptions) {
    this.now = options.now ?? Date.now;
    this.status = new Status(options.metrics);
    this.ingestStage = new Ingest({ ...options, ledger: this.ledger, now: this.now, backoff: options.retry, signal: this.aborter.signal, status: this.status });
    this.evaluator = new Evaluator({ ...options, status: this.status, now: this.now, backoff: options.retry, signal: this.aborter.signal });
  }

  /** The engine, for tests and the benchmark; sources go through the methods below. */
  get engine(): Engine {
    return this.options.engine;
  }

  get decoder() {
    return this.ingestStage.decoder;
  }

  start(): void {
    this.evaluator.start();
  }

  /** Asks for an evaluation check now. */
  kick(): void {
    this.evaluator.kick();
  }

  /**
   * Decodes and ingests a batch; every message is in a pane or on the dead-letter topic when
   * this resolves. `isCurrent` turns false when a rebalance reset the windows meanwhile.
   */
  async ingest(messages: readonly SourceMessage[], isCurrent?: () => boolean): Promise<void> {
    await this.ingestStage.ingest(messages, isCurrent);
    this.evaluator.kick();
  }

  /** The source now owns these partitions (the watermark waits for each of them). */
  assignPartitions(partitions: readonly number[]): void {
    this.options.engine.assignPartitions(partitions, this.now());
  }

  /** A message that carries no event (a blank line of a recording) counts as read. */
  skip(partition: number, offset: number): void {
    this.ledger.note(partition, offset);
  }

  /** The broker's backlog behind a partition (a partition with a backlog never idles out). */
  partitionLag(topic: string, partition: number, lag: number): void {
    this.lastLag.set(partition, { topic, lag, atMs: this.now() });
    this.options.metrics.consumerLag(topic, partition, lag);
    this.options.engine.setPartitionLag(partition, lag);
  }

  /** End of a recorded stream: the watermark passes the end of the last pane with events. */
  endOfInput(): void {
    this.options.engine.finishInput();
  }

  /** Drops every window and all progress, before rebuilding from committed offsets. */
  rebuild(partitions: readonly number[]): void {
    this.options.engine.reset();
    this.ledger.reset();
    // Lag series of partitions no longer ours would stay frozen at their last value; those still
    // ours keep their last known lag (a rejoin after an outage must not read 0 meanwhile).
    this.options.metrics.resetConsumerLag();
    for (const [partition, known] of this.lastLag) {
      if (partitions.includes(partition)) this.options.metrics.consumerLag(known.topic, partition, known.lag);
      else this.lastLag.delete(partition);
    }
    this.assignPartitions(partitions);
  }

  /** Restores what the previous owner committed: durable state and each partition's read offset. */
  restore(state: DurableState | null, handledBelow: ReadonlyMap<number, number>): void {
    this.ledger.restore(handledBelow);
    this.options.engine.restore(state);
  }

  commitPosition(): CommitPosition {
    const offsets = this.ledger.commitOffsets(this.options.engine.minOpenOffsets());
    const read = this.ledger.readOffsets();
    // Batches still being ingested (a dead letter not yet written) must be read again after a crash.
    for (const [partition, offset] of this.ingestStage.inFlightOffsets()) {
      if (offsets.has(partition)) offsets.set(partition, Math.min(offsets.get(partition)!, offset));
      if (read.has(partition)) read.set(partition, Math.min(read.get(partition)!, offset));
    }
    return { state: this.options.engine.durableState(), offsets, read };
  }

  /** Evaluates every due window, one at a time; never overlapping another run. */
  runDue(): Promise<void> {
    return this.evaluator.runDue();
  }

  /** True while an evaluation waits on a sink and more windows are due: the source should wait. */
  backlogged(): boolean {
    return this.evaluator.backlogged();
  }

  /** Resolves when no evaluation is running. */
  idle(): Promise<void> {
    return this.evaluator.idle();
  }

  /** An export was abandoned at shutdown: its window must not be committed as evaluated. */
  get exportAbandoned(): boolean {
    return this.status.exportAbandoned;
  }

  get failingSinks(): ReadonlySet<string> {
    return this.status.failingSinks;
  }

  driftSummary(): Record<string, unknown> {
    return this.status.driftSummary();
  }

  /** True when every exporter that can be reached answers and none is failing. */
  async sinksReachable(): Promise<boolean> {
    if (this.status.failingSinks.size > 0) return false;
    const answers = await Promise.all(this.options.exporters.map((e) => e.reachable?.() ?? Promise.resolve(true)));
    return answers.every(Boolean);
  }

  /** Stops the trigger stream and ends retries at once (first step of a shutdown). */
  abort(): void {
    this.aborter.abort();
    this.evaluator.abort();
  }

  /** Aborts, then waits for the evaluation in hand. */
  async stop(): Promise<void> {
    this.abort();
    await this.evaluator.idle();
  }

  async flushExporters(): Promise<void> {
    await Promise.all(this.options.exporters.map((e) => e.forceFlush().catch(() => undefined)));
  }

  /** Shuts every exporter down; each one's shutdown flushes what it still holds. */
  async shutdownExporters(): Promise<void> {
    await Promise.all(this.options.exporters.map((e) => e.shutdown().catch(() => undefined)));
  }
}
