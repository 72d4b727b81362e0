import type { SchedulerLike } from 'rxjs';
import type { DecodeFailure, EventDefaults, FeatureRecord } from '../../core/event/event.js';
import { modelVersionKey } from '../../core/keys.js';
import type { ReferenceDistribution } from '../../core/reference/index.js';
import { NumericRow, type FeatureModel } from '../../core/stats/index.js';
import { encodePartialPane } from '../../core/window/partial-pane.js';
import { PartitionPanes } from '../../core/window/partition-panes.js';
import { WatermarkTracker } from '../../core/window/watermark.js';
import { OffsetLedger } from '../delivery/ledger.js';
import { withOutputs, type IngestOutcome } from '../engine.js';
import { Ingest, type IngestTarget } from '../ingest.js';
import type { DeadLetterSink, Logger, ReferenceLookup, RuntimeMetrics, SourceMessage } from '../ports.js';
import { retry, type BackoffOptions } from '../retry.js';
import type { Status } from '../status.js';
import { encodePartialMetadata, encodeWatermarkReport } from './wire.js';

/**
 * The partial-aggregation stage of scale-out (docs/architecture.md, "Scale-out"): the events of
 * the source partitions this instance owns go into panes per (model, version, source
 * partition) (core/window/partition-panes.ts); when a partition's watermark passes a pane's end
 * the pane is published as a partial pane to the internal topic, followed by a watermark
 * report of every owned partition. Source offsets are committed only from what `flush`
 * returns, after the publisher acknowledged everything they cover.
 *
 * No loss: a partition's committed offset trails the first offset of every pane not yet
 * acknowledged, and its metadata carries the watermark up to which panes were acknowledged,
 * so the next owner re-reads every unpublished pane whole and keeps the published ones closed.
 * No double count: a pane published again (a crash between the acknowledgement and the commit)
 * has the same (source partition, pane) key, and the merger replaces the one it holds.
 */
export interface PartialsPublisher {
  /**
   * Publishes the partial panes (keyed by model\0version) and then, unless null, the watermark
   * report to every partition of the internal topic; resolves once all are acknowledged.
   */
  publish(panes: { key: string; value: Uint8Array }[], report: string | null): Promise<void>;
}

export interface PartialStageOptions {
  references: ReferenceLookup;
  deadLetters: DeadLetterSink;
  metrics: RuntimeMetrics;
  logger: Logger;
  defaults: EventDefaults;
  publisher: PartialsPublisher;
  windowMs: number;
  slideMs: number;
  allowedLatenessMs: number;
  idleTimeoutMs: number;
  /** Live streams: 0 (event times never count beyond the clock); replays: undefined. */
  maxAheadOfClockMs?: number;
  maxEventAgeMs?: number;
  maxClockSkewMs: number;
  /** Watermark reports go out at least this often even when nothing moved. */
  reportIntervalMs: number;
  now?: () => number;
  scheduler?: SchedulerLike;
  backoff?: BackoffOptions;
  signal: AbortSignal;
  status?: Status;
  deadLetterTimeoutMs?: number;
  onFatal?: (error: Error) => void;
}

/** What a new owner of a source partition restores from its committed metadata. */
export interface PartitionRestore {
  watermarkMs: number;
  readOffset: number;
}

export interface SourceCommit {
  partition: number;
  offset: number;
  metadata: string;
}

/** The ingest target of the stage: panes per (model, version) and source partition. */
class PartialAggregation implements IngestTarget {
  readonly panes = new Map<string, PartitionPanes>();
  readonly watermark: WatermarkTracker;
  private readonly maxEventAgeMs: number;
  /** Per owned partition: the watermark up to which panes are published (new models start there). */
  closedAt = new Map<number, number>();

  constructor(private readonly options: PartialStageOptions) {
    this.maxEventAgeMs = options.maxEventAgeMs ?? 3 * options.windowMs;
    this.watermark = new WatermarkTracker({
      allowedLatenessMs: options.allowedLatenessMs,
      idleTimeoutMs: options.idleTimeoutMs,
      maxAheadOfClockMs: options.maxAheadOfClockMs,
    });
  }

