// SCALE_MODE=partitioned without a broker (issue 15): the two runtime stages wired as the
// service wires them, the internal topic an in-memory log. One model's events spread over 6
// source partitions (as a topic keyed by request id spreads them), read by 2 partial-aggregation
// stages and merged by one merge stage. Oracles: the batch check of each window's events, and
// the single-instance pipeline over the same messages; an instance killed mid-stream whose
// successor resumes from the committed offsets changes nothing, and republished panes replace.
import { describe, expect, it } from 'vitest';
import { DriftDetector, accumulate } from '../../../../src/core/detect/detector.js';
import type { Evaluation } from '../../../../src/core/detect/evaluation.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { Engine } from '../../../../src/runtime/engine.js';
import { InMemoryExporter } from '../../../../src/runtime/memory-exporter.js';
import { MergeStage, type PartialsMessage } from '../../../../src/runtime/partitioned/merge-stage.js';
import { PartialStage, type PartialsPublisher, type PartitionRestore, type SourceCommit } from '../../../../src/runtime/partitioned/partial-stage.js';
import {
  KIND_HEADER,
  decodeWatermarkReport,
  encodePartialMetadata,
  encodeWatermarkReport,
  parseMergeMetadata,
  parsePartialMetadata,
} from '../../../../src/runtime/partitioned/wire.js';
import { Pipeline } from '../../../../src/runtime/pipeline.js';
import { NO_METRICS, type Logger, type ReferenceLookup, type SourceMessage } from '../../../../src/runtime/ports.js';
import { Status } from '../../../../src/runtime/status.js';
import { creditRow, rng } from '../../../fixtures/random.js';

const MIN = 60_000;
const SLIDE = 5 * MIN;
const WINDOW = 20 * MIN;
const LATENESS = 30_000;
const PARTITIONS = [0, 1, 2, 3, 4, 5];
const START = Date.UTC(2026, 0, 5, 10, 0, 0);
const MINUTES = 90;

const g = rng(15);
const ref = ReferenceDistribution.fromRows(
  Array.from({ length: 3000 }, () => creditRow(g)),
  { modelVersion: 'v1' },
);
const references: ReferenceLookup = {
  get: (model, version) => (model === 'credit' && version === 'v1' ? ref : undefined),
  has: (model, version) => model === 'credit' && version === 'v1',
  ensure: async () => undefined,
};
const detector = () => new DriftDetector({ minSamples: 50, now: () => new Date(0) });
const silent: Logger = { error: () => undefined, warn: () => undefined, info: () => undefined, debug: () => undefined, child: () => silent };

interface Event {
  partition: number;
  offset: number;
  t: number;
  row: Record<string, unknown>;
  value: string;
}

/** 20 events a minute, request-keyed (a random partition each), drifting from minute 50, ≤ 10 s out of order. */
function stream(): Event[] {
  const r = rng(1515);
  const next = PARTITIONS.map(() => 0);
  const events: Event[] = [];
  for (let i = 0; i < MINUTES * 20; i++) {
    const t = Math.round(START + i * 3_000 + r.uniform() * 10_000);
    const partition = Math.floor(r.uniform() * PARTITIONS.length);
    const row = creditRow(r, t >= START + 50 * MIN);
    const value = JSON.stringify({ model: 'credit', model_version: 'v1', timestamp: new Date(t).toISOString(), features: row });
    events.push({ partition, offset: next[partition]++, t, row, value });
  }
  return events;
}
const EVENTS = stream();
const message = (e: Event): SourceMessage => ({ topic: 'predictions', partition: e.partition, offset: e.offset, timestampMs: e.t, key: null, value: e.value, headers: {} });

/** The internal topic: one partition (one model), an append-only log. */
class Log implements PartialsPublisher {
  readonly records: PartialsMessage[] = [];
  private cursor = 0;
  /** The records not yet delivered to the merge stage. */
  take(): PartialsMessage[] {
    const out = this.records.slice(this.cursor);
    this.cursor = this.records.length;
    return out;
  }
  async publish(panes: { key: string; value: Uint8Array }[], report: string | null): Promise<void> {
    for (const p of panes) this.records.push({ partition: 0, offset: this.records.length, key: p.key, value: Buffer.from(p.value), headers: { [KIND_HEADER]: 'pane' } });
    if (report !== null) this.records.push({ partition: 0, offset: this.records.length, key: null, value: Buffer.from(report), headers: { [KIND_HEADER]: 'watermark' } });
  }
}

