import { FeatureSetAccumulator, NumericRow, type FeatureModel } from '../stats/index.js';

/**
 * Sliding windows of one (model, version): a ring of panes, each a mergeable accumulation of
 * the events whose event time falls in [k·slide, (k+1)·slide), and a running sum of the panes
 * shared by the window evaluated next and the ones after it.
 *
 * The window ending at E covers panes [E/slide − P, E/slide − 1], P = size/slide. Evaluating it
 * adds the entering pane to the running sum and, afterwards, subtracts the leaving one and
 * drops it: O(features × bins) per slide, whatever the event rate.
 */
export interface Pane {
  readonly index: number;
  readonly values: FeatureSetAccumulator;
  /** Lowest Kafka offset recorded into this pane, per partition (for commits that trail open windows). */
  readonly minOffsets: Map<number, number>;
  /** Partition of the previous record: its offsets only grow, so its minimum is already known. */
  lastPartition: number;
}

export type RecordOutcome = 'recorded' | 'late';

/** An event's feature values: by name, in the reference's order, or decoded for this window's models. */
export type RowValues = Readonly<Record<string, unknown>> | readonly unknown[] | NumericRow;

/** Records one event's values into an accumulator, by the fastest route its form allows. */
export function recordInto(accumulator: FeatureSetAccumulator, values: RowValues): void {
  if (values instanceof NumericRow) {
    if (values.models === accumulator.models) accumulator.recordRow(values);
    else accumulator.recordObject(values.toObject());
  } else if (Array.isArray(values)) accumulator.recordArray(values as readonly unknown[]);
  else accumulator.recordObject(values as Readonly<Record<string, unknown>>);
}

/**
 * Accumulators holding rows deferred by FeatureSetAccumulator.deferRow, recorded together by
 * `flush` (the ingest stage calls it after each batch, so that no batch's rows outlive it).
 * Reading an accumulator records its rows too: the flush only bounds how long they wait.
 */
export class DeferredRows {
  private readonly holding: FeatureSetAccumulator[] = [];

  /** Records `values` into `into`: a row decoded for its models is deferred (recorded in a block later), anything else recorded now. */
  record(into: FeatureSetAccumulator, values: RowValues): void {
    if (values instanceof NumericRow && values.models === into.models) {
      if (into.deferRow(values)) this.holding.push(into);
    } else recordInto(into, values);
  }

  /** Records the rows deferred since the last flush. */
  flush(): void {
    const { holding } = this;
    for (let i = 0; i < holding.length; i++) holding[i].flush();
    holding.length = 0;
  }
}

export class SlidingWindow {
  private readonly panes = new Map<number, Pane>();
  /** Running sum of panes [sumLo, sumHi]; empty while sumHi < sumLo. */
  private readonly sum: FeatureSetAccumulator;
  private sumLo = Number.POSITIVE_INFINITY;
  private sumHi = Number.NEGATIVE_INFINITY;
  /** Panes below this index are closed: every window holding them was evaluated. */
  private openFrom = Number.NEGATIVE_INFINITY;

  constructor(
    readonly models: readonly FeatureModel[],
    readonly panesPerWindow: number,
    readonly slideMs: number,
  ) {
    this.sum = new FeatureSetAccumulator(models);
  }

  /**
   * Records one event. Returns 'late' (and records nothing) when its pane is already closed.
   * A row decoded for this window's models is recorded at the next `flush` or read of its pane.
   */
  record(eventTimeMs: number, values: RowValues, partition: number, offset: number): RecordOutcome {
    const index = Math.floor(eventTimeMs / this.slideMs);
    if (index < this.openFrom) return 'late';
    const pane = this.pane(index);
    // An event behind the watermark whose pane is already in the running sum goes there too.
    this.deferred.record(pane.values, values);
    if (index <= this.sumHi && index >= this.sumLo) this.deferred.record(this.sum, values);
    // Offsets of a partition only grow while a pane lives (a re-read starts from fresh panes),
    // so only the first record of each partition sets its minimum; min() guards the rest.
    if (pane.lastPartition !== partition) {
      const known = pane.minOffsets.get(partition);
      if (known === undefined || offset < known) pane.minOffsets.set(partition, offset);
      pane.lastPartition = partition;
    }
    return 'recorded';
  }

  /** The pane and running-sum accumulators holding deferred rows, until `flush`. */
  private readonly deferred = new DeferredRows();

