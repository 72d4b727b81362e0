// The model's outputs (`prediction`, `confidence`, issue 12) through the feature-store job, against
// the real servers: rows with outputs written with the step-2 helpers (PostgreSQL array vectors
// and their output columns, Redis stream fields and list entries, InfluxDB long and wide) →
// `job --once` → every score, the outputs' included, equal to `check` on the same rows exported
// to a file (docs/feature-stores.md, "The model's outputs").
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

/** A made-up model: a score from the credit score and loan, its confidence; `drop` lowers the confidence (concept drift with stable inputs). */
function outputsOf(v: readonly number[], drop = false): { prediction: number; confidence: number } {
  const [, income, creditScore, loan] = v as [number, number, number, number];
  const z = -(creditScore - 680) / 50 + 2 * (loan / Math.max(income, 1) - 0.3);
  const prediction = 1 / (1 + Math.exp(-z));
  const confidence = Math.max(prediction, 1 - prediction);
  return { prediction, confidence: drop ? 0.5 + (confidence - 0.5) * 0.3 : confidence };
}

interface Row {
  vector: number[];
  prediction: number;
  confidence: number;
}

/** `n` rows with outputs; the features keep the reference's distribution, the confidence drops when `drop`. */
function rows(n: number, seed: number, drop = false): Row[] {
  return vectors(n, seed).map((vector) => ({ vector, ...outputsOf(vector, drop) }));
}

/** check --json on the same rows, as JSON Lines objects (a reference with outputs refuses `feature_vector` arrays). */
async function checkOn(referencePath: string, window: readonly Row[]): Promise<Json> {
  const dir = await tempDir('driftwatch-outputs-export-');
  const input = join(dir, 'rows.jsonl');
  const line = (r: Row) => JSON.stringify({ ...Object.fromEntries(FEATURES.map((f, i) => [f, r.vector[i]])), prediction: r.prediction, confidence: r.confidence });
  await writeFile(input, window.map(line).join('\n') + '\n');
  return JSON.parse((await checkCommand({ reference: referencePath, input, json: true })).stdout) as Json;
}

/** The job's line equals check's, and the outputs were read (none missing) and show the confidence drop. */
function expectOutputs(job: Json, check: Json, n: number): void {
  expectSameCheck(job, check);
  const outputs = job.outputs as Record<string, { sample_count: number; missing_rate: number; drifted: boolean }>;
  expect(Object.keys(outputs)).toEqual(['prediction', 'confidence']);
  for (const o of Object.values(outputs)) expect(o).toMatchObject({ sample_count: n, missing_rate: 0 });
  expect(outputs.confidence!.drifted).toBe(true);
  expect(outputs.prediction!.drifted).toBe(false);
  expect(Object.keys(job.drifted_outputs as object)).toEqual(['confidence']);
}

const id = runId().replace(/-/g, '_');
let refs: { dir: string; path: string };
/** 20 rows before the window, 400 in it (confidence dropped), 20 at its exclusive end. */
const before = rows(20, 51);
const inside = rows(400, 52, true);
const after = rows(20, 53);
const times = (list: readonly Row[], from: number, step: number) => list.map((r, k) => ({ r, at: new Date(from + k * step) }));
const stamped = [...times(before, END - 2 * HOUR, 1000), ...times(inside, END - HOUR, 1000), ...times(after, END, 1)];

beforeAll(async () => {
  const dir = await tempDir('driftwatch-outputs-refs-');
  const training = rows(5000, 50).map((r) => ({ ...Object.fromEntries(FEATURES.map((f, i) => [f, r.vector[i]])), prediction: r.prediction, confidence: r.confidence }));
  const reference = ReferenceDistribution.fromRows(training, { outputs: ['prediction', 'confidence'], modelVersion: VERSION });
  const path = join(dir, VERSION, 'reference_distribution.json');
  await saveReference(reference, path);
  refs = { dir, path };
});

