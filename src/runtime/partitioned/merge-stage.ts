import type { SchedulerLike } from 'rxjs';
import type { DriftDetector } from '../../core/detect/detector.js';
import type { Evaluation, ModelCheck } from '../../core/detect/evaluation.js';
import { Hysteresis, type HysteresisOptions, type HysteresisSnapshot } from '../../core/detect/hysteresis.js';
import { parseModelVersionKey } from '../../core/keys.js';
import type { ReferenceDistribution } from '../../core/reference/index.js';
import { attachedMultivariate } from '../../core/multivariate/state.js';
import { FeatureSetAccumulator } from '../../core/stats/index.js';
import { decodePartialPane } from '../../core/window/partial-pane.js';
import { PaneMerger } from '../../core/window/pane-merger.js';
import type { EvaluationExporter, Logger, ReferenceLookup, RuntimeMetrics } from '../ports.js';
import { backoffDelayMs, DEFAULT_BACKOFF, sleep, type BackoffOptions } from '../retry.js';
import type { Status } from '../status.js';
import { decodeWatermarkReport, encodeMergeMetadata, KIND_HEADER } from './wire.js';

/**
 * The merge stage of scale-out (docs/architecture.md, "Scale-out"): this instance owns some
 * partitions of the internal topic, hence the (model, version) keys that hash to them; for each
 * it merges the partial panes of every source partition (core/window/pane-merger.ts, idempotent
 * by (source partition, pane)), closes a window when every source partition's watermark has
 * passed its end, and evaluates and exports it as the single-instance engine does: the same
 * detector, hysteresis, exporters and drift event ids.
 *
 * State across restarts is rebuilt from the internal topic: an internal partition's committed
 * offset trails the record of every partial pane still held (a window not yet closed needs it),
 * its metadata keeps the end of the last evaluated window per key, and the hysteresis goes to
 * the state changelog (delivery/changelog.ts) before each commit.
 */
export interface PartialsMessage {
  /** Partition of the internal topic. */
  partition: number;
  offset: number;
  key: Buffer | string | null;
  value: Buffer | null;
  headers: Record<string, string>;
}

export interface MergeStageOptions {
  references: ReferenceLookup;
  exporters: EvaluationExporter[];
  detector: DriftDetector;
  hysteresis: HysteresisOptions;
  windowMs: number;
  slideMs: number;
  /** Every partition of the source topic: a window waits for each one's watermark. */
  sourcePartitions: readonly number[];
  status: Status;
  metrics: RuntimeMetrics;
  logger: Logger;
  /** Keep a copy of each window's values in the check (the reports). */
  keepCurrent?: boolean;
  now?: () => number;
  scheduler?: SchedulerLike;
  backoff?: BackoffOptions;
  signal: AbortSignal;
}

export interface InternalRestore {
  /** End of the last evaluated window per model\0version key. */
  ends: Record<string, number>;
}

export interface InternalCommit {
  partition: number;
  offset: number;
  metadata: string | null;
}

interface ModelMerge {
  key: string;
  model: string;
  modelVersion: string;
  partition: number;
  reference: ReferenceDistribution;
  merger: PaneMerger;
  hysteresis: Hysteresis;
  /** pane index → source partition → offset of the internal record holding it. */
  held: Map<number, Map<number, number>>;
  lastEndMs: number | null;
}

class StoppedError extends Error {}

export class MergeStage {
  private readonly models = new Map<string, ModelMerge>();
  /** Per internal partition: the highest watermark reported per source partition. */
  private readonly watermarks = new Map<number, Map<number, number>>();
  private readonly nextRead = new Map<number, number>();
  /** Per internal partition: the window ends its committed metadata kept. */
  private readonly restoredEnds = new Map<number, Record<string, number>>();
  private hysteresisState: Record<string, HysteresisSnapshot> = {};
  private owned: number[] = [];
  private generation = 0;
  private readonly now: () => number;
  private readonly panesPerWindow: number;
  /** Offered panes, merge work (for the benchmark and the logs). */
  readonly counts = { panes: 0, replaced: 0, late: 0, reports: 0, windows: 0, undecodable: 0, mergeMs: 0, withoutMultivariate: 0 };

  constructor(private readonly options: MergeStageOptions) {
    this.now = options.now ?? Date.now;
    this.panesPerWindow = options.windowMs / options.slideMs;
  }

  /** The internal partitions owned after a (re)join: state rebuilt from their committed offsets. */
  /**
   * `migratedEndMs`: the last window end a `single` run of the same group evaluated (a move from
   * single to partitioned); every (model, version) without an end of its own starts after it. It
   * is kept in the commit metadata under the key "" (no model is named "").
   */
  assign(partitions: readonly number[], restored: ReadonlyMap<number, InternalRestore>, hysteresis: Record<string, HysteresisSnapshot>, migratedEndMs: number | null = null): void {
    this.generation++;
    this.owned = [...partitions];
    this.models.clear();
    this.watermarks.clear();
    this.nextRead.clear();
    this.restoredEnds.clear();
    for (const p of partitions) {
      const ends = { ...(restored.get(p)?.ends ?? {}) };
      if (migratedEndMs !== null && ends[''] === undefined) ends[''] = migratedEndMs;
      this.restoredEnds.set(p, ends);
    }
    this.hysteresisState = { ...hysteresis };
  }

