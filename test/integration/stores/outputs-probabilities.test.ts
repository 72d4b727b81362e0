// Per-class probabilities (issue 12) through the feature-store job, against the real servers:
// rows with `probabilities` written with the step-2 helpers (a PostgreSQL jsonb column, a Redis
// stream field and list entries, InfluxDB points / fields `probability_<class>`) → `job --once`
// → every score, each class's probability included, equal to `check` on the same rows exported
// to a JSON Lines file (the batch oracle); a window whose class distribution shifted while the
// inputs did not is flagged, reason `probability_drift` (docs/feature-stores.md, "The model's outputs").
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import pg from 'pg';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { influxFeatureLines, predictionLogsDdl, storeFeaturesInflux, storeFeaturesRedis, storeFeaturesRedisStream, storePredictionPostgres } from '../../../src/index.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { saveReference } from '../../../src/adapters/files/reference-file.js';
import { checkCommand } from '../../../src/app/commands/check.js';
import { runId, tempDir } from '../helpers.js';
import { END, expectSameCheck, FEATURES, HOUR, jobEnv, jobJson, VERSION, vectors } from './helpers.js';

type Json = Record<string, unknown>;
const CLASSES = ['approve', 'deny', 'review'] as const;
const OUTPUTS = CLASSES.map((c) => `probability_${c}`);

/** A made-up three-class model: a softmax of the credit score and the loan; `shift` moves mass from approve to deny (the inputs unchanged). */
function probabilitiesOf(v: readonly number[], shift = false): Record<string, number> {
  const [, income, creditScore, loan] = v as [number, number, number, number];
  const z = (creditScore - 680) / 50 - 2 * (loan / Math.max(income, 1) - 0.3);
  const logits = [z, -z + (shift ? 1.5 : 0), 0.2];
  const e = logits.map(Math.exp);
  const s = e.reduce((a, b) => a + b, 0);
  return Object.fromEntries(CLASSES.map((c, i) => [c, e[i]! / s]));
}

interface Row {
  vector: number[];
  probabilities: Record<string, number>;
}

const rows = (n: number, seed: number, shift = false): Row[] => vectors(n, seed).map((vector) => ({ vector, probabilities: probabilitiesOf(vector, shift) }));

/** check --json on the same rows, as JSON Lines objects with a `probabilities` object each. */
async function checkOn(referencePath: string, window: readonly Row[]): Promise<Json> {
  const dir = await tempDir('driftwatch-probabilities-export-');
  const input = join(dir, 'rows.jsonl');
  const line = (r: Row) => JSON.stringify({ ...Object.fromEntries(FEATURES.map((f, i) => [f, r.vector[i]])), probabilities: r.probabilities });
  await writeFile(input, window.map(line).join('\n') + '\n');
  return JSON.parse((await checkCommand({ reference: referencePath, input, json: true })).stdout) as Json;
}

/** The job's line equals check's; every class was read (none missing) and the shift is flagged on the probabilities, not the inputs. */
function expectProbabilities(job: Json, check: Json, n: number): void {
  expectSameCheck(job, check);
  const outputs = job.outputs as Record<string, { sample_count: number; missing_rate: number; invalid_values: number; drifted: boolean }>;
  expect(Object.keys(outputs)).toEqual(OUTPUTS);
  for (const o of Object.values(outputs)) expect(o).toMatchObject({ sample_count: n, missing_rate: 0, invalid_values: 0 });
  expect(outputs.probability_deny!.drifted).toBe(true);
  expect(job.drift_detected).toBe(true);
  expect(job.drifted_features).toEqual({});
  expect(Object.keys(job.drifted_outputs as object)).toContain('probability_deny');
  expect(job.invalid_probabilities).toBeUndefined();
}

