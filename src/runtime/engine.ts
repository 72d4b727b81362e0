import type { ReferenceDistribution } from '../core/reference/index.js';
import { modelVersionKey as key } from '../core/keys.js';
import { FeatureSetAccumulator, NumericRow, type FeatureModel } from '../core/stats/index.js';
import type { DecodeFailure, FeatureRecord } from '../core/event/event.js';
import { SlidingWindow } from '../core/window/sliding-window.js';
import { WatermarkTracker } from '../core/window/watermark.js';
import type { DriftDetector } from '../core/detect/detector.js';
import { Hysteresis, type HysteresisOptions, type HysteresisSnapshot } from '../core/detect/hysteresis.js';
import type { Evaluation, ModelCheck } from '../core/detect/evaluation.js';

export type { Evaluation, ModelCheck } from '../core/detect/evaluation.js';

/**
 * The streaming core without I/O: routes feature records into per-(model, version) sliding
 * windows, tracks the watermark, evaluates each window once when the watermark passes its end,
 * and applies hysteresis. The ingest stage feeds it, the evaluation stage exports what it
 * returns; which offsets are safe to commit is the delivery ledger's (delivery/ledger.ts).
 * Time is passed in, so tests drive it without sleeping.
 */
export interface EngineOptions {
  windowMs: number;
  slideMs: number;
  allowedLatenessMs: number;
  idleTimeoutMs: number;
  /** See WatermarkOptions.maxAheadOfClockMs (default: unbounded). */
  maxAheadOfClockMs?: number;
  /**
   * Events older than their partition's progress by more than this are dead-lettered
   * `too_old` instead of opening windows of their own (default 3 windows).
   */
  maxEventAgeMs?: number;
  /** See WatermarkOptions.confirmations (default 2). */
  watermarkConfirmations?: number;
  hysteresis: HysteresisOptions;
  detector: DriftDetector;
  /** Keep a copy of each evaluated window's values in `ModelCheck.current` (reports; default false). */
  keepCurrent?: boolean;
  /** The reference for a model version, or undefined (→ dead letter `no_reference`). */
  referenceFor(model: string, modelVersion: string): ReferenceDistribution | undefined;
}

/** What a restart needs besides the re-read events (kept in the offset commit's metadata). */
export interface DurableState {
  /** End of the last evaluated window, epoch ms. */
  lastEndMs: number;
  hysteresis: Record<string, HysteresisSnapshot>;
}

interface ModelWindow {
  model: string;
  modelVersion: string;
  reference: ReferenceDistribution;
  window: SlidingWindow;
  hysteresis: Hysteresis;
  late: number;
  invalid: number;
}

export type IngestOutcome = { status: 'recorded' } | { status: 'skipped' } | { status: 'failed'; failure: DecodeFailure };

export class Engine {
  private readonly windows = new Map<string, ModelWindow>();
  private readonly watermark: WatermarkTracker;
  private readonly panesPerWindow: number;
  /** End of the next window to evaluate; null until the first evaluation (or a restore). */
  private nextEndMs: number | null = null;
  private restoredHysteresis: Record<string, HysteresisSnapshot> = {};
  /** Failures found before the engine (decoding), per (model, version) key, until the next evaluation. */
  private readonly pendingInvalid = new Map<string, number>();

  constructor(private readonly options: EngineOptions) {
    const { windowMs, slideMs } = options;
    if (!(slideMs > 0) || !(windowMs >= slideMs) || windowMs % slideMs !== 0) {
      throw new RangeError(`window (${windowMs} ms) must be a positive multiple of the slide (${slideMs} ms)`);
    }
    this.panesPerWindow = windowMs / slideMs;
    this.maxEventAgeMs = options.maxEventAgeMs ?? 3 * windowMs;
    this.watermark = new WatermarkTracker({ ...options, confirmations: options.watermarkConfirmations });
  }

  private readonly maxEventAgeMs: number;

  /**
   * Counts an event time towards its partition's progress ahead of `ingest` (which must then
   * be called with `observed`): ingest observes a whole batch first, so that the `too_old`
   * horizon of each event already knows the batch it came with.
   */
  observe(partition: number, eventTimeMs: number, nowWallMs: number): void {
    this.watermark.observe(partition, eventTimeMs, nowWallMs);
  }