describe.skipIf(!inject('postgresUrl'))('outputs from PostgreSQL', () => {
  const url = inject('postgresUrl');
  const client = new pg.Client({ connectionString: url });
  const table = `outputs_logs_${id}`;
  const renamed = `outputs_renamed_${id}`;
  beforeAll(async () => {
    await client.connect();
    for (const statement of predictionLogsDdl(table).split(';\n')) await client.query(statement);
    let i = 0;
    for (const { r, at } of stamped)
      await storePredictionPostgres(client, { requestId: `o${i++}`, features: r.vector, createdAt: at, prediction: r.prediction, confidence: r.confidence }, { table });
    // A table of the user's own, the outputs under other names.
    await client.query(`CREATE TABLE ${renamed} (feature_vector double precision[], created_at timestamptz, score double precision, certainty double precision)`);
    for (const { r, at } of stamped) await client.query(`INSERT INTO ${renamed} VALUES ($1, $2, $3, $4)`, [r.vector, at, r.prediction, r.confidence]);
  });
  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}, ${renamed}`).catch(() => undefined);
    await client.end();
  });

  it('an array vector with the prediction and confidence columns (binary COPY): equal to check on the same rows', async () => {
    const { lines } = await jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'postgresql', FEATURE_STORE_URL: url, FEATURE_STORE_TABLE: table }));
    expect(lines).toHaveLength(1);
    expectOutputs(lines[0]!, await checkOn(refs.path, inside), inside.length);
  });

  it('columns named by FEATURE_STORE_PREDICTION_COLUMN / _CONFIDENCE_COLUMN, and the same through FEATURE_STORE_QUERY (cursor)', async () => {
    const check = await checkOn(refs.path, inside);
    const named = await jobJson(
      jobEnv(refs.dir, {
        FEATURE_STORE_TYPE: 'postgresql',
        FEATURE_STORE_URL: url,
        FEATURE_STORE_TABLE: renamed,
        FEATURE_STORE_PREDICTION_COLUMN: 'score',
        FEATURE_STORE_CONFIDENCE_COLUMN: 'certainty',
      }),
    );
    expectOutputs(named.lines[0]!, check, inside.length);
    const query = await jobJson(
      jobEnv(refs.dir, {
        FEATURE_STORE_TYPE: 'postgresql',
        FEATURE_STORE_URL: url,
        FEATURE_STORE_QUERY: `SELECT feature_vector, score AS prediction, certainty AS confidence FROM ${renamed} WHERE created_at >= $1 AND created_at < $2`,
      }),
    );
    expectOutputs(query.lines[0]!, check, inside.length);
  });

  it('without output columns the outputs count as missing (the table of the guide)', async () => {
    const bare = `outputs_bare_${id}`;
    try {
      await client.query(`CREATE TABLE ${bare} AS SELECT feature_vector, created_at FROM ${table}`);
      const { lines } = await jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'postgresql', FEATURE_STORE_URL: url, FEATURE_STORE_TABLE: bare }));
      const outputs = lines[0]!.outputs as Record<string, { missing_rate: number; sample_count: number }>;
      expect(outputs.prediction).toMatchObject({ missing_rate: 1, sample_count: 0 });
      expect(lines[0]!.sample_count).toBe(inside.length);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${bare}`);
    }
  });
});

describe.skipIf(!inject('redisUrl'))('outputs from Redis', () => {
  const url = inject('redisUrl');
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  const stream = `driftwatch:test:outputs:${id}:stream`;
  const list = `driftwatch:test:outputs:${id}:list`;
  beforeAll(async () => {
    await client.connect();
    for (const { r, at } of stamped) await storeFeaturesRedisStream(client, r.vector, { key: stream, at, prediction: r.prediction, confidence: r.confidence });
    for (const r of inside) await storeFeaturesRedis(client, r.vector, { key: list, prediction: r.prediction, confidence: r.confidence });
  });
  afterAll(async () => {
    await client.del([stream, list]).catch(() => undefined);
    await client.close();
  });

  it('a stream: the entries’ prediction and confidence fields, equal to check on the same rows', async () => {
    const { lines } = await jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'redis', FEATURE_STORE_URL: url, FEATURE_STORE_KEY: stream, FEATURE_STORE_REDIS_MODE: 'stream' }));
    expect(lines).toHaveLength(1);
    expectOutputs(lines[0]!, await checkOn(refs.path, inside), inside.length);
    const [[, fields]] = (await client.sendCommand(['XRANGE', stream, '-', '+', 'COUNT', '1'])) as [string, string[]][];
    expect(fields).toEqual(['feature_vector', JSON.stringify(before[0]!.vector), 'prediction', String(before[0]!.prediction), 'confidence', String(before[0]!.confidence)]);
  });

  it("the guide's list: JSON objects with the outputs, equal to check on the same rows", async () => {
    const { lines } = await jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'redis', FEATURE_STORE_URL: url, FEATURE_STORE_KEY: list }));
    // LPUSH puts the newest first: the job reads the list head to tail.
    expectOutputs(lines[0]!, await checkOn(refs.path, [...inside].reverse()), inside.length);
  });
});

describe.each([
  { layout: 'long' as const, store: 'InfluxDB 1.8' },
  { layout: 'wide' as const, store: 'InfluxDB 1.8' },
])('outputs from $store, $layout form', ({ layout }) => {
  const url = inject('influxUrl');
  const token = inject('influxToken');
  const database = inject('influxBucket').split('/')[0]!;
  const measurement = `outputs_${layout}_${id}`;

  it.skipIf(!url)('points of feature_name prediction / confidence (long) or fields (wide): equal to check on the same rows', async () => {
    const lines = stamped.map(({ r, at }) => influxFeatureLines(r.vector, FEATURES, { measurement, layout, at, prediction: r.prediction, confidence: r.confidence }));
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
    expectOutputs(out[0]!, await checkOn(refs.path, inside), inside.length);
  });
});
