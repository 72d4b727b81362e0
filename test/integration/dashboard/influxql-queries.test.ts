// Every InfluxQL query of the InfluxQL dashboard (config/grafana/dashboards/driftwatch-influxql.json)
// on both InfluxDB servers' /query (../influx-flavours.ts): InfluxDB 1.8 (database driftwatch,
// retention policy autogen) and InfluxDB 2.7 (the bucket's virtual DBRP mapping: database =
// bucket name, no mapping created), over points that driftwatch's own writer wrote from
// evaluations scored by DriftDetector. Each query must return the series written, with their
// values and the tags the panels name series by. Queries are sent as Grafana's InfluxQL
// datasource sends them: $timeFilter, $__interval, ${model} and ${feature:regex} substituted.
import { randomUUID } from 'node:crypto';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Evaluation } from '../../../src/runtime/engine.js';
import { InfluxExporter } from '../../../src/adapters/influx/exporter.js';
import {
  dashboardQueries,
  FEATURES,
  INFLUXQL_DASHBOARD_PATH,
  isOutputQuery,
  OUTPUTS,
  queriesOutput,
  loadDashboard,
  seededEvaluations,
  substituteInfluxQL,
  writtenPoints,
  type DashboardQuery,
  type WrittenPoint,
} from '../../unit/compose/dashboard.js';
import { influxFlavours, influxQL, type InfluxQLSeries } from '../influx-flavours.js';