const id = runId().replace(/-/g, '_');
let refs: { dir: string; path: string };
/** 20 rows before the window, 400 in it (class distribution shifted), 20 at its exclusive end. */
const before = rows(20, 61);
const inside = rows(400, 62, true);
const after = rows(20, 63);
const times = (list: readonly Row[], from: number, step: number) => list.map((r, k) => ({ r, at: new Date(from + k * step) }));
const stamped = [...times(before, END - 2 * HOUR, 1000), ...times(inside, END - HOUR, 1000), ...times(after, END, 1)];

beforeAll(async () => {
  const dir = await tempDir('driftwatch-probabilities-refs-');
  const training = rows(5000, 60).map((r) => ({ ...Object.fromEntries(FEATURES.map((f, i) => [f, r.vector[i]])), probabilities: r.probabilities }));
  const reference = ReferenceDistribution.fromRows(training, { outputs: ['probabilities'], modelVersion: VERSION });
  expect(reference.outputNames).toEqual(OUTPUTS);
  const path = join(dir, VERSION, 'reference_distribution.json');
  await saveReference(reference, path);
  refs = { dir, path };
});

describe.skipIf(!inject('postgresUrl'))('probabilities from PostgreSQL', () => {
  const url = inject('postgresUrl');
  const client = new pg.Client({ connectionString: url });
  const table = `probabilities_logs_${id}`;
  const renamed = `probabilities_renamed_${id}`;
  beforeAll(async () => {
    await client.connect();
    for (const statement of predictionLogsDdl(table).split(';\n')) await client.query(statement);
    let i = 0;
    for (const { r, at } of stamped) await storePredictionPostgres(client, { requestId: `p${i++}`, features: r.vector, createdAt: at, probabilities: r.probabilities }, { table });
    // A table of the user's own: the probabilities in a json column of another name.
    await client.query(`CREATE TABLE ${renamed} (feature_vector double precision[], created_at timestamptz, class_probs json)`);
    for (const { r, at } of stamped) await client.query(`INSERT INTO ${renamed} VALUES ($1, $2, $3)`, [r.vector, at, JSON.stringify(r.probabilities)]);
  });
  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}, ${renamed}`).catch(() => undefined);
    await client.end();
  });

  it('the jsonb column probabilities (binary COPY): equal to check on the same rows, the shift flagged', async () => {
    const { lines } = await jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'postgresql', FEATURE_STORE_URL: url, FEATURE_STORE_TABLE: table }));
    expect(lines).toHaveLength(1);
    expectProbabilities(lines[0]!, await checkOn(refs.path, inside), inside.length);
  });

  it('a column named by FEATURE_STORE_PROBABILITIES_COLUMN, and the same through FEATURE_STORE_QUERY (cursor)', async () => {
    const check = await checkOn(refs.path, inside);
    const named = await jobJson(
      jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'postgresql', FEATURE_STORE_URL: url, FEATURE_STORE_TABLE: renamed, FEATURE_STORE_PROBABILITIES_COLUMN: 'class_probs' }),
    );
    expectProbabilities(named.lines[0]!, check, inside.length);
    const query = await jobJson(
      jobEnv(refs.dir, {
        FEATURE_STORE_TYPE: 'postgresql',
        FEATURE_STORE_URL: url,
        FEATURE_STORE_QUERY: `SELECT feature_vector, class_probs AS probabilities FROM ${renamed} WHERE created_at >= $1 AND created_at < $2`,
      }),
    );
    expectProbabilities(query.lines[0]!, check, inside.length);
  });

  it('rows with an unknown class or a value outside [0, 1]: counted, the classes named, the scores still equal to check', async () => {
    const bad = `probabilities_bad_${id}`;
    try {
      for (const statement of predictionLogsDdl(bad).split(';\n')) await client.query(statement);
      const window = inside
        .slice(0, 200)
        .map((r, k) => (k === 3 ? { ...r, probabilities: { approve: 0.5, escalate: 0.5 } } : k === 7 ? { ...r, probabilities: { ...r.probabilities, deny: 1.25 } } : r));
      let i = 0;
      for (const r of window)
        await storePredictionPostgres(
          client,
          { requestId: `b${i}`, features: r.vector, createdAt: new Date(END - HOUR + 1000 * i++), probabilities: r.probabilities },
          { table: bad },
        );
      const { lines } = await jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'postgresql', FEATURE_STORE_URL: url, FEATURE_STORE_TABLE: bad }));
      const { invalid_probabilities: invalid, ...job } = lines[0]!;
      expect(invalid).toEqual({ rows: 1, unknown_classes: ['escalate'], not_an_object: 0 });
      expectSameCheck(job, await checkOn(refs.path, window));
      const outputs = job.outputs as Record<string, { invalid_values: number }>;
      expect(OUTPUTS.map((o) => outputs[o]!.invalid_values)).toEqual([1, 2, 1]);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${bad}`);
    }
  });
});

