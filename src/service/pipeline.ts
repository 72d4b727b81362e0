import type { Logger } from 'pino';
import { defer, exhaustMap, interval, merge, Subject, type SchedulerLike, type Subscription, asyncScheduler } from 'rxjs';
import type { Engine, Evaluation } from '../monitor/engine.js';
import type { CheckResult } from '../monitor/result.js';
import { type EventDefaults, type FeatureRecord } from '../source/event.js';
import { EventDecoder, RowArena } from '../source/fast-event.js';
import type { EvaluationExporter } from '../sinks/exporter.js';
import type { ServiceMetrics } from '../http/metrics.js';
import type { DeadLetter, DeadLetterSink } from './dead-letter.js';
import type { ReferenceStore } from './reference-store.js';

/** A raw message as a source hands it over (Kafka record, or a line of a recorded stream). */
export interface SourceMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Record timestamp (epoch ms), NaN when the source has none. */
  timestampMs: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, string>;
}

export interface PipelineOptions {
  engine: Engine;
  references: ReferenceStore;
  exporters: EvaluationExporter[];
  deadLetters: DeadLetterSink;
  metrics: ServiceMetrics;
  logger: Logger;
  defaults: EventDefaults;
  /** Events stamped further than this into the future (wall clock) are dead-lettered. */
  maxClockSkewMs: number;
  /** How often the watermark is re-read for quiet streams. Default 250 ms. */
  tickMs?: number;
  /** Called after each evaluation was exported (the Kafka source commits here). */
  onEvaluated?: (evaluation: Evaluation) => Promise<void>;
  now?: () => number;
  scheduler?: SchedulerLike;
  retry?: { baseMs: number; maxMs: number };
}

/** Latest check per model, for /drift and the metrics. */
export interface LatestCheck {
  model: string;
  modelVersion: string;
  windowEnd: string;
  state: 'ok' | 'drifting';
  check: CheckResult;
}

class StoppedError extends Error {}

/**
 * The streaming pipeline between a source and the exporters: decodes and routes events
 * (synchronously, per event), dead-letters what cannot be used, and runs evaluations one at a
 * time on an RxJS stream of triggers (a tick for quiet streams, and a kick after every batch).
 * Exports are retried with exponential backoff while the service runs; meanwhile `backlogged`
 * tells the source to stop fetching.
 */
export class Pipeline {
  private readonly kicks = new Subject<void>();
  private subscription: Subscription | null = null;
  private chain: Promise<void> = Promise.resolve();
  private evaluating = false;
  private stopped = false;
  private readonly aborter = new AbortController();
  private readonly inFlight = new Set<Map<number, number>>();
  /** An export was abandoned at shutdown: its window must not be committed as evaluated. */
  exportAbandoned = false;
  readonly latest = new Map<string, LatestCheck>();
  /** Sinks whose latest export failed. */
  readonly failingSinks = new Set<string>();
  readonly now: () => number;
  /** Decodes events, straight into rows of the features their window records (see fast-event.ts). */
  readonly decoder: EventDecoder;

  constructor(private readonly options: PipelineOptions) {
    this.now = options.now ?? Date.now;
    this.decoder = new EventDecoder((model, version) => options.engine.featuresFor(model, version));
  }

  get engine(): Engine {
    return this.options.engine;
  }

  start(): void {
    const scheduler = this.options.scheduler ?? asyncScheduler;
    this.subscription = merge(interval(this.options.tickMs ?? 250, scheduler), this.kicks)
      .pipe(exhaustMap(() => defer(() => this.runDue())))
      .subscribe({ error: (error) => this.options.logger.error({ err: error }, 'evaluation stream failed') });
  }

  /** Asks for an evaluation check now (after a batch). */
  kick(): void {
    this.kicks.next();
  }

  /**
   * Decodes and ingests a batch of messages; dead letters are written before this resolves,
   * so every message is either in a pane or on the dead-letter topic.
   */
  async ingest(messages: readonly SourceMessage[], isCurrent: () => boolean = () => true): Promise<void> {
    // Until this resolves, nothing from this batch may be committed as read: a dead letter not
    // yet written must be read again after a crash.
    const inFlight = new Map<number, number>();
    for (const m of messages) if (!(m.offset >= (inFlight.get(m.partition) ?? Infinity))) inFlight.set(m.partition, m.offset);
    this.inFlight.add(inFlight);
    try {
      await this.ingestBatch(messages, isCurrent);
    } finally {
      this.inFlight.delete(inFlight);
    }
  }

  /** Lowest offset per partition of the batches being ingested (commits must stay below it). */
  inFlightOffsets(): Map<number, number> {
    const min = new Map<number, number>();
    for (const batch of this.inFlight) for (const [p, o] of batch) if (!(o >= (min.get(p) ?? Infinity))) min.set(p, o);
    return min;
  }

