/**
 * Issue 13 — the reports (docs/reports.md):
 *
 * 1. Opening a `check --report` file in headless Chromium (test/services/chromium.sh) at 200
 *    features, beside a 20-feature report of the same inputs in the same run: navigation start
 *    to the load event, and to the first frame drawn with a chart in it (a requestAnimationFrame
 *    probe installed before the page's own code; the page's CSP does not apply to it). Median of
 *    RUNS fresh pages after one warm-up page each. Target: 200 features load in ≤ 1,000 ms.
 *    Also: rendering the page on the server (renderReport, what the service does once per window).
 * 2. The service's hot path with the report history on (REPORT_WINDOWS > 0 with HTTP: the
 *    engine keeps each window's histograms and the HistoryExporter records every evaluation) against
 *    off, over the same pre-encoded events, in process as test/bench/ingest.bench.ts measures it.
 *    Target: on ≥ 95 % of off. Whole runs are noisy on a shared machine, so the extra work per
 *    evaluation is also timed alone, against the pipeline's time per evaluation.
 *
 * Needs Chromium (bash test/services/chromium.sh, or CHROMIUM_BINARY).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, readFile, stat } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { pino } from 'pino';
import puppeteer from 'puppeteer-core';
import { runtimeMetrics, serviceMetrics } from '../../src/adapters/http/metrics.js';
import { HistoryExporter } from '../../src/adapters/report/exporter.js';
import { renderReport } from '../../src/adapters/report/index.js';
import { ReferenceStore } from '../../src/adapters/files/reference-store.js';
import { loadReference } from '../../src/adapters/files/reference-file.js';
import { DriftDetector, accumulate } from '../../src/core/detect/detector.js';
import type { Evaluation } from '../../src/core/detect/evaluation.js';
import { FeatureSetAccumulator } from '../../src/core/stats/index.js';
import { WindowHistory } from '../../src/runtime/history.js';
import { InMemoryExporter } from '../../src/runtime/memory-exporter.js';
import { Pipeline, type SourceMessage } from '../../src/runtime/pipeline.js';
import { buildReference, cli, writeCheckFixture } from '../browser/fixtures.js';
import { benchEngine, encodeEvents, referenceDir, WINDOW_MS } from './events.js';
import { median, progress, report, timeRuns, type Figure } from './harness.js';

const RUNS = Number(process.env.BENCH_RUNS ?? 7);
const figures: Figure[] = [];
const chromium = process.env.CHROMIUM_BINARY ?? '/usr/bin/chromium';
if (!existsSync(chromium)) {
  console.error(`no Chromium at ${chromium}: run \`bash test/services/chromium.sh\` (installs the Debian package) or set CHROMIUM_BINARY`);
  process.exit(1);
}

// ---------------------------------------------------------------------------------------------
// 1. Opening the report in Chromium, 20 and 200 features
// ---------------------------------------------------------------------------------------------
/**
 * Installed before any page code: the time of the first frame after a chart exists. A string,
 * not a function: tsx would wrap a function's inner functions in a helper the page lacks.
 */
const PROBE = `(() => {
  const poll = () => {
    if (document.querySelector('svg.distribution')) requestAnimationFrame(() => requestAnimationFrame(() => { window.__chartsDrawn = performance.now(); }));
    else requestAnimationFrame(poll);
  };
  requestAnimationFrame(poll);
})();`;

interface Opened {
  loadMs: number;
  chartsMs: number;
  fcpMs: number;
}

const dir = await mkdtemp(join(tmpdir(), 'driftwatch-bench-report-'));
const files: Record<number, { path: string; bytes: number; renderMs: number[] }> = {};
for (const numeric of [19, 199]) {
  const features = numeric + 1;
  progress(`${features} features: training and current CSV, reference build, check --report`);
  const f = await writeCheckFixture(join(dir, String(features)), numeric, { trainingRows: 2000, currentRows: 1000 });
  await buildReference(f);
  const path = join(f.dir, 'report.html');
  const r = await cli(['check', '--reference', f.reference, '--input', f.current, '--report', path]);
  if (r.code !== 0) throw new Error(`check --report failed (exit ${r.code}): ${r.stderr}`);
  // The server-side render alone, as the service does it once per evaluated window.
  const reference = await loadReference(f.reference);
  const text = (await readFile(f.current, 'utf8')).trim().split('\n');
  const names = text[0].split(',');
  const rows = text.slice(1).map((line) => {
    const cells = line.match(/("([^"]|"")*"|[^,]*)(,|$)/g)!.map((c) =>
      c
        .replace(/,$/, '')
        .replace(/^"(.*)"$/, '$1')
        .replace(/""/g, '"'),
    );
    return Object.fromEntries(names.map((n, i) => [n, n === 'kind' ? cells[i] : Number(cells[i])]));
  });
  const current = accumulate(rows, reference);
  const check = new DriftDetector().evaluate(current, reference);
  const renderMs = await timeRuns(
    () => renderReport({ model: 'bench', modelVersion: 'v1', check, features: reference.features, referenceRows: reference.rowCount, current, generatedAt: new Date() }),
    RUNS,
  );
  files[features] = { path, bytes: (await stat(path)).size, renderMs };
}