function partialStage(publisher: PartialsPublisher, lookup: ReferenceLookup = references): PartialStage {
  return new PartialStage({
    references: lookup,
    deadLetters: { send: async () => undefined },
    metrics: NO_METRICS,
    logger: silent,
    defaults: {},
    publisher,
    windowMs: WINDOW,
    slideMs: SLIDE,
    allowedLatenessMs: LATENESS,
    idleTimeoutMs: 3_600_000,
    maxClockSkewMs: Number.POSITIVE_INFINITY,
    reportIntervalMs: 0,
    now: () => START + MINUTES * MIN,
    signal: new AbortController().signal,
  });
}

function mergeStage(exporter: InMemoryExporter, lookup: ReferenceLookup = references): MergeStage {
  return new MergeStage({
    references: lookup,
    exporters: [exporter],
    detector: detector(),
    hysteresis: { raiseAfter: 1, clearAfter: 2 },
    windowMs: WINDOW,
    slideMs: SLIDE,
    sourcePartitions: PARTITIONS,
    status: new Status(NO_METRICS),
    metrics: NO_METRICS,
    logger: silent,
    signal: new AbortController().signal,
  });
}

/** The batch check of the window ending at `end` over every event. */
function oracle(end: number) {
  return detector().evaluate(
    accumulate(
      EVENTS.filter((e) => e.t >= end - WINDOW && e.t < end).map((e) => e.row),
      ref,
    ),
    ref,
  );
}

/** Window ends from the first pane's to the last pane's: the watermark passes the last pane at the end of input. */
const LAST_END = (Math.floor(Math.max(...EVENTS.map((e) => e.t)) / SLIDE) + 1) * SLIDE;
const ENDS = Array.from({ length: (LAST_END - START) / SLIDE }, (_, i) => START + (i + 1) * SLIDE);

const byEnd = (evaluations: Evaluation[]) => new Map(evaluations.flatMap((e) => e.checks.map((c) => [e.windowEnd.getTime(), { check: c.check, change: c.change }] as const)));

/** Feeds each instance its partitions in chunks of 25 events, round robin, flushing after each. */
async function run(
  instances: { stage: PartialStage; partitions: number[]; from?: Map<number, number> }[],
  log: Log,
  merge: MergeStage,
  stopAfter?: { instance: number; chunks: number },
) {
  const commits = new Map<number, SourceCommit[]>();
  const deliver = () => merge.handle(log.take());
  const queues = instances.map(({ partitions, from }) => EVENTS.filter((e) => partitions.includes(e.partition) && e.offset >= (from?.get(e.partition) ?? 0)));
  const chunks = instances.map(() => 0);
  for (let round = 0; queues.some((q) => q.length > 0); round++) {
    for (const [i, { stage }] of instances.entries()) {
      if (stopAfter && stopAfter.instance === i && chunks[i] >= stopAfter.chunks) queues[i] = [];
      const chunk = queues[i].splice(0, 25);
      if (chunk.length === 0) continue;
      chunks[i]++;
      await stage.ingest(chunk.map(message));
      for (const c of (await stage.flush()) ?? []) commits.set(c.partition, [...(commits.get(c.partition) ?? []), c]);
      await deliver();
    }
  }
  return { commits, deliver };
}

async function finish(stages: PartialStage[], log: Log, merge: MergeStage) {
  for (const s of stages) s.endOfInput(LAST_END);
  for (const s of stages) await s.flush();
  await merge.handle(log.take());
}

