// Shared by test/unit/compose/ and test/integration/dashboard/: the Grafana dashboards' queries
// (Flux: driftwatch.json; InfluxQL: driftwatch-influxql.json), Grafana's substitutions for each,
// and evaluations of seeded credit-risk data as the service makes them.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { creditRow, rng } from '../../../src/app/demo/credit.js';
import { DriftDetector } from '../../../src/core/detect/detector.js';
import type { Evaluation, ModelCheck } from '../../../src/runtime/engine.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { pointsOf } from '../../../src/adapters/influx/exporter.js';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));
export const DASHBOARD_PATH = 'config/grafana/dashboards/driftwatch.json';
export const INFLUXQL_DASHBOARD_PATH = 'config/grafana/dashboards/driftwatch-influxql.json';

export interface DashboardQuery {
  /** Panel title, or `variable <name>`. */
  where: string;
  /** Panel type, or `variable`. */
  kind: string;
  query: string;
}

interface Panel {
  type: string;
  title: string;
  targets?: { query?: string; refId: string }[];
  panels?: Panel[];
}

export interface Dashboard {
  uid: string;
  panels: Panel[];
  templating: { list: { name: string; type: string; query: unknown; datasource?: { uid: string } }[] };
}

export function loadDashboard(path = DASHBOARD_PATH): Dashboard {
  return JSON.parse(readFileSync(new URL(path, `file://${repoRoot}`), 'utf8')) as Dashboard;
}

/** Every Flux query of the dashboard: panel targets (rows included) and query variables. */
export function dashboardQueries(dashboard: Dashboard = loadDashboard()): DashboardQuery[] {
  const out: DashboardQuery[] = [];
  const visit = (panels: Panel[]) => {
    for (const p of panels) {
      for (const t of p.targets ?? []) if (typeof t.query === 'string') out.push({ where: p.title, kind: p.type, query: t.query });
      if (p.panels) visit(p.panels);
    }
  };
  visit(dashboard.panels);
  for (const v of dashboard.templating.list) {
    if (v.type === 'query' && typeof v.query === 'string') out.push({ where: `variable ${v.name}`, kind: 'variable', query: v.query });
  }
  return out;
}

/** Escapes a value as Grafana's `:regex` format does. */
export function regexEscape(value: string): string {
  return value.replace(/[\\^$*+?.()|[\]{}/]/g, '\\$&');
}

export interface Substitution {
  bucket: string;
  model: string;
  /** Selected features (Grafana's `${feature:regex}`: one escaped value, or `(a|b|…)`). */
  features: string[];
  start: Date;
  stop: Date;
  /** A Flux duration literal, e.g. `1m`. */
  windowPeriod: string;
}

/** What Grafana does to a query before sending it: dashboard variables and the v.* macros. */
export function substitute(query: string, s: Substitution): string {
  const feature = s.features.length === 1 ? regexEscape(s.features[0]) : `(${s.features.map(regexEscape).join('|')})`;
  const out = query
    .replaceAll('${bucket}', s.bucket)
    .replaceAll('${model}', s.model)
    .replaceAll('${feature:regex}', feature)
    .replaceAll('v.timeRangeStart', s.start.toISOString())
    .replaceAll('v.timeRangeStop', s.stop.toISOString())
    .replaceAll('v.windowPeriod', s.windowPeriod);
  const left = /\$\{?[A-Za-z_][\w:]*\}?|\bv\.\w+/.exec(out);
  if (left) throw new Error(`unsubstituted ${left[0]} in:\n${out}`);
  return out;
}

export interface InfluxQLSubstitution {
  model: string;
  features: string[];
  start: Date;
  stop: Date;
  /** Grafana's `$__interval`, e.g. `1m`. */
  interval: string;
}

/**
 * What Grafana's InfluxQL datasource does to a raw query: `$timeFilter` becomes
 * `time >= <start>ms and time <= <stop>ms`, `$__interval` the interval, `${model}` the value,
 * `${feature:regex}` one escaped value or `(a|b|…)`.
 */
export function substituteInfluxQL(query: string, s: InfluxQLSubstitution): string {
  const feature = s.features.length === 1 ? regexEscape(s.features[0]) : `(${s.features.map(regexEscape).join('|')})`;
  const out = query
    .replaceAll('$timeFilter', `time >= ${s.start.getTime()}ms and time <= ${s.stop.getTime()}ms`)
    .replaceAll('$__interval', s.interval)
    .replaceAll('${model}', s.model)
    .replaceAll('${feature:regex}', feature);
  const left = /\$\{?[A-Za-z_][\w:]*\}?/.exec(out);
  if (left) throw new Error(`unsubstituted ${left[0]} in:\n${out}`);
  return out;
}

export const FEATURES = ['age', 'income', 'credit_score', 'loan_amount', 'employment_type'] as const;
/** The model outputs of `seededEvaluations({ outputs: true })`. */
export const OUTPUTS = ['prediction', 'confidence', 'probability_approve', 'probability_deny'] as const;

/** A query of the outputs' panels: it selects points tagged kind=output, not the feature variable. */
export const isOutputQuery = (query: string): boolean => query.includes('r.kind == "output"') || query.includes(`"kind" = 'output'`);

