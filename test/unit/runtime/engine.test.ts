import { describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import { OffsetLedger } from '../../../src/runtime/delivery/ledger.js';
import { Engine, type Evaluation } from '../../../src/runtime/engine.js';
import type { FeatureRecord } from '../../../src/core/event/event.js';
import { EventDecoder } from '../../../src/core/event/decoder.js';
import { RowArena } from '../../../src/core/event/arena.js';
import { creditRow, rng } from '../../fixtures/random.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-26T00:00:00Z');

function reference() {
  const r = rng(7);
  return ReferenceDistribution.fromRows(
    Array.from({ length: 4000 }, () => creditRow(r)),
    { modelVersion: 'v1' },
  );
}

/** A seeded stream: `count` events, one every `stepMs`, each up to `jitterMs` out of order; drift from `driftFromMs`. */
function stream(count: number, options: { stepMs?: number; jitterMs?: number; driftFromMs?: number; partitions?: number; seed?: number } = {}) {
  const { stepMs = 2_000, jitterMs = 10_000, driftFromMs = Infinity, partitions = 1, seed = 11 } = options;
  const r = rng(seed);
  const offsets = new Array(partitions).fill(0);
  return Array.from({ length: count }, (_, i): FeatureRecord => {
    const eventTimeMs = T0 + i * stepMs + Math.round(r.uniform() * jitterMs);
    const partition = i % partitions;
    return { model: 'credit-risk', modelVersion: 'v1', eventTimeMs, values: { ...creditRow(r, eventTimeMs >= driftFromMs) }, partition, offset: offsets[partition]++ };
  });
}

function engine(ref: ReferenceDistribution, overrides: Partial<ConstructorParameters<typeof Engine>[0]> = {}) {
  return new Engine({
    windowMs: 20 * MIN,
    slideMs: 5 * MIN,
    allowedLatenessMs: 30_000,
    idleTimeoutMs: 60_000,
    hysteresis: { raiseAfter: 1, clearAfter: 2 },
    detector: new DriftDetector({ minSamples: 50, now: () => new Date(0) }),
    referenceFor: (_m, v) => (v === 'v1' ? ref : undefined),
    ...overrides,
  });
}

/** Feeds records in order, evaluating whatever is due after each; the wall clock follows the events. */
function run(e: Engine, records: FeatureRecord[], out: Evaluation[] = [], flush = true): Evaluation[] {
  for (const record of records) {
    const outcome = e.ingest(record, 0);
    expect(outcome.status, JSON.stringify(outcome)).not.toBe('failed');
    for (let ev = e.evaluateDue(0); ev; ev = e.evaluateDue(0)) out.push(ev);
  }
  if (flush) {
    e.finishInput();
    for (let ev = e.evaluateDue(0); ev; ev = e.evaluateDue(0)) out.push(ev);
  }
  return out;
}

describe('sliding windows against a batch recomputation', () => {
  const ref = reference();
  const records = stream(3000, { driftFromMs: T0 + 60 * MIN });
  // Run on first use, inside a test: `run` makes assertions, which must not run at collection.
  let cached: Evaluation[] | undefined;
  const evaluated = () => (cached ??= run(engine(ref), records));

  it('evaluates every window once, in order, one slide apart', () => {
    const ends = evaluated().map((e) => e.windowEnd.getTime());
    expect(ends.length).toBeGreaterThan(15);
    for (let i = 1; i < ends.length; i++) expect(ends[i] - ends[i - 1]).toBe(5 * MIN);
  });

  it('each window equals the batch check of the events whose time falls in [start, end) (exact: same integer counts)', () => {
    const detector = new DriftDetector({ minSamples: 50, now: () => new Date(0) });
    for (const evaluation of evaluated()) {
      const start = evaluation.windowStart.getTime();
      const end = evaluation.windowEnd.getTime();
      const rows = records.filter((r) => r.eventTimeMs >= start && r.eventTimeMs < end).map((r) => r.values as Record<string, unknown>);
      expect(evaluation.checks).toHaveLength(1);
      const streamed = evaluation.checks[0].check;
      const batch = detector.evaluate(accumulate(rows, ref), ref);
      expect(streamed.sample_count).toBe(rows.length);
      // Identical counts give bit-identical statistics; toEqual compares every field.
      expect(streamed).toEqual(batch);
    }
  });

  it('reports drift first in the first window holding enough shifted events, and names the shifted features', () => {
    const first = evaluated().find((e) => e.checks[0].change === 'drift_detected')!;
    expect(first).toBeDefined();
    // Drift starts at 60 min: the window ending at 60 min is clean, a later one drifts.
    expect(first.windowEnd.getTime()).toBeGreaterThan(T0 + 60 * MIN);
    expect(first.windowEnd.getTime()).toBeLessThanOrEqual(T0 + 75 * MIN);
    const before = evaluated().filter((e) => e.windowEnd.getTime() <= T0 + 60 * MIN);
    expect(before.every((e) => !e.checks[0].check.drift_detected)).toBe(true);
    const late = evaluated().filter((e) => e.windowStart.getTime() >= T0 + 60 * MIN);
    for (const e of late) expect(Object.keys(e.checks[0].check.drifted_features)).toContain('income');
    for (const e of late) expect(Object.keys(e.checks[0].check.drifted_features).every((f) => f === 'income' || f === 'employment_type')).toBe(true);
  });

  it('keeps only the open panes: state does not grow with the number of events', () => {
    const e = engine(ref);
    run(e, stream(2000, { seed: 3 }), [], false);
    const small = e.stateSize();
    const e2 = engine(ref);
    run(e2, stream(8000, { seed: 3 }), [], false);
    expect(e2.stateSize().panes).toBeLessThanOrEqual(small.panes + 1);
    expect(e2.stateSize().bytes).toBeLessThan(small.bytes * 1.2);
  });
});