  /** The (model, version) of the previous event: consecutive events are mostly of the same one. */
  private last: { model: string; modelVersion: string; reference: ReferenceDistribution; panes: PartitionPanes | undefined } | undefined;

  private lookup(model: string, modelVersion: string) {
    const last = this.last;
    if (last && last.model === model && last.modelVersion === modelVersion) return last;
    const reference = this.options.references.get(model, modelVersion);
    if (!reference) return undefined;
    return (this.last = { model, modelVersion, reference, panes: this.panes.get(modelVersionKey(model, modelVersion)) });
  }

  featuresFor(model: string, modelVersion: string): readonly FeatureModel[] | undefined {
    // The window's signals: the features, then the model's outputs, as the engine records them.
    return this.lookup(model, modelVersion)?.reference.signals;
  }

  /** How many of featuresFor's models are model outputs (the last ones); 0 when none. */
  outputCount(model: string, modelVersion: string): number {
    return this.lookup(model, modelVersion)?.reference.outputs.length ?? 0;
  }

  /** Records the rows the panes deferred (ingest calls it after each batch). */
  flush(): void {
    for (const panes of this.panes.values()) panes.flush();
  }

  /** Invalid events are counted in the metrics by ingest; the checks of the merge stage carry none. */
  countInvalid(): void {}

  observe(partition: number, eventTimeMs: number, nowWallMs: number): void {
    this.watermark.observe(partition, eventTimeMs, nowWallMs);
  }

  ingest(record: FeatureRecord, nowWallMs: number, handled = false, observed = false): IngestOutcome {
    const known = this.lookup(record.model, record.modelVersion);
    if (!known) {
      return handled
        ? { status: 'skipped' }
        : fail({ reason: 'no_reference', detail: `model_version: no reference distribution for "${record.modelVersion}"`, path: 'model_version', model: record.model });
    }
    const { reference } = known;
    const values = record.values;
    if (Array.isArray(values) && values.length !== reference.features.length) {
      if (handled) return { status: 'skipped' };
      return fail({
        reason: 'feature_vector_length',
        detail: `feature_vector: has ${values.length} values, the reference of ${record.modelVersion} has ${reference.features.length} features (${reference.featureNames.join(', ')})`,
        path: 'feature_vector',
        model: record.model,
      });
    }
    const horizonMs = this.watermark.progressOf(record.partition) - this.maxEventAgeMs;
    if (record.eventTimeMs < horizonMs) {
      if (handled) return { status: 'skipped' };
      return fail({
        reason: 'too_old',
        detail: `timestamp: event time ${new Date(record.eventTimeMs).toISOString()} is more than ${this.maxEventAgeMs} ms (MAX_EVENT_AGE) before its partition's progress ${new Date(horizonMs + this.maxEventAgeMs).toISOString()}`,
        path: 'timestamp',
        model: record.model,
      });
    }
    if (!observed) this.watermark.observe(record.partition, record.eventTimeMs, nowWallMs);
    let panes = known.panes;
    if (!panes) {
      panes = new PartitionPanes(record.model, record.modelVersion, reference.signals, this.options.slideMs);
      // Panes this partition already published for other models stay closed for this one too.
      for (const [partition, ms] of this.closedAt) panes.restore(partition, ms);
      this.panes.set(modelVersionKey(record.model, record.modelVersion), panes);
      known.panes = panes;
    }
    // A fast-decoded row of this reference already holds the outputs (core/event/decoder.ts).
    const complete = reference.outputs.length === 0 || (values instanceof NumericRow && values.models === reference.signals);
    const signals = complete ? values : withOutputs(values, record.outputs, reference.outputs);
    if (panes.record(record.partition, record.offset, record.eventTimeMs, signals) === 'late') {
      if (handled) return { status: 'skipped' };
      this.options.metrics.eventLate(record.model);
      return fail({
        reason: 'late',
        detail: `timestamp: event time ${new Date(record.eventTimeMs).toISOString()} is in a pane its partition ${record.partition} already published (watermark ${new Date(this.closedAt.get(record.partition) ?? 0).toISOString()})`,
        path: 'timestamp',
        model: record.model,
      });
    }
    return { status: 'recorded' };
  }