describe('partitioned runtime: partial aggregation → internal log → merge', () => {
  it('two instances over six partitions: every window equals the batch check and the single-instance run', async () => {
    const log = new Log();
    const exporter = new InMemoryExporter();
    const merge = mergeStage(exporter);
    merge.assign([0], new Map(), {});
    const a = partialStage(log);
    const b = partialStage(log);
    a.assign([0, 1, 2], new Map());
    b.assign([3, 4, 5], new Map());
    await run(
      [
        { stage: a, partitions: [0, 1, 2] },
        { stage: b, partitions: [3, 4, 5] },
      ],
      log,
      merge,
    );
    await finish([a, b], log, merge);

    // Single instance, same messages, same order within each partition.
    const single = new InMemoryExporter();
    const pipeline = new Pipeline({
      engine: new Engine({
        windowMs: WINDOW,
        slideMs: SLIDE,
        allowedLatenessMs: LATENESS,
        idleTimeoutMs: 3_600_000,
        hysteresis: { raiseAfter: 1, clearAfter: 2 },
        detector: detector(),
        referenceFor: references.get,
      }),
      references,
      exporters: [single],
      deadLetters: { send: async () => undefined },
      metrics: NO_METRICS,
      logger: silent,
      defaults: {},
      maxClockSkewMs: Number.POSITIVE_INFINITY,
      now: () => START + MINUTES * MIN,
    });
    pipeline.assignPartitions(PARTITIONS);
    for (let i = 0; i < EVENTS.length; i += 50) {
      await pipeline.ingest(EVENTS.slice(i, i + 50).map(message));
      await pipeline.runDue();
    }
    pipeline.endOfInput();
    await pipeline.runDue();

    const got = byEnd(exporter.evaluations);
    const want = byEnd(single.evaluations);
    expect([...want.keys()]).toEqual(ENDS);
    expect([...got.keys()]).toEqual(ENDS);
    for (const [end, { check }] of got) expect(check, new Date(end).toISOString()).toEqual(oracle(end));
    for (const [end, w] of want) expect(got.get(end), new Date(end).toISOString()).toEqual(w);
    // The drift episode is reported once.
    expect([...got.values()].filter((c) => c.change === 'drift_detected')).toHaveLength(1);
    expect(merge.counts.replaced).toBe(0);
    expect(merge.counts.late).toBe(0);
  });

  it('an instance killed mid-stream: its successor resumes from the committed offsets, republished panes replace, windows unchanged', async () => {
    const log = new Log();
    const exporter = new InMemoryExporter();
    const merge = mergeStage(exporter);
    merge.assign([0], new Map(), {});
    const a = partialStage(log);
    const b = partialStage(log);
    a.assign([0, 1, 2], new Map());
    b.assign([3, 4, 5], new Map());
    // b dies (SIGKILL: no last flush, no commit) after 20 chunks; a goes on to the end.
    const { commits } = await run(
      [
        { stage: a, partitions: [0, 1, 2] },
        { stage: b, partitions: [3, 4, 5] },
      ],
      log,
      merge,
      { instance: 1, chunks: 20 },
    );
    const restored = new Map<number, PartitionRestore>();
    const from = new Map<number, number>();
    for (const p of [3, 4, 5]) {
      // Killed after its last two publishes were acknowledged but before their commits.
      const c = commits.get(p)!.at(-3)!;
      expect(c, `a commit of partition ${p}`).toBeDefined();
      restored.set(p, parsePartialMetadata(c.metadata)!);
      from.set(p, c.offset);
    }
    // The committed offset trails what b read: its successor reads part of it again.
    expect(Math.max(...[3, 4, 5].map((p) => restored.get(p)!.readOffset - from.get(p)!))).toBeGreaterThan(0);
    const c = partialStage(log);
    c.assign([3, 4, 5], restored);
    await run([{ stage: c, partitions: [3, 4, 5], from }], log, merge);
    await finish([a, c], log, merge);

    const got = byEnd(exporter.evaluations);
    expect([...got.keys()].sort((x, y) => x - y)).toEqual(ENDS);
    for (const [end, { check }] of got) expect(check, new Date(end).toISOString()).toEqual(oracle(end));
    expect([...got.values()].filter((x) => x.change === 'drift_detected')).toHaveLength(1);
    // The panes published again replaced those held, or came after their window closed.
    expect(merge.counts.replaced + merge.counts.late).toBeGreaterThan(0);
  });

  it('a restarted merge stage rebuilds from its committed offset and evaluates no window twice', async () => {
    const log = new Log();
    const first = new InMemoryExporter();
    const merge = mergeStage(first);
    merge.assign([0], new Map(), {});
    const a = partialStage(log);
    a.assign(PARTITIONS, new Map());
    const half = EVENTS.slice(0, EVENTS.length / 2);
    for (let i = 0; i < half.length; i += 40) {
      await a.ingest(half.slice(i, i + 40).map(message));
      await a.flush();
    }
    await merge.handle(log.take());
    const [commit] = merge.commits(0);
    const ends = JSON.parse(commit.metadata!).e as Record<string, number>;
    // It trails the panes still held: the records from there are read again.
    expect(commit.offset).toBeLessThan(log.records.length);
    const restarted = new InMemoryExporter();
    const again = mergeStage(restarted);
    again.assign([0], new Map([[0, { ends }]]), merge.hysteresisSnapshot());
    for (let i = half.length; i < EVENTS.length; i += 40) {
      await a.ingest(EVENTS.slice(i, i + 40).map(message));
      await a.flush();
    }
    a.endOfInput(LAST_END);
    await a.flush();
    log.take();
    await again.handle(log.records.slice(commit.offset));
    const got = new Map([...byEnd(first.evaluations), ...byEnd(restarted.evaluations)]);
    expect(first.evaluations.length + restarted.evaluations.length).toBe(got.size);
    expect([...got.keys()].sort((x, y) => x - y)).toEqual(ENDS);
    for (const [end, { check }] of got) expect(check, new Date(end).toISOString()).toEqual(oracle(end));
    expect([...got.values()].filter((x) => x.change === 'drift_detected')).toHaveLength(1);
  });
});