describe.skipIf(!inject('redisUrl'))('probabilities from Redis', () => {
  const url = inject('redisUrl');
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  const stream = `driftwatch:test:probabilities:${id}:stream`;
  const list = `driftwatch:test:probabilities:${id}:list`;
  beforeAll(async () => {
    await client.connect();
    for (const { r, at } of stamped) await storeFeaturesRedisStream(client, r.vector, { key: stream, at, probabilities: r.probabilities });
    for (const r of inside) await storeFeaturesRedis(client, r.vector, { key: list, probabilities: r.probabilities });
  });
  afterAll(async () => {
    await client.del([stream, list]).catch(() => undefined);
    await client.close();
  });

  it('a stream: the entries’ probabilities field (JSON), equal to check on the same rows', async () => {
    const { lines } = await jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'redis', FEATURE_STORE_URL: url, FEATURE_STORE_KEY: stream, FEATURE_STORE_REDIS_MODE: 'stream' }));
    expect(lines).toHaveLength(1);
    expectProbabilities(lines[0]!, await checkOn(refs.path, inside), inside.length);
    const [[, fields]] = (await client.sendCommand(['XRANGE', stream, '-', '+', 'COUNT', '1'])) as [string, string[]][];
    expect(fields).toEqual(['feature_vector', JSON.stringify(before[0]!.vector), 'probabilities', JSON.stringify(before[0]!.probabilities)]);
  });

  it("the guide's list: JSON objects with a probabilities object, equal to check on the same rows", async () => {
    const { lines } = await jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'redis', FEATURE_STORE_URL: url, FEATURE_STORE_KEY: list }));
    // LPUSH puts the newest first: the job reads the list head to tail.
    expectProbabilities(lines[0]!, await checkOn(refs.path, [...inside].reverse()), inside.length);
  });
});

describe.each([{ layout: 'long' as const }, { layout: 'wide' as const }])('probabilities from InfluxDB 1.8, $layout form', ({ layout }) => {
  const url = inject('influxUrl');
  const token = inject('influxToken');
  const database = inject('influxBucket').split('/')[0]!;
  const measurement = `probabilities_${layout}_${id}`;

  it.skipIf(!url)('points of feature_name probability_<class> (long) or fields of those names (wide): equal to check on the same rows', async () => {
    const lines = stamped.map(({ r, at }) => influxFeatureLines(r.vector, FEATURES, { measurement, layout, at, probabilities: r.probabilities }));
    expect(lines[0]).toContain(layout === 'long' ? 'feature_name=probability_deny' : 'probability_deny=');
    for (let i = 0; i < lines.length; i += 200) await storeFeaturesInflux({ url, token, database }, lines.slice(i, i + 200).join(''));
    const { lines: out } = await jobJson(
      jobEnv(refs.dir, {
        FEATURE_STORE_TYPE: 'influxdb',
        FEATURE_STORE_URL: url,
        FEATURE_STORE_TOKEN: token,
        FEATURE_STORE_DATABASE: database,
        FEATURE_STORE_MEASUREMENT: measurement,
        FEATURE_STORE_LAYOUT: layout,
      }),
    );
    expect(out).toHaveLength(1);
    expectProbabilities(out[0]!, await checkOn(refs.path, inside), inside.length);
  });
});
