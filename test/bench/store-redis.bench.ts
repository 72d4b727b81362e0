/**
 * Issue 11, item 7 — Redis: a stream of 1 M entries (`XADD key <ms>-* feature_vector <json of
 * 20 numbers>`, the step-2 format) read for a window and scored by `driftwatch job`'s path
 * (RedisSource: XRANGE pages of 1000, the next one asked for while one is handled, the replies
 * as sent → JSON.parse → accumulation → scores), against the baseline of the same run: a bare
 * XRANGE read of the same stream with the same client, the same command (`sendCommand`, the
 * replies as sent) and page size, one page after the other, values left unparsed. No target is
 * set by the issue; the ratio is printed.
 *
 * Services: test/bench/store-services.ts (BENCH_REDIS_URL, or up.sh). BENCH_STORE_RUNS (3) runs
 * of each side, alternating; the figure is the median, the note gives every run.
 */
import { createClient } from 'redis';
import { RedisSource } from '../../src/adapters/stores/redis.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { checkWindow } from '../../src/app/job/check-window.js';
import { featureNames, numericRows } from './data.js';
import { collectGarbage, median, progress, report } from './harness.js';
import { redisUrl, spread } from './store-services.js';

const ENTRIES = 1_000_000;
const FEATURES = 20;
const PAGE = 1000;
const RUNS = Number(process.env.BENCH_STORE_RUNS ?? 3);
const START = Date.UTC(2026, 0, 1);
const key = `driftwatch:bench:stream:${process.pid}`;

const url = redisUrl();
const names = featureNames(FEATURES);
const reference = ReferenceDistribution.fromRows(numericRows(20_000, FEATURES, 1), { featureNames: names, modelVersion: 'bench' });
const pool = numericRows(10_000, FEATURES, 2).map((r) => JSON.stringify(r.map((v) => Math.round(v * 1e6) / 1e6)));
const window = { startMs: START, endMs: START + ENTRIES };

const client = createClient({ url });
await client.connect();
progress(`filling ${key}: ${ENTRIES.toLocaleString('en-US')} entries × ${FEATURES} features (pipelined XADD)`);
for (let i = 0; i < ENTRIES; i += 1000) {
  await Promise.all(Array.from({ length: Math.min(1000, ENTRIES - i) }, (_, k) => client.xAdd(key, `${START + i + k}-*`, { feature_vector: pool[(i + k) % pool.length]! })));
}

async function bareXrange(): Promise<number> {
  collectGarbage();
  const t0 = performance.now();
  let from = String(window.startMs);
  let n = 0;
  for (;;) {
    const page = ((await client.sendCommand(['XRANGE', key, from, String(window.endMs - 1), 'COUNT', String(PAGE)])) ?? []) as [string, string[]][];
    n += page.length;
    if (page.length < PAGE) break;
    from = `(${page[page.length - 1]![0]}`;
  }
  if (n !== ENTRIES) throw new Error(`XRANGE read ${n} entries, expected ${ENTRIES}`);
  return ENTRIES / ((performance.now() - t0) / 1000);
}

async function driftwatchRun(): Promise<number> {
  collectGarbage();
  const t0 = performance.now();
  const result = await checkWindow({
    source: new RedisSource({ url, key, mode: 'stream', pageSize: PAGE }),
    window,
    referenceFor: () => reference,
    defaults: { model: 'bench', modelVersion: 'bench' },
    detector: { metric: 'psi', threshold: 0.3, minSamples: 100, missingRateThreshold: 0.1 },
  });
  const ms = performance.now() - t0;
  if (result.checks[0]?.check.sample_count !== ENTRIES) throw new Error(`scored ${result.checks[0]?.check.sample_count} entries, expected ${ENTRIES}`);
  return ENTRIES / (ms / 1000);
}

const ours: number[] = [];
const bare: number[] = [];
try {
  await bareXrange(); // warm-up
  await driftwatchRun();
  for (let i = 0; i < RUNS; i++) {
    progress(`run ${i + 1}/${RUNS}: bare XRANGE, then driftwatch`);
    bare.push(await bareXrange());
    ours.push(await driftwatchRun());
  }
  report('store-redis', [
    {
      name: 'driftwatch job read + score, stream of 1 M entries × 20 (median)',
      value: median(ours),
      unit: 'entries/s',
      baseline: { name: 'bare XRANGE, same client, command and pages', value: median(bare) },
      note: `driftwatch ${spread(ours)}; bare XRANGE ${spread(bare)}`,
    },
    {
      name: 'driftwatch / bare XRANGE rate (median of per-run ratios)',
      value: median(ours.map((o, i) => o / bare[i]!)),
      unit: '×',
      note: `per run ${ours.map((o, i) => (o / bare[i]!).toFixed(2)).join(', ')}`,
    },
  ]);
} finally {
  await client.del(key).catch(() => undefined);
  await client.close();
}
