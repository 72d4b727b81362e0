// Shutdown and limits (issue 16, item 6): SIGTERM during start-up is handled (exit 0, not 143);
// a failing assignment handler never escapes as an unhandled rejection (retried, then a clean
// fatal); overlong model names are dead-lettered `name_too_long` and never become labels.
import { spawn } from 'node:child_process';
import { mkdtempSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { KafkaSource } from '../../../src/adapters/kafka/kafka-source.js';
import type { GroupConsumer } from '../../../src/adapters/kafka/types.js';
import { DriftDetector } from '../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { Engine } from '../../../src/runtime/engine.js';
import { MAX_NAME_LENGTH } from '../../../src/runtime/ingest.js';
import { InMemoryExporter } from '../../../src/runtime/memory-exporter.js';
import { Pipeline } from '../../../src/runtime/pipeline.js';
import { NO_METRICS, type DeadLetter, type ReferenceLookup, type RuntimeMetrics } from '../../../src/runtime/ports.js';
import { creditRow, rng } from '../../fixtures/random.js';
import { settle, virtualClock } from './virtual-clock.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const logger = pino({ level: 'silent' });
const r = rng(1);
const ref = ReferenceDistribution.fromRows(
  Array.from({ length: 500 }, () => creditRow(r)),
  { modelVersion: 'v1' },
);

function pipeline(dead: DeadLetter[] = [], metrics: RuntimeMetrics = NO_METRICS) {
  const lookups: string[] = [];
  const references: ReferenceLookup = {
    get: () => ref,
    has: (model) => model.length < 50,
    ensure: async (pairs) => void lookups.push(...[...pairs].map(([m]) => m)),
  };
  const p = new Pipeline({
    engine: new Engine({
      windowMs: 600_000,
      slideMs: 300_000,
      allowedLatenessMs: 0,
      idleTimeoutMs: 1e9,
      hysteresis: { raiseAfter: 1, clearAfter: 2 },
      detector: new DriftDetector(),
      referenceFor: () => ref,
    }),
    references,
    exporters: [new InMemoryExporter()],
    deadLetters: { send: async (items) => void dead.push(...items) },
    metrics,
    logger,
    defaults: {},
    maxClockSkewMs: Infinity,
    now: () => 0,
  });
  return { pipeline: p, lookups };
}

describe('start-up and shutdown', () => {
  it('SIGTERM during start-up (brokers not answering yet) exits 0 with a message', async () => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/cli.ts', 'run'], {
      cwd: root,
      env: { ...process.env, KAFKA_BROKERS: '127.0.0.1:1', HTTP_ENABLED: 'false', LOG_LEVEL: 'warn', REFERENCE_DIR: mkdtempSync(join(tmpdir(), 'driftwatch-empty-')) },
      stdio: ['ignore', 'ignore', 'pipe'],
    });
    let stderr = '';
    child.stderr!.on('data', (c) => (stderr += c));
    // Once the command is running (the trap is its first line), signal it during start-up.
    const exited = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    // The first log line of start-up (no references yet) says the command is running.
    for (let i = 0; i < 300 && !stderr.includes('no reference distribution'); i++) await new Promise((resolve) => setTimeout(resolve, 100));
    expect(stderr).toContain('no reference distribution');
    child.kill('SIGTERM');
    expect(await exited).toBe(0);
    expect(stderr).toContain('SIGTERM received');
  }, 60_000);

  it('an assignment handler that fails is retried, then stops the service cleanly (no unhandled rejection)', async () => {
    const unhandled: unknown[] = [];
    const onUnhandled = (e: unknown) => unhandled.push(e);
    process.on('unhandledRejection', onUnhandled);
    let attempts = 0;
    const consumer: GroupConsumer = {
      joined: true,
      start: async (h) => {
        // As the kafkajs seam does: not awaited by the client.
        void h.onAssignment?.([{ topic: 't', partitions: [0] }]);
      },
      commit: async () => {},
      committed: async () => {
        attempts++;
        throw new Error('The coordinator is not aware of this member');
      },
      seek: () => {
        throw new Error('seek on a stopping consumer');
      },
      pause: () => {},
      resume: () => {},
      stop: async () => {},
    };
    const fatal: Error[] = [];
    let stopped!: () => void;
    const fatalCalled = new Promise<void>((resolve) => (stopped = resolve));
    // The retry waits (500 ms up to 5 s, full jitter) run on virtual time.
    const clock = virtualClock(0);
    const source = new KafkaSource({ consumer, topic: 't', pipeline: pipeline().pipeline, logger, onFatal: (e) => (fatal.push(e), stopped()), scheduler: clock.scheduler });
    await source.start();
    await clock.run(fatalCalled);
    await settle(); // an unhandled rejection would be reported by now
    process.off('unhandledRejection', onUnhandled);
    expect(clock.now()).toBeLessThanOrEqual(500 + 1_000 + 2_000 + 4_000);
    expect(attempts).toBe(5);
    expect(fatal.map((e) => e.message)).toEqual(['cannot handle the partition assignment: The coordinator is not aware of this member']);
    expect(unhandled).toEqual([]);
  });
});

describe('names bounded in length', () => {
  it('a 10,000-character model name is dead-lettered name_too_long, never looked up nor a label', async () => {
    const dead: DeadLetter[] = [];
    const labels: (string | undefined)[] = [];
    const metrics: RuntimeMetrics = { ...NO_METRICS, eventInvalid: (model) => void labels.push(model) };
    const { pipeline: p, lookups } = pipeline(dead, metrics);
    const long = 'm'.repeat(10_000);
    const message = (offset: number, model: string, version = 'v1') => ({
      topic: 't',
      partition: 0,
      offset,
      timestampMs: 0,
      key: null,
      headers: {},
      value: Buffer.from(JSON.stringify({ model, model_version: version, timestamp: 1_000, features: creditRow(r) })),
    });
    await p.ingest([message(0, long), message(1, 'ok', 'v'.repeat(MAX_NAME_LENGTH + 1)), message(2, 'ok')]);
    expect(dead.map((d) => [d.source.offset, d.failure.reason, d.failure.path])).toEqual([
      [0, 'name_too_long', 'model'],
      [1, 'name_too_long', 'model_version'],
    ]);
    expect(lookups).toEqual([]);
    expect(labels).toEqual([undefined, undefined]);
  });
});
