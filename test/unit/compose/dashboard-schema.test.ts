// Both Grafana dashboards held against Grafana's own dashboard schema (the @grafana/schema
// types of the compose file's Grafana version, compiled by the TypeScript checker: see
// ./grafana-schema.ts), and the InfluxQL dashboard and its datasource checked against what
// driftwatch writes and what the Flux dashboard shows. Its queries run on both InfluxDB
// servers in test/integration/dashboard/influxql-queries.test.ts.
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { parse as parseYaml } from 'yaml';
import { DASHBOARD_PATH, INFLUXQL_DASHBOARD_PATH, dashboardQueries, isOutputQuery, loadDashboard, repoRoot, seededEvaluations, writtenSchema } from './dashboard.js';
import { GRAFANA_SCHEMA_VERSION, dashboardSchemaErrors } from './grafana-schema.js';

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');

describe('the Grafana dashboards against @grafana/schema', () => {
  it('checks against the schema of the Grafana the compose file runs', () => {
    const compose = parseYaml(read('docker-compose.yml')) as { services: Record<string, { image?: string }> };
    const image = compose.services.grafana.image!;
    expect(image).toBe(`grafana/grafana:${GRAFANA_SCHEMA_VERSION}`);
    const pkg = JSON.parse(read('package.json')) as { devDependencies: Record<string, string> };
    expect(pkg.devDependencies['@grafana/schema']).toBe(GRAFANA_SCHEMA_VERSION);
  });

  it(`both dashboards type-check as @grafana/schema ${GRAFANA_SCHEMA_VERSION} Dashboard; the findings it once made are caught`, () => {
    // A copy with what the Flux dashboard used to hold: `definition` on query variables (not in
    // the schema) and `"current": {}` (text and value are required).
    const old = JSON.parse(read(DASHBOARD_PATH)) as { templating: { list: Array<Record<string, unknown>> } };
    for (const v of old.templating.list) if (v.type === 'query') v.definition = v.query;
    old.templating.list.find((v) => v.name === 'model')!.current = {};
    const errors = dashboardSchemaErrors({ flux: read(DASHBOARD_PATH), influxql: read(INFLUXQL_DASHBOARD_PATH), old: JSON.stringify(old, null, 2) });
    expect(errors.flux).toEqual([]);
    expect(errors.influxql).toEqual([]);
    expect(errors.old).toHaveLength(2);
    expect(errors.old.find((e) => e.startsWith('old variable model:'))).toMatch(/missing the following properties .*: text, value/);
    expect(errors.old.find((e) => e.startsWith('old variable feature:'))).toMatch(/'"definition"' does not exist/);
  }, 60_000);
});

describe('the InfluxQL dashboard', () => {
  const flux = loadDashboard();
  const influxql = loadDashboard(INFLUXQL_DASHBOARD_PATH);
  const queries = dashboardQueries(influxql);
  const datasources = parseYaml(read('config/grafana/provisioning/datasources/influxdb-influxql.yml')) as {
    apiVersion: number;
    datasources: Array<{ uid: string; type: string; url: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }>;
  };

  it('has the Flux dashboard panels and variables (without bucket: the datasource names the database)', () => {
    expect(influxql.uid).toBe('driftwatch-influxql');
    const titles = (d: typeof flux) => d.panels.map((p) => `${p.type} ${p.title}`);
    expect(titles(influxql)).toEqual(titles(flux));
    expect(influxql.templating.list.map((v) => v.name)).toEqual(['model', 'feature']);
    expect(queries.map((q) => q.where)).toEqual(
      dashboardQueries(flux)
        .filter((q) => q.where !== 'variable bucket')
        .map((q) => q.where),
    );
  });

  it('uses only the provisioned InfluxQL datasource, which reads the same environment as the Flux one', () => {
    expect(datasources.apiVersion).toBe(1);
    const [ds] = datasources.datasources;
    expect(datasources.datasources).toHaveLength(1);
    expect(ds).toMatchObject({ uid: 'driftwatch-influxql', type: 'influxdb', url: '$INFLUX_URL' });
    expect(ds.jsonData).toMatchObject({ version: 'InfluxQL', dbName: '$INFLUX_BUCKET', httpHeaderName1: 'Authorization' });
    expect(ds.secureJsonData.httpHeaderValue1).toBe('Token $INFLUX_TOKEN');
    const grafana = (parseYaml(read('docker-compose.yml')) as { services: { grafana: { environment: Record<string, string> } } }).services.grafana.environment;
    for (const [, name] of JSON.stringify(ds).matchAll(/\$\{?([A-Z_]+)\}?/g)) expect(grafana[name!], `${name} in the grafana service environment`).toBeDefined();
    const uids = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const d = (node as Record<string, unknown>).datasource as { type?: string; uid?: string } | undefined;
        if (d && typeof d === 'object' && d.type === 'influxdb') uids.add(String(d.uid));
        Object.values(node).forEach(walk);
      }
    };
    walk(influxql);
    expect([...uids]).toEqual(['driftwatch-influxql']);
  });

  it('queries only measurements, fields and tags that pointsOf writes, in raw InfluxQL with the time filter and the model', () => {
    const schema = writtenSchema(
      seededEvaluations({ model: 'm', windows: 2, driftFrom: 1, firstEnd: new Date('2026-11-26T10:00:00Z'), slideMs: 60_000, outputs: true, multivariate: true }),
    );
    for (const panel of influxql.panels) {
      for (const t of (panel.targets ?? []) as Array<{ rawQuery?: boolean; resultFormat?: string }>) {
        expect(t.rawQuery, panel.title).toBe(true);
        expect(t.resultFormat, panel.title).toBe(panel.type === 'table' ? 'table' : 'time_series');
      }
    }
    for (const { where, kind, query } of queries) {
      expect(query, where).toContain('$timeFilter');
      expect(query, where).not.toMatch(/from\(bucket|\|>/);
      const measurement = /FROM "(\w+)"/.exec(query)?.[1];
      expect(schema.has(measurement!), `${where}: measurement ${measurement}`).toBe(true);
      const { tags, fields } = schema.get(measurement!)!;
      const quoted = [...query.matchAll(/"(\w+)"/g)].map((m) => m[1]).filter((n) => n !== measurement);
      for (const name of quoted) expect(tags.has(name) || fields.has(name), `${where}: "${name}" is not written to ${measurement}`).toBe(true);
      if (where !== 'variable model') expect(query, where).toContain(`"model" = '\${model}'`);
      if (measurement === 'feature_drift' && kind !== 'variable' && !isOutputQuery(query)) expect(query, where).toContain('"feature" =~ /^${feature:regex}$/');
      if (kind === 'timeseries' || kind === 'state-timeline') expect(query, where).toMatch(/GROUP BY time\(\$__interval\), .*fill\(none\)$/);
    }
  });
});
