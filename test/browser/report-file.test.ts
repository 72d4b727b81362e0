// The report files in a real browser (headless Chromium, test/browser/setup.ts): `check --report`
// and `replay --report`, written by the CLI from seeded inputs, opened from file://. Every chart
// has the bars and lines the input calls for, and their heights are the shares counted here from
// the input files (independently of driftwatch); the table sorts on a header click in the order
// of the check's own JSON; a `<script>` category renders as text and runs nothing; the page logs
// no error and makes no request besides the file itself. Screenshots go to
// test-results/screenshots/ (and docs/img/ with DRIFTWATCH_UPDATE_SCREENSHOTS=1).
import { mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { parse } from 'csv-parse/sync';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { cardCounts, clickHeader, launch, screenshot, tableOrder, watchedPage, type Watched } from './browser.js';
import { buildReference, CATEGORIES, cli, EVIL, PSI_BINS, writeCheckFixture, writeStream, type CheckFixture } from './fixtures.js';

const NUMERIC = 5;
const MIN = 60_000;
const WINDOW_MS = 20 * MIN;
const SLIDE_MS = 5 * MIN;
const START = Date.UTC(2026, 0, 1);
const MINUTES = 80;
const PER_MINUTE = 20;

interface CheckJson {
  features: Record<string, { score: number | null; drifted: boolean; ks: number | null }>;
}
interface ReplayLine {
  window: { end: string };
  state: string;
  sample_count: number;
  features: Record<string, { drifted: boolean }>;
}
interface ReferenceJson {
  features: Record<string, { type: 'numeric'; psi_edges: number[] } | { type: 'categorical'; categories: Record<string, number> }>;
}

let browser: Browser;
let fixture: CheckFixture;
let reference: ReferenceJson;
let checkJson: CheckJson;
let checkHtml = '';
let replayHtml = '';
let replayLines: ReplayLine[] = [];

function parseCsv(text: string): Record<string, string>[] {
  return parse(text, { columns: true }) as Record<string, string>[];
}

/** Shares of the current values per PSI bin (right-closed, as docs/statistics.md defines them). */
function psiShares(values: number[], edges: number[]): number[] {
  const counts = new Array<number>(edges.length + 1).fill(0);
  for (const v of values) {
    let i = 0;
    while (i < edges.length && v > edges[i]) i++;
    counts[i]++;
  }
  return counts.map((c) => c / values.length);
}

/** The bar heights of a series in a feature's distribution chart, in drawing order. */
async function barHeights(w: Watched, feature: string, series: 'reference' | 'current'): Promise<number[]> {
  return w.page.$$eval(`article.card[data-feature="${feature.replace(/"/g, '\\"')}"] svg.distribution rect.bar.${series}`, (rects) =>
    rects.map((r) => Number(r.getAttribute('height'))),
  );
}

/** Heights are shares on a linear scale from 0: normalised by their sum they are the shares themselves (within the 0.1 px rounding). */
function expectProportional(heights: number[], shares: number[], what: string): void {
  expect(heights.length, what).toBe(shares.length);
  const sum = heights.reduce((s, h) => s + h, 0);
  const sumShares = shares.reduce((s, x) => s + x, 0);
  heights.forEach((h, i) => expect(Math.abs(h / sum - shares[i] / sumShares), `${what}, bar ${i}`).toBeLessThan((0.06 * heights.length) / sum + 1e-9));
}

async function open(file: string): Promise<Watched> {
  const w = await watchedPage(browser);
  await w.page.goto(pathToFileURL(file).href, { waitUntil: 'load' });
  return w;
}

function expectClean(w: Watched, file: string): void {
  expect(w.requests).toEqual([pathToFileURL(file).href]);
  expect(w.consoleErrors).toEqual([]);
  expect(w.pageErrors).toEqual([]);
  expect(w.dialogs).toEqual([]);
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-browser-'));
  fixture = await writeCheckFixture(dir, NUMERIC);
  await buildReference(fixture);
  reference = JSON.parse(await readFile(fixture.reference, 'utf8')) as ReferenceJson;
  checkHtml = join(dir, 'drift-report.html');
  const [check, json] = await Promise.all([
    cli(['check', '--reference', fixture.reference, '--input', fixture.current, '--report', checkHtml]),
    cli(['check', '--reference', fixture.reference, '--input', fixture.current, '--json']),
  ]);
  expect(check.code, check.stderr).toBe(0);
  expect(json.code, json.stderr).toBe(0);
  checkJson = JSON.parse(json.stdout) as CheckJson;

  const stream = join(dir, 'events.jsonl');
  await writeStream(stream, 'credit', NUMERIC, START, MINUTES, PER_MINUTE, 40);
  replayHtml = join(dir, 'timeline.html');
  const out = join(dir, 'checks.jsonl');
  const replay = await cli(['replay', '--input', stream, '--reference-dir', dir, '--report', replayHtml, '--out', out], {
    DRIFT_WINDOW: '20m',
    DRIFT_CHECK_INTERVAL: '5m',
    ALLOWED_LATENESS: '5s',
  });
  expect(replay.code, replay.stderr).toBe(0);
  replayLines = (await readFile(out, 'utf8'))
    .trim()
    .split('\n')
    .map((l) => JSON.parse(l) as ReplayLine);
  browser = await launch();
}, 120_000);

