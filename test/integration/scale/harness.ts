// What the real-broker tests of SCALE_MODE=partitioned share (partitioned.test.ts,
// partitioned-multivariate.test.ts): the stream's shape, the windows an uninterrupted run closes,
// the build of the CLI the instances run, the topics, and the instances' environment.
import { spawn } from 'node:child_process';
import type { DriftEvent } from '../../../src/core/detect/drift-event.js';
import { root, type Life } from '../../faults/lib.js';
import { rng } from '../../fixtures/random.js';
import { brokers, creditStream, type StreamEvent } from '../helpers.js';
import type { kafkaClient } from '../helpers.js';

export const MIN = 60_000;
export const WINDOW_MS = 2 * MIN;
export const SLIDE_MS = 30_000;
export const STREAM_MIN = 12;
export const LATENESS_MS = 5_000;
export const PARTITIONS = 6;
/** The first pane boundary at least STREAM_MIN + 1 minutes before now: the stream ends near the wall clock. */
export const streamStart = () => Math.floor((Date.now() - (STREAM_MIN + 1) * MIN) / SLIDE_MS) * SLIDE_MS;

export interface Keyed extends StreamEvent {
  partition: number;
  key: string;
}

/** STREAM_MIN minutes, 150 events a minute, drifting from minute 6; each event keyed by its request id on a random partition. */
export function keyedStream(start: number, seed: number): Keyed[] {
  const r = rng(seed);
  return creditStream(start, STREAM_MIN, 150, 6, seed + 1).map((e, i) => ({ ...e, key: `req-${i}`, partition: Math.floor(r.uniform() * PARTITIONS) }));
}

/** The window ends an uninterrupted run closes: up to the smallest partition progress (its second-largest event time) less the lateness. */
export function expectedEnds(events: Keyed[]): string[] {
  let wm = Infinity;
  for (let p = 0; p < PARTITIONS; p++) {
    const times = events
      .filter((e) => e.partition === p)
      .map((e) => e.timestampMs)
      .sort((a, b) => b - a);
    wm = Math.min(wm, times[1] - LATENESS_MS);
  }
  const first = Math.floor(Math.min(...events.map((e) => e.timestampMs)) / SLIDE_MS) * SLIDE_MS + SLIDE_MS;
  const ends: string[] = [];
  for (let end = first; end <= wm; end += SLIDE_MS) ends.push(new Date(end).toISOString());
  return ends;
}

/** `npm run build`: the instances run `node dist/app/cli.js run`. */
export function buildCli(): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('npm', ['run', '--silent', 'build'], { cwd: root, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`npm run build exited ${code}: ${err.slice(-2000)}`))));
  });
}

/**
 * Creates the topics. On a loaded broker the metadata of a topic just created may lag its
 * creation: kafkajs's wait for the leaders then fails with a retriable "This server does not host
 * this topic-partition" (seen once in 10 runs at load 21); ensureTopics is idempotent, so retry.
 */
export async function ensureTopics(kafka: ReturnType<typeof kafkaClient>, topics: { topic: string; partitions?: number }[]): Promise<void> {
  for (let attempt = 1; ; attempt++) {
    const admin = await kafka.admin();
    try {
      await admin.ensureTopics(topics);
      return;
    } catch (error) {
      if (attempt >= 5 || (error as { retriable?: boolean }).retriable !== true) throw error;
      await new Promise((resolve) => setTimeout(resolve, 500 * attempt));
    } finally {
      await admin.disconnect();
    }
  }
}

/** The instances' environment for a run whose topics and group are named `<prefix>-…-<id>`. */
export function scaleEnv(prefix: string, id: string, refs: string, mode: 'single' | 'partitioned') {
  return {
    KAFKA_BROKERS: brokers(),
    KAFKA_TOPIC: `${prefix}-${id}`,
    KAFKA_GROUP_ID: `${prefix}-${id}`,
    DRIFT_EVENTS_TOPIC: `${prefix}-events-${id}`,
    DEAD_LETTER_TOPIC: `${prefix}-dlq-${id}`,
    REFERENCE_DIR: refs,
    DRIFT_WINDOW: '2m',
    DRIFT_CHECK_INTERVAL: '30s',
    ALLOWED_LATENESS: '5s',
    MAX_EVENT_AGE: '1h',
    // No quiet-stream advance: windows close on event time only, as in an uninterrupted run.
    PARTITION_IDLE_TIMEOUT: '1h',
    EMIT_ALL_CHECKS: 'true',
    SCALE_MODE: mode,
    SCALE_PARTIALS_PARTITIONS: '3',
    SCALE_REPORT_INTERVAL: '1s',
    LOG_LEVEL: 'warn',
  };
}

export const parseDriftEvents = (messages: { value: Buffer | null }[]) => messages.map((m) => JSON.parse(m.value!.toString()) as DriftEvent);

/** SIGTERM unless the life has ended already, and its end. */
export async function stopLife(life: Life): Promise<void> {
  if (life.child.exitCode === null && life.child.signalCode === null) life.child.kill('SIGTERM');
  await life.exit;
}
