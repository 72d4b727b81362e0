// docker-compose.yml and the Grafana provisioning cannot run here (no Docker engine), so this
// test reads them and checks what can be checked without one: images or builds, ports, the
// environment of the driftwatch services against the configuration schema, and the dashboard's
// Flux against what driftwatch writes to InfluxDB.
import { existsSync, readdirSync, readFileSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { parse as parseYaml } from 'yaml';
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config/load.js';
import { ENV_NAMES } from '../../../src/app/config/schema.js';
import { dashboardQueries, isOutputQuery, loadDashboard, repoRoot, seededEvaluations, writtenSchema } from './dashboard.js';

/**
 * Variables a driftwatch container may receive that are not driftwatch configuration: the
 * platform's own (Node and the C library read them). Listed in config/grafana/README.md.
 */
const PLATFORM_ENV = new Set(['NODE_ENV', 'NODE_OPTIONS', 'TZ']);
const DRIFTWATCH_DOCKERFILE = 'config/docker/Dockerfile';

interface Build {
  context?: string;
  dockerfile?: string;
}
interface Service {
  image?: string;
  build?: string | Build;
  command?: string[] | string;
  entrypoint?: string[] | string;
  ports?: (string | { target: number; published?: string | number; host_ip?: string })[];
  environment?: Record<string, string | number | boolean | null> | string[];
  volumes?: string[];
  profiles?: string[];
  depends_on?: Record<string, { condition: string }> | string[];
  healthcheck?: { test: string[] | string };
}
interface Compose {
  services: Record<string, Service>;
  volumes?: Record<string, unknown>;
}

const read = (path: string) => readFileSync(join(repoRoot, path), 'utf8');
const compose = parseYaml(read('docker-compose.yml')) as Compose;
const services = Object.entries(compose.services);

/** Compose's interpolation: ${VAR}, ${VAR:-default}, ${VAR-default}, $VAR and $$ (a literal $). */
function interpolate(value: string, env: Record<string, string | undefined>): string {
  return value.replace(/\$\$|\$\{([A-Za-z_]\w*)(?:(:?)-([^}]*))?\}|\$([A-Za-z_]\w*)/g, (whole, braced?: string, colon?: string, fallback?: string, bare?: string) => {
    if (whole === '$$') return '$';
    const name = braced ?? bare!;
    const value = env[name];
    if (fallback !== undefined && (value === undefined || (colon === ':' && value === ''))) return fallback;
    return value ?? '';
  });
}

function environment(service: Service): Record<string, string> {
  const env = service.environment ?? {};
  if (Array.isArray(env)) {
    return Object.fromEntries(
      env.map((e) => {
        const i = e.indexOf('=');
        return i < 0 ? [e, ''] : [e.slice(0, i), e.slice(i + 1)];
      }),
    );
  }
  return Object.fromEntries(Object.entries(env).map(([k, v]) => [k, v === null ? '' : String(v)]));
}

function interpolatedEnv(service: Service, shell: Record<string, string | undefined> = {}): Record<string, string> {
  return Object.fromEntries(Object.entries(environment(service)).map(([k, v]) => [k, interpolate(v, shell)]));
}

const buildOf = (s: Service): Build | undefined => (typeof s.build === 'string' ? { context: s.build } : s.build);
const isDriftwatchImage = (s: Service) => {
  const b = buildOf(s);
  return b !== undefined && (b.dockerfile ?? 'Dockerfile') === DRIFTWATCH_DOCKERFILE && (b.context ?? '.') === '.';
};
const driftwatchServices = services.filter(([, s]) => isDriftwatchImage(s));
const service = (name: string): Service => {
  const s = compose.services[name];
  if (!s) throw new Error(`docker-compose.yml has no service ${name}`);
  return s;
};

/** host path → container path of a service's bind mounts. */
function binds(s: Service): { source: string; target: string; readOnly: boolean }[] {
  return (s.volumes ?? [])
    .map((v) => v.split(':'))
    .filter(([source]) => source.startsWith('.') || source.startsWith('/'))
    .map(([source, target, mode]) => ({ source, target, readOnly: mode === 'ro' }));
}

