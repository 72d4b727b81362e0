/**
 * Where the feature-store benchmarks find PostgreSQL and Redis: BENCH_PG_URL / BENCH_REDIS_URL,
 * else `test/services/up.sh` (which reuses the services `npm run services:up` started, or starts
 * them; DRIFTWATCH_SERVICES_DIR and DRIFTWATCH_POSTGRES_PORT / DRIFTWATCH_REDIS_PORT give a
 * private pair, so a million-row table does not land in a shared server).
 */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('../..', import.meta.url));

function upSh(service: 'postgres' | 'redis'): Record<string, string> {
  const out = execFileSync('bash', ['test/services/up.sh'], {
    cwd: root,
    env: { ...process.env, DRIFTWATCH_SERVICES: service },
    encoding: 'utf8',
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  return Object.fromEntries(
    out
      .split('\n')
      .map((l) => /^([A-Z0-9_]+)=(.*)$/.exec(l.trim()))
      .filter((m): m is RegExpExecArray => m !== null)
      .map((m) => [m[1]!, m[2]!]),
  );
}

export function postgresUrl(): string {
  if (process.env.BENCH_PG_URL) return process.env.BENCH_PG_URL;
  const e = upSh('postgres');
  const password = encodeURIComponent(readFileSync(e.PG_PASSWORD_FILE!, 'utf8').trim());
  return `postgres://${e.PG_USER}:${password}@${e.PG_HOST}:${e.PG_PORT}/${e.PG_DATABASE}`;
}

export function redisUrl(): string {
  if (process.env.BENCH_REDIS_URL) return process.env.BENCH_REDIS_URL;
  const e = upSh('redis');
  const password = encodeURIComponent(readFileSync(e.REDIS_PASSWORD_FILE!, 'utf8').trim());
  return `redis://:${password}@${e.REDIS_HOST}:${e.REDIS_PORT}`;
}

/** Value, median and range of several measured runs, for the figure's note. */
export function spread(xs: readonly number[], digits = 0): string {
  const s = [...xs].sort((a, b) => a - b);
  return `runs ${xs.map((x) => x.toFixed(digits)).join(', ')} (range ${s[0]!.toFixed(digits)}–${s[s.length - 1]!.toFixed(digits)})`;
}