  reset(partitions: readonly number[], nowWallMs: number): void {
    this.last = undefined;
    this.panes.clear();
    this.watermark.reset();
    this.watermark.assign(partitions, nowWallMs);
    this.closedAt = new Map();
  }
}

export class PartialStage {
  private readonly aggregation: PartialAggregation;
  private readonly ledger = new OffsetLedger();
  private readonly ingestStage: Ingest;
  private readonly now: () => number;
  private owned: number[] = [];
  private assignedAtMs = 0;
  private generation = 0;
  private chain: Promise<unknown> = Promise.resolve();
  private lastReportMs = Number.NEGATIVE_INFINITY;
  /** What was published (for the benchmark and the logs). */
  readonly published = { panes: 0, bytes: 0, reports: 0 };

  constructor(private readonly options: PartialStageOptions) {
    this.now = options.now ?? Date.now;
    this.aggregation = new PartialAggregation(options);
    this.ingestStage = new Ingest({
      engine: this.aggregation,
      ledger: this.ledger,
      references: options.references,
      deadLetters: options.deadLetters,
      metrics: options.metrics,
      logger: options.logger,
      defaults: options.defaults,
      maxClockSkewMs: options.maxClockSkewMs,
      now: this.now,
      scheduler: options.scheduler,
      backoff: options.backoff,
      signal: options.signal,
      status: options.status,
      deadLetterTimeoutMs: options.deadLetterTimeoutMs,
      onFatal: options.onFatal,
    });
  }

  get decoder() {
    return this.ingestStage.decoder;
  }

  get partitions(): readonly number[] {
    return this.owned;
  }

  /** The partitions owned after a (re)join: everything is rebuilt from the committed offsets. */
  assign(partitions: readonly number[], restored: ReadonlyMap<number, PartitionRestore>): void {
    this.generation++;
    const now = this.now();
    this.owned = [...partitions];
    this.assignedAtMs = now;
    this.aggregation.reset(partitions, now);
    this.ledger.reset();
    const handledBelow = new Map<number, number>();
    for (const p of partitions) {
      const r = restored.get(p);
      if (!r) continue;
      handledBelow.set(p, r.readOffset);
      // A commit of SCALE_MODE=single carries no watermark: every pane is rebuilt open.
      if (Number.isFinite(r.watermarkMs)) this.aggregation.closedAt.set(p, r.watermarkMs);
    }
    this.ledger.restore(handledBelow);
    this.lastReportMs = Number.NEGATIVE_INFINITY;
  }

  /** Whether a flush started under this generation is still current. */
  get currentGeneration(): number {
    return this.generation;
  }

  /** Decodes and records a batch; dead letters are written before this resolves. */
  async ingest(messages: readonly SourceMessage[], isCurrent: () => boolean = () => true): Promise<void> {
    const generation = this.generation;
    await this.ingestStage.ingest(messages, () => isCurrent() && generation === this.generation);
  }

  /** The broker's backlog behind a partition (a partition with a backlog never idles out). */
  partitionLag(partition: number, lag: number): void {
    this.aggregation.watermark.setLag(partition, lag);
  }

  /** A message without an event counts as read. */
  skip(partition: number, offset: number): void {
    this.ledger.note(partition, offset);
  }

  /**
   * End of a recorded stream: every partition's watermark passes the last pane this instance
   * saw, or `untilMs` when given (the end of the whole stream, which other instances read too).
   */
  endOfInput(untilMs?: number): void {
    const max = this.aggregation.watermark.maxEventTime;
    if (Number.isFinite(max))
      this.aggregation.watermark.advanceTo(Math.max(untilMs ?? Number.NEGATIVE_INFINITY, (Math.floor(max / this.options.slideMs) + 1) * this.options.slideMs));
  }