afterAll(async () => {
  await browser?.close();
});

describe('check --report in Chromium', () => {
  it('draws per numeric feature its PSI bins (reference and current) and two CDFs with the KS gap, per category with the unseen one marked', async () => {
    const w = await open(checkHtml);
    const cards = await cardCounts(w.page);
    expect(cards.map((c) => c.feature).sort()).toEqual([...fixture.features].sort());
    const current = parseCsv(await readFile(fixture.current, 'utf8'));
    for (const card of cards) {
      const ref = reference.features[card.feature];
      if (ref.type === 'numeric') {
        // Continuous values: the reference build keeps every one of the PSI_BINS bins.
        expect(ref.psi_edges.length + 1, card.feature).toBe(PSI_BINS);
        expect(card, card.feature).toMatchObject({ referenceBars: PSI_BINS, currentBars: PSI_BINS, unseenBars: 0, cdfLines: 2, ksGaps: 1, scoreLines: 0, thresholdLines: 0 });
        const shares = psiShares(
          current.map((r) => Number(r[card.feature])),
          ref.psi_edges,
        );
        expectProportional(await barHeights(w, card.feature, 'current'), shares, `${card.feature} current`);
        // The KS gap segment is D of the check's JSON tall, on the CDF chart's 0..1 axis (0.1 px rounding).
        const [axisTop, axisBottom, gapTop, gapBottom] = await w.page.$eval(`article.card[data-feature="${card.feature}"] svg.cdf`, (svg) => {
          const axis = svg.querySelector('g.axis line')!;
          const gap = svg.querySelector('line.ks-gap')!;
          return [axis.getAttribute('y1'), axis.getAttribute('y2'), gap.getAttribute('y1'), gap.getAttribute('y2')].map(Number);
        });
        expect(Math.abs(Math.abs(gapBottom - gapTop) / (axisBottom - axisTop) - checkJson.features[card.feature].ks!), `${card.feature} KS gap`).toBeLessThan(
          0.25 / (axisBottom - axisTop),
        );
      } else {
        // alpha, beta, gamma from the reference and the unseen EVIL, in that order.
        const categories = [...Object.keys(ref.categories), EVIL];
        expect(Object.keys(ref.categories).sort()).toEqual([...CATEGORIES].sort());
        expect(card, card.feature).toMatchObject({ referenceBars: 4, currentBars: 4, unseenBars: 1, unseenLabels: 1, cdfLines: 0, ksGaps: 0 });
        const total = Object.values(ref.categories).reduce((s, c) => s + c, 0);
        expectProportional(
          await barHeights(w, card.feature, 'reference'),
          categories.map((c) => (ref.categories[c] ?? 0) / total),
          'kind reference',
        );
        expectProportional(
          await barHeights(w, card.feature, 'current'),
          categories.map((c) => current.filter((r) => r.kind === c).length / current.length),
          'kind current',
        );
      }
    }
    expect(await w.page.$('#timeline')).toBeNull();
    await screenshot(w.page, 'report', { docImage: true });
    await screenshot(w.page, 'report-full', { fullPage: true });
    expectClean(w, checkHtml);
    await w.page.close();
  });

  it('sorts the feature table on a header click, and reverses on a second click, in the order of the check JSON', async () => {
    const w = await open(checkHtml);
    const byScore = Object.entries(checkJson.features)
      .filter(([, f]) => f.score !== null)
      .sort((a, b) => a[1].score! - b[1].score!)
      .map(([name]) => name);
    expect(byScore).toHaveLength(fixture.features.length);
    await clickHeader(w.page, 'score');
    expect(await tableOrder(w.page)).toEqual(byScore);
    expect(await w.page.$eval('#features thead th[aria-sort]', (th) => [th.textContent, th.getAttribute('aria-sort')])).toEqual(['score', 'ascending']);
    await clickHeader(w.page, 'score');
    expect(await tableOrder(w.page)).toEqual([...byScore].reverse());
    await clickHeader(w.page, 'feature');
    expect(await tableOrder(w.page)).toEqual([...fixture.features].sort((a, b) => a.localeCompare(b)));
    expectClean(w, checkHtml);
    await w.page.close();
  });

  it('shows a <script> category as text: the page has only its own script, and nothing ran', async () => {
    const w = await open(checkHtml);
    expect(await w.page.$$eval('.unseen-list code', (codes) => codes.map((c) => c.textContent))).toEqual([EVIL]);
    expect(await w.page.$$eval('svg.distribution text.label.unseen title', (t) => t.map((x) => x.textContent))).toEqual([EVIL]);
    expect(await w.page.$$eval('script', (s) => s.length)).toBe(1);
    // The CSP would refuse an injected script; a rendering that did inject one would log the refusal.
    expectClean(w, checkHtml);
    await w.page.close();
  });
});

