/**
 * Issue 15 — the cost of SCALE_MODE=partitioned on one instance, in-process, JSON event bytes to
 * exported windows: the same messages (spread over 6 source partitions, as a topic keyed by
 * request id spreads them) through
 *
 *   single       Pipeline.ingest + runDue after each chunk of 500 (the baseline of the same run)
 *   partitioned  PartialStage.ingest + flush after each chunk (partial panes encoded with the wire
 *                format), the internal topic an in-memory log, MergeStage.handle of what was
 *                published (decode, idempotent merge, close, evaluate, export)
 *
 * Window 1 h sliding by 5 min over 2 h of event time. The broker's own cost (produce and fetch
 * of the partial panes) is not in these figures: it is bytes per partial pane × panes per slide,
 * printed beside them. Also: bytes per partial pane, and the merge cost per partial pane at two
 * event rates (it must not grow with the rate: a pane is a fixed-size sum).
 *
 * Target: the extra stage costs ≤ 15 % of the single path's events/s at 20 features.
 */
import { pino } from 'pino';
import { ReferenceStore } from '../../src/adapters/files/reference-store.js';
import { DriftDetector } from '../../src/core/detect/detector.js';
import { Engine } from '../../src/runtime/engine.js';
import { InMemoryExporter } from '../../src/runtime/memory-exporter.js';
import { MergeStage, type PartialsMessage } from '../../src/runtime/partitioned/merge-stage.js';
import { PartialStage, type PartialsPublisher } from '../../src/runtime/partitioned/partial-stage.js';
import { KIND_HEADER } from '../../src/runtime/partitioned/wire.js';
import { Pipeline, type SourceMessage } from '../../src/runtime/pipeline.js';
import { NO_METRICS } from '../../src/runtime/ports.js';
import { Status } from '../../src/runtime/status.js';
import { encodeEvents, referenceDir } from './events.js';
import { median, progress, report, timeRuns, type Figure } from './harness.js';

const WINDOW_MS = 3_600_000;
const SLIDE_MS = 300_000;
const SPAN_MS = 2 * WINDOW_MS;
const CHUNK = 500;
const RUNS = 5;
const PARTITIONS = [0, 1, 2, 3, 4, 5];
const START_MS = Date.UTC(2026, 0, 1);
const logger = pino({ level: 'silent' });

const cases = [
  { features: 20, events: 200_000 },
  { features: 100, events: 50_000 },
].filter((c) => !process.env.BENCH_FEATURES || String(c.features) === process.env.BENCH_FEATURES);

class Log implements PartialsPublisher {
  records: PartialsMessage[] = [];
  async publish(panes: { key: string; value: Uint8Array }[], report: string | null): Promise<void> {
    for (const p of panes) this.records.push({ partition: 0, offset: this.records.length, key: p.key, value: Buffer.from(p.value), headers: { [KIND_HEADER]: 'pane' } });
    if (report !== null) this.records.push({ partition: 0, offset: this.records.length, key: null, value: Buffer.from(report), headers: { [KIND_HEADER]: 'watermark' } });
  }
}

function messagesOf(count: number, features: number): SourceMessage[] {
  const encoded = encodeEvents(count, features, START_MS, SPAN_MS / count);
  const next = PARTITIONS.map(() => 0);
  return encoded.values.map((value, i) => {
    const partition = (i * 7919) % PARTITIONS.length; // spread as a key hash would
    return { topic: 'predictions', partition, offset: next[partition]++, timestampMs: encoded.timestampsMs[i], key: null, value, headers: {} };
  });
}

