/**
 * Issue 4, 8 (first bullet) — in-process, JSON event bytes to scores on one core:
 * `Pipeline.ingest` (decode — the byte-level fast path, with JSON.parse + zod for whatever it
 * does not take; the note counts both — validate, route into the engine's panes, dead letters) over
 * pre-encoded Buffers in chunks of 500 (the Kafka source's chunk), followed after each chunk by
 * the evaluations the stream makes due (`pipeline.runDue()`, exported to an InMemoryExporter).
 * Window 1 h sliding by 5 min (the defaults) over 2 h of event time: 24 evaluations a run.
 *
 * Baselines in the same run, over the same buffers: `JSON.parse` alone (the floor), and a naive
 * window that keeps raw values and sorts them at each slide (test/bench/naive-window.ts).
 * Also shown: `decodeEvent` alone (JSON.parse + zod, the definition the fast path must match),
 * and the fast decoder alone (EventDecoder, nothing recorded or routed).
 *
 * Targets: ≥ 150,000 events/s with 20 features, ≥ 40,000 events/s with 100.
 */
import { pino } from 'pino';
import { runtimeMetrics, serviceMetrics } from '../../src/adapters/http/metrics.js';
import { DriftDetector } from '../../src/core/detect/detector.js';
import { Pipeline, type SourceMessage } from '../../src/runtime/pipeline.js';
import { ReferenceStore } from '../../src/adapters/files/reference-store.js';
import { InMemoryExporter } from '../../src/runtime/memory-exporter.js';
import { decodeEvent } from '../../src/core/event/event.js';
import { EventDecoder } from '../../src/core/event/decoder.js';
import { RowArena } from '../../src/core/event/arena.js';
import { column } from './baseline.js';
import { featureNames, numericRows } from './data.js';
import { benchEngine, encodeEvents, referenceDir, SLIDE_MS, WINDOW_MS } from './events.js';
import { median, progress, report, timeRuns, type Figure } from './harness.js';
import { NaiveWindow } from './naive-window.js';

const SPAN_MS = 2 * WINDOW_MS;
const CHUNK = 500;
const RUNS = 3;
const START_MS = Date.UTC(2026, 0, 1);
const logger = pino({ level: 'silent' });

const cases = [
  { features: 20, events: 200_000, target: 150_000 },
  { features: 100, events: 50_000, target: 40_000 },
].filter((c) => !process.env.BENCH_FEATURES || String(c.features) === process.env.BENCH_FEATURES);

