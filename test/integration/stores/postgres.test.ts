// driftwatch job against a real PostgreSQL 15 (postgresUrl from global-setup): rows written
// with the step-2 helper → job --once → every score equal to check on the same rows; bad rows
// counted with reasons; a wrong password or a stopped server names the store and the setting.
import { execFile } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { predictionLogsDdl, storePredictionPostgres } from '../../../src/index.js';
import { jobOnce } from '../../../src/app/commands/job.js';
import { PostgresSource } from '../../../src/adapters/stores/postgres.js';
import { IdentifierError, StoreError } from '../../../src/adapters/stores/source.js';
import { quietLogger, runId } from '../helpers.js';
import { checkJson, END, expectSameCheck, HOUR, jobEnv, jobJson, MODEL, numericReference, vectors, VERSION } from './helpers.js';

const url = inject('postgresUrl');

describe.skipIf(!url)('driftwatch job over PostgreSQL', () => {
  const client = new pg.Client({ connectionString: url });
  const id = runId().replace(/-/g, '_');
  const table = `prediction_logs_${id}`;
  const jsonTable = `prediction_logs_json_${id}`;
  let refs: Awaited<ReturnType<typeof numericReference>>;
  const inWindow = vectors(600, 7, true);

  beforeAll(async () => {
    refs = await numericReference();
    await client.connect();
    for (const statement of predictionLogsDdl(table).split(';\n')) await client.query(statement);
    for (const statement of predictionLogsDdl(jsonTable, 'jsonb').split(';\n')) await client.query(statement);
    // 600 rows in the window, 50 before it and 50 at its end (excluded: the end is exclusive).
    let i = 0;
    const at = (k: number, n: number, from: number, span: number) => new Date(from + Math.floor((k * span) / n));
    for (const [k, v] of vectors(50, 1).entries())
      await storePredictionPostgres(client, { requestId: `a${i++}`, features: v, createdAt: at(k, 50, END - 2 * HOUR, HOUR) }, { table });
    for (const [k, v] of inWindow.entries()) await storePredictionPostgres(client, { requestId: `b${i++}`, features: v, createdAt: at(k, 600, END - HOUR, HOUR) }, { table });
    for (const v of vectors(50, 2)) await storePredictionPostgres(client, { requestId: `c${i++}`, features: v, createdAt: new Date(END) }, { table });
  });
  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}, ${jsonTable}`).catch(() => undefined);
    await client.end();
  });

  it('job --once --json equals check on the same rows, exactly, and exits 3 with --fail-on-drift', async () => {
    const env = jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'postgresql', FEATURE_STORE_URL: url, FEATURE_STORE_TABLE: table });
    const { lines, exitCode } = await jobJson(env, { failOnDrift: true });
    expect(lines).toHaveLength(1);
    const check = await checkJson(join(refs.dir, VERSION, 'reference_distribution.json'), inWindow);
    expectSameCheck(lines[0]!, check);
    expect(lines[0]!.sample_count).toBe(600);
    expect(lines[0]!.drift_detected).toBe(true);
    expect(exitCode).toBe(3);
    // A rerun of the same window: the same output, byte for byte.
    expect((await jobJson(env)).lines).toEqual(lines);
  });

  it('the CLI process exits 3 on drift with --fail-on-drift and 0 without it (what cron and CronJobs see)', async () => {
    const env = jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'postgresql', FEATURE_STORE_URL: url, FEATURE_STORE_TABLE: table });
    const cli = (...args: string[]) =>
      new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
        const child = execFile(
          process.execPath,
          ['--import', 'tsx', 'src/app/cli.ts', 'job', '--once', '--json', '--at', new Date(END).toISOString(), ...args],
          { cwd: fileURLToPath(new URL('../../..', import.meta.url)), env: { ...process.env, ...env } },
          (error, stdout) => (error && typeof error.code !== 'number' ? reject(error) : resolve({ code: child.exitCode, stdout })),
        );
      });
    const drift = await cli('--fail-on-drift');
    expect(JSON.parse(drift.stdout.trim()).drift_detected).toBe(true);
    expect(drift.code).toBe(3);
    expect((await cli()).code).toBe(0);
  });

  it("prints check's table per (model, version) without --json", async () => {
    const env = jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'postgresql', FEATURE_STORE_URL: url, FEATURE_STORE_TABLE: table });
    const out = await jobOnce({ once: true, at: new Date(END).toISOString() }, { env, logger: quietLogger as never });
    expect(out.stdout).toContain(`== ${MODEL} ${VERSION}  window 2026-12-01T11:00:00.000Z → 2026-12-01T12:00:00.000Z`);
    expect(out.stdout).toMatch(/DRIFT DETECTED in \d of 4 features/);
    expect(out.exitCode).toBe(0);
  });

  it('a jsonb table with model columns and bad rows: counted by reason, the rest scored', async () => {
    const good = vectors(200, 11);
    let i = 0;
    const t = new Date(END - HOUR / 2);
    for (const v of good)
      await client.query(`INSERT INTO ${jsonTable} (request_id, feature_vector, created_at, model, model_version) VALUES ($1, $2, $3, $4, $5)`, [
        `g${i++}`,
        JSON.stringify(v),
        t,
        MODEL,
        VERSION,
      ]);
    const bad: [unknown, string | null][] = [
      [[1, 2, 3], VERSION], // wrong length
      [[1, 2, 3], VERSION],
      ['"text"', VERSION], // not a vector
      [[40, 50000, 700, 10000], 'v9.9.9'], // unknown version
    ];
    for (const [v, version] of bad)
      await client.query(`INSERT INTO ${jsonTable} (request_id, feature_vector, created_at, model, model_version) VALUES ($1, $2::jsonb, $3, $4, $5)`, [
        `x${i++}`,
        typeof v === 'string' ? v : JSON.stringify(v),
        t,
        MODEL,
        version,
      ]);
    // A non-numeric value inside a usable row counts as the feature's invalid value, as in check.
    await client.query(`INSERT INTO ${jsonTable} (request_id, feature_vector, created_at, model, model_version) VALUES ($1, $2::jsonb, $3, $4, $5)`, [
      `y${i}`,
      JSON.stringify([41, 'n/a', 700, 12000]),
      t,
      MODEL,
      VERSION,
    ]);
    const env = jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'postgresql', FEATURE_STORE_URL: url, FEATURE_STORE_TABLE: jsonTable });
    const { lines } = await jobJson(env);
    const scored = lines.find((l) => l.model_version === VERSION && l.status !== 'rejected')!;
    expect(scored.rejected_rows).toEqual({ wrong_length: 2, not_a_vector: 1 });
    expect(scored.sample_count).toBe(201);
    expect((scored.features as Record<string, { invalid_values: number }>).income.invalid_values).toBe(1);
    expect(lines.find((l) => l.status === 'rejected')).toMatchObject({ model: MODEL, model_version: 'v9.9.9', reason: 'unknown_version', rows: 1 });
    const check = await checkJson(join(refs.dir, VERSION, 'reference_distribution.json'), [...good, [41, 'n/a', 700, 12000]]);
    const { rejected_rows: _, ...rest } = scored;
    expectSameCheck({ ...rest, rejected_rows: {} }, check);
  });

  it("the user's own query with $1/$2 bounds", async () => {
    const env = jobEnv(refs.dir, {
      FEATURE_STORE_TYPE: 'postgresql',
      FEATURE_STORE_URL: url,
      FEATURE_STORE_QUERY: `SELECT feature_vector FROM ${table} WHERE created_at >= $1 AND created_at < $2 AND request_id LIKE 'b%'`,
    });
    const { lines } = await jobJson(env);
    expect(lines[0]!.sample_count).toBe(600);
  });

  it('every column type reads the same values by binary COPY (the table) as by the cursor (a query) and as node-postgres parses the text', async () => {
    const specials = `${table}_specials`;
    const jsonSpecials = `${table}_json_specials`;
    const realTable = `${table}_real`;
    try {
      await client.query(`CREATE TABLE ${specials} (feature_vector double precision[], created_at timestamptz NOT NULL, model text, model_version text)`);
      await client.query(`CREATE TABLE ${jsonSpecials} (feature_vector json, created_at timestamptz NOT NULL)`);
      await client.query(`CREATE TABLE ${realTable} (feature_vector real[], created_at timestamptz NOT NULL)`);
      const t = new Date(END - HOUR / 2);
      const arrays = [
        `{1.5,2,-3e-05,1e+300,4.9406564584124654e-324,0.1,-0}`,
        `{1,NULL,NaN,Infinity,-Infinity}`,
        `{}`,
        `{{1,2},{3,4}}`,
        `{${Array.from({ length: 20 }, (_, i) => Math.sin(i) * 10 ** (i - 10)).join(',')}}`,
      ];
      for (const [k, a] of arrays.entries())
        await client.query(`INSERT INTO ${specials} VALUES ($1::double precision[], $2, $3, $4)`, [a, t, k % 2 ? 'ünïcødé' : null, k % 2 ? null : 'v1']);
      await client.query(`INSERT INTO ${specials} VALUES (NULL, $1, 'm', 'v')`, [t]);
      for (const j of ['[1, 2.5, "n/a"]', '{"income": 52000.5, "age": null}', 'null']) await client.query(`INSERT INTO ${jsonSpecials} VALUES ($1::json, $2)`, [j, t]);
      await client.query(`INSERT INTO ${realTable} VALUES ('{1.1,2.2,NaN}', $1)`, [t]);
      const window = { startMs: END - HOUR, endMs: END };
      const read = async (source: PostgresSource) => {
        const rows: unknown[] = [];
        const summary = await source.read(window, (r) => rows.push({ ...r }));
        expect(summary.rows).toBe(rows.length);
        return rows;
      };
      for (const [name, columns] of [
        [specials, 'feature_vector, model, model_version'],
        [jsonSpecials, 'feature_vector'],
        [realTable, 'feature_vector'],
      ] as const) {
        const byTable = await read(new PostgresSource({ url, table: name }));
        const byQuery = await read(
          new PostgresSource({ url, query: `SELECT ${columns} FROM ${name} WHERE created_at >= $1 AND created_at < $2`.replace('model,', 'model::text AS model,') }),
        );
        const { rows: parsed } = await client.query<Record<string, unknown>>(`SELECT ${columns} FROM ${name}`);
        const expected = parsed.map((r) => ({
          features: r.feature_vector,
          model: (r.model as string | undefined) ?? null,
          modelVersion: (r.model_version as string | undefined) ?? null,
        }));
        expect(byTable).toEqual(expected);
        expect(byQuery).toEqual(expected);
      }
      // -0 stays -0 (toEqual does not tell it from 0).
      const first = (await read(new PostgresSource({ url, table: specials })))[0] as { features: number[] };
      expect(Object.is(first.features[6], -0)).toBe(true);
    } finally {
      await client.query(`DROP TABLE IF EXISTS ${specials}, ${jsonSpecials}, ${realTable}`);
    }
  });

  it('a wrong password fails the run naming the store and the setting', async () => {
    const bad = new URL(url);
    bad.password = 'not-the-password';
    const source = new PostgresSource({ url: bad.toString() });
    const error = await source.read({ startMs: END - HOUR, endMs: END }, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as StoreError).message).toMatch(/^postgresql \(FEATURE_STORE_URL\): cannot connect to .*: password authentication failed/);
    expect((error as StoreError).message).not.toContain('not-the-password');
    expect((error as StoreError).retriable).toBe(true);
  });

  it('a server that is not there fails the run naming the store and the setting', async () => {
    const down = new URL(url);
    down.port = '1';
    const error = await new PostgresSource({ url: down.toString(), connectTimeoutMs: 2000 }).read({ startMs: 0, endMs: 1 }, () => undefined).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^postgresql \(FEATURE_STORE_URL\): cannot connect to 127\.0\.0\.1:1\/driftwatch: .*ECONNREFUSED/);
  });

  it('a missing table names FEATURE_STORE_TABLE; a table name that is not an identifier is refused at start', async () => {
    const error = await new PostgresSource({ url, table: 'no_such_table' }).read({ startMs: 0, endMs: 1 }, () => undefined).catch((e: unknown) => e);
    expect((error as Error).message).toMatch(/^postgresql \(FEATURE_STORE_TABLE\): query failed: relation "no_such_table" does not exist/);
    expect(() => new PostgresSource({ url, table: 'logs; DROP TABLE x' })).toThrow(IdentifierError);
    expect(() => new PostgresSource({ url, timeColumn: 'created at' })).toThrow(/FEATURE_STORE_TIME_COLUMN must be a plain identifier/);
  });
});