  private async ingestBatch(messages: readonly SourceMessage[], isCurrent: () => boolean): Promise<void> {
    const { engine, metrics, references, defaults } = this.options;
    const now = this.now();
    const decoded: { message: SourceMessage; record: FeatureRecord }[] = [];
    const dead: DeadLetter[] = [];
    const unknown = new Map<string, readonly [string, string]>();
    let knownModel: string | undefined;
    let knownVersion: string | undefined;
    const arena = new RowArena();
    for (const message of messages) {
      const result = this.decoder.decode(message.value, message, defaults, arena);
      if (!result.ok) {
        if (engine.isHandled(message.partition, message.offset)) {
          engine.noteOffset(message.partition, message.offset);
          continue;
        }
        engine.countInvalid(result.failure.model);
        dead.push(this.deadLetter(message, result.failure));
        continue;
      }
      const record = result.record;
      if (record.eventTimeMs > now + this.options.maxClockSkewMs) {
        if (engine.isHandled(message.partition, message.offset)) {
          engine.noteOffset(message.partition, message.offset);
          continue;
        }
        engine.countInvalid(record.model);
        dead.push(
          this.deadLetter(message, {
            reason: 'future_timestamp',
            detail: `timestamp: ${new Date(record.eventTimeMs).toISOString()} is more than ${this.options.maxClockSkewMs} ms ahead of the clock`,
            path: 'timestamp',
            model: record.model,
          }),
        );
        continue;
      }
      if ((record.model !== knownModel || record.modelVersion !== knownVersion) && !references.has(record.model, record.modelVersion)) {
        unknown.set(`${record.model}\u0000${record.modelVersion}`, [record.model, record.modelVersion]);
      } else {
        knownModel = record.model;
        knownVersion = record.modelVersion;
      }
      decoded.push({ message, record });
    }
    if (unknown.size > 0) await references.ensure(unknown.values(), now);
    // A rebalance during the await above reset the windows: these records belong to the old assignment.
    if (!isCurrent()) return;
    // Counted per model once per batch: a labelled counter increment per event is costly.
    const consumed = new Map<string, number>();
    for (const { message, record } of decoded) {
      const outcome = engine.ingest(record, now);
      if (outcome.status === 'recorded') consumed.set(record.model, (consumed.get(record.model) ?? 0) + 1);
      else if (outcome.status === 'failed') {
        if (outcome.failure.reason === 'late') metrics.eventsLate.inc({ model: metrics.modelLabel(record.model) });
        dead.push(this.deadLetter(message, outcome.failure));
      }
    }
    for (const [model, count] of consumed) metrics.eventsConsumed.inc({ model: metrics.modelLabel(model) }, count);
    if (dead.length > 0) {
      await this.sendDeadLetters(dead);
      for (const d of dead) engine.noteOffset(d.source.partition, d.source.offset);
    }
    this.kick();
  }

  private deadLetter(message: SourceMessage, failure: DeadLetter['failure']): DeadLetter {
    this.options.metrics.eventsInvalid.inc({ model: this.options.metrics.modelLabel(failure.model ?? ''), reason: failure.reason });
    return {
      value: message.value,
      key: message.key,
      headers: message.headers,
      failure,
      source: { topic: message.topic, partition: message.partition, offset: message.offset, timestampMs: message.timestampMs },
    };
  }