describe('docker-compose.yml', () => {
  it('has the services of the stack', () => {
    expect(Object.keys(compose.services).sort()).toEqual(['alerts', 'demo-producer', 'driftwatch', 'grafana', 'influxdb', 'job', 'kafka', 'kafka-init', 'postgres', 'redis']);
    expect(service('alerts').profiles).toEqual(['alerts']);
    expect(service('job').profiles).toEqual(['job']);
    expect(service('postgres').image).toMatch(/^postgres:15/);
    expect(service('redis').image).toMatch(/^redis:7/);
    expect(service('kafka').image).toMatch(/^apache\/kafka:4\.\d+\.\d+$/);
    // The InfluxDB 2.x version the integration tests ran against (test/services/lib.sh).
    const tested = /INFLUXDB2_VERSION="\$\{DRIFTWATCH_INFLUXDB2_VERSION:-v([\d.]+)\}"/.exec(read('test/services/lib.sh'))?.[1];
    expect(service('influxdb').image).toBe(`influxdb:${tested}`);
    expect(service('grafana').image).toMatch(/^grafana\/grafana:/);
  });

  it('gives every service an image, or a build whose context and Dockerfile exist', () => {
    for (const [name, s] of services) {
      const build = buildOf(s);
      expect(s.image !== undefined || build !== undefined, `${name}: neither image nor build`).toBe(true);
      if (s.image) expect(s.image, `${name}: image without a tag`).toMatch(/^[\w./-]+:[\w.-]+$/);
      if (build) {
        const context = join(repoRoot, build.context ?? '.');
        expect(statSync(context).isDirectory(), `${name}: build context ${build.context}`).toBe(true);
        const dockerfile = join(context, build.dockerfile ?? 'Dockerfile');
        expect(existsSync(dockerfile), `${name}: ${dockerfile} missing`).toBe(true);
      }
    }
    expect(driftwatchServices.map(([n]) => n).sort()).toEqual(['alerts', 'demo-producer', 'driftwatch', 'job']);
  });

  it('builds the image as the brief says: node:20-slim, npm ci, build, prune, non-root, entrypoint dist/app/cli.js run', () => {
    const dockerfile = read(DRIFTWATCH_DOCKERFILE);
    const instructions = dockerfile.split('\n').filter((l) => l.trim() && !l.trim().startsWith('#'));
    expect(instructions.filter((l) => l.startsWith('FROM ')).every((l) => /^FROM node:20-slim\b/.test(l))).toBe(true);
    expect(dockerfile).toMatch(/RUN npm ci\b/);
    expect(dockerfile).toMatch(/npm run build/);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    expect(instructions.filter((l) => l.startsWith('USER ')).at(-1)).toMatch(/^USER (node|\d{3,})$/);
    expect(instructions).toContain('ENTRYPOINT ["node", "dist/app/cli.js"]');
    expect(instructions.at(-1)).toBe('CMD ["run"]');
    // Every COPY source from the context exists and passes the Dockerfile's ignore file.
    const ignore = read(`${DRIFTWATCH_DOCKERFILE}.dockerignore`)
      .split('\n')
      .map((l) => l.trim())
      .filter((l) => l && !l.startsWith('#'));
    expect(ignore[0]).toBe('*');
    const allowed = ignore.slice(1).map((l) => l.replace(/^!/, '').replace(/\/$/, ''));
    for (const line of instructions.filter((l) => l.startsWith('COPY ') && !l.includes('--from='))) {
      const sources = line.split(/\s+/).slice(1, -1);
      for (const source of sources) {
        expect(existsSync(join(repoRoot, source)), `COPY ${source}: missing`).toBe(true);
        expect(
          allowed.some((a) => source.replace(/\/$/, '') === a || source.startsWith(`${a}/`)),
          `COPY ${source}: excluded by the .dockerignore`,
        ).toBe(true);
      }
    }
  });

  it('publishes ports on 127.0.0.1 only', () => {
    const published: string[] = [];
    for (const [name, s] of services) {
      for (const port of s.ports ?? []) {
        if (typeof port === 'string') {
          expect(port, `${name}: ${port}`).toMatch(/^127\.0\.0\.1:\d+:\d+(\/(tcp|udp))?$/);
          published.push(port.split(':')[1]);
        } else {
          expect(port.host_ip, `${name}: ${JSON.stringify(port)}`).toBe('127.0.0.1');
          published.push(String(port.published));
        }
      }
    }
    expect(published.sort()).toEqual(['3000', '5432', '6379', '8080', '8086', '9092']);
  });

  it('gives the driftwatch services only variables of the configuration schema (and platform ones)', () => {
    const known = new Set(ENV_NAMES);
    for (const [name, s] of driftwatchServices) {
      const env = environment(s);
      expect(Object.keys(env).length, name).toBeGreaterThan(0);
      for (const variable of Object.keys(env)) {
        expect(known.has(variable) || PLATFORM_ENV.has(variable), `${name}: ${variable} is not in ENV_NAMES (src/app/config/schema.ts)`).toBe(true);
      }
    }
    // The names the brief lists for the service itself.
    expect(Object.keys(environment(service('driftwatch')))).toEqual(
      expect.arrayContaining([
        'KAFKA_BROKERS',
        'KAFKA_TOPIC',
        'DRIFT_EVENTS_TOPIC',
        'DEAD_LETTER_TOPIC',
        'INFLUX_URL',
        'INFLUX_TOKEN',
        'INFLUX_ORG',
        'INFLUX_BUCKET',
        'REFERENCE_DIR',
        'DRIFT_WINDOW',
        'DRIFT_CHECK_INTERVAL',
        'HTTP_PORT',
      ]),
    );
  });

  it("resolves the driftwatch service's environment (defaults substituted) into a valid configuration", () => {
    const env = interpolatedEnv(service('driftwatch'));
    const { config, notes } = resolveConfig({}, env);
    expect(notes).toEqual([]);
    expect(config.kafka.brokers).toEqual(['kafka:19092']);
    expect(config.kafka.topic).toBe('predictions');
    expect(config.kafka.driftEventsTopic).toBe('drift-events');
    expect(config.kafka.deadLetterTopic).toBe('predictions.dlq');
    expect(config.influx).toMatchObject({ url: 'http://influxdb:8086', token: 'dev-token-change-me', org: 'driftwatch', bucket: 'driftwatch' });
    expect(config.reference.dir).toBe('/model_artifacts');
    // Short windows, so that the demo shows drift within minutes.
    expect(config.window.sizeMs).toBe(10 * 60_000);
    expect(config.window.slideMs).toBe(60_000);
    expect(config.http.port).toBe(8080);
    expect(config.drift).toMatchObject({ metric: 'psi', threshold: 0.3, minSamples: 100 });
  });

  it('takes values from the shell or .env over the defaults', () => {
    const env = interpolatedEnv(service('driftwatch'), { INFLUX_TOKEN: 'from-env', DRIFT_WINDOW: '30m', DRIFT_CHECK_INTERVAL: '5m', INFLUX_BUCKET: '' });
    const { config } = resolveConfig({}, env);
    expect(config.influx.token).toBe('from-env');
    expect(config.influx.bucket).toBe('driftwatch'); // empty means unset: ${VAR:-default}
    expect(config.window).toMatchObject({ sizeMs: 30 * 60_000, slideMs: 5 * 60_000 });
  });

  it('resolves the alerts and demo-producer environments too', () => {
    const alerts = resolveConfig({}, interpolatedEnv(service('alerts'))).config;
    expect(alerts.kafka.brokers).toEqual(['kafka:19092']);
    expect(alerts.alerts.dashboardUrlTemplate).toBe('http://localhost:3000/d/driftwatch?var-model={model}&from={window_start_ms}&to={window_end_ms}');
    expect(alerts.alerts.cooldownMs).toBe(15 * 60_000);
    const demo = resolveConfig({}, interpolatedEnv(service('demo-producer'))).config;
    expect(demo.kafka).toMatchObject({ brokers: ['kafka:19092'], topic: 'predictions' });
  });

  it('runs the demo producer as `driftwatch demo-producer` with rate, drift delay, model, version and seed', () => {
    const command = (service('demo-producer').command as string[]).map((c) => interpolate(String(c), {}));
    expect(command).toEqual(['demo-producer', '--rate', '20', '--drift-after', '5m', '--model', 'credit-risk', '--model-version', 'v1.2.0', '--seed', '42']);
    expect(service('driftwatch').command).toEqual(['run']);
    expect(service('alerts').command).toEqual(['alerts']);
    // The demo's model version has a reference in the mounted directory.
    const mount = binds(service('driftwatch')).find((b) => b.target === interpolatedEnv(service('driftwatch')).REFERENCE_DIR);
    expect(mount, 'REFERENCE_DIR is not a mounted directory').toBeDefined();
    expect(mount!.readOnly).toBe(true);
    expect(existsSync(join(repoRoot, mount!.source, 'v1.2.0', 'reference_distribution.json'))).toBe(true);
  });

  it('checks /healthz on the HTTP port and orders the start-up', () => {
    const dw = service('driftwatch');
    const test = (dw.healthcheck?.test as string[]).join(' ');
    expect(test).toContain(`http://127.0.0.1:${interpolatedEnv(dw).HTTP_PORT}/healthz`);
    expect(dw.depends_on).toMatchObject({ 'kafka-init': { condition: 'service_completed_successfully' }, influxdb: { condition: 'service_healthy' } });
    expect(service('kafka-init').depends_on).toMatchObject({ kafka: { condition: 'service_healthy' } });
    // kafka-init creates the topics driftwatch is configured with.
    const init = interpolatedEnv(service('kafka-init'));
    const dwEnv = interpolatedEnv(dw);
    for (const t of ['KAFKA_TOPIC', 'DRIFT_EVENTS_TOPIC', 'DEAD_LETTER_TOPIC']) expect(init[t], t).toBe(dwEnv[t]);
    // The containers reach Kafka on the advertised in-network listener.
    const kafka = environment(service('kafka'));
    expect(kafka.KAFKA_ADVERTISED_LISTENERS.split(',')).toContain(`PLAINTEXT://${dwEnv.KAFKA_BROKERS}`);
    expect(kafka.KAFKA_ADVERTISED_LISTENERS.split(',')).toContain('PLAINTEXT_HOST://localhost:9092');
    expect(kafka.KAFKA_PROCESS_ROLES).toBe('broker,controller');
  });

  it('initialises InfluxDB with the org, bucket and token that driftwatch and Grafana use', () => {
    const influx = interpolatedEnv(service('influxdb'));
    const dw = interpolatedEnv(service('driftwatch'));
    const grafana = interpolatedEnv(service('grafana'));
    expect(influx.DOCKER_INFLUXDB_INIT_MODE).toBe('setup');
    expect(influx.DOCKER_INFLUXDB_INIT_ORG).toBe(dw.INFLUX_ORG);
    expect(influx.DOCKER_INFLUXDB_INIT_BUCKET).toBe(dw.INFLUX_BUCKET);
    expect(influx.DOCKER_INFLUXDB_INIT_ADMIN_TOKEN).toBe(dw.INFLUX_TOKEN);
    for (const k of ['INFLUX_ORG', 'INFLUX_BUCKET', 'INFLUX_TOKEN']) expect(grafana[k], k).toBe(dw[k]);
    expect(grafana.INFLUX_URL).toBe(dw.INFLUX_URL);
    // Same with values from the environment: one INFLUX_TOKEN changes all three.
    const shell = { INFLUX_TOKEN: 't0k3n', INFLUX_ORG: 'acme', INFLUX_BUCKET: 'ml' };
    expect(interpolatedEnv(service('influxdb'), shell).DOCKER_INFLUXDB_INIT_ADMIN_TOKEN).toBe('t0k3n');
    expect(interpolatedEnv(service('grafana'), shell).INFLUX_TOKEN).toBe('t0k3n');
    expect(interpolatedEnv(service('driftwatch'), shell)).toMatchObject({ INFLUX_TOKEN: 't0k3n', INFLUX_ORG: 'acme', INFLUX_BUCKET: 'ml' });
  });

  it('holds no secrets: tokens and passwords come from the environment with marked development defaults', () => {
    for (const [name, s] of services) {
      for (const [key, value] of Object.entries(environment(s))) {
        if (!/TOKEN|PASSWORD|SECRET/.test(key)) continue;
        expect(value, `${name}.${key}`).toMatch(/^\$\{[A-Z_]+:-[^}]*\}$/);
        const fallback = /:-([^}]*)\}$/.exec(value)![1];
        expect(fallback === '' || /change-me/.test(fallback) || (key === 'GF_SECURITY_ADMIN_PASSWORD' && fallback === 'admin'), `${name}.${key}: default ${fallback}`).toBe(true);
      }
    }
    expect(read('docker-compose.yml')).toMatch(/DEV DEFAULT/);
  });

  it('mounts the Grafana provisioning and dashboards that exist in the repository', () => {
    const mounts = binds(service('grafana'));
    const provisioning = mounts.find((m) => m.target === '/etc/grafana/provisioning');
    expect(provisioning?.source).toBe('./config/grafana/provisioning');
    for (const m of mounts) expect(statSync(join(repoRoot, m.source)).isDirectory(), m.source).toBe(true);
    const provider = parseYaml(read('config/grafana/provisioning/dashboards/driftwatch.yml')) as { apiVersion: number; providers: { type: string; options: { path: string } }[] };
    expect(provider.apiVersion).toBe(1);
    const dashboardsMount = mounts.find((m) => m.target === provider.providers[0].options.path);
    expect(dashboardsMount?.source).toBe('./config/grafana/dashboards');
    expect(readdirSync(join(repoRoot, dashboardsMount!.source))).toContain('driftwatch.json');
    expect(environment(service('grafana')).GF_DASHBOARDS_DEFAULT_HOME_DASHBOARD_PATH).toBe(`${provider.providers[0].options.path}/driftwatch.json`);
  });
});