describe('events decoded by the fast path (rows in reference order)', () => {
  // The numeric credit features, with ~5 % nulls and extra keys, in shuffled order now and then:
  // the fast decoder takes these; the windows must equal the batch check of the parsed JSON.
  const numeric = ['age', 'income', 'credit_score', 'loan_amount'];
  const r = rng(21);
  const numericRow = (drift: boolean) => {
    const { employment_type: _, ...row } = creditRow(r, drift);
    return row;
  };
  const ref = ReferenceDistribution.fromRows(
    Array.from({ length: 4000 }, () => numericRow(false)),
    { modelVersion: 'v1' },
  );
  const decoder = new EventDecoder(() => ref.features);
  const texts: { json: string; partition: number; offset: number }[] = [];
  for (let i = 0; i < 3000; i++) {
    const eventTimeMs = T0 + i * 2_000 + Math.round(r.uniform() * 10_000);
    const features: Record<string, unknown> = numericRow(eventTimeMs >= T0 + 60 * MIN);
    if (r.uniform() < 0.05) features[numeric[Math.floor(r.uniform() * 4)]] = null;
    if (r.uniform() < 0.1) features.note = 'extra';
    const ordered = r.uniform() < 0.2 ? Object.fromEntries(Object.entries(features).reverse()) : features;
    texts.push({ json: JSON.stringify({ model: 'credit-risk', model_version: 'v1', timestamp: new Date(eventTimeMs).toISOString(), features: ordered }), partition: 0, offset: i });
  }
  const records = texts.map(({ json, partition, offset }) => {
    const result = decoder.decode(Buffer.from(json), { partition, offset, timestampMs: Number.NaN }, {}, new RowArena());
    if (!result.ok) throw new Error(result.failure.detail);
    return result.record;
  });

  it('are all taken by the fast path', () => {
    expect(decoder.counts).toEqual({ fast: 3000, slow: 0 });
  });

  it('give windows equal to the batch check of the parsed events (exact)', () => {
    const evaluations = run(engine(ref), records);
    expect(evaluations.length).toBeGreaterThan(15);
    const detector = new DriftDetector({ minSamples: 50, now: () => new Date(0) });
    for (const evaluation of evaluations) {
      const start = evaluation.windowStart.getTime();
      const end = evaluation.windowEnd.getTime();
      const rows = records
        .map((record, i) => ({ record, parsed: JSON.parse(texts[i].json).features as Record<string, unknown> }))
        .filter(({ record }) => record.eventTimeMs >= start && record.eventTimeMs < end)
        .map(({ parsed }) => parsed);
      expect(evaluation.checks[0].check).toEqual(detector.evaluate(accumulate(rows, ref), ref));
    }
    expect(evaluations.some((e) => e.checks[0].check.drift_detected)).toBe(true);
  });
});