  /**
   * Records a decoded event. A failure is returned for the dead-letter topic. `handled`: the
   * record was handled before a restart (delivery/ledger.ts), so a failure is not reported
   * again (`skipped`).
   */
  ingest(record: FeatureRecord, nowWallMs: number, handled = false, observed = false): IngestOutcome {
    const mw = this.windowFor(record.model, record.modelVersion);
    if (!mw) {
      return handled
        ? { status: 'skipped' }
        : fail({ reason: 'no_reference', detail: `model_version: no reference distribution for "${record.modelVersion}"`, path: 'model_version', model: record.model });
    }
    const values = record.values;
    if (Array.isArray(values) && values.length !== mw.reference.features.length) {
      if (handled) return { status: 'skipped' };
      mw.invalid++;
      return fail({
        reason: 'feature_vector_length',
        detail: `feature_vector: has ${values.length} values, the reference of ${record.modelVersion} has ${mw.reference.features.length} features (${mw.reference.featureNames.join(', ')})`,
        path: 'feature_vector',
        model: record.model,
      });
    }
    // A NumericRow holds at least one reference feature (the fast decoder hands over no other).
    if (!(values instanceof NumericRow) && !Array.isArray(values) && !hasAnyFeature(values as Readonly<Record<string, unknown>>, mw.reference.features)) {
      if (handled) return { status: 'skipped' };
      mw.invalid++;
      return fail({
        reason: 'no_known_features',
        detail: `features: none of the reference features (${mw.reference.featureNames.join(', ')}) is present`,
        path: 'features',
        model: record.model,
      });
    }
    // Events from long before their partition's progress (the state's horizon) would open
    // windows of their own: they are dead letters (docs/windows-and-delivery.md, "Outliers").
    const horizonMs = this.watermark.progressOf(record.partition) - this.maxEventAgeMs;
    if (record.eventTimeMs < horizonMs) {
      if (handled) return { status: 'skipped' };
      mw.invalid++;
      return fail({
        reason: 'too_old',
        detail: `timestamp: event time ${new Date(record.eventTimeMs).toISOString()} is more than ${this.maxEventAgeMs} ms (MAX_EVENT_AGE) before its partition's progress ${new Date(horizonMs + this.maxEventAgeMs).toISOString()}`,
        path: 'timestamp',
        model: record.model,
      });
    }
    if (!observed) this.watermark.observe(record.partition, record.eventTimeMs, nowWallMs);
    // A fast-decoded row of this reference already holds the outputs (core/event/decoder.ts).
    const complete = mw.reference.outputs.length === 0 || (values instanceof NumericRow && values.models === mw.reference.signals);
    const signals = complete ? values : withOutputs(values, record.outputs, mw.reference.outputs);
    const outcome = mw.window.record(record.eventTimeMs, signals, record.partition, record.offset);
    if (outcome === 'late') {
      if (handled) return { status: 'skipped' };
      mw.late++;
      return fail({
        reason: 'late',
        detail: `timestamp: event time ${new Date(record.eventTimeMs).toISOString()} is older than every open window (next window ends ${new Date(this.nextEndMs ?? 0).toISOString()})`,
        path: 'timestamp',
        model: record.model,
      });
    }
    return { status: 'recorded' };
  }

  /**
   * Records the decoded rows `ingest` deferred (core/window/sliding-window.ts): the ingest stage
   * calls it after each batch. Evaluating or reading a window records them in any case.
   */
  flush(): void {
    for (const mw of this.windows.values()) mw.window.flush();
  }

  /**
   * Counts a failure found before the engine (decoding) against its (model, version), when both
   * are known and that pair has a window: a model name is untrusted input, and a failure whose
   * version cannot be read is counted in the metrics only.
   */
  countInvalid(model: string | undefined, modelVersion: string | undefined): void {
    if (model === undefined || modelVersion === undefined) return;
    const k = key(model, modelVersion);
    if (!this.windows.has(k)) return;
    this.pendingInvalid.set(k, (this.pendingInvalid.get(k) ?? 0) + 1);
  }

  /** The window of the previous event: consecutive events are mostly of the same model version. */
  private last: ModelWindow | undefined;

  /** The features an event of (model, version) is recorded against: its window's, or the reference it would get. */
  featuresFor(model: string, modelVersion: string): readonly FeatureModel[] | undefined {
    // The window's signals: the features, then the model's outputs when the reference has them.
    return this.referenceOf(model, modelVersion)?.signals;
  }

  /** How many of featuresFor's models are model outputs (the last ones); 0 when none. */
  outputCount(model: string, modelVersion: string): number {
    return this.referenceOf(model, modelVersion)?.outputs.length ?? 0;
  }

  private referenceOf(model: string, modelVersion: string): ReferenceDistribution | undefined {
    const last = this.last;
    if (last && last.model === model && last.modelVersion === modelVersion) return last.reference;
    return this.windows.get(key(model, modelVersion))?.reference ?? this.options.referenceFor(model, modelVersion);
  }

