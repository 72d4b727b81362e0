// vitest globalSetup of the `integration` project: makes the real services available and
// provides their coordinates to the tests (see ./provided.d.ts): Kafka, InfluxDB 1.8 and 2.7,
// PostgreSQL 15, Redis 7, the prometheus/promtool binaries and an MLflow tracking server binary.
//
// Where each service comes from, in this order:
//   1. external        its environment variable is set: use it, nothing is started or stopped.
//                        Kafka       KAFKA_BROKERS
//                        InfluxDB    INFLUX_URL (INFLUX_TOKEN, INFLUX_ORG, INFLUX_BUCKET optional)
//                        InfluxDB 2  INFLUX2_URL + INFLUX2_TOKEN (INFLUX2_ORG, INFLUX2_BUCKET optional)
//                        PostgreSQL  PG_URL     (postgres://user:password@host:port/db)
//                        Redis       REDIS_URL  (redis://:password@host:port)
//                        Prometheus  PROMETHEUS_BINARY + PROMTOOL_BINARY
//                        MLflow      MLFLOW_BINARY (the `mlflow` script of an environment with mlflow)
//   2. testcontainers  a Docker engine is reachable: Kafka (confluentinc/cp-kafka, KRaft),
//                      influxdb:2.7 (serves as both InfluxDB coordinates), postgres:15, redis:7,
//                      stopped again after the run. Prometheus and MLflow binaries still come from up.sh.
//   3. local           otherwise `bash test/services/up.sh` for the rest: builds and starts them on
//                      127.0.0.1 (minutes on a cold machine, ~20 min for InfluxDB 2.7; no vitest
//                      timeout applies to globalSetup, our own limit is DRIFTWATCH_SERVICES_TIMEOUT_S,
//                      default 3600 s). They are LEFT RUNNING after the run, so the next run starts
//                      in seconds; stop them with `npm run services:down` (.ci/run does so in its
//                      exit trap). DRIFTWATCH_STOP_SERVICES=1 stops them in teardown.
// DRIFTWATCH_SERVICE_FLAVOR=local|testcontainers|external forces one of them for all services
// (external: every variable above must be set).
//
// DRIFTWATCH_SERVICES (as for up.sh) can leave services out: outside CI their coordinates are
// then provided as '' and the tests that need them skip. With CI=true nothing may be skipped:
// if a service cannot be had, setup throws with the reason (and so the integration project fails).
import { spawn } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { ServiceFlavor } from './provided.js';

type ServiceName = 'kafka' | 'influxdb' | 'influxdb2' | 'prometheus' | 'postgres' | 'redis' | 'mlflow';
const ALL: ServiceName[] = ['kafka', 'influxdb', 'influxdb2', 'prometheus', 'postgres', 'redis', 'mlflow'];
/** Binaries the tests start themselves: never from testcontainers. */
const BINARIES: ServiceName[] = ['prometheus', 'mlflow'];

interface Services {
  kafkaBrokers: string;
  influxUrl: string;
  influxToken: string;
  influxOrg: string;
  influxBucket: string;
  influx2Url: string;
  influx2Token: string;
  influx2Org: string;
  influx2Bucket: string;
  postgresUrl: string;
  redisUrl: string;
  prometheusBinary: string;
  promtoolBinary: string;
  prometheusPort: number;
  mlflowBinary: string;
  mlflowPort: number;
  serviceFlavor: ServiceFlavor;
}
type Partial2 = Partial<Omit<Services, 'serviceFlavor'>>;

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));
const isCI = process.env.CI === 'true' || process.env.CI === '1';

// InfluxDB 1.8 with auth disabled ignores the token's value but needs the header's form.
const DEFAULT_INFLUX_TOKEN = 'driftwatch:driftwatch';
const DEFAULT_INFLUX_ORG = 'driftwatch';
const DEFAULT_INFLUX_BUCKET = 'driftwatch/autogen';
const DEFAULT_INFLUX2_ORG = 'driftwatch';
const DEFAULT_INFLUX2_BUCKET = 'driftwatch';
const DEFAULT_PROMETHEUS_PORT = 9090;
const DEFAULT_MLFLOW_PORT = 5055;