const browser = await puppeteer.launch({
  executablePath: chromium,
  headless: true,
  args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage'],
  defaultViewport: { width: 1400, height: 1000 },
});
async function openOnce(path: string): Promise<Opened> {
  const page = await browser.newPage();
  await page.evaluateOnNewDocument(PROBE);
  await page.goto(pathToFileURL(path).href, { waitUntil: 'load' });
  await page.waitForFunction('window.__chartsDrawn !== undefined', { timeout: 30_000 });
  // Strings: the test programs are compiled without the DOM library.
  const timing = (await page.evaluate(`(() => {
    const nav = performance.getEntriesByType('navigation')[0];
    const fcp = performance.getEntriesByName('first-contentful-paint')[0];
    return { loadMs: nav.loadEventEnd - nav.startTime, chartsMs: window.__chartsDrawn, fcpMs: fcp ? fcp.startTime : -1 };
  })()`)) as Opened;
  await page.close();
  return timing;
}

const opened: Record<number, Opened[]> = { 20: [], 200: [] };
progress(`Chromium: 1 warm-up + ${RUNS} pages per size, sizes alternating`);
await openOnce(files[20].path);
await openOnce(files[200].path);
for (let i = 0; i < RUNS; i++) {
  for (const features of [20, 200]) opened[features].push(await openOnce(files[features].path));
}
await browser.close();