const figures: Figure[] = [];
for (const { features, events } of cases) {
  progress(`${features} features: ${events.toLocaleString()} events over 2 h of event time, 6 partitions`);
  const { dir } = await referenceDir(features);
  const references = new ReferenceStore(dir, logger);
  await references.loadAll();
  const messages = messagesOf(events, features);
  const sparse = messagesOf(events / 4, features);

  let singleWindows = 0;
  const runSingle = async () => {
    const exporter = new InMemoryExporter();
    const pipeline = new Pipeline({
      engine: new Engine({
        windowMs: WINDOW_MS,
        slideMs: SLIDE_MS,
        allowedLatenessMs: 30_000,
        idleTimeoutMs: 60_000,
        hysteresis: { raiseAfter: 1, clearAfter: 2 },
        detector: new DriftDetector(),
        referenceFor: (m, v) => references.get(m, v),
      }),
      references,
      exporters: [exporter],
      deadLetters: { send: async () => undefined },
      metrics: NO_METRICS,
      logger,
      defaults: {},
      maxClockSkewMs: Number.POSITIVE_INFINITY,
    });
    pipeline.assignPartitions(PARTITIONS);
    for (let i = 0; i < messages.length; i += CHUNK) {
      await pipeline.ingest(messages.slice(i, i + CHUNK));
      await pipeline.runDue();
    }
    singleWindows = exporter.evaluations.length;
  };

  let last = { windows: 0, panes: 0, bytes: 0, mergeMs: 0, merged: 0 };
  const runPartitioned = async (input: SourceMessage[]) => {
    const exporter = new InMemoryExporter();
    const log = new Log();
    const signal = new AbortController().signal;
    const stage = new PartialStage({
      references,
      deadLetters: { send: async () => undefined },
      metrics: NO_METRICS,
      logger,
      defaults: {},
      publisher: log,
      windowMs: WINDOW_MS,
      slideMs: SLIDE_MS,
      allowedLatenessMs: 30_000,
      idleTimeoutMs: 60_000,
      maxClockSkewMs: Number.POSITIVE_INFINITY,
      reportIntervalMs: 5_000,
      signal,
    });
    const merge = new MergeStage({
      references,
      exporters: [exporter],
      detector: new DriftDetector(),
      hysteresis: { raiseAfter: 1, clearAfter: 2 },
      windowMs: WINDOW_MS,
      slideMs: SLIDE_MS,
      sourcePartitions: PARTITIONS,
      status: new Status(NO_METRICS),
      metrics: NO_METRICS,
      logger,
      signal,
    });
    stage.assign(PARTITIONS, new Map());
    merge.assign([0], new Map(), {});
    for (let i = 0; i < input.length; i += CHUNK) {
      await stage.ingest(input.slice(i, i + CHUNK));
      await stage.flush();
      await merge.handle(log.records);
      log.records = [];
    }
    last = { windows: exporter.evaluations.length, panes: stage.published.panes, bytes: stage.published.bytes, mergeMs: merge.counts.mergeMs, merged: merge.counts.panes };
  };

  // Alternated, one of each at a time: on a shared machine the load drifts between runs.
  progress(`single and partitioned alternated: 1 warm-up + ${RUNS} runs each`);
  const singleMs: number[] = [];
  const partitionedMs: number[] = [];
  await runSingle();
  await runPartitioned(messages);
  for (let i = 0; i < RUNS; i++) {
    singleMs.push(...(await timeRuns(runSingle, 1, 0)));
    partitionedMs.push(...(await timeRuns(() => runPartitioned(messages), 1, 0)));
  }
  const dense = last;
  progress(`partitioned at a quarter of the rate: 1 warm-up + ${RUNS} runs`);
  await timeRuns(() => runPartitioned(sparse), RUNS);
  const quarter = last;

  const rate = (ms: number[], n = events) => n / (median(ms) / 1000);
  const cost = (1 - rate(partitionedMs) / rate(singleMs)) * 100;
  figures.push(
    {
      name: `partitioned ${features} features, events/s (one instance, both stages)`,
      value: rate(partitionedMs),
      unit: 'ev/s',
      baseline: { name: 'single', value: rate(singleMs) },
      note: `median of ${RUNS} alternated runs after 1 warm-up: partitioned ${partitionedMs.map((t) => t.toFixed(0)).join('/')} ms, single ${singleMs.map((t) => t.toFixed(0)).join('/')} ms; windows ${dense.windows} vs ${singleWindows}`,
    },
    {
      name: `cost of the extra stage, ${features} features`,
      value: cost,
      unit: '%',
      ...(features === 20 ? { target: { kind: 'max' as const, value: 15 } } : {}),
      note: `1 − partitioned/single events/s, same run; per-run ratios ${partitionedMs.map((t, i) => (singleMs[i] / t).toFixed(2)).join('/')} (range of the noise)`,
    },
    {
      name: `bytes per partial pane, ${features} features`,
      value: dense.bytes / dense.panes,
      unit: 'B',
      note: `${dense.panes} panes published (${PARTITIONS.length} partitions × ${SPAN_MS / SLIDE_MS} panes), ${(dense.bytes / 1024).toFixed(0)} KiB in all; per slide ${((PARTITIONS.length * dense.bytes) / dense.panes / 1024).toFixed(1)} KiB to the internal topic`,
    },
    {
      name: `merge cost per partial pane, ${features} features (${events.toLocaleString()} events)`,
      value: (dense.mergeMs * 1000) / dense.merged,
      unit: 'µs',
      baseline: { name: `a quarter of the events (${(events / 4).toLocaleString()})`, value: (quarter.mergeMs * 1000) / quarter.merged },
      note: 'decode + idempotent offer + the window sums of closing, per pane, last measured run; excludes the detector and the exporters',
    },
  );
}

report('scale (issue 15, in-process)', figures);