// Images for the testcontainers path. cp-kafka 8.x is Apache Kafka 4.x in KRaft mode.
const KAFKA_IMAGE = process.env.DRIFTWATCH_KAFKA_IMAGE ?? 'confluentinc/cp-kafka:8.0.0';
const INFLUX_IMAGE = process.env.DRIFTWATCH_INFLUX_IMAGE ?? 'influxdb:2.7';
const POSTGRES_IMAGE = process.env.DRIFTWATCH_POSTGRES_IMAGE ?? 'postgres:15';
const REDIS_IMAGE = process.env.DRIFTWATCH_REDIS_IMAGE ?? 'redis:7';

function log(msg: string): void {
  process.stderr.write(`[global-setup] ${msg}\n`);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const forced = process.env.DRIFTWATCH_SERVICE_FLAVOR as ServiceFlavor | undefined;
  if (forced && !['local', 'testcontainers', 'external'].includes(forced)) {
    throw new Error(`DRIFTWATCH_SERVICE_FLAVOR must be local, testcontainers or external, not '${forced}'`);
  }
  const wanted = wantedServices();
  const started = Date.now();
  const teardowns: Array<() => Promise<void>> = [];

  // 1. external, per service
  const got: Partial2 = await external(wanted, forced === 'external');
  const gotService = (s: ServiceName): boolean => provides(got, s);
  let missing = wanted.filter((s) => !gotService(s));
  // serviceFlavor names where Kafka (else the first service wanted) comes from.
  const lead: ServiceName | undefined = wanted[0];
  let flavor: ServiceFlavor = lead && missing.includes(lead) ? 'local' : 'external';

  // 2. testcontainers, for what is left (not the prometheus and mlflow binaries)
  if (missing.length > 0 && (forced === 'testcontainers' || (!forced && (await dockerAvailable())))) {
    const tc = await withTestcontainers(missing.filter((s) => !BINARIES.includes(s)));
    Object.assign(got, tc.services);
    teardowns.push(tc.teardown);
    if (lead && missing.includes(lead) && !BINARIES.includes(lead)) flavor = 'testcontainers';
    missing = missing.filter((s) => !gotService(s));
  }

  // 3. local, for what is still left
  if (missing.length > 0) {
    const lc = await local(missing);
    Object.assign(got, lc.services);
    if (lc.teardown) teardowns.push(lc.teardown);
    missing = missing.filter((s) => !gotService(s));
    if (missing.length > 0) throw new Error(`test/services/up.sh did not provide: ${missing.join(', ')}`);
  }

  const services: Services = {
    kafkaBrokers: '',
    influxUrl: '',
    influxToken: '',
    influxOrg: '',
    influxBucket: '',
    influx2Url: '',
    influx2Token: '',
    influx2Org: '',
    influx2Bucket: '',
    postgresUrl: '',
    redisUrl: '',
    prometheusBinary: '',
    promtoolBinary: '',
    prometheusPort: DEFAULT_PROMETHEUS_PORT,
    mlflowBinary: '',
    mlflowPort: DEFAULT_MLFLOW_PORT,
    ...got,
    serviceFlavor: flavor,
  };
  log(
    `${flavor} services ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ` +
      [
        services.kafkaBrokers && `kafka ${services.kafkaBrokers}`,
        services.influxUrl && `influxdb ${services.influxUrl} (bucket ${services.influxBucket})`,
        services.influx2Url && `influxdb2 ${services.influx2Url} (bucket ${services.influx2Bucket})`,
        services.postgresUrl && `postgres ${redact(services.postgresUrl)}`,
        services.redisUrl && `redis ${redact(services.redisUrl)}`,
        services.prometheusBinary && `prometheus ${services.prometheusBinary}`,
        services.mlflowBinary && `mlflow ${services.mlflowBinary}`,
      ]
        .filter(Boolean)
        .join(', '),
  );
  const left = ALL.filter((s) => !wanted.includes(s));
  if (left.length > 0) log(`not provided (left out by DRIFTWATCH_SERVICES): ${left.join(', ')}; their tests skip`);

  for (const [key, value] of Object.entries(services) as Array<[keyof Services, Services[keyof Services]]>) {
    project.provide(key, value as never);
  }
  return teardowns.length > 0
    ? async () => {
        await Promise.allSettled(teardowns.map((t) => t()));
      }
    : undefined;
}

