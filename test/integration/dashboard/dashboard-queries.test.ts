// Every Flux query of the Grafana dashboard (config/grafana/dashboards/driftwatch.json), run
// against the real InfluxDB of the test services over points that driftwatch's own writer
// (InfluxExporter) wrote from evaluations scored by DriftDetector: each query must return the
// series driftwatch wrote, with the values written and the tags the panels name series by.
//
// The queries are sent as Grafana sends them: dashboard variables (${bucket}, ${model},
// ${feature:regex}) and the v.timeRangeStart / v.timeRangeStop / v.windowPeriod macros
// substituted, to /api/v2/query (the client's QueryApi), on both servers the tests have
// (../influx-flavours.ts): InfluxDB 1.8 with Flux enabled and InfluxDB 2.7.
import { randomUUID } from 'node:crypto';
import { InfluxDB } from '@influxdata/influxdb-client';
import { beforeAll, describe, expect, it } from 'vitest';
import type { Evaluation } from '../../../src/runtime/engine.js';
import { InfluxExporter } from '../../../src/adapters/influx/exporter.js';
import {
  dashboardQueries,
  FEATURES,
  isOutputQuery,
  OUTPUTS,
  queriesOutput,
  seededEvaluations,
  substitute,
  writtenPoints,
  type DashboardQuery,
  type WrittenPoint,
} from '../../unit/compose/dashboard.js';
import { influxFlavours } from '../influx-flavours.js';

