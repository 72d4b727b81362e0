/**
 * Issue 11, item 7 — PostgreSQL: 1 M rows × 20 features read for a window and scored by
 * `driftwatch job`'s path (PostgresSource on FEATURE_STORE_TABLE: a binary COPY through
 * pg-copy-streams → accumulation on the reference's bins → scores), against the baseline of the
 * same run: `COPY (SELECT feature_vector … same window) TO STDOUT` through psql into /dev/null,
 * the server's own bulk export with no parsing on the client. Target: at least ½ of its rate.
 * The FEATURE_STORE_QUERY path (pg-cursor, text rows) is measured beside it, without a target.
 *
 * Resident memory: one read of 5 M generated rows (a view over generate_series, so that no
 * 1.2 GB table is needed), RSS after a full GC when 1 M and when 5 M rows have been accumulated,
 * for the table path (the view, read by COPY) and the query path (the cursor). Target: within
 * 10 % of each other (flat in the number of rows).

 *
 * Services: test/bench/store-services.ts (BENCH_PG_URL, or up.sh). BENCH_STORE_RUNS (3) runs
 * of each side, alternating; the figure is the median, the note gives every run.
 */
import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import pg from 'pg';
import { PostgresSource } from '../../src/adapters/stores/postgres.js';
import type { FeatureSource } from '../../src/adapters/stores/source.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { checkWindow } from '../../src/app/job/check-window.js';
import { featureNames } from './data.js';
import { collectGarbage, median, progress, report } from './harness.js';
import { postgresUrl, spread } from './store-services.js';

const ROWS = 1_000_000;
const MEMORY_ROWS = 5_000_000;
const FEATURES = 20;
const RUNS = Number(process.env.BENCH_STORE_RUNS ?? 3);
const PSQL = process.env.BENCH_PSQL ?? '/usr/lib/postgresql/15/bin/psql';
const START = Date.UTC(2026, 0, 1);
const table = `bench_prediction_logs_${process.pid}`;

const url = postgresUrl();
const names = featureNames(FEATURES);
// Uniform [0, 100) in every column, as the table's rows are.
const reference = ReferenceDistribution.fromRows(
  Array.from({ length: 20_000 }, (_, i) => names.map((_, j) => ((i * 7919 + j * 104_729) % 100_000) / 1000)),
  { featureNames: names, modelVersion: 'bench' },
);
const vectorSql = `ARRAY[${names.map(() => 'random() * 100').join(', ')}]::double precision[]`;

const client = new pg.Client({ connectionString: url });
await client.connect();
progress(`filling ${table}: ${ROWS.toLocaleString('en-US')} rows × ${FEATURES} features (server-side)`);
await client.query(`CREATE TABLE ${table} (request_id text, feature_vector double precision[] NOT NULL, created_at timestamptz NOT NULL)`);
await client.query(`INSERT INTO ${table} SELECT i::text, ${vectorSql}, to_timestamp(${START / 1000}) + i * interval '1 ms' FROM generate_series(0, ${ROWS - 1}) i`);
await client.query(`VACUUM ANALYZE ${table}`);
const window = { startMs: START, endMs: START + ROWS };

async function driftwatchRun(source: FeatureSource): Promise<{ ms: number; rows: number }> {
  collectGarbage();
  const t0 = performance.now();
  const result = await checkWindow({
    source,
    window,
    referenceFor: () => reference,
    defaults: { model: 'bench', modelVersion: 'bench' },
    detector: { metric: 'psi', threshold: 0.3, minSamples: 100, missingRateThreshold: 0.1 },
  });
  const ms = performance.now() - t0;
  if (result.checks[0]?.check.sample_count !== ROWS) throw new Error(`scored ${result.checks[0]?.check.sample_count} rows, expected ${ROWS}`);
  return { ms, rows: result.rows };
}

async function copyRun(): Promise<number> {
  const u = new URL(url);
  const sql = `COPY (SELECT feature_vector FROM ${table} WHERE created_at >= '${new Date(window.startMs).toISOString()}' AND created_at < '${new Date(window.endMs).toISOString()}') TO STDOUT`;
  const t0 = performance.now();
  await promisify(execFile)('sh', ['-c', `"$PSQL" -X -q -h "$H" -p "$P" -U "$U" -d "$D" -c "$SQL" > /dev/null`], {
    env: {
      ...process.env,
      PSQL,
      H: u.hostname,
      P: u.port || '5432',
      U: decodeURIComponent(u.username),
      D: u.pathname.slice(1),
      PGPASSWORD: decodeURIComponent(u.password),
      SQL: sql,
    },
  });
  return performance.now() - t0;
}