const figures: Figure[] = [];
for (const { features, events, target } of cases) {
  progress(`${features} features: reference from 20,000 rows, ${events.toLocaleString()} events over 2 h of event time`);
  const { dir } = await referenceDir(features);
  const encoded = encodeEvents(events, features, START_MS, SPAN_MS / events);
  const messages: SourceMessage[] = encoded.values.map((value, offset) => ({
    topic: 'predictions',
    partition: 0,
    offset,
    timestampMs: encoded.timestampsMs[offset],
    key: null,
    value,
    headers: {},
  }));

  let evaluations = 0;
  let decodePaths = { fast: 0, slow: 0 };
  let consumed = 0;
  let dead = 0;
  // Loaded once, as the service does at start: reading the reference is not part of ingesting.
  const references = new ReferenceStore(dir, logger);
  await references.loadAll();
  // The detector's scoring of each closed window, timed apart: the pipeline minus it is what the
  // issue's in-process target names, decode + record + route (the benchmark's 2 h of event time
  // closes 23 windows over its events, far more often than a stream of this rate would).
  const scoringRuns: number[] = [];
  let scoringMs = 0;
  class TimedDetector extends DriftDetector {
    override evaluate(...args: Parameters<DriftDetector['evaluate']>): ReturnType<DriftDetector['evaluate']> {
      const t0 = performance.now();
      const result = super.evaluate(...args);
      scoringMs += performance.now() - t0;
      return result;
    }
  }
  const runPipeline = async () => {
    scoringMs = 0;
    const metrics = serviceMetrics();
    const exporter = new InMemoryExporter();
    const engine = benchEngine({
      referenceFor: (model, version) => references.get(model, version),
      detector: new TimedDetector(),
    });
    dead = 0;
    const pipeline = new Pipeline({
      engine,
      references,
      exporters: [exporter],
      deadLetters: { send: async (items) => void (dead += items.length) },
      metrics: runtimeMetrics(metrics),
      logger,
      defaults: {},
      maxClockSkewMs: Number.POSITIVE_INFINITY,
    });
    for (let i = 0; i < messages.length; i += CHUNK) {
      await pipeline.ingest(messages.slice(i, i + CHUNK));
      await pipeline.runDue();
    }
    evaluations = exporter.evaluations.length;
    decodePaths = { ...pipeline.decoder.counts };
    consumed = (await metrics.eventsConsumed.get()).values.reduce((s, v) => s + v.value, 0);
    // A figure over events that were dead-lettered would measure the wrong path.
    if (consumed !== events || dead > 0) throw new Error(`pipeline recorded ${consumed} of ${events} events (${dead} dead letters): the figures would not measure scoring`);
    scoringRuns.push(scoringMs);
  };

  let parsed = 0;
  const runParse = () => {
    parsed = 0;
    for (const m of messages) if (JSON.parse((m.value as Buffer).toString('utf8')) !== null) parsed++;
  };
  const defaults = {};
  let decoded = 0;
  const runDecode = () => {
    decoded = 0;
    for (const m of messages) if (decodeEvent(m.value, m, defaults).ok) decoded++;
  };
  // The fast decoder alone, as ingest runs it (a row arena per chunk), nothing recorded or
  // routed: what decode + record + route costs beyond it is the recording and the routing.
  let fastDecoded = 0;
  const decodeOnly = benchEngine({
    referenceFor: (model, version) => references.get(model, version),
  });
  const runFastDecode = () => {
    fastDecoded = 0;
    const decoder = new EventDecoder(
      (model, version) => decodeOnly.featuresFor(model, version),
      (model, version) => decodeOnly.outputCount(model, version),
    );
    for (let i = 0; i < messages.length; i += CHUNK) {
      const arena = new RowArena();
      const stop = Math.min(i + CHUNK, messages.length);
      for (let k = i; k < stop; k++) if (decoder.decode(messages[k].value, messages[k], defaults, arena).ok) fastDecoded++;
    }
    if (decoder.counts.fast !== messages.length) throw new Error(`the fast decoder took ${decoder.counts.fast} of ${messages.length} events`);
  };
  const names = featureNames(features);
  const referenceRows = numericRows(20_000, features, 1); // the rows referenceDir() built the reference from
  const referenceSorted = Array.from({ length: features }, (_, j) => column(referenceRows, j).sort());
  let naive: NaiveWindow | undefined;
  const runNaive = () => {
    naive = new NaiveWindow(features, WINDOW_MS / SLIDE_MS, SLIDE_MS, referenceSorted);
    const row = new Float64Array(features);
    for (const m of messages) {
      const event = JSON.parse((m.value as Buffer).toString('utf8')) as { timestamp: string; features: Record<string, number> };
      for (let j = 0; j < features; j++) row[j] = event.features[names[j]];
      naive.record(Date.parse(event.timestamp), row);
    }
  };

  progress(`pipeline: 1 warm-up + ${RUNS} runs`);
  const pipelineMs = await timeRuns(runPipeline, RUNS);
  // BENCH_ONLY_DRIFTWATCH=1 skips the baselines (for a CPU profile of the pipeline alone).
  const baselines = !process.env.BENCH_ONLY_DRIFTWATCH;
  progress(`JSON.parse: 1 warm-up + ${RUNS} runs`);
  const parseMs = baselines ? await timeRuns(runParse, RUNS) : [Number.NaN];
  progress(`fast decoder alone: 1 warm-up + ${RUNS} runs`);
  const fastDecodeMs = baselines ? await timeRuns(runFastDecode, RUNS) : [Number.NaN];
  progress(`decodeEvent: 1 warm-up + ${RUNS} runs`);
  const decodeMs = baselines ? await timeRuns(runDecode, RUNS) : [Number.NaN];
  progress(`naive window: 1 warm-up + ${RUNS} runs`);
  const naiveMs = baselines ? await timeRuns(runNaive, RUNS) : [Number.NaN];

  // The measured runs' scoring (timeRuns' warm-up ran first), run by run beside their wall time.
  const scoredMs = scoringRuns.slice(-pipelineMs.length);
  const ingestMs = pipelineMs.map((ms, i) => ms - scoredMs[i]);
  const rate = (ms: number[]) => events / (median(ms) / 1000);
  const perEvent = (ms: number[]) => ((median(ms) * 1000) / events).toFixed(2);
  figures.push(
    {
      name: `pipeline ${features} features, events/s`,
      value: rate(pipelineMs),
      unit: 'ev/s',
      baseline: { name: 'naive: raw values, sort per slide', value: rate(naiveMs) },
      target: { kind: 'min', value: target },
      note:
        `median of ${RUNS} after 1 warm-up (${pipelineMs.map((t) => t.toFixed(0)).join('/')} ms for ${events.toLocaleString()} events, ${(encoded.bytes / events).toFixed(0)} B each); ` +
        `per event: pipeline ${perEvent(pipelineMs)} µs, decodeEvent ${perEvent(decodeMs)} µs, JSON.parse ${perEvent(parseMs)} µs, naive ${perEvent(naiveMs)} µs; ` +
        `${consumed.toLocaleString()} recorded (${decodePaths.fast.toLocaleString()} by the fast decoder, ${decodePaths.slow.toLocaleString()} by JSON.parse), ${dead} dead letters, ${evaluations} evaluations (naive ${naive?.evaluations})`,
    },
    {
      name: `decode + record + route ${features} features / JSON.parse alone`,
      value: median(parseMs) / median(ingestMs),
      unit: '×',
      baseline: { name: 'JSON.parse alone of the same events', value: 1 },
      target: { kind: 'min', value: 1 },
      note:
        `the pipeline's runs minus the detector's scoring of their ${evaluations} windows (${scoredMs.map((t) => t.toFixed(0)).join('/')} ms), timed in the same runs: ` +
        `${perEvent(ingestMs)} µs an event against JSON.parse ${perEvent(parseMs)} µs; the whole pipeline ${perEvent(pipelineMs)} µs, ${(median(parseMs) / median(pipelineMs)).toFixed(2)}× JSON.parse's rate`,
    },
    {
      name: `fast decoder alone ${features} features / JSON.parse alone`,
      value: median(parseMs) / median(fastDecodeMs),
      unit: '×',
      baseline: { name: 'JSON.parse alone of the same events', value: 1 },
      note:
        `EventDecoder.decode of the same events into row arenas, nothing recorded or routed (${fastDecoded.toLocaleString()} decoded): ` +
        `${perEvent(fastDecodeMs)} µs an event; decode + record + route ${perEvent(ingestMs)} µs, so recording and routing cost ${(((median(ingestMs) - median(fastDecodeMs)) * 1000) / events).toFixed(2)} µs an event`,
    },
    {
      name: `JSON.parse alone ${features} features (floor)`,
      value: rate(parseMs),
      unit: 'ev/s',
      note: `${parsed.toLocaleString()} parsed`,
    },
    {
      name: `decodeEvent alone ${features} features`,
      value: rate(decodeMs),
      unit: 'ev/s',
      note: `${decoded.toLocaleString()} decoded (JSON.parse + zod safeParse + time)`,
    },
  );
}

report('ingest (issue 4, in-process)', figures);