describe('late events and the watermark', () => {
  const ref = reference();

  it('an event older than every open pane is late, with the reason and nothing recorded', () => {
    const e = engine(ref);
    const records = stream(1500);
    run(e, records, [], false);
    const old: FeatureRecord = { ...records[0], offset: 99_999, eventTimeMs: T0 };
    const outcome = e.ingest(old, 0);
    expect(outcome.status).toBe('failed');
    if (outcome.status === 'failed') {
      expect(outcome.failure.reason).toBe('late');
      expect(outcome.failure.path).toBe('timestamp');
    }
  });

  it('a version without a reference is a no_reference failure', () => {
    const outcome = engine(ref).ingest({ ...stream(1)[0], modelVersion: 'v2' }, 0);
    expect(outcome).toMatchObject({ status: 'failed', failure: { reason: 'no_reference', path: 'model_version' } });
  });

  it('a feature_vector of the wrong length and an event without any known feature are failures', () => {
    const e = engine(ref);
    expect(e.ingest({ ...stream(1)[0], values: [1, 2] }, 0)).toMatchObject({ status: 'failed', failure: { reason: 'feature_vector_length' } });
    expect(e.ingest({ ...stream(1)[0], values: { colour: 'red' } }, 0)).toMatchObject({ status: 'failed', failure: { reason: 'no_known_features' } });
  });

  it('with two partitions the slower one holds the watermark back until it idles out', () => {
    const e = engine(ref);
    const base = stream(1)[0];
    e.ingest({ ...base, partition: 0, offset: 0, eventTimeMs: T0 + 30 * MIN }, 0);
    e.ingest({ ...base, partition: 1, offset: 0, eventTimeMs: T0 + 1 * MIN }, 0);
    expect(e.currentWatermark(1_000)).toBe(T0 + 1 * MIN - 30_000);
    // Partition 1 silent for longer than the idle timeout: partition 0 alone sets the watermark
    // (its progress is its second-largest event time: an event time needs confirming).
    e.ingest({ ...base, partition: 0, offset: 1, eventTimeMs: T0 + 31 * MIN }, 61_000);
    e.ingest({ ...base, partition: 0, offset: 2, eventTimeMs: T0 + 31 * MIN }, 61_000);
    expect(e.currentWatermark(61_500)).toBe(T0 + 31 * MIN - 30_000);
  });

  it('a quiet stream still closes its windows: the watermark moves on with the wall clock', () => {
    const e = engine(ref);
    const records = stream(300, { jitterMs: 0 }); // 10 minutes of events
    for (const r of records) e.ingest(r, 0);
    // The partition's progress: its second-largest event time (one event alone moves nothing).
    const lastEvent = records.map((r) => r.eventTimeMs).sort((a, b) => b - a)[1];
    expect(e.dueWindowEnd(0)).not.toBeNull(); // the first window (ends at 5 min) is due already
    while (e.evaluateDue(0));
    expect(e.dueWindowEnd(60_000)).toBeNull(); // not yet idle
    // Idle for 60 s, then wall time carries the watermark past the next window end.
    const nextEnd = (Math.floor(lastEvent / (5 * MIN)) + 1) * 5 * MIN;
    const wall = 60_000 + (nextEnd - (lastEvent - 30_000)) + 1;
    expect(e.dueWindowEnd(wall)).toBe(nextEnd);
  });
});

describe('restart: re-reading from the committed offset rebuilds the same windows', () => {
  const ref = reference();
  const records = stream(4000, { driftFromMs: T0 + 70 * MIN, partitions: 2, seed: 5 });

  it('a crash after a commit (with uncommitted work lost) yields the results of an uninterrupted run', () => {
    const uninterrupted = run(engine(ref), records);
    const byEnd = new Map(uninterrupted.map((e) => [e.windowEnd.getTime(), e]));

    // First life: commit after the 6th evaluation, then keep going a while, then "SIGKILL".
    const first = engine(ref);
    const firstLedger = new OffsetLedger();
    const firstResults: Evaluation[] = [];
    let commit: { offsets: Map<number, number>; state: ReturnType<Engine['durableState']>; read: Map<number, number> } | null = null;
    let i = 0;
    for (; i < records.length; i++) {
      if (first.ingest(records[i], 0).status !== 'failed') firstLedger.note(records[i].partition, records[i].offset);
      for (let ev = first.evaluateDue(0); ev; ev = first.evaluateDue(0)) {
        firstResults.push(ev);
        if (firstResults.length === 6) commit = { offsets: firstLedger.commitOffsets(first.minOpenOffsets()), state: first.durableState(), read: firstLedger.readOffsets() };
      }
      if (firstResults.length >= 9) break; // crash: evaluations 7–9 were never committed
    }
    expect(commit).not.toBeNull();

    // Second life: restore from the commit and re-read each partition from its committed offset.
    const second = engine(ref);
    const secondLedger = new OffsetLedger();
    second.assignPartitions([0, 1], 0);
    secondLedger.restore(commit!.read);
    second.restore(commit!.state);
    const replay = records.filter((r) => r.offset >= (commit!.offsets.get(r.partition) ?? 0));
    const secondResults: Evaluation[] = [];
    for (const r of replay) {
      const outcome = second.ingest(r, 0, secondLedger.isHandled(r.partition, r.offset));
      expect(outcome.status).not.toBe('failed'); // nothing re-reported as late
      for (let ev = second.evaluateDue(0); ev; ev = second.evaluateDue(0)) secondResults.push(ev);
    }
    second.finishInput();
    for (let ev = second.evaluateDue(0); ev; ev = second.evaluateDue(0)) secondResults.push(ev);

    const committedEnd = commit!.state!.lastEndMs;
    expect(secondResults[0].windowEnd.getTime()).toBe(committedEnd + 5 * MIN); // nothing before the commit evaluated again
    const combined = [...firstResults.filter((e) => e.windowEnd.getTime() <= committedEnd), ...secondResults];
    expect(combined.map((e) => e.windowEnd.getTime())).toEqual(uninterrupted.map((e) => e.windowEnd.getTime()));
    for (const e of combined) {
      const u = byEnd.get(e.windowEnd.getTime())!;
      expect(e.checks.map((c) => c.check)).toEqual(u.checks.map((c) => c.check));
      expect(e.checks.map((c) => c.change)).toEqual(u.checks.map((c) => c.change));
    }
  });

  it('the committed offset trails the oldest record in an open pane', () => {
    const e = engine(ref);
    const ledger = new OffsetLedger();
    for (const r of records.slice(0, 1500)) ledger.note(r.partition, r.offset);
    run(e, records.slice(0, 1500), [], false);
    const offsets = ledger.commitOffsets(e.minOpenOffsets());
    const lastEnd = e.lastEndMs!;
    const openFrom = lastEnd - 20 * MIN + 5 * MIN;
    for (const partition of [0, 1]) {
      const inOpen = records.slice(0, 1500).filter((r) => r.partition === partition && r.eventTimeMs >= openFrom);
      expect(offsets.get(partition)).toBe(Math.min(...inOpen.map((r) => r.offset)));
    }
  });
});