  private windowFor(model: string, modelVersion: string): ModelWindow | undefined {
    const last = this.last;
    if (last && last.model === model && last.modelVersion === modelVersion) return last;
    const k = key(model, modelVersion);
    let mw = this.windows.get(k);
    if (mw) return (this.last = mw);
    const reference = this.options.referenceFor(model, modelVersion);
    if (!reference) return undefined;
    const window = new SlidingWindow(reference.signals, this.panesPerWindow, this.options.slideMs);
    if (this.nextEndMs !== null) window.startAt(this.nextEndMs);
    const hysteresis = new Hysteresis(this.options.hysteresis);
    const restored = this.restoredHysteresis[k];
    if (restored) {
      hysteresis.restore(restored);
      delete this.restoredHysteresis[k];
    }
    mw = { model, modelVersion, reference, window, hysteresis, late: 0, invalid: 0 };
    this.windows.set(k, mw);
    return (this.last = mw);
  }

  currentWatermark(nowWallMs: number): number {
    return this.watermark.current(nowWallMs);
  }

  /** The end of the next window if the watermark has passed it, else null. */
  dueWindowEnd(nowWallMs: number): number | null {
    const wm = this.watermark.current(nowWallMs);
    if (this.nextEndMs === null) {
      const first = this.firstPane();
      if (first === null) return null;
      const end = (first + 1) * this.options.slideMs;
      return wm >= end ? end : null;
    }
    return wm >= this.nextEndMs ? this.nextEndMs : null;
  }

  /**
   * Evaluates the next window if it is due. Windows in which no model has any event are
   * skipped (the evaluation clock still advances).
   */
  evaluateDue(nowWallMs: number, closedAtWallMs = nowWallMs): Evaluation | null {
    const end = this.dueWindowEnd(nowWallMs);
    if (end === null) return null;
    if (this.nextEndMs === null) {
      this.nextEndMs = end;
      for (const mw of this.windows.values()) mw.window.startAt(end);
    }
    const start = end - this.options.windowMs;
    const checks: ModelCheck[] = [];
    for (const mw of this.windows.values()) {
      const hasRows = mw.window.rowsInWindowEnding(end) > 0;
      const t0 = performance.now();
      let current: FeatureSetAccumulator | undefined;
      const check = mw.window.evaluate(end, (values) => {
        if (!hasRows) return null;
        // The running sum changes at the next slide: a report needs its own copy.
        if (this.options.keepCurrent) (current = new FeatureSetAccumulator(values.models)).merge(values);
        return this.options.detector.evaluate(values, mw.reference);
      });
      if (!check) continue;
      const decided = check.status === 'ok' ? check.drift_detected : null;
      const change = mw.hysteresis.update(decided);
      const k = key(mw.model, mw.modelVersion);
      const invalidBeforeEngine = this.pendingInvalid.get(k) ?? 0;
      this.pendingInvalid.delete(k);
      checks.push({
        model: mw.model,
        modelVersion: mw.modelVersion,
        check,
        change,
        state: mw.hysteresis.state,
        lateEvents: mw.late,
        invalidEvents: mw.invalid + invalidBeforeEngine,
        durationMs: performance.now() - t0,
        ...(current ? { current } : {}),
      });
      mw.late = 0;
      mw.invalid = 0;
    }
    this.nextEndMs = end + this.options.slideMs;
    this.evictIdle();
    this.skipEmptyStretch();
    return { windowStart: new Date(start), windowEnd: new Date(end), checks, closedAtWallMs };
  }

  /**
   * Forgets (model, version) pairs whose windows hold no event and that are not drifting: a
   * version no longer served costs nothing, and the commit metadata keeps only live state.
   * A drifting one is kept, so that its drift_resolved still comes.
   */
  private evictIdle(): void {
    this.last = undefined;
    for (const [k, mw] of this.windows) {
      if (mw.window.isEmpty && mw.hysteresis.state === 'ok') this.windows.delete(k);
    }
  }

  /** After a gap in the stream, jump the evaluation clock to the first window holding events. */
  private skipEmptyStretch(): void {
    if (this.nextEndMs === null) return;
    const first = this.firstPane();
    if (first === null) return;
    const firstEnd = (first + 1) * this.options.slideMs;
    if (firstEnd > this.nextEndMs) {
      this.nextEndMs = firstEnd;
      for (const mw of this.windows.values()) mw.window.startAt(firstEnd);
    }
  }

