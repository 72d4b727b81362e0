// The service's own pages in a real browser: the service runs as the integration tests run it
// (in process, real Kafka from test/setup/global-setup.ts), consumes a seeded stream produced
// to its topic, and Chromium opens `/` and, by its link, `/report/{model}/{version}`. `/` lists
// the model with its state and drifted features as /drift says; the report holds every chart
// (the rows per window of the whole stream, a score timeline and the distributions per feature);
// neither page logs an error or requests anything but itself. Screenshots go to
// test-results/screenshots/ (and docs/img/ with DRIFTWATCH_UPDATE_SCREENSHOTS=1).
import { join } from 'node:path';
import type { Browser } from 'puppeteer-core';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../src/app/config/load.js';
import { startService, type RunningService } from '../../src/app/service.js';
import { brokers, kafkaClient, quietLogger, runId, tempDir, waitFor } from '../integration/helpers.js';
import { cardCounts, launch, screenshot, watchedPage } from './browser.js';
import { buildReference, EVIL, PSI_BINS, streamEvents, writeCheckFixture, type CheckFixture } from './fixtures.js';

const MIN = 60_000;
const SLIDE_MS = 5 * MIN;
const MINUTES = 80;
const NUMERIC = 5;
const id = runId();
// The service consumes its own topic only, so its model list is this model alone.
const model = 'credit-risk';
const topic = `predictions-${id}`;
// Two hours ago, aligned to the slide: every window lies in the wall clock's past.
const start = Math.floor((Date.now() - 2 * 3_600_000) / SLIDE_MS) * SLIDE_MS;
const windows = MINUTES / 5;

interface DriftView {
  models: Record<string, { model_version: string; window_end: string; drifted_features?: Record<string, number>; feature_scores: Record<string, number> }>;
}

let service: RunningService | undefined;
let browser: Browser | undefined;
let fixture: CheckFixture;
let base = '';

describe.skipIf(!brokers())('the service pages in Chromium (real Kafka)', () => {
  beforeAll(async () => {
    fixture = await writeCheckFixture(await tempDir('driftwatch-browser-service-'), NUMERIC);
    await buildReference(fixture);
    const kafka = kafkaClient();
    const admin = await kafka.admin();
    await admin.ensureTopics([{ topic, partitions: 1 }]);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send(
      topic,
      streamEvents(model, NUMERIC, start, MINUTES, 20, 40).map((value) => ({ key: model, value })),
    );
    await producer.disconnect();
    const { config } = resolveConfig(
      {},
      {
        KAFKA_BROKERS: brokers(),
        KAFKA_TOPIC: topic,
        KAFKA_GROUP_ID: `driftwatch-${id}`,
        DRIFT_EVENTS_TOPIC: `drift-events-${id}`,
        DEAD_LETTER_TOPIC: `dlq-${id}`,
        REFERENCE_DIR: join(fixture.dir),
        DRIFT_WINDOW: '20m',
        DRIFT_CHECK_INTERVAL: '5m',
        ALLOWED_LATENESS: '5s',
        // The last windows close when the quiet partition's watermark follows the wall clock.
        PARTITION_IDLE_TIMEOUT: '2s',
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
      },
    );
    service = await startService(config, { logger: quietLogger });
    base = `http://127.0.0.1:${service.httpPort}`;
    const lastEnd = new Date(start + MINUTES * MIN).toISOString();
    await waitFor(`the window ending ${lastEnd} on /drift`, 90_000, async () => {
      const view = (await (await fetch(`${base}/drift`)).json()) as DriftView;
      return view.models[model]?.window_end === lastEnd;
    });
    browser = await launch();
  });

  afterAll(async () => {
    await browser?.close();
    await service?.stop();
  });

  it('/ lists the model with its state and drifted features, and links to its live report with every chart', async () => {
    const drift = ((await (await fetch(`${base}/drift`)).json()) as DriftView).models[model]!;
    const w = await watchedPage(browser!);
    await w.page.goto(`${base}/`, { waitUntil: 'load' });
    const rows = (await w.page.evaluate(
      // A string: the test programs are compiled without the DOM library.
      "Array.from(document.querySelectorAll('#models tbody tr'), (tr) => Array.from(tr.cells, (td) => td.textContent.trim()))",
    )) as string[][];
    expect(rows.map((r) => r[0])).toEqual([model]);
    const ours = rows;
    const drifted = Object.values(drift.feature_scores).filter((s) => s >= 0.3).length;
    expect(drifted).toBe(3);
    expect(ours[0][1]).toBe('v1');
    expect(ours[0][2]).toMatch(/^drifting/);
    expect(ours[0][7]).toBe(String(drifted));
    await screenshot(w.page, 'service-index', { docImage: true, height: 240 });

    await Promise.all([w.page.waitForNavigation({ waitUntil: 'load' }), w.page.click(`#models a[href="report/${encodeURIComponent(model)}/v1"]`)]);
    const reportUrl = `${base}/report/${encodeURIComponent(model)}/v1`;
    expect(w.page.url()).toBe(reportUrl);
    expect(await w.page.$eval('#model', (dd) => dd.textContent)).toBe(model);
    expect(await w.page.$$eval('#timeline svg.timeline.samples rect.bar.samples', (r) => r.length)).toBe(windows);
    const cards = await cardCounts(w.page);
    expect(cards.map((c) => c.feature).sort()).toEqual([...fixture.features].sort());
    for (const card of cards) {
      expect(card, card.feature).toMatchObject({ scoreLines: 1, thresholdLines: 1 });
      expect(card.bars, card.feature).toBe(card.feature === 'kind' ? 2 * 4 : 2 * PSI_BINS);
      expect(card.cdfLines, card.feature).toBe(card.feature === 'kind' ? 0 : 2);
    }
    expect(
      cards
        .filter((c) => c.dots > 0)
        .map((c) => c.feature)
        .sort(),
    ).toEqual(['kind', 'x000', 'x001']);
    expect(await w.page.$$eval('.unseen-list code', (codes) => codes.map((c) => c.textContent))).toEqual([EVIL]);
    await screenshot(w.page, 'service', { docImage: true });
    await screenshot(w.page, 'service-full', { fullPage: true });
    // The link back to the list, relative as served.
    expect(await w.page.$eval('header a', (a) => a.href)).toBe(`${base}/`);
    expect(w.requests).toEqual([`${base}/`, reportUrl]);
    expect(w.consoleErrors).toEqual([]);
    expect(w.pageErrors).toEqual([]);
    expect(w.dialogs).toEqual([]);
    await w.page.close();
  });
});
