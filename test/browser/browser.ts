// Headless Chromium (the Debian package, test/services/chromium.sh) driven by puppeteer-core,
// which brings no browser of its own. Every page records what would make a report untrustworthy:
// each request it makes, console errors, uncaught errors and dialogs (an injected alert()).
import { mkdir } from 'node:fs/promises';
import { join } from 'node:path';
import puppeteer, { type Browser, type Page } from 'puppeteer-core';
import { inject } from 'vitest';
import { root } from './fixtures.js';

export const SCREENSHOTS = join(root, 'test-results', 'screenshots');
/** Where the README's pictures live; refreshed from the tests with DRIFTWATCH_UPDATE_SCREENSHOTS=1. */
export const DOC_IMAGES = join(root, 'docs', 'img');
export const updateDocImages = process.env.DRIFTWATCH_UPDATE_SCREENSHOTS === '1';

export function chromiumBinary(): string {
  return inject('chromiumBinary');
}

export async function launch(executablePath = chromiumBinary()): Promise<Browser> {
  return puppeteer.launch({
    executablePath,
    headless: true,
    // Root in a container has no user namespaces for Chromium's sandbox; the pages are our own.
    args: ['--no-sandbox', '--disable-gpu', '--disable-dev-shm-usage', '--font-render-hinting=none'],
    defaultViewport: { width: 1400, height: 1000, deviceScaleFactor: 1 },
  });
}

export interface Watched {
  page: Page;
  requests: string[];
  consoleErrors: string[];
  pageErrors: string[];
  dialogs: string[];
}

/** A new page that records requests, console errors, uncaught errors and dialogs (dismissed). */
export async function watchedPage(browser: Browser): Promise<Watched> {
  const page = await browser.newPage();
  const w: Watched = { page, requests: [], consoleErrors: [], pageErrors: [], dialogs: [] };
  page.on('request', (req) => w.requests.push(req.url()));
  page.on('console', (msg) => {
    if (msg.type() === 'error' || msg.type() === 'warn') w.consoleErrors.push(`${msg.type()}: ${msg.text()}`);
  });
  page.on('pageerror', (err) => w.pageErrors.push(String(err)));
  page.on('dialog', (dialog) => {
    w.dialogs.push(`${dialog.type()}: ${dialog.message()}`);
    void dialog.dismiss();
  });
  return w;
}

export async function screenshot(page: Page, name: string, options: { fullPage?: boolean; docImage?: boolean; height?: number } = {}): Promise<string> {
  await mkdir(SCREENSHOTS, { recursive: true });
  const viewport = page.viewport();
  if (options.height && viewport) await page.setViewport({ ...viewport, height: options.height });
  const path = join(SCREENSHOTS, `${name}.png`);
  // Cards off screen are not laid out (content-visibility: auto): a full-page picture shows them all.
  if (options.fullPage) await page.evaluate("document.querySelectorAll('.card').forEach((c) => { c.style.contentVisibility = 'visible'; })");
  await page.screenshot({ path, fullPage: options.fullPage ?? false });
  if (options.docImage && updateDocImages) {
    await mkdir(DOC_IMAGES, { recursive: true });
    await page.screenshot({ path: join(DOC_IMAGES, `${name}.png`), fullPage: false });
  }
  if (options.height && viewport) await page.setViewport(viewport);
  return path;
}

/** Counts of the chart elements of each feature card, read in the page. */
export interface CardCounts {
  feature: string;
  bars: number;
  referenceBars: number;
  currentBars: number;
  unseenBars: number;
  unseenLabels: number;
  cdfLines: number;
  ksGaps: number;
  scoreLines: number;
  thresholdLines: number;
  dots: number;
  episodes: number;
}

export async function cardCounts(page: Page): Promise<CardCounts[]> {
  return page.$$eval('article.card', (cards) =>
    cards.map((card) => {
      const n = (selector: string) => card.querySelectorAll(selector).length;
      return {
        feature: card.getAttribute('data-feature') ?? '',
        bars: n('svg.distribution rect.bar'),
        referenceBars: n('svg.distribution rect.bar.reference'),
        currentBars: n('svg.distribution rect.bar.current'),
        unseenBars: n('svg.distribution rect.bar.unseen'),
        unseenLabels: n('svg.distribution text.label.unseen'),
        cdfLines: n('svg.cdf path.line'),
        ksGaps: n('svg.cdf line.ks-gap'),
        scoreLines: n('svg.timeline.score path.line.score'),
        thresholdLines: n('svg.timeline.score path.line.threshold'),
        dots: n('svg.timeline.score circle.drifted'),
        episodes: n('svg.timeline.score rect.episode'),
      };
    }),
  );
}

/** The feature names of the table's rows, top to bottom. */
export async function tableOrder(page: Page): Promise<string[]> {
  return page.$$eval('#features tbody tr', (rows) => rows.map((r) => r.getAttribute('data-feature') ?? ''));
}

/** Clicks the feature table's column header labelled `label`. */
export async function clickHeader(page: Page, label: string): Promise<void> {
  const buttons = await page.$$('#features thead th button');
  for (const b of buttons) {
    if ((await b.evaluate((el) => el.textContent)) === label) {
      await b.click();
      return;
    }
  }
  throw new Error(`no column header "${label}" in the feature table`);
}
