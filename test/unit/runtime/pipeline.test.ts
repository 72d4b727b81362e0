import { pino } from 'pino';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../src/core/detect/detector.js';
import { Engine, type Evaluation } from '../../../src/runtime/engine.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { runtimeMetrics, serviceMetrics } from '../../../src/adapters/http/metrics.js';
import { Pipeline, type SourceMessage } from '../../../src/runtime/pipeline.js';
import { LogDeadLetterSink } from '../../../src/adapters/console/dead-letter.js';
import { ReferenceStore } from '../../../src/adapters/files/reference-store.js';
import { InMemoryExporter } from '../../../src/runtime/memory-exporter.js';
import type { EvaluationExporter, ExportResult } from '../../../src/runtime/ports.js';
import { SinkError } from '../../../src/core/errors.js';
import { creditRow, rng } from '../../fixtures/random.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-26T00:00:00Z');
const logger = pino({ level: 'silent' });

class StoreWith extends ReferenceStore {
  constructor(private readonly ref: ReferenceDistribution) {
    super('/nonexistent', logger);
  }
  override get(_model: string, version: string) {
    return version === 'v1' ? this.ref : undefined;
  }
  override has(_model: string, version: string) {
    return version === 'v1';
  }
}

function setup(exporters: EvaluationExporter[], now: () => number, scheduler?: VirtualTimeScheduler) {
  const r = rng(3);
  const ref = ReferenceDistribution.fromRows(
    Array.from({ length: 2000 }, () => creditRow(r)),
    { modelVersion: 'v1' },
  );
  const engine = new Engine({
    windowMs: 10 * MIN,
    slideMs: 5 * MIN,
    allowedLatenessMs: 30_000,
    idleTimeoutMs: 60_000,
    hysteresis: { raiseAfter: 1, clearAfter: 2 },
    detector: new DriftDetector({ minSamples: 10 }),
    referenceFor: (_m, v) => (v === 'v1' ? ref : undefined),
  });
  const deadLetters = new LogDeadLetterSink(logger, true);
  const metrics = serviceMetrics();
  const pipeline = new Pipeline({
    engine,
    references: new StoreWith(ref),
    exporters,
    deadLetters,
    metrics: runtimeMetrics(metrics),
    logger,
    defaults: {},
    maxClockSkewMs: 3_600_000,
    now,
    scheduler,
    retry: { baseMs: 1, maxMs: 5 },
  });
  const messages = (count: number, fromMs = T0): SourceMessage[] =>
    Array.from({ length: count }, (_, i) => ({
      topic: 't',
      partition: 0,
      offset: i,
      timestampMs: Number.NaN,
      key: null,
      value: JSON.stringify({ model: 'm', model_version: 'v1', timestamp: new Date(fromMs + i * 1000).toISOString(), features: creditRow(r) }),
      headers: {},
    }));
  return { pipeline, deadLetters, metrics, messages };
}

describe('pipeline', () => {
  it('a quiet stream: RxJS ticks close the windows once the partition idles out, without new events', async () => {
    const scheduler = new VirtualTimeScheduler(undefined, 400_000);
    const wallBase = T0 + 20 * MIN;
    const memory = new InMemoryExporter();
    const { pipeline, messages } = setup([memory], () => wallBase + scheduler.now(), scheduler);
    await pipeline.ingest(messages(420)); // 7 minutes of events
    await pipeline.runDue();
    const before = memory.evaluations.length; // the window ending at 5 min
    expect(before).toBe(1);
    pipeline.start();
    scheduler.flush(); // 400 s of virtual time: 60 s idle, then the watermark follows the clock past 10 min
    await pipeline.idle();
    await pipeline.stop();
    expect(memory.evaluations.map((e) => e.windowEnd.getTime() - T0)).toEqual([5 * MIN, 10 * MIN]);
  });

  it('malformed events go to the dead letters with reason and path, and are counted', async () => {
    const { pipeline, deadLetters, metrics, messages } = setup([new InMemoryExporter()], () => T0);
    const good = messages(3);
    const bad: SourceMessage[] = [
      { ...good[0], offset: 10, value: '{' },
      { ...good[0], offset: 11, value: JSON.stringify({ model: 'm', model_version: 'v1', timestamp: 'soon', features: {} }) },
      { ...good[0], offset: 12, value: JSON.stringify({ model: 'm', model_version: 'v1', timestamp: new Date(T0 + 2 * 3_600_000).toISOString(), features: { age: 1 } }) },
      { ...good[0], offset: 13, value: JSON.stringify({ model: 'm', model_version: 'v9', timestamp: new Date(T0).toISOString(), features: { age: 1 } }) },
      { ...good[0], offset: 14, value: null },
    ];
    await pipeline.ingest([...good, ...bad]);
    expect(deadLetters.received.map((d) => [d.source.offset, d.failure.reason, d.failure.path])).toEqual([
      [10, 'invalid_json', undefined],
      [11, 'invalid_timestamp', 'timestamp'],
      [12, 'future_timestamp', 'timestamp'],
      [14, 'invalid_json', undefined],
      [13, 'no_reference', 'model_version'],
    ]);
    const text = await metrics.registry.metrics();
    expect(text).toContain('driftwatch_events_consumed_total{model="m"} 3');
    expect(text).toContain('driftwatch_events_invalid_total{model="m",reason="no_reference"} 1');
  });

  it('a failing sink is retried with backoff until it succeeds; the source is told to wait meanwhile', async () => {
    let calls = 0;
    let backlogSeen = false;
    const exported: Evaluation[] = [];
    let pipelineRef: Pipeline;
    const flaky: EvaluationExporter = {
      name: 'flaky',
      async export(evaluation): Promise<ExportResult> {
        calls++;
        backlogSeen ||= pipelineRef.backlogged();
        if (calls <= 3) return { ok: false, error: new SinkError('HTTP 503', { retriable: true }) };
        exported.push(evaluation);
        return { ok: true };
      },
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const { pipeline, metrics, messages } = setup([flaky], () => T0 + 60 * MIN);
    pipelineRef = pipeline;
    await pipeline.ingest(messages(1200)); // 20 minutes: several windows due at once
    await pipeline.runDue();
    expect(calls).toBeGreaterThan(3);
    expect(exported.map((e) => e.windowEnd.getTime() - T0)).toEqual([5, 10, 15].map((m) => m * MIN));
    expect(backlogSeen).toBe(true);
    expect(await metrics.registry.metrics()).toContain('driftwatch_sink_write_failures_total{sink="flaky"} 3');
  });

  it('a sink error that cannot be retried skips that sink for the window; the others still get it', async () => {
    const memory = new InMemoryExporter();
    const broken: EvaluationExporter = {
      name: 'broken',
      export: async () => ({ ok: false, error: new SinkError('HTTP 400: field type conflict', { retriable: false }) }),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const { pipeline, messages } = setup([broken, memory], () => T0 + 60 * MIN);
    await pipeline.ingest(messages(700));
    await pipeline.runDue();
    expect(memory.evaluations.length).toBe(2);
    expect(pipeline.failingSinks.has('broken')).toBe(true);
    expect(await pipeline.sinksReachable()).toBe(false);
  });
});