const run = `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
const SLIDE_MS = 5 * 60_000;
const WINDOWS = 6;
const DRIFT_FROM = 3;
// Window ends 5 min apart starting 5 min past a 15-min boundary two hours ago, so that the
// display intervals (1m: one point each; 15m: two or three) have predictable contents.
const BASE = Math.floor((Date.now() - 2 * 3_600_000) / 900_000) * 900_000;
const START = new Date(BASE);
const STOP = new Date(BASE + 3_600_000);

const queries = dashboardQueries();

type Row = Record<string, unknown> & { _time?: string; _value?: unknown };

/** Parsed from the query text: what the panel reads and how it aggregates. */
function shape(query: string) {
  const measurement = /_measurement == "([^"]+)"/.exec(query)![1];
  const fields = [...query.matchAll(/_field == "([^"]+)"/g)].map((m) => m[1]);
  const fn = /aggregateWindow\(every: v\.windowPeriod, fn: (\w+)/.exec(query)?.[1];
  return { measurement, fields, fn, toInt: /\|> toInt\(\)/.test(query), pivot: /\|> pivot\(/.test(query) };
}

function aggregate(fn: string, values: number[]): number {
  if (fn === 'max') return Math.max(...values);
  if (fn === 'sum') return values.reduce((s, v) => s + v, 0);
  if (fn === 'last') return values[values.length - 1];
  throw new Error(`no expectation for aggregateWindow fn ${fn}`);
}

const asNumber = (v: unknown, toInt: boolean) => (typeof v === 'boolean' ? (toInt ? Number(v) : v) : v) as number;

/** The series a panel should draw from what was written, bucketed as aggregateWindow does. */
function expectedSeries(points: WrittenPoint[], model: string, query: string, features: string[], periodMs: number) {
  const { measurement, fields, fn, toInt } = shape(query);
  const out = new Map<string, number>();
  const bucketed = new Map<string, { t: number; values: number[] }>();
  for (const p of points) {
    if (p.tags.model !== model || p.measurement !== measurement) continue;
    // The outputs' panel reads the points tagged kind=output, whatever the feature variable.
    if (measurement === 'feature_drift' && (isOutputQuery(query) ? p.tags.kind !== 'output' || !queriesOutput(query, p.tags.feature) : !features.includes(p.tags.feature)))
      continue;
    for (const field of fields) {
      if (!(field in p.fields)) continue;
      const start = Math.floor(p.timeMs / periodMs) * periodMs; // timeSrc: "_start"
      const key = `${new Date(start).toISOString()}|${p.tags.feature ?? ''}|${field}`;
      const b = bucketed.get(key) ?? { t: start, values: [] };
      b.values.push(asNumber(p.fields[field], toInt));
      bucketed.set(key, b);
    }
  }
  for (const [key, b] of bucketed) out.set(key, aggregate(fn!, b.values));
  return out;
}

function actualSeries(result: Row[], query: string): Map<string, number> {
  const { fields } = shape(query);
  const out = new Map<string, number>();
  for (const r of result) {
    const field = fields.length === 1 ? fields[0] : String(r._field);
    const key = `${new Date(String(r._time)).toISOString()}|${(r.feature as string | undefined) ?? ''}|${field}`;
    expect(out.has(key), `duplicate row ${key}`).toBe(false);
    out.set(key, r._value as number);
  }
  return out;
}

describe.each(influxFlavours())('the Grafana dashboard against InfluxDB $flavour', (f) => {
  const { url, token, org, bucket } = f;
  const MODEL = `dashboard-${f.flavour}-${run}`;
  const DECOY = `dashboard-decoy-${f.flavour}-${run}`; // same times and features: must never show up under MODEL
  let evaluations: Evaluation[];
  let points: WrittenPoint[];
  const influx = new InfluxDB({ url: url || 'http://127.0.0.1:1', token, timeout: 20_000 });
  const rows = async (query: DashboardQuery, features: string[], windowPeriod: string, model = MODEL): Promise<Row[]> => {
    const flux = substitute(query.query, { bucket, model, features, start: START, stop: STOP, windowPeriod });
    return influx.getQueryApi(org).collectRows<Row>(flux);
  };
  const it_ = it.skipIf(!url);

  beforeAll(async () => {
    if (!url) return;
    evaluations = [
      // The model has outputs (kind-tagged points); the decoy has none (points without the tag).
      ...seededEvaluations({
        model: MODEL,
        windows: WINDOWS,
        driftFrom: DRIFT_FROM,
        firstEnd: new Date(BASE + SLIDE_MS),
        slideMs: SLIDE_MS,
        seed: 11,
        outputs: true,
        multivariate: true,
      }),
      ...seededEvaluations({ model: DECOY, windows: WINDOWS, driftFrom: 0, firstEnd: new Date(BASE + SLIDE_MS), slideMs: SLIDE_MS, seed: 12 }),
    ];
    points = evaluations.flatMap(writtenPoints);
    const exporter = new InfluxExporter({ url, token, org, bucket });
    try {
      for (const e of evaluations) {
        const result = await exporter.export(e);
        if (!result.ok) throw result.error;
      }
    } finally {
      await exporter.shutdown();
    }
  });

  it_(`wrote what the dashboard is checked against: drift in income from the 4th window on (InfluxDB ${f.flavour})`, () => {
    const own = evaluations.filter((e) => e.checks[0].model === MODEL);
    expect(own.map((e) => e.checks[0].check.drift_detected)).toEqual([false, false, false, true, true, true]);
    expect(own.slice(DRIFT_FROM).every((e) => 'income' in e.checks[0].check.drifted_features)).toBe(true);
    expect(queries.length).toBeGreaterThanOrEqual(12);
  });

  it_(`lists the model in the model variable and exactly its features in the feature variable (InfluxDB ${f.flavour})`, async () => {
    const model = queries.find((q) => q.where === 'variable model')!;
    const feature = queries.find((q) => q.where === 'variable feature')!;
    const models = (await rows(model, [...FEATURES], '1m')).map((r) => r._value);
    expect(models).toContain(MODEL);
    expect(models).toContain(DECOY);
    expect(new Set(models).size).toBe(models.length);
    const features = (await rows(feature, [...FEATURES], '1m')).map((r) => r._value);
    expect([...features].sort()).toEqual([...FEATURES].sort());
    // A model without outputs writes no kind tag: the variable still lists its features.
    const decoyFeatures = (await rows(feature, [...FEATURES], '1m', DECOY)).map((r) => r._value);
    expect([...decoyFeatures].sort()).toEqual([...FEATURES].sort());
  });

  const seriesQueries = queries.filter((q) => q.kind === 'timeseries' || q.kind === 'state-timeline');
  const selections: [string, string[]][] = [
    ['all features', [...FEATURES]],
    ['one feature', ['income']],
  ];

  for (const q of seriesQueries) {
    for (const [period, periodMs] of [
      ['1m', 60_000],
      ['15m', 900_000],
    ] as const) {
      for (const [label, features] of shape(q.query).measurement === 'feature_drift' && !isOutputQuery(q.query) ? selections : selections.slice(0, 1)) {
        it_(`${q.where}: returns the written series (window period ${period}, ${label}; InfluxDB ${f.flavour})`, async () => {
          const result = await rows(q, features, period);
          const expected = expectedSeries(points, MODEL, q.query, features, periodMs);
          expect(expected.size, 'nothing expected: the test data does not exercise this panel').toBeGreaterThan(0);
          const actual = actualSeries(result, q.query);
          expect([...actual.keys()].sort()).toEqual([...expected.keys()].sort());
          for (const [key, value] of expected) expect(actual.get(key), key).toBeCloseTo(value, 12);
          // The tags the panels name their series by, and nothing of the decoy model.
          for (const r of result) {
            expect(r.model_version).toBe('v1.2.0');
            if (shape(q.query).measurement === 'feature_drift') expect(isOutputQuery(q.query) ? OUTPUTS : features).toContain(r.feature);
            expect(r.model === undefined || r.model === MODEL).toBe(true);
          }
          if (period === '1m') {
            // One point per display interval: the timestamps are the window ends themselves.
            const ends = new Set(evaluations.filter((e) => e.checks[0].model === MODEL).map((e) => e.windowEnd.toISOString()));
            for (const r of result) expect(ends.has(new Date(String(r._time)).toISOString())).toBe(true);
          }
        });
      }
    }
  }

  for (const q of queries.filter((x) => x.kind === 'table')) {
    it_(`${q.where}: one row per selected feature with every statistic of the newest window (InfluxDB ${f.flavour})`, async () => {
      const last = evaluations.filter((e) => e.checks[0].model === MODEL).at(-1)!;
      const written = writtenPoints(last).filter((p) => p.measurement === 'feature_drift');
      for (const features of [[...FEATURES], ['income', 'employment_type']]) {
        const result = await rows(q, features, '1m');
        expect(result.map((r) => r.feature).sort()).toEqual([...features].sort());
        // Highest score first.
        const scores = result.map((r) => r.score as number);
        expect(scores).toEqual([...scores].sort((a, b) => b - a));
        for (const r of result) {
          const p = written.find((w) => w.tags.feature === r.feature)!;
          expect(new Date(String(r._time)).toISOString()).toBe(last.windowEnd.toISOString());
          expect(r.model_version).toBe('v1.2.0');
          for (const field of ['score', 'psi', 'ks', 'ks_pvalue', 'js', 'wasserstein', 'chi2_pvalue', 'missing_rate', 'drifted', 'sample_count']) {
            if (field in p.fields) {
              const v = p.fields[field];
              if (typeof v === 'number') expect(r[field], `${r.feature}.${field}`).toBeCloseTo(v, 12);
              else expect(r[field], `${r.feature}.${field}`).toBe(v);
            } else {
              expect(r[field] ?? null, `${r.feature}.${field} was not written`).toBeNull();
            }
          }
        }
        expect(result.find((r) => r.feature === 'income')?.drifted).toBe(true);
      }
    });
  }

  it_(`runs every query of the dashboard (InfluxDB ${f.flavour})`, () => {
    const covered = new Set([...seriesQueries, ...queries.filter((x) => x.kind === 'table' || x.kind === 'variable')].map((q) => q.query));
    expect(queries.filter((q) => !covered.has(q.query)).map((q) => q.where)).toEqual([]);
  });
});