const med = (xs: Opened[], key: keyof Opened) => median(xs.map((x) => x[key]));
/** First contentful paint, when Chromium reports one (-1: it did not). */
const fcp = (xs: Opened[]) => (xs.every((x) => x.fcpMs >= 0) ? `${med(xs, 'fcpMs').toFixed(0)} ms` : 'not reported');
const range = (xs: number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)} ms`;
figures.push(
  {
    name: 'open 200-feature report: navigation to load',
    value: med(opened[200], 'loadMs'),
    unit: 'ms',
    baseline: { name: '20 features', value: med(opened[20], 'loadMs') },
    target: { kind: 'max', value: 1000 },
    note: `median of ${RUNS}, range ${range(opened[200].map((o) => o.loadMs))} (20 features: ${range(opened[20].map((o) => o.loadMs))}); files ${(files[200].bytes / 1024).toFixed(0)} KiB and ${(files[20].bytes / 1024).toFixed(0)} KiB`,
  },
  {
    name: 'open 200-feature report: navigation to first charts drawn',
    value: med(opened[200], 'chartsMs'),
    unit: 'ms',
    baseline: { name: '20 features', value: med(opened[20], 'chartsMs') },
    target: { kind: 'max', value: 1000 },
    note: `median of ${RUNS}, range ${range(opened[200].map((o) => o.chartsMs))}; first contentful paint ${fcp(opened[200])} (20 features: ${fcp(opened[20])})`,
  },
  {
    name: 'renderReport 200 features (server side)',
    value: median(files[200].renderMs),
    unit: 'ms',
    baseline: { name: '20 features', value: median(files[20].renderMs) },
    note: `median of ${RUNS} after 1 warm-up, range ${range(files[200].renderMs)}; the service renders once per evaluated window and caches the page`,
  },
);

// ---------------------------------------------------------------------------------------------
// 2. The hot path with the report history on and off
// ---------------------------------------------------------------------------------------------
const SPAN_MS = 2 * WINDOW_MS;
const CHUNK = 500;
const FEATURES = 20;
const EVENTS = 200_000;
const logger = pino({ level: 'silent' });
progress(`ingest: ${FEATURES} features, reference from 20,000 rows, ${EVENTS.toLocaleString()} events over 2 h of event time`);
const refs = await referenceDir(FEATURES);
const encoded = encodeEvents(EVENTS, FEATURES, Date.UTC(2026, 0, 1), SPAN_MS / EVENTS);
const messages: SourceMessage[] = encoded.values.map((value, offset) => ({
  topic: 'predictions',
  partition: 0,
  offset,
  timestampMs: encoded.timestampsMs[offset],
  key: null,
  value,
  headers: {},
}));
const references = new ReferenceStore(refs.dir, logger);
await references.loadAll();
const recorded = { on: 0, off: 0 };
let lastOn: Evaluation[] = [];
async function ingest(historyOn: boolean): Promise<void> {
  const history = historyOn ? new WindowHistory({ windows: 288 }) : undefined;
  const memory = new InMemoryExporter();
  const engine = benchEngine({
    referenceFor: (model, version) => references.get(model, version),
    keepCurrent: historyOn,
  });
  const pipeline = new Pipeline({
    engine,
    references,
    exporters: history ? [memory, new HistoryExporter(history)] : [memory],
    deadLetters: { send: async (items) => void items },
    metrics: runtimeMetrics(serviceMetrics()),
    logger,
    defaults: {},
    maxClockSkewMs: Number.POSITIVE_INFINITY,
  });
  for (let i = 0; i < messages.length; i += CHUNK) {
    await pipeline.ingest(messages.slice(i, i + CHUNK));
    await pipeline.runDue();
  }
  const kept = history ? history.all().reduce((s, t) => s + t.points.length, 0) : 0;
  if (historyOn && (kept !== memory.evaluations.length || kept === 0)) throw new Error(`history kept ${kept} windows of ${memory.evaluations.length} evaluations`);
  recorded[historyOn ? 'on' : 'off'] = memory.evaluations.length;
  if (historyOn) lastOn = memory.evaluations;
}
// Pairs of runs, on and off in alternating order, so that a load change on the shared machine
// hits both; the ratio is taken within each pair.
const times = { on: [] as number[], off: [] as number[] };
const ratios: number[] = [];
await ingest(false);
await ingest(true);
const PAIRS = Math.max(5, RUNS);
for (let i = 0; i < PAIRS; i++) {
  progress(`ingest pair ${i + 1} of ${PAIRS}: history ${i % 2 ? 'on, then off' : 'off, then on'}`);
  const pair: Record<'on' | 'off', number> = { on: 0, off: 0 };
  for (const on of i % 2 ? [true, false] : [false, true]) pair[on ? 'on' : 'off'] = (await timeRuns(() => ingest(on), 1, 0))[0];
  times.on.push(pair.on);
  times.off.push(pair.off);
  ratios.push(pair.off / pair.on);
}
const rate = (ms: number[]) => EVENTS / (median(ms) / 1000);
figures.push(
  {
    name: `ingest ${FEATURES} features, report history on`,
    value: rate(times.on),
    unit: 'ev/s',
    baseline: { name: 'history off', value: rate(times.off) },
    note: `median of ${PAIRS} runs each (on ${times.on.map((t) => t.toFixed(0)).join('/')} ms, off ${times.off.map((t) => t.toFixed(0)).join('/')} ms); ${recorded.on} evaluations kept in the history (off: ${recorded.off})`,
  },
  {
    name: 'ingest rate, history on / off (median of pairs)',
    value: median(ratios),
    unit: '×',
    baseline: { name: 'off / off', value: 1 },
    target: { kind: 'min', value: 0.95 },
    note: `per pair: ${ratios.map((r) => r.toFixed(3)).join(', ')} (range ${Math.min(...ratios).toFixed(3)}–${Math.max(...ratios).toFixed(3)})`,
  },
);

// The same cost without the noise of whole runs: the work history-on adds per evaluation (the
// engine's copy of the window's histograms, and HistoryExporter's record), timed alone on the
// evaluations of the last run, against the pipeline's time per evaluation with history off.
const evaluation = lastOn[lastOn.length - 1];
const kept = evaluation.checks[0].current;
if (!kept) throw new Error('history on: the evaluation holds no copy of the current values');
const REPS = 1000;
const copyMs = await timeRuns(() => {
  for (let i = 0; i < REPS; i++) new FeatureSetAccumulator(kept.models).merge(kept);
}, 5);
const recordMs = await timeRuns(() => {
  const h = new WindowHistory({ windows: 288 });
  for (let i = 0; i < REPS; i++) h.record(evaluation);
}, 5);
const extraUs = ((median(copyMs) + median(recordMs)) / REPS) * 1000;
const perEvaluationUs = (median(times.off) / recorded.off) * 1000;
figures.push({
  name: 'history work per evaluation (copy + record)',
  value: extraUs,
  unit: 'µs',
  baseline: { name: 'pipeline time per evaluation, history off', value: perEvaluationUs },
  target: { kind: 'max', value: 0.05 * perEvaluationUs },
  note: `copy ${((median(copyMs) / REPS) * 1000).toFixed(1)} µs + record ${((median(recordMs) / REPS) * 1000).toFixed(1)} µs, median of 5 × ${REPS}; share of the ingest time ${((100 * extraUs) / perEvaluationUs).toFixed(3)} %`,
});

report('report (issue 13: Chromium open time, history on the hot path)', figures);