describe('Grafana provisioning', () => {
  const datasources = parseYaml(read('config/grafana/provisioning/datasources/influxdb.yml')) as {
    apiVersion: number;
    datasources: { uid: string; type: string; url: string; jsonData: Record<string, string>; secureJsonData: Record<string, string> }[];
  };
  const ds = datasources.datasources[0];
  const dashboard = loadDashboard();

  it('provisions an InfluxDB (Flux) datasource from the grafana service environment', () => {
    expect(datasources.apiVersion).toBe(1);
    expect(datasources.datasources).toHaveLength(1);
    expect(ds.type).toBe('influxdb');
    expect(ds.jsonData.version).toBe('Flux');
    const grafanaEnv = environment(service('grafana'));
    const text = JSON.stringify(ds);
    const referenced = [...text.matchAll(/\$\{?([A-Z_]+)\}?/g)].map((m) => m[1]);
    expect(new Set(referenced)).toEqual(new Set(['INFLUX_URL', 'INFLUX_ORG', 'INFLUX_BUCKET', 'INFLUX_TOKEN']));
    for (const name of referenced) expect(grafanaEnv[name], name).toBeDefined();
    expect(ds.secureJsonData.token).toBe('$INFLUX_TOKEN');
  });

  it('has a dashboard whose panels and variables all use the provisioned datasource', () => {
    expect(dashboard.uid).toBe('driftwatch');
    const uids = new Set<string>();
    const walk = (node: unknown): void => {
      if (Array.isArray(node)) node.forEach(walk);
      else if (node && typeof node === 'object') {
        const o = node as Record<string, unknown>;
        const d = o.datasource as { type?: string; uid?: string } | undefined;
        if (d && typeof d === 'object' && d.type === 'influxdb') uids.add(String(d.uid));
        Object.values(o).forEach(walk);
      }
    };
    walk(dashboard);
    expect([...uids]).toEqual([ds.uid]);
    expect(dashboard.templating.list.map((v) => v.name)).toEqual(['bucket', 'model', 'feature']);
  });

  it('queries only measurements, fields and tags that pointsOf writes', () => {
    // A model with outputs: its points carry the kind tag the outputs' panel and the feature variable read.
    const evaluations = seededEvaluations({ model: 'm', windows: 2, driftFrom: 1, firstEnd: new Date('2026-11-26T10:00:00Z'), slideMs: 60_000, outputs: true, multivariate: true });
    const schema = writtenSchema(evaluations);
    expect([...schema.keys()].sort()).toEqual(['drift_check', 'feature_drift']);
    const columns = new Set(['_time', '_value', '_field', '_measurement', '_start', '_stop']);
    const queries = dashboardQueries(dashboard);
    expect(queries.length).toBeGreaterThanOrEqual(10);
    for (const { where, query } of queries) {
      const measurements = [...query.matchAll(/_measurement\s*==\s*"([^"]*)"/g)].map((m) => m[1]);
      expect(measurements.length, `${where}: no _measurement filter`).toBeGreaterThan(0);
      for (const m of measurements) expect(schema.has(m), `${where}: measurement ${m}`).toBe(true);
      const fields = new Set([...query.matchAll(/_field\s*==\s*"([^"]*)"/g)].map((m) => m[1]));
      const tags = new Set([...query.matchAll(/\br\.(\w+)/g)].map((m) => m[1]).filter((c) => !columns.has(c)));
      const keep = [...query.matchAll(/keep\(columns:\s*\[([^\]]*)\]\)/g)].flatMap((m) => [...m[1].matchAll(/"([^"]*)"/g)].map((c) => c[1]));
      const pivoted = /\bpivot\(/.test(query);
      for (const m of measurements) {
        const { tags: mTags, fields: mFields } = schema.get(m)!;
        for (const f of fields) expect(mFields.has(f), `${where}: field ${f} is not written to ${m}`).toBe(true);
        for (const t of tags) expect(mTags.has(t), `${where}: tag ${t} is not written to ${m}`).toBe(true);
        for (const c of keep) {
          const ok = columns.has(c) || mTags.has(c) || (pivoted && mFields.has(c));
          expect(ok, `${where}: keeps column ${c}, which ${m} does not have`).toBe(true);
        }
      }
    }
  });

  it('covers what the brief asks for, with the Grafana macros and variables, and no packages 1.8 lacks', () => {
    const queries = dashboardQueries(dashboard);
    const fieldsShown = new Set(queries.flatMap(({ query }) => [...query.matchAll(/_field\s*==\s*"([^"]*)"/g)].map((m) => m[1])));
    for (const f of ['score', 'psi', 'ks', 'drift_detected', 'max_drift_score', 'sample_count', 'late_events', 'invalid_events', 'duration_ms']) {
      expect(fieldsShown.has(f), `no panel shows ${f}`).toBe(true);
    }
    for (const { where, kind, query } of queries) {
      expect(query, where).toMatch(/^from\(bucket: "\$\{bucket\}"\)/);
      expect(query, where).toContain('range(start: v.timeRangeStart, stop: v.timeRangeStop)');
      // No imports: `influxdata/influxdb/schema` is absent from InfluxDB 1.8's Flux, `v1` is deprecated in 2.x.
      expect(query, where).not.toMatch(/\bimport\b/);
      if (kind === 'timeseries' || kind === 'state-timeline') expect(query, where).toContain('aggregateWindow(every: v.windowPeriod');
      if (kind !== 'variable' && where !== 'variable model') expect(query, where).toContain('r.model == "${model}"');
      if (/feature_drift/.test(query) && kind !== 'variable' && !isOutputQuery(query)) expect(query, where).toContain('r.feature =~ /^${feature:regex}$/');
    }
    // The score panel draws the threshold line.
    const score = dashboard.panels.find((p) => p.title === 'Drift score per feature') as unknown as {
      fieldConfig: { defaults: { custom: { thresholdsStyle: { mode: string } }; thresholds: { steps: { value: number | null }[] } } };
    };
    expect(score.fieldConfig.defaults.custom.thresholdsStyle.mode).not.toBe('off');
    expect(score.fieldConfig.defaults.thresholds.steps.map((s) => s.value)).toEqual([null, 0.3]);
  });
});