describe('moving from SCALE_MODE=single', () => {
  it('the merge starts after the last window single evaluated, and keeps that start in its commit metadata', async () => {
    const log = new Log();
    const exporter = new InMemoryExporter();
    const merge = mergeStage(exporter);
    const singleLast = ENDS[5];
    merge.assign([0], new Map(), {}, singleLast);
    const a = partialStage(log);
    // single's commit: a read offset, no watermark (every pane rebuilt open).
    a.assign(PARTITIONS, new Map(PARTITIONS.map((p) => [p, { watermarkMs: Number.NEGATIVE_INFINITY, readOffset: 0 }])));
    for (let i = 0; i < EVENTS.length / 2; i += 40) {
      await a.ingest(EVENTS.slice(i, i + 40).map(message));
      await a.flush();
    }
    await merge.handle(log.take());
    const ends = [...byEnd(exporter.evaluations).keys()];
    expect(ends.length).toBeGreaterThan(0);
    expect(Math.min(...ends)).toBe(ENDS[6]);
    for (const end of ends) expect(byEnd(exporter.evaluations).get(end)!.check).toEqual(oracle(end));
    // Before its own end for the key, a restarted merger still knows where single stopped.
    expect(JSON.parse(merge.commits(0)[0].metadata!).e['']).toBe(singleLast);
  });
});

describe('scale-out records', () => {
  it('refuse what does not decode instead of guessing', () => {
    expect(
      decodeWatermarkReport(
        encodeWatermarkReport(
          new Map([
            [0, 5],
            [1, Number.NEGATIVE_INFINITY],
          ]),
        ),
      ),
    ).toEqual([[0, 5]]);
    expect(decodeWatermarkReport('{"v":2,"w":[]}')).toBeNull();
    expect(decodeWatermarkReport('{"v":1,"w":[[-1,5]]}')).toBeNull();
    expect(decodeWatermarkReport('not json')).toBeNull();
    expect(parsePartialMetadata(encodePartialMetadata(300_000, 42))).toEqual({ watermarkMs: 300_000, readOffset: 42 });
    // single's metadata is not the partial stage's (the move reads it separately).
    expect(parsePartialMetadata('{"v":2,"e":300000,"r":42,"c":1}')).toBeNull();
    expect(parseMergeMetadata('{"v":2,"e":300000,"r":42,"c":1}')).toBeNull();
  });
});

