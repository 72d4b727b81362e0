// FEATURE_STORE_MAX_ROWS and FEATURE_STORE_DEAD_LETTER against the real PostgreSQL and Redis:
// with a cap the job scores a seeded uniform sample of the window and says so (sampled,
// rows_seen, rows_kept), its scores equal to check on exactly the kept rows; without one nothing
// is cut. Rejected rows are counted with their reasons and written to the dead-letter table or
// stream key, every one of them.
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogsDdl, storeFeaturesRedis, storePredictionPostgres } from '../../../src/index.js';
import { Reservoir, seedOfWindowEnd } from '../../../src/app/job/reservoir.js';
import { runId } from '../helpers.js';
import { checkJson, END, expectSameCheck, HOUR, jobEnv, jobJson, MODEL, numericReference, vectors, VERSION } from './helpers.js';

const pgUrl = inject('postgresUrl');
const redisUrl = inject('redisUrl');

describe.skipIf(!pgUrl)('FEATURE_STORE_MAX_ROWS and the dead-letter table (PostgreSQL)', () => {
  const client = new pg.Client({ connectionString: pgUrl });
  const id = runId().replace(/-/g, '_');
  const table = `prediction_logs_cap_${id}`;
  const dead = `rejected_rows_${id}`;
  let refs: Awaited<ReturnType<typeof numericReference>>;
  const rows = vectors(1000, 201, true);

  beforeAll(async () => {
    refs = await numericReference();
    await client.connect();
    for (const statement of predictionLogsDdl(table, 'jsonb').split(';\n')) await client.query(statement);
    for (const [k, v] of rows.entries())
      await storePredictionPostgres(client, { requestId: `r${k}`, features: v, createdAt: new Date(END - HOUR + k * 3000) }, { table, vector: 'jsonb' });
    // Bad rows: two of the wrong length, a JSON null, and an unknown version.
    const t = new Date(END - HOUR / 2);
    const bad: [string, string, string | null][] = [
      ['w1', JSON.stringify([1, 2, 3]), VERSION],
      ['w2', JSON.stringify([1, 2, 3, 4, 5]), VERSION],
      ['n1', 'null', VERSION],
      ['u1', JSON.stringify([40, 50_000, 700, 10_000]), 'v0.0.1'],
    ];
    for (const [rid, v, version] of bad)
      await client.query(`INSERT INTO ${table} (request_id, feature_vector, created_at, model, model_version) VALUES ($1, $2::jsonb, $3, $4, $5)`, [rid, v, t, MODEL, version]);
  });
  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}, ${dead}`).catch(() => undefined);
    await client.end();
  });

  const env = (extra: Record<string, string> = {}) => jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'postgresql', FEATURE_STORE_URL: pgUrl, FEATURE_STORE_TABLE: table, ...extra });

  it('without a cap every row is scored and no sample is reported', async () => {
    const { lines } = await jobJson(env());
    const scored = lines.find((l) => l.status !== 'rejected')!;
    expect(scored.sample_count).toBe(1000);
    expect(scored).not.toHaveProperty('sampled');
    const { rejected_rows: _, ...rest } = scored;
    expectSameCheck({ ...rest, rejected_rows: {} }, await checkJson(join(refs.dir, VERSION, 'reference_distribution.json'), rows));
  });

  it('with FEATURE_STORE_MAX_ROWS=300: a seeded uniform sample, said so, equal to check on the kept rows; bad rows still all counted', async () => {
    const { lines } = await jobJson(env({ FEATURE_STORE_MAX_ROWS: '300' }));
    const scored = lines.find((l) => l.status !== 'rejected')!;
    expect(scored).toMatchObject({ sampled: true, rows_seen: 1000, rows_kept: 300, max_rows: 300, sample_count: 300 });
    // Rejections happen before the sample: none of them is sampled away.
    expect(scored.rejected_rows).toEqual({ wrong_length: 2, null_vector: 1 });
    expect(lines.find((l) => l.status === 'rejected')).toMatchObject({ model_version: 'v0.0.1', reason: 'unknown_version', rows: 1 });
    // The rows the job kept: the same reservoir, seeded with the window end, over the rows in the order the table returned them.
    const reservoir = new Reservoir<number[]>(300, seedOfWindowEnd(END));
    for (const v of rows) reservoir.offer(v);
    const { rejected_rows: _, sampled: __, rows_seen: ___, rows_kept: ____, max_rows: _____, ...rest } = scored;
    expectSameCheck({ ...rest, rejected_rows: {} }, await checkJson(join(refs.dir, VERSION, 'reference_distribution.json'), reservoir.inOrder()));
    // A rerun keeps the same sample.
    expect((await jobJson(env({ FEATURE_STORE_MAX_ROWS: '300' }))).lines).toEqual(lines);
    // A cap above the row count cuts nothing.
    const all = (await jobJson(env({ FEATURE_STORE_MAX_ROWS: '5000' }))).lines.find((l) => l.status !== 'rejected')!;
    expect(all).toMatchObject({ sampled: false, rows_seen: 1000, rows_kept: 1000, sample_count: 1000 });
  });

  it('FEATURE_STORE_DEAD_LETTER: every rejected row lands in the table with its reason, model, version and window', async () => {
    await jobJson(env({ FEATURE_STORE_DEAD_LETTER: dead }));
    const { rows: got } = await client.query<{ reason: string; model: string; model_version: string; row: unknown; window_start: Date; window_end: Date }>(
      `SELECT reason, model, model_version, "row", window_start, window_end FROM ${dead} ORDER BY reason, model_version`,
    );
    expect(got.map((r) => [r.reason, r.model, r.model_version, r.row])).toEqual([
      ['null_vector', MODEL, VERSION, null],
      ['unknown_version', MODEL, 'v0.0.1', [40, 50_000, 700, 10_000]],
      ['wrong_length', MODEL, VERSION, [1, 2, 3]],
      ['wrong_length', MODEL, VERSION, [1, 2, 3, 4, 5]],
    ]);
    expect(got.every((r) => r.window_start.getTime() === END - HOUR && r.window_end.getTime() === END)).toBe(true);
  });

  it('a dead-letter name that is not an identifier is refused; a dead letter for a store without tables or keys too', async () => {
    await expect(jobJson(env({ FEATURE_STORE_DEAD_LETTER: 'rejected; DROP TABLE x' }))).rejects.toThrow(/FEATURE_STORE_DEAD_LETTER must be a plain identifier/);
    await expect(jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'file', FEATURE_STORE_PATHS: '/nonexistent.jsonl', FEATURE_STORE_DEAD_LETTER: 'x' }))).rejects.toThrow(
      /FEATURE_STORE_DEAD_LETTER is a PostgreSQL table or a Redis key: it needs FEATURE_STORE_TYPE=postgresql or redis, not file/,
    );
  });
});

describe.skipIf(!redisUrl)('the dead-letter stream (Redis)', () => {
  const client = createClient({ url: redisUrl, socket: { reconnectStrategy: false } });
  const prefix = `driftwatch:test:${runId()}`;
  let refs: Awaited<ReturnType<typeof numericReference>>;

  beforeAll(async () => {
    refs = await numericReference();
    await client.connect();
  });
  afterAll(async () => {
    await client.del([`${prefix}:list`, `${prefix}:dead`]).catch(() => undefined);
    await client.close();
  });

  it('undecodable, wrong-length and unknown-version entries are counted and each written to the stream key', async () => {
    const key = `${prefix}:list`;
    for (const v of vectors(150, 301)) await storeFeaturesRedis(client, v, { key });
    await client.lPush(key, '{not json');
    await storeFeaturesRedis(client, [1, 2], { key });
    await client.lPush(key, JSON.stringify({ feature_vector: [40, 50_000, 700, 10_000], model: MODEL, model_version: 'v7' }));
    const { lines } = await jobJson(
      jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'redis', FEATURE_STORE_URL: redisUrl, FEATURE_STORE_KEY: key, FEATURE_STORE_DEAD_LETTER: `${prefix}:dead` }),
    );
    const scored = lines.find((l) => l.status !== 'rejected')!;
    expect(scored.sample_count).toBe(150);
    expect(scored.rejected_rows).toEqual({ wrong_length: 1 });
    expect(lines.filter((l) => l.status === 'rejected').map((l) => [l.reason, l.rows])).toEqual([
      ['unknown_version', 1],
      ['undecodable', 1],
    ]);
    const entries = ((await client.xRange(`${prefix}:dead`, '-', '+')) ?? []).map((e) => e.message as Record<string, string>);
    expect(entries.map((m) => [m.reason, m.model_version, JSON.parse(m.row!)]).sort()).toEqual(
      [
        ['undecodable', '', '{not json'],
        ['unknown_version', 'v7', [40, 50_000, 700, 10_000]],
        ['wrong_length', VERSION, [1, 2]],
      ].sort(),
    );
    expect(entries.every((m) => m.window_end === new Date(END).toISOString())).toBe(true);
  });
});