describe('replay --report in Chromium', () => {
  /** Window ends of the stream: every slide from the first event's to the last event's. */
  const ends: number[] = [];
  for (let end = START + SLIDE_MS; end <= START + MINUTES * MIN; end += SLIDE_MS) ends.push(end);

  it('draws the rows per window, and per feature its score, its threshold, the drifted windows and the drift episodes', async () => {
    expect(replayLines.map((l) => Date.parse(l.window.end))).toEqual(ends);
    const w = await open(replayHtml);
    const samples = await w.page.$$eval('#timeline svg.timeline.samples rect.bar.samples', (rects) => rects.map((r) => Number(r.getAttribute('height'))));
    // Rows per window, counted from the stream: PER_MINUTE a minute, the first windows partial.
    const rows = ends.map((end) => (Math.min(WINDOW_MS, end - START) / MIN) * PER_MINUTE);
    expect(replayLines.map((l) => l.sample_count)).toEqual(rows);
    expectProportional(samples, rows, 'rows per window');
    // The time axis in UTC on a 24-hour clock: the date at midnight, HH:MM otherwise, within the stream's span.
    const ticks = await w.page.$$eval('#timeline svg.timeline.samples .grid text[text-anchor="middle"]', (t) => t.map((x) => x.textContent ?? ''));
    expect(ticks.length).toBeGreaterThan(1);
    for (const tick of ticks) {
      const at = /^\d{4}-\d{2}-\d{2}$/.test(tick) ? Date.parse(`${tick}T00:00:00Z`) : Date.parse(`2026-01-01T${tick}:00Z`);
      expect(at, tick).toBeGreaterThanOrEqual(START - SLIDE_MS);
      expect(at, tick).toBeLessThanOrEqual(START + MINUTES * MIN);
    }
    // Episodes: runs of windows in the hysteresis state `drifting`, as the replay's JSON says.
    const states = replayLines.map((l) => l.state);
    const runs = states.filter((s, i) => s === 'drifting' && states[i - 1] !== 'drifting').length;
    expect(runs).toBeGreaterThan(0);
    expect(await w.page.$$eval('#timeline svg.timeline.samples rect.episode', (r) => r.length)).toBe(runs);
    const cards = await cardCounts(w.page);
    expect(cards.map((c) => c.feature).sort()).toEqual([...fixture.features].sort());
    for (const card of cards) {
      const drifted = replayLines.filter((l) => l.features[card.feature].drifted).length;
      expect(card, card.feature).toMatchObject({ scoreLines: 1, thresholdLines: 1, dots: drifted, episodes: runs });
      expect(card.bars, card.feature).toBe(reference.features[card.feature].type === 'numeric' ? 2 * PSI_BINS : 2 * 4);
    }
    // The last window's details: x000 and x001 and kind drifted.
    expect(
      cards
        .filter((c) => c.dots > 0)
        .map((c) => c.feature)
        .sort(),
    ).toEqual(['kind', 'x000', 'x001']);
    await screenshot(w.page, 'timeline', { docImage: true });
    await screenshot(w.page, 'timeline-full', { fullPage: true });
    expectClean(w, replayHtml);
    await w.page.close();
  });
});