describe('partitioned runtime with a multivariate reference (issue 12)', () => {
  // The same reference with the multivariate block: the partial panes carry Σφ and the count.
  const training = rng(16);
  const mvRef = ReferenceDistribution.fromRows(
    Array.from({ length: 3000 }, () => creditRow(training)),
    { modelVersion: 'v1', multivariate: { replicates: 200, sizes: [100, 200, 500] } },
  );
  const mvReferences: ReferenceLookup = { ...references, get: (model, version) => (model === 'credit' && version === 'v1' ? mvRef : undefined) };

  /** Two partial stages over six partitions; `downgrade` rewrites their panes as format version 1. */
  async function partitioned(downgrade = false) {
    const log = new Log();
    const exporter = new InMemoryExporter();
    const merge = mergeStage(exporter, mvReferences);
    merge.assign([0], new Map(), {});
    const publisher: PartialsPublisher = downgrade
      ? {
          publish: (panes, report) =>
            log.publish(
              panes.map((p) => ({ key: p.key, value: asVersion1(p.value, mvRef) })),
              report,
            ),
        }
      : log;
    const a = partialStage(publisher, mvReferences);
    const b = partialStage(publisher, mvReferences);
    a.assign([0, 1, 2], new Map());
    b.assign([3, 4, 5], new Map());
    await run(
      [
        { stage: a, partitions: [0, 1, 2] },
        { stage: b, partitions: [3, 4, 5] },
      ],
      log,
      merge,
    );
    await finish([a, b], log, merge);
    return { evaluations: byEnd(exporter.evaluations), merge };
  }

  async function single() {
    const exporter = new InMemoryExporter();
    const pipeline = new Pipeline({
      engine: new Engine({
        windowMs: WINDOW,
        slideMs: SLIDE,
        allowedLatenessMs: LATENESS,
        idleTimeoutMs: 3_600_000,
        hysteresis: { raiseAfter: 1, clearAfter: 2 },
        detector: detector(),
        referenceFor: mvReferences.get,
      }),
      references: mvReferences,
      exporters: [exporter],
      deadLetters: { send: async () => undefined },
      metrics: NO_METRICS,
      logger: silent,
      defaults: {},
      maxClockSkewMs: Number.POSITIVE_INFINITY,
      now: () => START + MINUTES * MIN,
    });
    pipeline.assignPartitions(PARTITIONS);
    for (let i = 0; i < EVENTS.length; i += 50) {
      await pipeline.ingest(EVENTS.slice(i, i + 50).map(message));
      await pipeline.runDue();
    }
    pipeline.endOfInput();
    await pipeline.runDue();
    return byEnd(exporter.evaluations);
  }

  /**
   * Equal to 1e-12 relative: Σφ is summed per partition and pane, then over them, where single
   * sums in arrival order and adds and subtracts panes (measured: 2.3e-13 at worst, a p-value).
   */
  const close = (got: number | null | undefined, want: number | null | undefined, what: string) => {
    expect(typeof got, what).toBe('number');
    expect(Math.abs(got! - want!), `${what}: ${got} against ${want}`).toBeLessThanOrEqual(1e-12 * Math.abs(want!));
  };

  it('two instances over six partitions: window by window the multivariate score and p-value of the single run and the batch check', async () => {
    const [{ evaluations: got, merge }, want] = await Promise.all([partitioned(), single()]);
    expect([...want.keys()]).toEqual(ENDS);
    expect([...got.keys()]).toEqual(ENDS);
    let drifted = 0;
    for (const [end, w] of want) {
      const at = new Date(end).toISOString();
      const g = got.get(end)!;
      const batch = detector().evaluate(
        accumulate(
          EVENTS.filter((e) => e.t >= end - WINDOW && e.t < end).map((e) => e.row),
          mvRef,
        ),
        mvRef,
      );
      for (const [what, other] of [
        ['single', w.check],
        ['batch', batch],
      ] as const) {
        expect(g.check.multivariate, `${at} against ${what}`).toBeDefined();
        close(g.check.multivariate!.score, other.multivariate!.score, `${at} score against ${what}`);
        close(g.check.multivariate!.p_value, other.multivariate!.p_value, `${at} p-value against ${what}`);
        close(g.check.multivariate!.threshold, other.multivariate!.threshold, `${at} threshold against ${what}`);
        // Everything else, the univariate scores first, exactly.
        const { score: _s, p_value: _p, threshold: _t, critical_threshold: _c, ...rest } = g.check.multivariate!;
        const { score: _os, p_value: _op, threshold: _ot, critical_threshold: _oc, ...otherRest } = other.multivariate!;
        expect(rest, `${at} against ${what}`).toEqual(otherRest);
        expect({ ...g.check, multivariate: undefined }, `${at} against ${what}`).toEqual({ ...other, multivariate: undefined });
      }
      expect(g.change, at).toBe(w.change);
      if (g.check.multivariate!.drifted) drifted++;
    }
    // The stream drifts from minute 50: the multivariate score sees it, and misses the start.
    expect(drifted).toBeGreaterThan(0);
    expect(got.get(ENDS[3])!.check.multivariate!.drifted).toBe(false);
    expect(merge.counts.withoutMultivariate).toBe(0);
  });

  it('panes of format version 1 (a publisher not yet upgraded): the univariate scores stand, no multivariate score, counted', async () => {
    const [{ evaluations: got, merge }, { evaluations: want }] = await Promise.all([partitioned(true), partitioned()]);
    expect([...got.keys()]).toEqual(ENDS);
    for (const [end, w] of want) {
      const g = got.get(end)!;
      expect(g.check.multivariate, new Date(end).toISOString()).toBeUndefined();
      expect(g.check.features, new Date(end).toISOString()).toEqual(w.check.features);
    }
    expect(merge.counts.withoutMultivariate).toBe(ENDS.length);
    expect(merge.counts.undecodable).toBe(0);
  });
});

/** The same pane in format version 1: version 2 without its multivariate part (core/window/partial-pane.ts). */
function asVersion1(v2: Uint8Array, reference: ReferenceDistribution): Uint8Array {
  const v1 = v2.slice(0, v2.length - (1 + 12 + 8 + 8 * reference.multivariate!.spec.features));
  v1[4] = 1;
  return v1;
}
