// vitest globalSetup of the `integration` project: makes a real Kafka broker and a real
// InfluxDB available and provides their coordinates to the tests (see ./provided.d.ts).
//
// Where the services come from, in this order:
//   1. external        KAFKA_BROKERS and INFLUX_URL are set: use them (INFLUX_TOKEN, INFLUX_ORG,
//                      INFLUX_BUCKET optional, defaults below). Nothing is started or stopped.
//   2. testcontainers  a Docker engine is reachable: Kafka (confluentinc/cp-kafka, KRaft) and
//                      InfluxDB 2.7 containers, stopped again after the run.
//   3. local           otherwise `bash test/services/up.sh`: Kafka from Maven Central and influxd
//                      built with Go, on 127.0.0.1. Minutes on a cold machine; no vitest timeout
//                      applies to globalSetup, our own limit is DRIFTWATCH_SERVICES_TIMEOUT_S
//                      (default 1800 s). The services are LEFT RUNNING after the run, so the next
//                      run starts in seconds; stop them with `npm run services:down` (.ci/run
//                      does so in its exit trap). DRIFTWATCH_STOP_SERVICES=1 stops them in teardown.
// DRIFTWATCH_SERVICE_FLAVOR=local|testcontainers|external forces one of them.
//
// The services must be there: if they cannot be had, setup throws with the reason (and so
// the integration project fails, it never skips). Unit tests alone: `npm run test:unit`.
import { spawn } from 'node:child_process';
import { connect } from 'node:net';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';
import type { ServiceFlavor } from './provided.js';

interface Services {
  kafkaBrokers: string;
  influxUrl: string;
  influxToken: string;
  influxOrg: string;
  influxBucket: string;
  serviceFlavor: ServiceFlavor;
}

const repoRoot = fileURLToPath(new URL('../..', import.meta.url));

// InfluxDB 1.8 with auth disabled ignores the token's value but needs the header's form.
const DEFAULT_INFLUX_TOKEN = 'driftwatch:driftwatch';
const DEFAULT_INFLUX_ORG = 'driftwatch';
const DEFAULT_INFLUX_BUCKET = 'driftwatch/autogen';

// Images for the testcontainers path. cp-kafka 8.x is Apache Kafka 4.x in KRaft mode.
const KAFKA_IMAGE = process.env.DRIFTWATCH_KAFKA_IMAGE ?? 'confluentinc/cp-kafka:8.0.0';
const INFLUX_IMAGE = process.env.DRIFTWATCH_INFLUX_IMAGE ?? 'influxdb:2.7';

function log(msg: string): void {
  process.stderr.write(`[global-setup] ${msg}\n`);
}

export default async function setup(project: TestProject): Promise<(() => Promise<void>) | undefined> {
  const forced = process.env.DRIFTWATCH_SERVICE_FLAVOR as ServiceFlavor | undefined;
  if (forced && !['local', 'testcontainers', 'external'].includes(forced)) {
    throw new Error(`DRIFTWATCH_SERVICE_FLAVOR must be local, testcontainers or external, not '${forced}'`);
  }

  let services: Services;
  let teardown: (() => Promise<void>) | undefined;
  const started = Date.now();

  if (forced === 'external' || (!forced && process.env.KAFKA_BROKERS && process.env.INFLUX_URL)) {
    services = await external();
  } else if (forced === 'testcontainers' || (!forced && (await dockerAvailable()))) {
    ({ services, teardown } = await withTestcontainers());
  } else {
    ({ services, teardown } = await local());
  }

  log(
    `${services.serviceFlavor} services ready in ${((Date.now() - started) / 1000).toFixed(1)}s: ` +
      `kafka ${services.kafkaBrokers}, influxdb ${services.influxUrl} (bucket ${services.influxBucket})`,
  );
  project.provide('kafkaBrokers', services.kafkaBrokers);
  project.provide('influxUrl', services.influxUrl);
  project.provide('influxToken', services.influxToken);
  project.provide('influxOrg', services.influxOrg);
  project.provide('influxBucket', services.influxBucket);
  project.provide('serviceFlavor', services.serviceFlavor);
  return teardown;
}