/** RSS after a full GC once 1 M and once MEMORY_ROWS rows have been accumulated, in one read. */
async function memoryRun(generated: PostgresSource): Promise<{ rss1: number; rss5: number }> {
  const marks = new Map<number, number>();
  let seen = 0;
  const counting: FeatureSource = {
    name: generated.name,
    read: (w, onRow) =>
      generated.read(w, (row) => {
        onRow(row);
        if (++seen === 1_000_000 || seen === MEMORY_ROWS) {
          collectGarbage();
          marks.set(seen, process.memoryUsage().rss);
        }
      }),
    close: () => generated.close(),
  };
  await checkWindow({
    source: counting,
    window: memoryWindow,
    referenceFor: () => reference,
    defaults: { model: 'bench', modelVersion: 'bench' },
    detector: { metric: 'psi', threshold: 0.3, minSamples: 100, missingRateThreshold: 0.1 },
  });
  if (seen !== MEMORY_ROWS) throw new Error(`memory run read ${seen} rows, expected ${MEMORY_ROWS}`);
  return { rss1: marks.get(1_000_000)! / 2 ** 20, rss5: marks.get(MEMORY_ROWS)! / 2 ** 20 };
}

const ours: number[] = [];
const cursorRates: number[] = [];
const copy: number[] = [];
const view = `${table}_generated`;
const memoryWindow = { startMs: START, endMs: START + MEMORY_ROWS };
try {
  const source = new PostgresSource({ url, table });
  const cursorSource = new PostgresSource({ url, query: `SELECT feature_vector FROM ${table} WHERE created_at >= $1 AND created_at < $2` });
  await driftwatchRun(source); // warm-up (JIT, the table in the page cache)
  await driftwatchRun(cursorSource);
  for (let i = 0; i < RUNS; i++) {
    progress(`run ${i + 1}/${RUNS}: COPY through psql, then driftwatch (table: binary COPY), then driftwatch (query: cursor)`);
    copy.push(ROWS / ((await copyRun()) / 1000));
    ours.push(ROWS / ((await driftwatchRun(source)).ms / 1000));
    cursorRates.push(ROWS / ((await driftwatchRun(cursorSource)).ms / 1000));
  }

  progress(`memory: ${MEMORY_ROWS.toLocaleString('en-US')} generated rows in one read, by the table path (a view) and by the query path`);
  await client.query(
    `CREATE VIEW ${view} AS SELECT ${vectorSql} AS feature_vector, to_timestamp(${START / 1000}) + i * interval '1 ms' AS created_at FROM generate_series(0, ${MEMORY_ROWS - 1}) i`,
  );
  const byCopy = await memoryRun(new PostgresSource({ url, table: view }));
  const byCursor = await memoryRun(new PostgresSource({ url, query: `SELECT feature_vector FROM ${view} WHERE created_at >= $1 AND created_at < $2` }));

  report('store-postgres', [
    {
      name: 'driftwatch job read + score, 1 M rows × 20, FEATURE_STORE_TABLE (binary COPY) (median)',
      value: median(ours),
      unit: 'rows/s',
      baseline: { name: 'COPY … TO STDOUT through psql', value: median(copy) },
      note: `driftwatch ${spread(ours)}; COPY ${spread(copy)}`,
    },
    {
      name: 'driftwatch / COPY rate (median of per-run ratios)',
      value: median(ours.map((o, i) => o / copy[i]!)),
      unit: '×',
      target: { kind: 'min', value: 0.5 },
      note: `per run ${ours.map((o, i) => (o / copy[i]!).toFixed(2)).join(', ')}`,
    },
    {
      name: 'driftwatch job read + score, FEATURE_STORE_QUERY (cursor, text) (median)',
      value: median(cursorRates),
      unit: 'rows/s',
      baseline: { name: 'COPY … TO STDOUT through psql', value: median(copy) },
      note: `per-run ratio to COPY ${cursorRates.map((o, i) => (o / copy[i]!).toFixed(2)).join(', ')}`,
    },
    ...(
      [
        ['table path, binary COPY', byCopy],
        ['query path, cursor', byCursor],
      ] as const
    ).map(([path, m]) => ({
      name: `RSS after 5 M rows / after 1 M rows (one read, ${path})`,
      value: m.rss5 / m.rss1,
      unit: '×',
      baseline: { name: 'after 1 M rows = 1', value: 1 },
      target: { kind: 'max' as const, value: 1.1 },
      note: `RSS after 1 M ${m.rss1.toFixed(0)} MiB, after 5 M ${m.rss5.toFixed(0)} MiB (after a full GC)`,
    })),
  ]);
} finally {
  await client.query(`DROP VIEW IF EXISTS ${view}`).catch(() => undefined);
  await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  await client.end();
}