/**
 * Whether an output query draws this output: the model-output panel the outputs other than
 * the class probabilities (`!~ /^probability_/`), the class-probability panel those (`=~`).
 */
export const queriesOutput = (query: string, output: string): boolean =>
  query.includes('!~ /^probability_/') ? !output.startsWith('probability_') : query.includes('=~ /^probability_/') ? output.startsWith('probability_') : true;

/**
 * Evaluations of consecutive windows for one model: the reference from clean seeded rows, then
 * `windows` windows of `rowsPerWindow` rows each, drifted from window `driftFrom` on; each
 * scored with DriftDetector exactly as the engine does, stamped `windowEnd(i)`.
 */
export function seededEvaluations(options: {
  model: string;
  modelVersion?: string;
  windows: number;
  driftFrom: number;
  rowsPerWindow?: number;
  firstEnd: Date;
  slideMs: number;
  seed?: number;
  /**
   * Also the model's outputs (docs/references-and-check.md, "Model outputs"): a prediction and
   * a confidence computed from each row (no extra random draws, so the features are the same
   * as without), the confidence 0.15 lower in drifted windows; and the two classes' probabilities
   * (docs/references-and-check.md, "Per-class probabilities").
   */
  outputs?: boolean;
  /** Also the multivariate score (docs/multivariate.md), from a small null (200 draws at 3 sizes). */
  multivariate?: boolean;
}): Evaluation[] {
  const r = rng(options.seed ?? 20261126);
  const modelVersion = options.modelVersion ?? 'v1.2.0';
  const withOutputs = (row: ReturnType<typeof creditRow>, drift = false) => {
    if (!options.outputs) return row;
    const p = 1 / (1 + Math.exp((row.credit_score - 680) / 40));
    return { ...row, prediction: p > 0.5 ? 'deny' : 'approve', confidence: Math.max(p, 1 - p) - (drift ? 0.15 : 0), probability_approve: 1 - p, probability_deny: p };
  };
  const reference = ReferenceDistribution.fromRows(
    Array.from({ length: 4000 }, () => withOutputs(creditRow(r))),
    {
      modelVersion,
      now: new Date('2026-11-25T12:00:00Z'),
      ...(options.outputs ? { outputs: ['prediction', 'confidence', 'probabilities'] } : {}),
      ...(options.multivariate ? { multivariate: { replicates: 200, sizes: [100, 500, 1000] } } : {}),
    },
  );
  const detector = new DriftDetector({ threshold: 0.3, minSamples: 100 });
  const evaluations: Evaluation[] = [];
  for (let i = 0; i < options.windows; i++) {
    const drift = i >= options.driftFrom;
    const rows = Array.from({ length: options.rowsPerWindow ?? 600 }, () => withOutputs(creditRow(r, drift), drift));
    const check = detector.detect(rows, reference);
    const end = new Date(options.firstEnd.getTime() + i * options.slideMs);
    const mc: ModelCheck = {
      model: options.model,
      modelVersion,
      check,
      change: drift && i === options.driftFrom ? 'drift_detected' : null,
      state: check.drift_detected ? 'drifting' : 'ok',
      lateEvents: (i * 3) % 5,
      invalidEvents: i % 2,
      durationMs: 1.25 + i / 8,
    };
    evaluations.push({ windowStart: new Date(end.getTime() - 10 * options.slideMs), windowEnd: end, checks: [mc], closedAtWallMs: end.getTime() });
  }
  return evaluations;
}

export interface WrittenPoint {
  measurement: string;
  tags: Record<string, string>;
  fields: Record<string, number | boolean>;
  timeMs: number;
}

/** The points `pointsOf` makes, read back from their line protocol. */
export function writtenPoints(evaluation: Evaluation): WrittenPoint[] {
  return pointsOf(evaluation).map((p) => {
    const line = p.toLineProtocol();
    if (!line) throw new Error('a point without fields');
    // No string fields and no spaces in names: measurement+tags, fields, timestamp.
    const [head, fieldText, time] = line.split(' ');
    const [measurement, ...tagPairs] = head.split(',');
    const tags = Object.fromEntries(tagPairs.map((t) => t.split('=') as [string, string]));
    const fields = Object.fromEntries(
      fieldText.split(',').map((f) => {
        const [k, v] = f.split('=');
        if (v === 'T' || v === 'true') return [k, true];
        if (v === 'F' || v === 'false') return [k, false];
        return [k, Number(v.replace(/i$/, ''))];
      }),
    );
    // Without write settings the client renders a Date in nanoseconds.
    return { measurement, tags, fields, timeMs: Number(BigInt(time) / 1_000_000n) };
  });
}

/** Measurement → the tags and fields driftwatch writes to it. */
export function writtenSchema(evaluations: Evaluation[]): Map<string, { tags: Set<string>; fields: Set<string> }> {
  const schema = new Map<string, { tags: Set<string>; fields: Set<string> }>();
  for (const e of evaluations) {
    for (const p of writtenPoints(e)) {
      const m = schema.get(p.measurement) ?? { tags: new Set<string>(), fields: new Set<string>() };
      for (const t of Object.keys(p.tags)) m.tags.add(t);
      for (const f of Object.keys(p.fields)) m.fields.add(f);
      schema.set(p.measurement, m);
    }
  }
  return schema;
}
