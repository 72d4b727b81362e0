// vitest globalSetup of the `faults` project (test/faults/README in docs/testing.md, "Fault
// suite"): the suite stops, kills and restarts its servers, so it never uses the shared ones.
// It starts its OWN Kafka and InfluxDB 1.8 with test/services/up.sh on alternate ports and a
// state directory of its own, builds the CLI (the process under test is `node dist/app/cli.js
// run`), and stops and removes those servers again in teardown (DRIFTWATCH_FAULTS_KEEP=1 keeps
// them running for the next run).
//
// Ports (override with the same variables up.sh reads, prefixed FAULTS_): Kafka 19092
// (controller 19093), InfluxDB 18086 (RPC 18088).
import { spawn } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import type { TestProject } from 'vitest/node';

const root = fileURLToPath(new URL('../..', import.meta.url));

/** The environment every services script of the suite runs with: its own state dir and ports. */
export function faultServicesEnv(env: NodeJS.ProcessEnv = process.env): Record<string, string> {
  return {
    DRIFTWATCH_SERVICES_DIR: env.FAULTS_SERVICES_DIR ?? `${root}.services/faults`,
    DRIFTWATCH_SERVICES: 'kafka influxdb',
    DRIFTWATCH_KAFKA_PORT: env.FAULTS_KAFKA_PORT ?? '19092',
    DRIFTWATCH_KAFKA_CONTROLLER_PORT: env.FAULTS_KAFKA_CONTROLLER_PORT ?? '19093',
    DRIFTWATCH_INFLUX_PORT: env.FAULTS_INFLUX_PORT ?? '18086',
    DRIFTWATCH_INFLUX_RPC_PORT: env.FAULTS_INFLUX_RPC_PORT ?? '18088',
  };
}

function run(command: string, args: string[], env: Record<string, string>): Promise<string> {
  return new Promise((resolve, reject) => {
    const child = spawn(command, args, { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    let err = '';
    child.stdout.on('data', (c) => (out += c));
    child.stderr.on('data', (c) => (err += c));
    child.on('error', reject);
    child.on('exit', (code) => (code === 0 ? resolve(out) : reject(new Error(`${command} ${args.join(' ')} exited ${code}:\n${err.slice(-4000)}`))));
  });
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  const env = faultServicesEnv();
  const t0 = Date.now();
  const [up] = await Promise.all([run('bash', ['test/services/up.sh'], env), run('npm', ['run', '--silent', 'build'], {})]);
  const vars = Object.fromEntries(
    up
      .split('\n')
      .filter((l) => l.includes('='))
      .map((l) => [l.slice(0, l.indexOf('=')), l.slice(l.indexOf('=') + 1)]),
  );
  process.stderr.write(`[faults] own Kafka ${vars.KAFKA_BROKERS} and InfluxDB ${vars.INFLUX_URL} up, CLI built, in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  project.provide('faultKafkaBrokers', vars.KAFKA_BROKERS);
  project.provide('faultInfluxUrl', vars.INFLUX_URL);
  project.provide('faultServicesEnv', env);
  return async () => {
    if (process.env.DRIFTWATCH_FAULTS_KEEP === '1') return;
    await run('bash', ['test/services/down.sh'], env).catch((error: Error) => process.stderr.write(`[faults] down.sh: ${error.message}\n`));
  };
}