describe('regressions found in review', () => {
  const ref = reference();
  const base = () => stream(1)[0];

  it('regression: a sink outage (idle clock held) does not close windows on the wall clock', () => {
    const e = engine(ref);
    e.assignPartitions([0], 0);
    let wall = 1_000_000;
    let offset = 0;
    for (let t = T0; t < T0 + 30 * MIN; t += 1000) e.ingest({ ...base(), eventTimeMs: t, offset: offset++ }, wall++);
    while (e.evaluateDue(wall));
    const before = e.lastEndMs;
    e.holdIdleClock(wall);
    wall += 40 * MIN; // the outage: nothing read
    expect(e.evaluateDue(wall)).toBeNull();
    e.releaseIdleClock(wall);
    expect(e.evaluateDue(wall + 1)).toBeNull();
    expect(e.lastEndMs).toBe(before);
    // The backlog resumes where it stopped: nothing is late.
    for (let t = T0 + 30 * MIN; t < T0 + 40 * MIN; t += 1000) expect(e.ingest({ ...base(), eventTimeMs: t, offset: offset++ }, wall).status).toBe('recorded');
  });

  it('regression: a partition with a backlog on the broker never idles out', () => {
    const e = engine(ref);
    e.ingest({ ...base(), partition: 0, offset: 0, eventTimeMs: T0 + 30 * MIN }, 0);
    e.ingest({ ...base(), partition: 1, offset: 0, eventTimeMs: T0 + 1 * MIN }, 0);
    e.setPartitionLag(1, 5_000);
    expect(e.currentWatermark(10 * MIN)).toBe(T0 + 1 * MIN - 30_000);
    e.setPartitionLag(1, 0);
    expect(e.currentWatermark(10 * MIN)).toBeGreaterThanOrEqual(T0 + 30 * MIN - 30_000); // both idle: the quiet-stream rule takes over
  });

  it('regression: one event stamped in the future does not close the windows before it (live streams)', () => {
    const e = engine(ref, { maxAheadOfClockMs: 0 });
    let offset = 0;
    for (let t = T0; t < T0 + 30 * MIN; t += 1000) {
      e.ingest({ ...base(), eventTimeMs: t, offset: offset++ }, t);
      while (e.evaluateDue(t));
    }
    const before = e.lastEndMs;
    e.ingest({ ...base(), eventTimeMs: T0 + 80 * MIN, offset }, T0 + 30 * MIN);
    expect(e.evaluateDue(T0 + 30 * MIN)).toBeNull();
    expect(e.lastEndMs).toBe(before);
  });
});

describe('state that must not grow', () => {
  it('a (model, version) no longer served is forgotten once its windows are empty, unless it is drifting', () => {
    const ref = reference();
    const e = engine(ref);
    const records = stream(1200); // 40 minutes
    const v1 = records.slice(0, 300); // the first 10 minutes on "v1"
    const v2 = records.slice(300).map((r) => ({ ...r, model: 'other' }));
    run(e, [...v1, ...v2], [], false);
    const models = e.models().map((m) => m.model);
    expect(models).toEqual(['other']);
    expect(Object.keys(e.durableState()!.hysteresis)).toEqual(['other\u0000v1']);
  });
});