const run = `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
const SLIDE_MS = 5 * 60_000;
const WINDOWS = 6;
const DRIFT_FROM = 3;
// As in dashboard-queries.test.ts: window ends 5 min apart from 5 min past a 15-min boundary two hours ago.
const BASE = Math.floor((Date.now() - 2 * 3_600_000) / 900_000) * 900_000;
const START = new Date(BASE);
const STOP = new Date(BASE + 3_600_000);
const queries = dashboardQueries(loadDashboard(INFLUXQL_DASHBOARD_PATH));

/** Parsed from the query text: measurement, and each selected `fn("field") [AS "alias"]` with the column it answers in. */
function shape(query: string) {
  const measurement = /FROM "(\w+)"/.exec(query)![1];
  const selects = [...query.matchAll(/(\w+)\("(\w+)"\)(?: AS "(\w+)")?/g)]
    .filter((m) => m[1] !== 'time' && m[1] !== 'fill')
    .map((m) => ({ fn: m[1], field: m[2], column: m[3] ?? m[1] }));
  return { measurement, selects };
}

type Value = number | boolean;

function aggregate(fn: string, values: Value[]): Value {
  if (fn === 'max') return Math.max(...(values as number[]));
  if (fn === 'sum') return (values as number[]).reduce((s, v) => s + v, 0);
  if (fn === 'last') return values[values.length - 1];
  throw new Error(`no expectation for InfluxQL ${fn}()`);
}

const expectValue = (actual: unknown, expected: Value, what: string) =>
  typeof expected === 'number' ? expect(actual, what).toBeCloseTo(expected, 12) : expect(actual, what).toBe(expected);

describe.each(influxFlavours())('the InfluxQL Grafana dashboard against InfluxDB $flavour /query', (f) => {
  const MODEL = `dashboard-iql-${f.flavour}-${run}`;
  const DECOY = `dashboard-iql-decoy-${f.flavour}-${run}`;
  let evaluations: Evaluation[];
  let points: WrittenPoint[];
  const it_ = it.skipIf(!f.url);
  const own = () => evaluations.filter((e) => e.checks[0].model === MODEL);

  const series = async (q: DashboardQuery, features: string[], interval: string): Promise<InfluxQLSeries[]> => {
    const [result] = await influxQL(f, substituteInfluxQL(q.query, { model: MODEL, features, start: START, stop: STOP, interval }));
    return result;
  };

  /** `time|feature|column` → value, bucketed as GROUP BY time(interval) does (interval start). */
  function expectedSeries(query: string, features: string[], periodMs: number): Map<string, Value> {
    const { measurement, selects } = shape(query);
    const buckets = new Map<string, Value[]>();
    for (const p of points) {
      if (p.tags.model !== MODEL || p.measurement !== measurement) continue;
      // The outputs' panel reads the points tagged kind=output, whatever the feature variable.
      if (measurement === 'feature_drift' && (isOutputQuery(query) ? p.tags.kind !== 'output' || !queriesOutput(query, p.tags.feature) : !features.includes(p.tags.feature)))
        continue;
      for (const s of selects) {
        if (!(s.field in p.fields)) continue;
        const start = Math.floor(p.timeMs / periodMs) * periodMs;
        const key = `${new Date(start).toISOString()}|${p.tags.feature ?? ''}|${s.column}`;
        buckets.set(key, [...(buckets.get(key) ?? []), p.fields[s.field]]);
      }
    }
    const fnOf = new Map(selects.map((s) => [s.column, s.fn]));
    return new Map([...buckets].map(([key, values]) => [key, aggregate(fnOf.get(key.split('|')[2])!, values)]));
  }

  function actualSeries(result: InfluxQLSeries[]): Map<string, unknown> {
    const out = new Map<string, unknown>();
    for (const s of result) {
      for (const row of s.values) {
        for (const [i, column] of s.columns.entries()) {
          if (column === 'time' || row[i] === null) continue;
          const key = `${new Date(row[0] as number).toISOString()}|${s.tags?.feature ?? ''}|${column}`;
          expect(out.has(key), `duplicate ${key}`).toBe(false);
          out.set(key, row[i]);
        }
      }
    }
    return out;
  }

  beforeAll(async () => {
    if (!f.url) return;
    evaluations = [
      // The model has outputs (kind-tagged points); the decoy has none (points without the tag).
      ...seededEvaluations({
        model: MODEL,
        windows: WINDOWS,
        driftFrom: DRIFT_FROM,
        firstEnd: new Date(BASE + SLIDE_MS),
        slideMs: SLIDE_MS,
        seed: 21,
        outputs: true,
        multivariate: true,
      }),
      ...seededEvaluations({ model: DECOY, windows: WINDOWS, driftFrom: 0, firstEnd: new Date(BASE + SLIDE_MS), slideMs: SLIDE_MS, seed: 22 }),
    ];
    points = evaluations.flatMap(writtenPoints);
    const exporter = new InfluxExporter({ url: f.url, token: f.token, org: f.org, bucket: f.bucket });
    try {
      for (const e of evaluations) {
        const result = await exporter.export(e);
        if (!result.ok) throw result.error;
      }
    } finally {
      await exporter.shutdown();
    }
  });

  it_(`lists the model in the model variable and exactly its features in the feature variable (InfluxDB ${f.flavour})`, async () => {
    const values = (result: InfluxQLSeries[]) => result.flatMap((s) => s.values.map((row) => row[s.columns.indexOf('value')]));
    const models = values(
      await series(
        queries.find((q) => q.where === 'variable model')!,
        [...FEATURES],
        '1m',
      ),
    );
    expect(models).toContain(MODEL);
    expect(models).toContain(DECOY);
    expect(new Set(models).size).toBe(models.length);
    const features = values(
      await series(
        queries.find((q) => q.where === 'variable feature')!,
        [...FEATURES],
        '1m',
      ),
    );
    expect([...features].sort()).toEqual([...FEATURES].sort());
    // A model without outputs writes no kind tag: the variable still lists its features.
    const [decoy] = await influxQL(
      f,
      substituteInfluxQL(queries.find((q) => q.where === 'variable feature')!.query, { model: DECOY, features: [...FEATURES], start: START, stop: STOP, interval: '1m' }),
    );
    expect([...values(decoy)].sort()).toEqual([...FEATURES].sort());
  });

  const seriesQueries = queries.filter((q) => q.kind === 'timeseries' || q.kind === 'state-timeline');
  const selections: [string, string[]][] = [
    ['all features', [...FEATURES]],
    ['one feature', ['income']],
  ];
  for (const q of seriesQueries) {
    for (const [interval, periodMs] of [
      ['1m', 60_000],
      ['15m', 900_000],
    ] as const) {
      for (const [label, features] of shape(q.query).measurement === 'feature_drift' && !isOutputQuery(q.query) ? selections : selections.slice(0, 1)) {
        it_(`${q.where}: returns the written series (interval ${interval}, ${label}; InfluxDB ${f.flavour})`, async () => {
          const result = await series(q, features, interval);
          const expected = expectedSeries(q.query, features, periodMs);
          expect(expected.size, 'nothing expected: the test data does not exercise this panel').toBeGreaterThan(0);
          const actual = actualSeries(result);
          expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [key, value] of expected) expectValue(actual.get(key), value, key);
          // The tags the panels name their series by.
          for (const s of result) {
            expect(s.tags?.model_version).toBe('v1.2.0');
            if (shape(q.query).measurement === 'feature_drift') expect(isOutputQuery(q.query) ? OUTPUTS : features).toContain(s.tags?.feature);
          }
          if (interval === '1m') {
            const ends = new Set(own().map((e) => e.windowEnd.getTime()));
            for (const s of result) for (const row of s.values) expect(ends.has(row[0] as number)).toBe(true);
          }
        });
      }
    }
  }

  for (const q of queries.filter((x) => x.kind === 'table')) {
    it_(`${q.where}: one row per selected feature with every statistic of the newest window (InfluxDB ${f.flavour})`, async () => {
      const last = own().at(-1)!;
      const written = writtenPoints(last).filter((p) => p.measurement === 'feature_drift');
      for (const features of [[...FEATURES], ['income', 'employment_type']]) {
        const result = await series(q, features, '1m');
        expect(result.map((s) => s.tags?.feature).sort()).toEqual([...features].sort());
        for (const s of result) {
          expect(s.values).toHaveLength(1);
          const row = Object.fromEntries(s.columns.map((c, i) => [c, s.values[0][i]]));
          const p = written.find((w) => w.tags.feature === s.tags?.feature)!;
          expect(row.time).toBe(last.windowEnd.getTime());
          expect(s.tags?.model_version).toBe('v1.2.0');
          for (const field of ['score', 'psi', 'ks', 'ks_pvalue', 'js', 'wasserstein', 'chi2_pvalue', 'missing_rate', 'drifted', 'sample_count']) {
            if (field in p.fields) expectValue(row[field], p.fields[field], `${s.tags?.feature}.${field}`);
            else expect(row[field] ?? null, `${s.tags?.feature}.${field} was not written`).toBeNull();
          }
        }
        const income = result.find((s) => s.tags?.feature === 'income')!;
        expect(income.values[0][income.columns.indexOf('drifted')]).toBe(true);
      }
    });
  }

  it_(`runs every query of the dashboard (InfluxDB ${f.flavour})`, () => {
    const covered = new Set([...seriesQueries, ...queries.filter((x) => x.kind === 'table' || x.kind === 'variable')].map((q) => q.query));
    expect(queries.filter((q) => !covered.has(q.query)).map((q) => q.where)).toEqual([]);
    expect(queries.length).toBeGreaterThanOrEqual(12);
  });
});