  /**
   * Publishes what the watermarks closed, then the watermark report, and returns the source
   * commits they make safe (null when a rebalance superseded this flush: nothing to commit).
   * Flushes never overlap. A failing publish is retried with backoff until it succeeds or the
   * stage is aborted (then it throws, and nothing is committed).
   */
  flush(): Promise<SourceCommit[] | null> {
    const run = this.chain.then(() => this.flushNow());
    this.chain = run.catch(() => undefined);
    return run;
  }

  /** The watermark reported for a partition: its own, or the instance's while it idles. */
  private watermarkOf(partition: number, now: number, instanceMs: number): number {
    const { allowedLatenessMs, idleTimeoutMs, maxAheadOfClockMs } = this.options;
    const own = this.aggregation.watermark.progressOf(partition) - allowedLatenessMs;
    let w = Math.max(own, instanceMs);
    // A live partition that never delivered an event must not hold every window back: once
    // idle it reports the clock less the lateness and the idle timeout.
    if (!Number.isFinite(w) && maxAheadOfClockMs !== undefined && now - this.assignedAtMs > idleTimeoutMs) w = now - allowedLatenessMs - idleTimeoutMs;
    return w;
  }

  private async flushNow(): Promise<SourceCommit[] | null> {
    const generation = this.generation;
    const now = this.now();
    const instanceMs = this.aggregation.watermark.current(now);
    const next = new Map<number, number>();
    const panes: { key: string; value: Uint8Array }[] = [];
    let moved = false;
    for (const partition of this.owned) {
      const before = this.aggregation.closedAt.get(partition) ?? Number.NEGATIVE_INFINITY;
      const w = Math.floor(this.watermarkOf(partition, now, instanceMs));
      if (!(w > before)) {
        next.set(partition, before);
        continue;
      }
      moved = true;
      next.set(partition, w);
      for (const [key, partitionPanes] of this.aggregation.panes) {
        for (const partial of partitionPanes.advance(partition, w)) panes.push({ key, value: encodePartialPane(partial) });
      }
    }
    const reportDue = moved || now - this.lastReportMs >= this.options.reportIntervalMs;
    const report = reportDue && [...next.values()].some(Number.isFinite) ? encodeWatermarkReport(next) : null;
    if (panes.length > 0 || report !== null) {
      await retry(() => this.options.publisher.publish(panes, report), {
        signal: this.options.signal,
        scheduler: this.options.scheduler,
        backoff: this.options.backoff,
        onRetry: (error, attempt, retryInMs) =>
          this.options.logger.warn({ err: (error as Error).message, attempt, retryInMs }, 'publishing partial panes failed; retrying (source offsets wait)'),
      });
      this.published.panes += panes.length;
      for (const p of panes) this.published.bytes += p.value.length;
      if (report !== null) {
        this.published.reports++;
        this.lastReportMs = now;
      }
    }
    if (generation !== this.generation) return null;
    for (const [partition, w] of next) if (Number.isFinite(w)) this.aggregation.closedAt.set(partition, w);
    return this.commits();
  }

  /** Per owned partition read since the assignment: the offset trailing every unpublished pane. */
  private commits(): SourceCommit[] {
    const read = this.ledger.readOffsets();
    const inFlight = this.ingestStage.inFlightOffsets();
    const out: SourceCommit[] = [];
    for (const partition of this.owned) {
      const next = read.get(partition);
      if (next === undefined) continue;
      let offset = next;
      for (const panes of this.aggregation.panes.values()) {
        const low = panes.lowestOpenOffset(partition);
        if (low !== null && low < offset) offset = low;
      }
      const flying = inFlight.get(partition);
      if (flying !== undefined && flying < offset) offset = flying;
      const readOffset = flying !== undefined ? Math.min(next, flying) : next;
      const w = this.aggregation.closedAt.get(partition);
      if (w === undefined) continue; // nothing published yet: nothing new to commit
      out.push({ partition, offset, metadata: encodePartialMetadata(w, readOffset) });
    }
    return out;
  }

  /** Open panes over every (model, version) and partition (memory accounting, tests). */
  get openPanes(): number {
    let n = 0;
    for (const p of this.aggregation.panes.values()) n += p.openPanes;
    return n;
  }
}

function fail(failure: DecodeFailure): IngestOutcome {
  return { status: 'failed', failure };
}
