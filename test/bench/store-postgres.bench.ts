/**
 * Issue 11, item 7 — PostgreSQL: 1 M rows × 20 features read for a window and scored by
 * `driftwatch job`'s path (PostgresSource: node-postgres + pg-cursor, 2000 rows per fetch →
 * accumulation on the reference's bins → scores), against the baseline of the same run:
 * `COPY (SELECT feature_vector … same window) TO STDOUT` through psql into /dev/null, the
 * server's own bulk export with no parsing on the client. Target: at least ½ of its rate.
 *
 * Resident memory: one read of 5 M generated rows (FEATURE_STORE_QUERY over generate_series,
 * so that no 1.2 GB table is needed), RSS after a full GC when 1 M and when 5 M rows have been
 * accumulated. Target: within 10 % of each other (flat in the number of rows).
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

const ours: number[] = [];
const copy: number[] = [];
try {
  const source = new PostgresSource({ url, table });
  await driftwatchRun(source); // warm-up (JIT, the table in the page cache)
  for (let i = 0; i < RUNS; i++) {
    progress(`run ${i + 1}/${RUNS}: COPY through psql, then driftwatch`);
    copy.push(ROWS / ((await copyRun()) / 1000));
    ours.push(ROWS / ((await driftwatchRun(source)).ms / 1000));
  }

  progress(`memory: ${MEMORY_ROWS.toLocaleString('en-US')} generated rows in one read`);
  const marks = new Map<number, number>();
  const generated = new PostgresSource({
    url,
    query: `SELECT ${vectorSql} AS feature_vector FROM generate_series(1, ${MEMORY_ROWS}) WHERE $1::timestamptz IS NOT NULL AND $2::timestamptz IS NOT NULL`,
  });
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
    window,
    referenceFor: () => reference,
    defaults: { model: 'bench', modelVersion: 'bench' },
    detector: { metric: 'psi', threshold: 0.3, minSamples: 100, missingRateThreshold: 0.1 },
  });
  const rss1 = marks.get(1_000_000)! / 2 ** 20;
  const rss5 = marks.get(MEMORY_ROWS)! / 2 ** 20;

  report('store-postgres', [
    {
      name: 'driftwatch job read + score, 1 M rows × 20 (median)',
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
      name: 'RSS after 5 M rows / after 1 M rows (one read)',
      value: rss5 / rss1,
      unit: '×',
      baseline: { name: 'after 1 M rows = 1', value: 1 },
      target: { kind: 'max', value: 1.1 },
      note: `RSS after 1 M ${rss1.toFixed(0)} MiB, after 5 M ${rss5.toFixed(0)} MiB (after a full GC)`,
    },
  ]);
} finally {
  await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
  await client.end();
}
