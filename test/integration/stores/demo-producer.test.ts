// `driftwatch demo-producer --store postgresql|redis|influxdb`: the Kafka demo's generator,
// rate and drift phase, written through the step-2 writers to a real store; `driftwatch job
// --once` with the same settings reads every row back, its scores equal to check on the
// generator's rows.
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { demoProducerCommand } from '../../../src/app/commands/demo-producer.js';
import { jobOnce } from '../../../src/app/commands/job.js';
import { demoEvent } from '../../../src/app/demo/producer.js';
import { rng } from '../../../src/app/demo/credit.js';
import { quietLogger, referenceDir, runId } from '../helpers.js';
import { checkJson } from './helpers.js';

const VERSION = 'v1.2.0';
const EVENTS = 400;
const SEED = 4242;

/** The rows the demo generates for SEED, all in the drift phase (--drift-after 0). */
function generated(): unknown[][] {
  const r = rng(SEED);
  return Array.from({ length: EVENTS }, (_, i) => Object.values(demoEvent(r, i, 0, { model: 'credit-risk', modelVersion: VERSION, seed: SEED }, true).features));
}

const id = runId().replace(/-/g, '_');
const stores: { store: 'postgresql' | 'redis' | 'influxdb'; name: string; url: string; env: () => Record<string, string>; cleanup?: () => Promise<void> }[] = [
  {
    store: 'postgresql',
    name: 'PostgreSQL',
    url: inject('postgresUrl'),
    env: () => ({ FEATURE_STORE_URL: inject('postgresUrl'), FEATURE_STORE_TABLE: `demo_logs_${id}` }),
    cleanup: async () => {
      const c = new pg.Client({ connectionString: inject('postgresUrl') });
      await c.connect();
      await c.query(`DROP TABLE IF EXISTS demo_logs_${id}`);
      await c.end();
    },
  },
  {
    store: 'redis',
    name: 'Redis stream',
    url: inject('redisUrl'),
    env: () => ({ FEATURE_STORE_URL: inject('redisUrl'), FEATURE_STORE_KEY: `driftwatch:test:demo:${id}`, FEATURE_STORE_REDIS_MODE: 'stream' }),
    cleanup: async () => {
      const c = createClient({ url: inject('redisUrl') });
      await c.connect();
      await c.del(`driftwatch:test:demo:${id}`);
      await c.close();
    },
  },
  {
    store: 'influxdb',
    name: 'InfluxDB 1.8 (wide)',
    url: inject('influxUrl'),
    env: () => ({
      FEATURE_STORE_URL: inject('influxUrl'),
      FEATURE_STORE_TOKEN: inject('influxToken'),
      FEATURE_STORE_DATABASE: inject('influxBucket').split('/')[0]!,
      FEATURE_STORE_MEASUREMENT: `demo_features_${id}`,
      FEATURE_STORE_LAYOUT: 'wide',
    }),
  },
];

describe.each(stores)('demo-producer --store $store ($name)', (s) => {
  let refs: Awaited<ReturnType<typeof referenceDir>>;
  beforeAll(async () => {
    refs = await referenceDir(VERSION);
  });
  afterAll(async () => {
    await s.cleanup?.().catch(() => undefined);
  });

  it.skipIf(!s.url)('writes the demo rows, and job --once reads every one back, equal to check on them', async () => {
    const env = {
      ...s.env(),
      FEATURE_STORE_TYPE: s.store,
      REFERENCE_DIR: refs.dir,
      LOG_LEVEL: 'silent',
      HTTP_ENABLED: 'false',
      DRIFT_WINDOW: '1h',
      DRIFT_CHECK_INTERVAL: '1h',
      RETRAIN_THRESHOLD: '0.6',
    }; // severity as check rates it (helpers.ts)
    const stderr: string[] = [];
    const io = { stdout: () => undefined, stderr: (t: string) => void stderr.push(t), env, stdin: (async function* () {})() };
    const started = Date.now();
    const code = await demoProducerCommand(
      { rate: 1_000_000, driftAfter: '0s', model: 'credit-risk', modelVersion: VERSION, seed: SEED, partitions: 1, maxEvents: EVENTS, createTopic: false, store: s.store },
      io,
    );
    expect(stderr.join('')).toBe('');
    expect(code).toBe(0);
    const out = await jobOnce({ once: true, json: true, at: new Date(Date.now() + 1000).toISOString() }, { env, logger: quietLogger as never });
    const lines = out.stdout
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l) as Record<string, unknown>);
    expect(lines).toHaveLength(1);
    const { timestamp: _, model, window, rejected_rows, ...job } = lines[0]!;
    expect(model).toBe('credit-risk');
    expect(rejected_rows).toEqual({});
    expect(Date.parse((window as { start: string }).start)).toBeLessThanOrEqual(started);
    expect(job).toMatchObject({ model_version: VERSION, sample_count: EVENTS, drift_detected: true });
    const { timestamp: __, ...check } = await checkJson(join(refs.dir, VERSION, 'reference_distribution.json'), generated());
    expect(job).toEqual(check);
  });
});

describe.skipIf(!inject('postgresUrl'))('demo-producer --store postgresql, run twice', () => {
  const table = `demo_twice_${id}`;
  afterAll(async () => {
    const c = new pg.Client({ connectionString: inject('postgresUrl') });
    await c.connect();
    await c.query(`DROP TABLE IF EXISTS ${table}`);
    await c.end();
  });

  it('a second run into the same table adds its rows (the request ids of one run do not clash with the last one)', async () => {
    const stderr: string[] = [];
    const env = { FEATURE_STORE_URL: inject('postgresUrl'), FEATURE_STORE_TABLE: table, LOG_LEVEL: 'silent' };
    const io = { stdout: () => undefined, stderr: (t: string) => void stderr.push(t), env, stdin: (async function* () {})() };
    const options = {
      rate: 1_000_000,
      driftAfter: '0s',
      model: 'credit-risk',
      modelVersion: VERSION,
      seed: SEED,
      partitions: 1,
      maxEvents: 30,
      createTopic: false,
      store: 'postgresql',
    };
    expect(await demoProducerCommand(options, io)).toBe(0);
    // Another millisecond: the run's time is in its ids.
    const t = Date.now();
    while (Date.now() === t) await new Promise((resolve) => setImmediate(resolve));
    expect(await demoProducerCommand(options, io)).toBe(0);
    expect(stderr.join('')).toBe('');
    const c = new pg.Client({ connectionString: inject('postgresUrl') });
    await c.connect();
    try {
      const { rows } = await c.query<{ n: string; ids: string }>(`SELECT count(*) AS n, count(DISTINCT request_id) AS ids FROM ${table}`);
      expect(rows[0]).toEqual({ n: '60', ids: '60' });
    } finally {
      await c.end();
    }
  });
});

describe('demo-producer --store: refusals', () => {
  it('InfluxDB in the long form is refused (employment_type is categorical), naming the setting', async () => {
    const stderr: string[] = [];
    const io = {
      stdout: () => undefined,
      stderr: (t: string) => void stderr.push(t),
      env: { FEATURE_STORE_URL: 'http://127.0.0.1:1', LOG_LEVEL: 'silent' },
      stdin: (async function* () {})(),
    };
    const code = await demoProducerCommand(
      { rate: 10, driftAfter: '0s', model: 'm', modelVersion: 'v', seed: 1, partitions: 1, maxEvents: 1, createTopic: false, store: 'influxdb' },
      io,
    );
    expect(code).toBe(1);
    expect(stderr.join('')).toMatch(/set FEATURE_STORE_LAYOUT=wide/);
  });
});