  private async sendDeadLetters(items: DeadLetter[]): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.options.deadLetters.send(items);
        return;
      } catch (error) {
        this.options.metrics.deadLetterFailures.inc();
        if (this.stopped) throw error;
        const delay = this.backoff(attempt);
        this.options.logger.warn({ err: (error as Error).message, attempt, retryInMs: delay }, 'dead-letter write failed; retrying (consumption waits)');
        await sleep(delay, this.aborter.signal);
      }
    }
  }

  /** Evaluates every due window, one at a time; never overlapping another run. */
  runDue(): Promise<void> {
    const next = this.chain.then(() => this.evaluateAllDue());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async evaluateAllDue(): Promise<void> {
    const { engine, metrics } = this.options;
    for (;;) {
      const now = this.now();
      const evaluation = engine.evaluateDue(now);
      if (!evaluation) break;
      this.evaluating = true;
      try {
        for (const mc of evaluation.checks) {
          metrics.evaluationDuration.observe({ model: mc.model }, mc.durationMs / 1000);
          metrics.windowsEvaluated.inc({ model: mc.model });
        }
        if (evaluation.checks.length > 0) {
          try {
            await this.exportWithRetry(evaluation);
          } finally {
            engine.releaseIdleClock(this.now());
          }
          metrics.windowCloseToExport.observe(Math.max(0, this.now() - evaluation.closedAtWallMs) / 1000);
          this.record(evaluation);
        }
        await this.options.onEvaluated?.(evaluation);
      } catch (error) {
        if (error instanceof StoppedError) {
          this.exportAbandoned = true;
          return;
        }
        throw error;
      } finally {
        this.evaluating = false;
      }
    }
    const wm = engine.currentWatermark(this.now());
    if (Number.isFinite(wm)) metrics.watermark.set(wm / 1000);
    metrics.stateBytes.set(engine.stateSize().bytes);
  }

  private async exportWithRetry(evaluation: Evaluation): Promise<void> {
    await Promise.all(
      this.options.exporters.map(async (exporter) => {
        for (let attempt = 1; ; attempt++) {
          const result = await exporter.export(evaluation);
          if (result.ok) {
            this.failingSinks.delete(exporter.name);
            return;
          }
          this.failingSinks.add(exporter.name);
          this.options.metrics.sinkWriteFailures.inc({ sink: exporter.name });
          this.options.engine.holdIdleClock(this.now());
          if (!result.error.retriable) {
            this.options.logger.error({ sink: exporter.name, err: result.error.message, windowEnd: evaluation.windowEnd.toISOString() }, 'export failed and cannot be retried; window skipped for this sink');
            return;
          }
          if (this.stopped) throw new StoppedError(result.error.message);
          const delay = this.backoff(attempt);
          this.options.logger.warn({ sink: exporter.name, err: result.error.message, attempt, retryInMs: delay }, 'export failed; retrying (consumption waits)');
          await sleep(delay, this.aborter.signal);
        }
      }),
    );
  }

  private backoff(attempt: number): number {
    const { baseMs, maxMs } = this.options.retry ?? { baseMs: 200, maxMs: 30_000 };
    const cap = Math.min(maxMs, baseMs * 2 ** (attempt - 1));
    return Math.round(cap / 2 + Math.random() * (cap / 2));
  }

  private record(evaluation: Evaluation): void {
    const { metrics } = this.options;
    for (const mc of evaluation.checks) {
      this.latest.set(`${mc.model}\u0000${mc.modelVersion}`, { model: mc.model, modelVersion: mc.modelVersion, windowEnd: evaluation.windowEnd.toISOString(), state: mc.state, check: mc.check });
      metrics.driftDetected.set({ model: mc.model, model_version: mc.modelVersion }, mc.state === 'drifting' ? 1 : 0);
      for (const [feature, f] of Object.entries(mc.check.features)) {
        if (f.score !== null) metrics.featureDriftScore.set({ model: mc.model, model_version: mc.modelVersion, feature }, f.score);
      }
    }
  }

  /** True while an evaluation waits on a sink and more windows are due: the source should wait. */
  backlogged(): boolean {
    return this.evaluating && this.options.engine.dueWindowEnd(this.now()) !== null;
  }

  /** True when every exporter that can be reached answers and none is failing. */
  async sinksReachable(): Promise<boolean> {
    if (this.failingSinks.size > 0) return false;
    const answers = await Promise.all(this.options.exporters.map((e) => e.reachable?.() ?? Promise.resolve(true)));
    return answers.every(Boolean);
  }

  /** Resolves when no evaluation is running. */
  idle(): Promise<void> {
    return this.chain;
  }

  /**
   * The integration guide's dashboard JSON, per model: the latest check of its most recently
   * evaluated version at the top (feature_scores, last_check, drift_detected), and every
   * version's latest check under `versions` (a canary beside the stable version).
   */
  driftSummary(): Record<string, unknown> {
    const models: Record<string, { window_end: string; versions: Record<string, unknown>; [k: string]: unknown }> = {};
    for (const latest of this.latest.values()) {
      const featureScores: Record<string, number | null> = {};
      for (const [name, f] of Object.entries(latest.check.features)) featureScores[name] = f.score;
      const summary = {
        model_version: latest.modelVersion,
        feature_scores: featureScores,
        drifted_features: latest.check.drifted_features,
        last_check: latest.check.timestamp,
        window_end: latest.windowEnd,
        drift_detected: latest.check.drift_detected,
        state: latest.state,
        status: latest.check.status,
        metric: latest.check.metric,
        threshold: latest.check.threshold,
        sample_count: latest.check.sample_count,
      };
      const entry = models[latest.model];
      const versions = { ...(entry?.versions ?? {}), [latest.modelVersion]: summary };
      models[latest.model] = !entry || latest.windowEnd >= entry.window_end ? { ...summary, versions } : { ...entry, versions };
    }
    return { models };
  }

  /** Stops the trigger stream and ends retries at once (first step of a shutdown). */
  abort(): void {
    this.stopped = true;
    this.aborter.abort();
    this.subscription?.unsubscribe();
    this.subscription = null;
  }

  /** Aborts, then waits for the evaluation in hand. */
  async stop(): Promise<void> {
    this.abort();
    await this.chain;
  }

  async flushExporters(): Promise<void> {
    await Promise.all(this.options.exporters.map((e) => e.forceFlush().catch(() => undefined)));
  }

  /** Shuts every exporter down; each one's shutdown flushes what it still holds. */
  async shutdownExporters(): Promise<void> {
    await Promise.all(this.options.exporters.map((e) => e.shutdown().catch(() => undefined)));
  }
}

/** Waits `ms`, or less when `signal` aborts (shutdown). */
function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(done, ms);
    function done() {
      clearTimeout(timer);
      signal.removeEventListener('abort', done);
      resolve();
    }
    signal.addEventListener('abort', done, { once: true });
  });
}