  private firstPane(): number | null {
    let first: number | null = null;
    for (const mw of this.windows.values()) {
      const p = mw.window.firstPane;
      if (p !== null && (first === null || p < first)) first = p;
    }
    return first;
  }

  /** End of the last evaluated window, or null. */
  get lastEndMs(): number | null {
    return this.nextEndMs === null ? null : this.nextEndMs - this.options.slideMs;
  }

  durableState(): DurableState | null {
    const lastEndMs = this.lastEndMs;
    if (lastEndMs === null) return null;
    const hysteresis: Record<string, HysteresisSnapshot> = { ...this.restoredHysteresis };
    for (const [k, mw] of this.windows) hysteresis[k] = mw.hysteresis.snapshot();
    return { lastEndMs, hysteresis };
  }

  /** Per partition, the lowest offset still inside an open pane (commits must stay at or below it). */
  minOpenOffsets(): Map<number, number> {
    const open = new Map<number, number>();
    for (const mw of this.windows.values()) mw.window.minOpenOffsets(open);
    return open;
  }

  /** Restores what a previous run committed (the offsets are the delivery ledger's). */
  restore(state: DurableState | null): void {
    if (!state) return;
    this.nextEndMs = state.lastEndMs + this.options.slideMs;
    // Only drifting states need carrying until their model shows up again.
    this.restoredHysteresis = Object.fromEntries(Object.entries(state.hysteresis).filter(([, snapshot]) => snapshot[0] === 1));
    for (const [k, mw] of this.windows) {
      mw.window.startAt(this.nextEndMs);
      const snapshot = state.hysteresis[k];
      if (snapshot) mw.hysteresis.restore(snapshot);
      delete this.restoredHysteresis[k];
    }
  }

  /** Drops every window and all progress (before rebuilding from committed offsets). */
  reset(): void {
    this.last = undefined;
    this.windows.clear();
    this.watermark.reset();
    this.nextEndMs = null;
    this.restoredHysteresis = {};
    this.pendingInvalid.clear();
  }

  assignPartitions(partitions: readonly number[], nowWallMs: number): void {
    this.watermark.assign(partitions, nowWallMs);
  }

  setPartitionLag(partition: number, lag: number): void {
    this.watermark.setLag(partition, lag);
  }

  /** The service stopped reading (sink outage): silence must not close windows meanwhile. */
  holdIdleClock(nowWallMs: number): void {
    this.watermark.hold(nowWallMs);
  }

  releaseIdleClock(nowWallMs: number): void {
    this.watermark.release(nowWallMs);
  }

  /** End of a recorded stream: let the watermark pass the end of the last pane with events. */
  finishInput(): void {
    const max = this.watermark.maxEventTime;
    if (Number.isFinite(max)) this.watermark.advanceTo((Math.floor(max / this.options.slideMs) + 1) * this.options.slideMs);
  }

  /** Per (model, version): panes held and approximate bytes (for /metrics and the benchmark). */
  stateSize(): { windows: number; panes: number; bytes: number } {
    let panes = 0;
    let bytes = 0;
    for (const mw of this.windows.values()) {
      panes += mw.window.paneCount;
      bytes += mw.window.byteSize;
    }
    return { windows: this.windows.size, panes, bytes };
  }

  models(): { model: string; modelVersion: string; state: 'ok' | 'drifting' }[] {
    return [...this.windows.values()].map((mw) => ({ model: mw.model, modelVersion: mw.modelVersion, state: mw.hysteresis.state }));
  }
}

/**
 * An event's values with its outputs beside the features, in the window's signal order (the
 * features, then the outputs): an output the event lacks counts as missing.
 */
export function withOutputs(values: FeatureRecord['values'], outputs: FeatureRecord['outputs'], models: readonly FeatureModel[]): FeatureRecord['values'] {
  if (Array.isArray(values)) return [...(values as readonly unknown[]), ...models.map((m) => outputs?.[m.name])];
  // An own key even when absent (undefined): a stray `features.prediction` is not the output.
  const merged: Record<string, unknown> = values instanceof NumericRow ? values.toObject() : { ...(values as Readonly<Record<string, unknown>>) };
  for (const m of models) merged[m.name] = outputs?.[m.name];
  return merged;
}

/** Does the event carry any of the reference's features (as an own key: "constructor" is not one)? */
function hasAnyFeature(values: Readonly<Record<string, unknown>>, features: readonly FeatureModel[]): boolean {
  if (Object.hasOwn(values, features[0].name)) return true;
  return features.some((f) => Object.hasOwn(values, f.name));
}

function fail(failure: DecodeFailure): IngestOutcome {
  return { status: 'failed', failure };
}
