// A watermark that one outlier cannot move (issue 16, item 2), with the cases: one event
// stamped in the near future must not make the valid events after it late, and events from 1990
// must not open windows of their own (dead-lettered `too_old`).
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import type { FeatureRecord } from '../../../src/core/event/event.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { WatermarkTracker } from '../../../src/core/window/watermark.js';
import { Engine, type Evaluation } from '../../../src/runtime/engine.js';
import { InMemoryExporter } from '../../../src/runtime/memory-exporter.js';
import { Pipeline } from '../../../src/runtime/pipeline.js';
import { NO_METRICS, type DeadLetter, type ReferenceLookup, type SourceMessage } from '../../../src/runtime/ports.js';
import { creditRow, rng } from '../../fixtures/random.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-26T00:00:00Z');
const r = rng(3);
const ref = ReferenceDistribution.fromRows(
  Array.from({ length: 3000 }, () => creditRow(r)),
  { modelVersion: 'v1' },
);

function engine() {
  return new Engine({
    windowMs: 20 * MIN,
    slideMs: 5 * MIN,
    allowedLatenessMs: 30_000,
    idleTimeoutMs: 3_600_000,
    hysteresis: { raiseAfter: 1, clearAfter: 2 },
    detector: new DriftDetector({ minSamples: 20, now: () => new Date(0) }),
    referenceFor: () => ref,
  });
}

function stream(minutes: number, partitions = 2, seed = 9): FeatureRecord[] {
  const g = rng(seed);
  const offsets = new Array(partitions).fill(0);
  return Array.from({ length: minutes * 30 }, (_, i) => {
    const partition = i % partitions;
    return { model: 'm', modelVersion: 'v1', eventTimeMs: T0 + i * 2000 + Math.round(g.uniform() * 5000), values: { ...creditRow(g) }, partition, offset: offsets[partition]++ };
  });
}

/** Feeds records one at a time, evaluating what is due after each; returns evaluations and failures. */
function run(e: Engine, records: FeatureRecord[]) {
  const evaluations: Evaluation[] = [];
  const failures: { record: FeatureRecord; reason: string }[] = [];
  for (const record of records) {
    const outcome = e.ingest(record, 0);
    if (outcome.status === 'failed') failures.push({ record, reason: outcome.failure.reason });
    for (let ev = e.evaluateDue(0); ev; ev = e.evaluateDue(0)) evaluations.push(ev);
  }
  return { evaluations, failures };
}

describe('watermark: one outlier does not move it', () => {
  it('the partition progress is the second-largest event time', () => {
    const w = new WatermarkTracker({ allowedLatenessMs: 0, idleTimeoutMs: 1e9 });
    w.observe(0, 1000, 0);
    expect(w.current(0)).toBe(1000); // the first event alone
    w.observe(0, 2000, 0);
    w.observe(0, 1_000_000, 0); // far ahead
    expect(w.current(0)).toBe(2000);
    w.observe(0, 3000, 0);
    expect(w.current(0)).toBe(3000);
    w.observe(0, 1_000_000, 0); // confirmed by a second event
    expect(w.current(0)).toBe(1_000_000);
  });

  it('one event 50 min ahead of the stream (within MAX_CLOCK_SKEW) leaves every later valid event in its window', () => {
    // One partition (a model keyed to one partition): nothing else holds the watermark back.
    const records = stream(90, 1);
    const outlierAt = 1200; // 40 min into the stream
    const outlier: FeatureRecord = { ...records[outlierAt], eventTimeMs: records[outlierAt].eventTimeMs + 50 * MIN };
    const withOutlier = [...records.slice(0, outlierAt), outlier, ...records.slice(outlierAt + 1)];
    const { evaluations, failures } = run(engine(), withOutlier);
    expect(failures).toEqual([]); // before the fix: thousands of `late`
    // Every window equals a batch recomputation over the events it covers, the outlier included
    // (it is scored in its own window, when the stream gets there).
    const detector = new DriftDetector({ minSamples: 20, now: () => new Date(0) });
    expect(evaluations.length).toBeGreaterThan(12);
    for (const ev of evaluations) {
      const end = ev.windowEnd.getTime();
      const rows = withOutlier.filter((x) => x.eventTimeMs >= end - 20 * MIN && x.eventTimeMs < end).map((x) => x.values as Record<string, unknown>);
      const batch = detector.evaluate(accumulate(rows, ref), ref);
      expect(ev.checks[0].check, ev.windowEnd.toISOString()).toEqual(batch);
    }
  });

  it('events from 1990 are dead-lettered too_old and open no window', () => {
    const records = stream(60);
    const old = (i: number): FeatureRecord => ({ ...records[i], eventTimeMs: Date.parse('1990-03-01T12:00:00Z') + i });
    const mixed = records.flatMap((x, i) => (i > 0 && i % 400 === 0 ? [x, old(i)] : [x]));
    const { evaluations, failures } = run(engine(), mixed);
    expect(failures.map((f) => f.reason)).toEqual(['too_old', 'too_old', 'too_old', 'too_old']);
    expect(Math.min(...evaluations.map((ev) => ev.windowEnd.getTime()))).toBeGreaterThanOrEqual(T0);
  });

  it('an event from 1990 at the head of a batch is too_old too (the batch is observed first)', async () => {
    const dead: DeadLetter[] = [];
    const references: ReferenceLookup = { get: () => ref, has: () => true, ensure: async () => {} };
    const exporter = new InMemoryExporter();
    const pipeline = new Pipeline({
      engine: engine(),
      references,
      exporters: [exporter],
      deadLetters: { send: async (items) => void dead.push(...items) },
      metrics: NO_METRICS,
      logger: pino({ level: 'silent' }),
      defaults: {},
      maxClockSkewMs: Infinity,
      now: () => 0,
    });
    const g = rng(4);
    const message = (offset: number, t: number): SourceMessage => ({
      topic: 't',
      partition: 0,
      offset,
      timestampMs: t,
      key: null,
      headers: {},
      value: Buffer.from(JSON.stringify({ model: 'm', model_version: 'v1', timestamp: t, features: creditRow(g) })),
    });
    const batch = [message(0, Date.parse('1990-01-01T00:00:00Z')), ...Array.from({ length: 900 }, (_, i) => message(i + 1, T0 + i * 2000))];
    await pipeline.ingest(batch);
    await pipeline.runDue();
    expect(dead.map((d) => [d.source.offset, d.failure.reason])).toEqual([[0, 'too_old']]);
    expect(Math.min(...exporter.evaluations.map((ev) => ev.windowEnd.getTime()))).toBeGreaterThanOrEqual(T0);
    await pipeline.stop();
  });
});