  get currentGeneration(): number {
    return this.generation;
  }

  /**
   * Takes a batch of internal records of one partition, merges them, and evaluates and exports
   * every window they closed, in order. Resolves when all exports are done.
   */
  async handle(messages: readonly PartialsMessage[]): Promise<void> {
    const generation = this.generation;
    const touched = new Set<ModelMerge>();
    for (const m of messages) {
      this.nextRead.set(m.partition, Math.max(this.nextRead.get(m.partition) ?? 0, m.offset + 1));
      if (m.value === null) continue;
      const kind = m.headers[KIND_HEADER];
      if (kind === 'watermark') {
        const report = decodeWatermarkReport(m.value.toString('utf8'));
        if (!report) {
          this.undecodable(m, 'watermark report does not decode');
          continue;
        }
        this.counts.reports++;
        let known = this.watermarks.get(m.partition);
        if (!known) this.watermarks.set(m.partition, (known = new Map()));
        for (const [source, ms] of report) {
          if (!this.options.sourcePartitions.includes(source)) continue;
          if (!(ms <= (known.get(source) ?? Number.NEGATIVE_INFINITY))) known.set(source, ms);
          for (const mm of this.models.values()) {
            if (mm.partition !== m.partition) continue;
            mm.merger.report(source, ms);
            touched.add(mm);
          }
        }
        continue;
      }
      const key = m.key === null ? '' : m.key.toString();
      const mm = await this.modelFor(key, m.partition);
      if (!mm) {
        this.undecodable(m, `no reference for the key ${JSON.stringify(key.replace('\u0000', ' '))}`);
        continue;
      }
      const t0 = performance.now();
      let partial;
      try {
        partial = decodePartialPane(m.value, mm.reference.signals);
      } catch (error) {
        this.undecodable(m, (error as Error).message);
        continue;
      }
      if (partial.model !== mm.model || partial.version !== mm.modelVersion) {
        this.undecodable(m, `pane of ${partial.model} ${partial.version} under the key of ${mm.model} ${mm.modelVersion}`);
        continue;
      }
      if (!this.options.sourcePartitions.includes(partial.partition)) {
        this.undecodable(m, `source partition ${partial.partition} is not a partition of the source topic`);
        continue;
      }
      const outcome = mm.merger.offer(partial);
      this.counts.mergeMs += performance.now() - t0;
      this.counts.panes++;
      if (outcome === 'late') this.counts.late++;
      else {
        if (outcome === 'replaced') this.counts.replaced++;
        const index = partial.paneStartMs / this.options.slideMs;
        let byPartition = mm.held.get(index);
        if (!byPartition) mm.held.set(index, (byPartition = new Map()));
        byPartition.set(partial.partition, m.offset);
      }
      touched.add(mm);
    }
    for (const mm of touched) {
      if (generation !== this.generation) return;
      await this.evaluateDue(mm);
    }
  }

  private undecodable(m: PartialsMessage, why: string): void {
    this.counts.undecodable++;
    this.options.logger.error({ partition: m.partition, offset: m.offset, err: why }, 'internal-topic record ignored (it cannot be merged)');
  }

  private async modelFor(key: string, partition: number): Promise<ModelMerge | undefined> {
    const known = this.models.get(key);
    if (known) return known;
    const [model, modelVersion] = parseModelVersionKey(key);
    if (!model || !modelVersion) return undefined;
    const { references } = this.options;
    if (!references.has(model, modelVersion)) await references.ensure([[model, modelVersion]], this.now());
    const reference = references.get(model, modelVersion);
    if (!reference) return undefined;
    const merger = new PaneMerger(reference.signals, this.panesPerWindow, this.options.slideMs, this.options.sourcePartitions);
    const ends = this.restoredEnds.get(partition);
    const lastEndMs = ends?.[key] ?? ends?.[''] ?? null;
    if (lastEndMs !== null) merger.startAt(lastEndMs + this.options.slideMs);
    for (const [source, ms] of this.watermarks.get(partition) ?? []) merger.report(source, ms);
    const hysteresis = new Hysteresis(this.options.hysteresis);
    const snapshot = this.hysteresisState[key];
    if (snapshot) hysteresis.restore(snapshot);
    const mm: ModelMerge = { key, model, modelVersion, partition, reference, merger, hysteresis, held: new Map(), lastEndMs };
    this.models.set(key, mm);
    return mm;
  }