// ------------------------------------------------------------------------------------------
// 1. external
// ------------------------------------------------------------------------------------------
async function external(): Promise<Services> {
  const kafkaBrokers = process.env.KAFKA_BROKERS;
  const influxUrl = process.env.INFLUX_URL;
  if (!kafkaBrokers || !influxUrl) {
    throw new Error('DRIFTWATCH_SERVICE_FLAVOR=external needs KAFKA_BROKERS and INFLUX_URL');
  }
  const first = kafkaBrokers.split(',')[0]!.trim();
  const [host, port] = splitHostPort(first, 9092);
  if (!(await tcpReachable(host, port, 5000))) {
    throw new Error(`KAFKA_BROKERS=${kafkaBrokers}: cannot connect to ${host}:${port}`);
  }
  const ping = await fetch(new URL('/ping', influxUrl)).catch((e: unknown) => e as Error);
  if (ping instanceof Error || ping.status !== 204) {
    throw new Error(
      `INFLUX_URL=${influxUrl}: GET /ping did not answer 204 (${ping instanceof Error ? ping.message : ping.status})`,
    );
  }
  return {
    kafkaBrokers,
    influxUrl: influxUrl.replace(/\/+$/, ''),
    influxToken: process.env.INFLUX_TOKEN ?? DEFAULT_INFLUX_TOKEN,
    influxOrg: process.env.INFLUX_ORG ?? DEFAULT_INFLUX_ORG,
    influxBucket: process.env.INFLUX_BUCKET ?? DEFAULT_INFLUX_BUCKET,
    serviceFlavor: 'external',
  };
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

async function withTestcontainers(): Promise<{ services: Services; teardown: () => Promise<void> }> {
  const { GenericContainer, Wait } = await import('testcontainers');
  const { KafkaContainer } = await import('@testcontainers/kafka');
  const org = 'driftwatch';
  const bucket = 'driftwatch';
  const token = 'driftwatch-test-token'; // throwaway container, not a secret
  log(`testcontainers: starting ${KAFKA_IMAGE} and ${INFLUX_IMAGE}`);
  const [kafka, influx] = await Promise.all([
    new KafkaContainer(KAFKA_IMAGE).start(),
    new GenericContainer(INFLUX_IMAGE)
      .withExposedPorts(8086)
      .withEnvironment({
        DOCKER_INFLUXDB_INIT_MODE: 'setup',
        DOCKER_INFLUXDB_INIT_USERNAME: 'driftwatch',
        DOCKER_INFLUXDB_INIT_PASSWORD: 'driftwatch-password',
        DOCKER_INFLUXDB_INIT_ORG: org,
        DOCKER_INFLUXDB_INIT_BUCKET: bucket,
        DOCKER_INFLUXDB_INIT_ADMIN_TOKEN: token,
      })
      // The image's entrypoint runs the initial setup on another port, then starts the real
      // server on 8086: a 204 there means org, bucket and token exist.
      .withWaitStrategy(Wait.forHttp('/ping', 8086).forStatusCode(204))
      .withStartupTimeout(180_000)
      .start(),
  ]);
  return {
    services: {
      // KafkaContainer's PLAINTEXT listener for the host is the container's port 9093.
      kafkaBrokers: `${kafka.getHost()}:${kafka.getMappedPort(9093)}`,
      influxUrl: `http://${influx.getHost()}:${influx.getMappedPort(8086)}`,
      influxToken: token,
      influxOrg: org,
      influxBucket: bucket,
      serviceFlavor: 'testcontainers',
    },
    teardown: async () => {
      await Promise.allSettled([kafka.stop(), influx.stop()]);
    },
  };
}

// ------------------------------------------------------------------------------------------
// 3. local (test/services/up.sh)
// ------------------------------------------------------------------------------------------
async function local(): Promise<{ services: Services; teardown: (() => Promise<void>) | undefined }> {
  const timeoutS = Number(process.env.DRIFTWATCH_SERVICES_TIMEOUT_S ?? 1800);
  log('no KAFKA_BROKERS/INFLUX_URL and no Docker engine: provisioning local services with test/services/up.sh');
  log('(on a cold machine the Maven fetch and go build of influxd take minutes; progress follows)');
  const { code, stdout } = await runScript('test/services/up.sh', timeoutS);
  if (code !== 0) {
    throw new Error(
      `test/services/up.sh failed (exit ${code}); its output above names the failing step and log. ` +
        `Integration tests need Kafka and InfluxDB: fix that, or point KAFKA_BROKERS and INFLUX_URL ` +
        `at your own, or run only unit tests with \`npm run test:unit\`.`,
    );
  }
  const env = Object.fromEntries(
    stdout
      .split('\n')
      .map((line) => /^([A-Z_]+)=(.*)$/.exec(line.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1], m[2]]),
  ) as Record<string, string | undefined>;
  const services: Services = {
    kafkaBrokers: env.KAFKA_BROKERS ?? '127.0.0.1:9092',
    influxUrl: env.INFLUX_URL ?? 'http://127.0.0.1:8086',
    influxToken: env.INFLUX_TOKEN ?? DEFAULT_INFLUX_TOKEN,
    influxOrg: env.INFLUX_ORG ?? DEFAULT_INFLUX_ORG,
    influxBucket: env.INFLUX_BUCKET ?? DEFAULT_INFLUX_BUCKET,
    serviceFlavor: 'local',
  };
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
function runScript(script: string, timeoutS: number): Promise<{ code: number; stdout: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', [script], { cwd: repoRoot, stdio: ['ignore', 'pipe', 'pipe'] });
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