/** Which services the tests get: DRIFTWATCH_SERVICES (as for up.sh), all by default; in CI all. */
function wantedServices(): ServiceName[] {
  const raw = process.env.DRIFTWATCH_SERVICES?.trim();
  if (!raw) return [...ALL];
  const names = raw.split(/\s+/);
  const unknown = names.filter((n) => !ALL.includes(n as ServiceName));
  if (unknown.length > 0) throw new Error(`DRIFTWATCH_SERVICES: unknown service(s) ${unknown.join(', ')} (known: ${ALL.join(' ')})`);
  const wanted = ALL.filter((s) => names.includes(s));
  const left = ALL.filter((s) => !wanted.includes(s));
  if (isCI && left.length > 0) {
    throw new Error(
      `CI=true and DRIFTWATCH_SERVICES='${raw}' leaves out ${left.join(', ')}: in CI every service must be provided ` +
        `(nothing may be skipped). Unset DRIFTWATCH_SERVICES or provide them through their environment variables.`,
    );
  }
  return wanted;
}

function provides(got: Partial2, s: ServiceName): boolean {
  switch (s) {
    case 'kafka':
      return !!got.kafkaBrokers;
    case 'influxdb':
      return !!got.influxUrl;
    case 'influxdb2':
      return !!got.influx2Url && !!got.influx2Token;
    case 'postgres':
      return !!got.postgresUrl;
    case 'redis':
      return !!got.redisUrl;
    case 'prometheus':
      return !!got.prometheusBinary && !!got.promtoolBinary;
    case 'mlflow':
      return !!got.mlflowBinary;
  }
}

function redact(url: string): string {
  return url.replace(/\/\/([^:@/]*):[^@/]*@/, '//$1:***@');
}

// ------------------------------------------------------------------------------------------
// 1. external
// ------------------------------------------------------------------------------------------
async function external(wanted: ServiceName[], all: boolean): Promise<Partial2> {
  const env = process.env;
  const out: Partial2 = {};
  const want = (s: ServiceName): boolean => wanted.includes(s);
  if (want('kafka') && env.KAFKA_BROKERS) {
    const first = env.KAFKA_BROKERS.split(',')[0]!.trim();
    const [host, port] = splitHostPort(first, 9092);
    if (!(await tcpReachable(host, port, 5000))) throw new Error(`KAFKA_BROKERS=${env.KAFKA_BROKERS}: cannot connect to ${host}:${port}`);
    out.kafkaBrokers = env.KAFKA_BROKERS;
  }
  if (want('influxdb') && env.INFLUX_URL) {
    await expectPing('INFLUX_URL', env.INFLUX_URL);
    Object.assign(out, {
      influxUrl: env.INFLUX_URL.replace(/\/+$/, ''),
      influxToken: env.INFLUX_TOKEN ?? DEFAULT_INFLUX_TOKEN,
      influxOrg: env.INFLUX_ORG ?? DEFAULT_INFLUX_ORG,
      influxBucket: env.INFLUX_BUCKET ?? DEFAULT_INFLUX_BUCKET,
    });
  }
  if (want('influxdb2') && env.INFLUX2_URL) {
    if (!env.INFLUX2_TOKEN) throw new Error('INFLUX2_URL is set but INFLUX2_TOKEN is not (an operator or all-access token)');
    await expectPing('INFLUX2_URL', env.INFLUX2_URL);
    Object.assign(out, {
      influx2Url: env.INFLUX2_URL.replace(/\/+$/, ''),
      influx2Token: env.INFLUX2_TOKEN,
      influx2Org: env.INFLUX2_ORG ?? DEFAULT_INFLUX2_ORG,
      influx2Bucket: env.INFLUX2_BUCKET ?? DEFAULT_INFLUX2_BUCKET,
    });
  }
  for (const [name, key, variable, defaultPort] of [
    ['postgres', 'postgresUrl', 'PG_URL', 5432],
    ['redis', 'redisUrl', 'REDIS_URL', 6379],
  ] as const) {
    const url = env[variable];
    if (!want(name) || !url) continue;
    let parsed: URL;
    try {
      parsed = new URL(url);
    } catch {
      throw new Error(`${variable} is not a URL`);
    }
    const port = parsed.port ? Number(parsed.port) : defaultPort;
    if (!(await tcpReachable(parsed.hostname, port, 5000))) throw new Error(`${variable}: cannot connect to ${parsed.hostname}:${port}`);
    out[key] = url;
  }
  if (want('prometheus') && (env.PROMETHEUS_BINARY || env.PROMTOOL_BINARY)) {
    if (!env.PROMETHEUS_BINARY || !env.PROMTOOL_BINARY) throw new Error('set both PROMETHEUS_BINARY and PROMTOOL_BINARY (or neither)');
    out.prometheusBinary = env.PROMETHEUS_BINARY;
    out.promtoolBinary = env.PROMTOOL_BINARY;
  }
  out.prometheusPort = Number(env.DRIFTWATCH_PROMETHEUS_PORT ?? DEFAULT_PROMETHEUS_PORT);
  if (want('mlflow') && env.MLFLOW_BINARY) out.mlflowBinary = env.MLFLOW_BINARY;
  out.mlflowPort = Number(env.DRIFTWATCH_MLFLOW_PORT ?? DEFAULT_MLFLOW_PORT);
  if (all) {
    const missing = wanted.filter((s) => !provides(out, s));
    if (missing.length > 0) {
      throw new Error(
        `DRIFTWATCH_SERVICE_FLAVOR=external needs every service from the environment; missing: ${missing.join(', ')} ` +
          `(KAFKA_BROKERS, INFLUX_URL, INFLUX2_URL + INFLUX2_TOKEN, PG_URL, REDIS_URL, PROMETHEUS_BINARY + PROMTOOL_BINARY, MLFLOW_BINARY)`,
      );
    }
  }
  return out;
}