  private async evaluateDue(mm: ModelMerge): Promise<void> {
    const t0 = performance.now();
    const windows = mm.merger.closeDue();
    this.counts.mergeMs += performance.now() - t0;
    for (const w of windows) {
      const started = performance.now();
      // Partial panes of format version 1 (a publisher not yet upgraded) carry no multivariate
      // state: such a window gets its univariate scores, and no multivariate score, loudly.
      const noMultivariate = w.withoutMultivariate > 0 && mm.reference.multivariate !== null;
      if (noMultivariate) {
        this.counts.withoutMultivariate++;
        this.options.logger.warn(
          { model: mm.model, modelVersion: mm.modelVersion, windowEnd: new Date(w.endMs).toISOString(), panes: w.withoutMultivariate, of: w.partials },
          'window merged from partial panes without multivariate state (format version 1, from an instance not yet upgraded): scored without its multivariate score',
        );
      }
      const check = this.options.detector.evaluate(w.values, mm.reference, noMultivariate ? { multivariate: false } : undefined);
      const decided = check.status === 'ok' ? check.drift_detected : null;
      const change = mm.hysteresis.update(decided);
      let current: FeatureSetAccumulator | undefined;
      if (this.options.keepCurrent) (current = new FeatureSetAccumulator(w.values.models, w.values.mmd ? attachedMultivariate(w.values.models) : null)).merge(w.values);
      const mc: ModelCheck = {
        model: mm.model,
        modelVersion: mm.modelVersion,
        check,
        change,
        state: mm.hysteresis.state,
        // Late and invalid events are met by the partial-aggregation stage of whichever instance
        // read them: they are in its metrics and dead letters, not in the merged check.
        lateEvents: 0,
        invalidEvents: 0,
        durationMs: performance.now() - started,
        ...(current ? { current } : {}),
      };
      const evaluation: Evaluation = { windowStart: new Date(w.endMs - this.options.windowMs), windowEnd: new Date(w.endMs), checks: [mc], closedAtWallMs: this.now() };
      this.options.metrics.windowEvaluated(mc);
      await this.exportWithRetry(evaluation);
      this.options.metrics.windowExported(Math.max(0, this.now() - evaluation.closedAtWallMs));
      this.options.status.record(evaluation);
      this.counts.windows++;
      mm.lastEndMs = w.endMs;
      // Panes no window still to close holds: their records need not be read again.
      const first = w.endMs / this.options.slideMs - this.panesPerWindow + 1;
      for (const index of mm.held.keys()) if (index < first) mm.held.delete(index);
    }
  }

  private async exportWithRetry(evaluation: Evaluation): Promise<void> {
    const { exporters, status, metrics, logger, signal } = this.options;
    await Promise.all(
      exporters.map(async (exporter) => {
        for (let attempt = 1; ; attempt++) {
          const result = await exporter.export(evaluation);
          if (result.ok) {
            status.failingSinks.delete(exporter.name);
            return;
          }
          status.failingSinks.add(exporter.name);
          metrics.sinkWriteFailed(exporter.name);
          if (!result.error.retriable) {
            logger.error(
              { sink: exporter.name, err: result.error.message, windowEnd: evaluation.windowEnd.toISOString() },
              'export failed and cannot be retried; window skipped for this sink',
            );
            return;
          }
          if (signal.aborted) throw new StoppedError(result.error.message);
          const delay = backoffDelayMs(attempt, this.options.backoff ?? DEFAULT_BACKOFF);
          logger.warn({ sink: exporter.name, err: result.error.message, attempt, retryInMs: delay }, 'export failed; retrying (the merge stage waits)');
          await sleep(delay, { signal, scheduler: this.options.scheduler });
        }
      }),
    );
  }

  /** The hysteresis of every (model, version) held, for the state changelog (before a commit). */
  hysteresisSnapshot(): Record<string, HysteresisSnapshot> {
    const out: Record<string, HysteresisSnapshot> = {};
    for (const mm of this.models.values()) out[mm.key] = mm.hysteresis.snapshot();
    return out;
  }

  /** Per owned internal partition read since the assignment: the offset trailing every held pane. */
  commits(partition?: number): InternalCommit[] {
    const out: InternalCommit[] = [];
    for (const p of this.owned) {
      if (partition !== undefined && p !== partition) continue;
      const next = this.nextRead.get(p);
      if (next === undefined) continue;
      let offset = next;
      const ends: Record<string, number> = { ...this.restoredEnds.get(p) };
      for (const mm of this.models.values()) {
        if (mm.partition !== p) continue;
        if (mm.lastEndMs !== null) ends[mm.key] = mm.lastEndMs;
        for (const byPartition of mm.held.values()) for (const o of byPartition.values()) if (o < offset) offset = o;
      }
      const metadata = encodeMergeMetadata(ends);
      if (metadata === null)
        this.options.logger.warn(
          { partition: p, keys: Object.keys(ends).length },
          'window ends too large for the commit metadata; after a restart those windows are evaluated again',
        );
      out.push({ partition: p, offset, metadata });
    }
    return out;
  }

  /** Panes held over every (model, version) (memory accounting, tests). */
  get heldPanes(): number {
    let n = 0;
    for (const mm of this.models.values()) n += mm.merger.paneCount;
    return n;
  }
}