  /** Records the decoded rows deferred since the last flush (the ingest stage calls it after each batch). */
  flush(): void {
    this.deferred.flush();
  }

  /** The pane of the previous event (events mostly arrive in time order). */
  private lastPane: Pane | undefined;

  private pane(index: number): Pane {
    // lastPane is cleared whenever a pane is dropped, so it is always one of this.panes.
    if (this.lastPane !== undefined && this.lastPane.index === index) return this.lastPane;
    let pane = this.panes.get(index);
    if (!pane) {
      pane = { index, values: this.spare.pop() ?? new FeatureSetAccumulator(this.models), minOffsets: new Map(), lastPartition: -1 };
      this.panes.set(index, pane);
    }
    return (this.lastPane = pane);
  }

  /**
   * Accumulators of dropped panes, reset, for the next new panes: a pane of 100 features costs
   * about ten times more to allocate than to reset (its count arrays), once per slide. The
   * window's panes are its own (evaluate hands out the running sum only), so nothing else holds them.
   */
  private readonly spare: FeatureSetAccumulator[] = [];

  private drop(pane: Pane): void {
    this.panes.delete(pane.index);
    if (this.spare.length < 2) {
      pane.values.reset();
      this.spare.push(pane.values);
    }
  }

  /** Lowest pane index holding events, or null. */
  get firstPane(): number | null {
    let first: number | null = null;
    for (const index of this.panes.keys()) if (first === null || index < first) first = index;
    return first;
  }

  /**
   * Positions the window so that the next one evaluated ends at `nextEndMs`: panes before
   * [nextEnd/slide − P] are closed; the running sum covers the P − 1 panes before the last.
   */
  startAt(nextEndMs: number): void {
    const last = nextEndMs / this.slideMs - 1;
    this.openFrom = last - this.panesPerWindow + 1;
    this.sum.reset();
    this.sumLo = this.openFrom;
    this.sumHi = last - 1;
    this.lastPane = undefined;
    for (const [index, pane] of this.panes) {
      if (index < this.openFrom) this.drop(pane);
      else if (index <= this.sumHi) this.sum.merge(pane.values);
    }
  }

  /**
   * Completes the window ending at `endMs` (which must be the one positioned by startAt or by
   * the previous advance): adds the entering pane to the running sum and hands the window's
   * values to `evaluate`, then subtracts and drops the leaving pane.
   */
  evaluate<T>(endMs: number, evaluate: (values: FeatureSetAccumulator) => T): T {
    const last = endMs / this.slideMs - 1;
    if (last !== this.sumHi + 1) throw new Error(`window ending ${endMs} evaluated out of order (expected pane ${this.sumHi + 1}, got ${last})`);
    const entering = this.panes.get(last);
    if (entering) this.sum.merge(entering.values);
    this.sumHi = last;
    const result = evaluate(this.sum);
    const leaving = this.panes.get(this.sumLo);
    if (leaving) {
      this.sum.subtract(leaving.values);
      this.drop(leaving);
      if (this.lastPane === leaving) this.lastPane = undefined;
    }
    this.sumLo++;
    this.openFrom = this.sumLo;
    return result;
  }

  /** Rows in the running sum plus the entering pane, without evaluating: is the next window empty? */
  rowsInWindowEnding(endMs: number): number {
    const entering = this.panes.get(endMs / this.slideMs - 1);
    return this.sum.rows + (entering ? entering.values.rows : 0);
  }

  /** Lowest offset still needed per partition: the minimum over the open panes. */
  minOpenOffsets(into: Map<number, number>): void {
    for (const pane of this.panes.values()) {
      for (const [partition, offset] of pane.minOffsets) {
        const known = into.get(partition);
        if (known === undefined || offset < known) into.set(partition, offset);
      }
    }
  }

  /** No pane and nothing in the running sum: the window holds no event. */
  get isEmpty(): boolean {
    return this.panes.size === 0 && this.sum.rows === 0;
  }

  get paneCount(): number {
    return this.panes.size;
  }

  get byteSize(): number {
    let bytes = this.sum.byteSize;
    for (const pane of this.panes.values()) bytes += pane.values.byteSize + 32 * pane.minOffsets.size;
    for (const values of this.spare) bytes += values.byteSize;
    return bytes;
  }
}