async function expectPing(variable: string, url: string): Promise<void> {
  const ping = await fetch(new URL('/ping', url)).catch((e: unknown) => e as Error);
  if (ping instanceof Error || ping.status !== 204) {
    throw new Error(`${variable}=${url}: GET /ping did not answer 204 (${ping instanceof Error ? ping.message : ping.status})`);
  }
}

// ------------------------------------------------------------------------------------------
// 2. testcontainers
// ------------------------------------------------------------------------------------------
async function dockerAvailable(): Promise<boolean> {
  try {
    const { getContainerRuntimeClient } = await import('testcontainers');
    await withTimeout(getContainerRuntimeClient(), 15_000, 'probing for a container runtime');
    return true;
  } catch {
    return false;
  }
}

async function withTestcontainers(which: ServiceName[]): Promise<{ services: Partial2; teardown: () => Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const want = (s: ServiceName): boolean => which.includes(s);
  const org = 'driftwatch';
  const bucket = 'driftwatch';
  // Throwaway containers; random anyway so that nothing depends on a known value.
  const influxToken = randomBytes(24).toString('base64url');
  const pgPassword = randomBytes(24).toString('base64url');
  const redisPassword = randomBytes(24).toString('base64url');
  const images = [want('kafka') && KAFKA_IMAGE, (want('influxdb') || want('influxdb2')) && INFLUX_IMAGE, want('postgres') && POSTGRES_IMAGE, want('redis') && REDIS_IMAGE].filter(
    Boolean,
  );
  log(`testcontainers: starting ${images.join(', ')}`);
  const stoppers: Array<() => Promise<unknown>> = [];
  const services: Partial2 = {};
  const tasks: Array<Promise<void>> = [];

  if (want('kafka')) {
    tasks.push(
      (async () => {
        const { KafkaContainer } = await import('@testcontainers/kafka');
        const kafka = await new KafkaContainer(KAFKA_IMAGE).start();
        stoppers.push(() => kafka.stop());
        // KafkaContainer's PLAINTEXT listener for the host is the container's port 9093.
        services.kafkaBrokers = `${kafka.getHost()}:${kafka.getMappedPort(9093)}`;
      })(),
    );
  }
  if (want('influxdb') || want('influxdb2')) {
    tasks.push(
      (async () => {
        const influx = await new GenericContainer(INFLUX_IMAGE)
          .withExposedPorts(8086)
          .withEnvironment({
            DOCKER_INFLUXDB_INIT_MODE: 'setup',
            DOCKER_INFLUXDB_INIT_USERNAME: 'driftwatch',
            DOCKER_INFLUXDB_INIT_PASSWORD: randomBytes(18).toString('base64url'),
            DOCKER_INFLUXDB_INIT_ORG: org,
            DOCKER_INFLUXDB_INIT_BUCKET: bucket,
            DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: influxToken,
          })
          // The image's entrypoint runs the initial setup on another port, then starts the real
          // server on 8086: a 204 there means org, bucket and token exist.
          .withWaitStrategy(Wait.forHttp('/ping', 8086).forStatusCode(204))
          .withStartupTimeout(180_000)
          .start();
        stoppers.push(() => influx.stop());
        const url = `http://${influx.getHost()}:${influx.getMappedPort(8086)}`;
        // No InfluxDB 1.8 container: the 2.7 one serves both sets of coordinates.
        if (want('influxdb')) Object.assign(services, { influxUrl: url, influxToken, influxOrg: org, influxBucket: bucket });
        if (want('influxdb2')) Object.assign(services, { influx2Url: url, influx2Token: influxToken, influx2Org: org, influx2Bucket: bucket });
      })(),
    );
  }
  if (want('postgres')) {
    tasks.push(
      (async () => {
        const pg = await new GenericContainer(POSTGRES_IMAGE)
          .withExposedPorts(5432)
          .withEnvironment({ POSTGRES_USER: 'driftwatch', POSTGRES_PASSWORD: pgPassword, POSTGRES_DB: 'driftwatch' })
          // The entrypoint starts a temporary server for init scripts, then the real one.
          .withWaitStrategy(Wait.forLogMessage(/database system is ready to accept connections/, 2))
          .withStartupTimeout(120_000)
          .start();
        stoppers.push(() => pg.stop());
        services.postgresUrl = `postgres://driftwatch:${pgPassword}@${pg.getHost()}:${pg.getMappedPort(5432)}/driftwatch`;
      })(),
    );
  }
  if (want('redis')) {
    tasks.push(
      (async () => {
        const redis = await new GenericContainer(REDIS_IMAGE)
          .withExposedPorts(6379)
          .withCommand(['redis-server', '--requirepass', redisPassword, '--save', '', '--appendonly', 'no'])
          .withWaitStrategy(Wait.forLogMessage(/Ready to accept connections/))
          .withStartupTimeout(60_000)
          .start();
        stoppers.push(() => redis.stop());
        services.redisUrl = `redis://:${redisPassword}@${redis.getHost()}:${redis.getMappedPort(6379)}`;
      })(),
    );
  }
  const teardown = async (): Promise<void> => {
    await Promise.allSettled(stoppers.map((s) => s()));
  };
  const results = await Promise.allSettled(tasks);
  const failed = results.find((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed) {
    await teardown();
    throw failed.reason instanceof Error ? failed.reason : new Error(String(failed.reason));
  }
  return { services, teardown };
}

// ------------------------------------------------------------------------------------------
// 3. local (test/services/up.sh)
// ------------------------------------------------------------------------------------------
async function local(which: ServiceName[]): Promise<{ services: Partial2; teardown: (() => Promise<void>) | undefined }> {
  const timeoutS = Number(process.env.DRIFTWATCH_SERVICES_TIMEOUT_S ?? 3600);
  log(`provisioning local services with test/services/up.sh: ${which.join(' ')}`);
  log('(on a cold machine the Maven fetch and the Go/Rust builds take minutes, InfluxDB 2.7 about 20; progress follows)');
  const { code, stdout } = await runScript('test/services/up.sh', timeoutS, { DRIFTWATCH_SERVICES: which.join(' ') });
  if (code !== 0) {
    throw new Error(
      `test/services/up.sh failed (exit ${code}); its output above names the failing step and log. ` +
        `Integration tests need ${which.join(', ')}: fix that, or point the environment variables ` +
        `(KAFKA_BROKERS, INFLUX_URL, INFLUX2_URL, PG_URL, REDIS_URL, ...) at your own, ` +
        `or run only unit tests with \`npm run test:unit\`.`,
    );
  }
  const env = Object.fromEntries(
    stdout
      .split('\n')
      .map((line) => /^([A-Z0-9_]+)=(.*)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  ) as Record<string, string | undefined>;
  const secret = async (variable: string): Promise<string> => {
    const file = env[variable];
    if (!file) throw new Error(`test/services/up.sh printed no ${variable}`);
    const value = (await readFile(file, 'utf8')).trim();
    if (!value) throw new Error(`${file} (${variable}) is empty`);
    return value;
  };
  const services: Partial2 = {};
  const want = (s: ServiceName): boolean => which.includes(s);
  if (want('kafka')) services.kafkaBrokers = env.KAFKA_BROKERS ?? '127.0.0.1:9092';
  if (want('influxdb')) {
    Object.assign(services, {
      influxUrl: env.INFLUX_URL ?? 'http://127.0.0.1:8086',
      influxToken: env.INFLUX_TOKEN ?? DEFAULT_INFLUX_TOKEN,
      influxOrg: env.INFLUX_ORG ?? DEFAULT_INFLUX_ORG,
      influxBucket: env.INFLUX_BUCKET ?? DEFAULT_INFLUX_BUCKET,
    });
  }
  if (want('influxdb2')) {
    Object.assign(services, {
      influx2Url: env.INFLUX2_URL ?? 'http://127.0.0.1:8087',
      influx2Token: await secret('INFLUX2_TOKEN_FILE'),
      influx2Org: env.INFLUX2_ORG ?? DEFAULT_INFLUX2_ORG,
      influx2Bucket: env.INFLUX2_BUCKET ?? DEFAULT_INFLUX2_BUCKET,
    });
  }
  if (want('postgres')) {
    const password = encodeURIComponent(await secret('PG_PASSWORD_FILE'));
    services.postgresUrl = `postgres://${env.PG_USER ?? 'driftwatch'}:${password}@${env.PG_HOST ?? '127.0.0.1'}:${env.PG_PORT ?? 5432}/${env.PG_DATABASE ?? 'driftwatch'}`;
  }
  if (want('redis')) {
    const password = encodeURIComponent(await secret('REDIS_PASSWORD_FILE'));
    services.redisUrl = `redis://:${password}@${env.REDIS_HOST ?? '127.0.0.1'}:${env.REDIS_PORT ?? 6379}`;
  }
  if (want('prometheus')) {
    services.prometheusBinary = env.PROMETHEUS_BINARY;
    services.promtoolBinary = env.PROMTOOL_BINARY;
    services.prometheusPort = Number(env.PROMETHEUS_PORT ?? DEFAULT_PROMETHEUS_PORT);
  }
  if (want('mlflow')) {
    services.mlflowBinary = env.MLFLOW_BINARY;
    services.mlflowPort = Number(env.MLFLOW_PORT ?? DEFAULT_MLFLOW_PORT);
  }
  const stop = process.env.DRIFTWATCH_STOP_SERVICES === '1' || process.env.DRIFTWATCH_STOP_SERVICES === 'true';
  return {
    services,
    teardown: stop
      ? async () => {
          await runScript('test/services/down.sh', 120);
        }
      : undefined,
  };
}

/** Runs a bash script from the repo, passing its stderr through, capturing its stdout. */
function runScript(script: string, timeoutS: number, env: Record<string, string> = {}): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, ...env } });
    let stdout = '';
    child.stdout.setEncoding('utf8').on('data', (chunk: string) => {
      stdout += chunk;
    });
    child.stderr.on('data', (chunk: Buffer) => process.stderr.write(chunk));
    const timer = setTimeout(() => {
      log(`${script} still running after ${timeoutS}s: killing it`);
      child.kill('SIGTERM');
    }, timeoutS * 1000);
    child.on('error', (err) => {
      clearTimeout(timer);
      reject(new Error(`cannot run ${script}: ${err.message}`));
    });
    child.on('close', (code, signal) => {
      clearTimeout(timer);
      resolve({ code: code ?? (signal ? 128 : 1), stdout });
    });
  });
}

// ------------------------------------------------------------------------------------------
// helpers
// ------------------------------------------------------------------------------------------
function splitHostPort(hostPort: string, defaultPort: number): [string, number] {
  const m = /^\[?([^\]]+?)\]?(?::(\d+))?$/.exec(hostPort.replace(/^[A-Z_]+:\/\//, ''));
  return [m?.[1] ?? hostPort, m?.[2] ? Number(m[2]) : defaultPort];
}

function tcpReachable(host: string, port: number, timeoutMs: number): Promise<boolean> {
  return new Promise((resolve) => {
    const socket = connect({ host, port });
    const done = (ok: boolean): void => {
      socket.destroy();
      resolve(ok);
    };
    socket.setTimeout(timeoutMs, () => done(false));
    socket.once('connect', () => done(true));
    socket.once('error', () => done(false));
  });
}

function withTimeout<T>(promise: Promise<T>, ms: number, what: string): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    promise,
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`timed out after ${ms} ms ${what}`)), ms);
    }),
  ]).finally(() => clearTimeout(timer));
}
