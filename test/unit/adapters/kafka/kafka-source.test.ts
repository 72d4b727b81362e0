// KafkaSource against a scripted GroupConsumer: what gets committed, and how it stops.
// Regressions from review: a commit covering a dead letter not yet written; SIGTERM hanging
// while the dead-letter topic fails; SIGTERM during a sink outage committing a window that was
// never exported.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import { Engine } from '../../../../src/runtime/engine.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { runtimeMetrics, serviceMetrics } from '../../../../src/adapters/http/metrics.js';
import { Pipeline } from '../../../../src/runtime/pipeline.js';
import { ReferenceStore } from '../../../../src/adapters/files/reference-store.js';
import type { DeadLetterSink } from '../../../../src/runtime/ports.js';
import { KafkaSource } from '../../../../src/adapters/kafka/kafka-source.js';
import type { BatchContext, GroupConsumer, GroupConsumerHandlers, InboundBatch, OffsetCommit } from '../../../../src/adapters/kafka/index.js';
import { InMemoryExporter } from '../../../../src/runtime/memory-exporter.js';
import type { EvaluationExporter } from '../../../../src/runtime/ports.js';
import { SinkError } from '../../../../src/core/errors.js';
import { StateChangelog, type ChangelogStore } from '../../../../src/runtime/delivery/changelog.js';
import { creditRow, rng } from '../../../fixtures/random.js';
import { BACKLOG_HEARTBEAT_MS } from '../../../../src/adapters/kafka/kafka-source.js';
import { settle, settleUntil, virtualClock } from '../../runtime/virtual-clock.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-26T00:00:00Z');
const logger = pino({ level: 'silent' });
const r = rng(5);
const ref = ReferenceDistribution.fromRows(
  Array.from({ length: 2000 }, () => creditRow(r)),
  { modelVersion: 'v1' },
);

class Store extends ReferenceStore {
  constructor() {
    super('/none', logger);
  }
  override get() {
    return ref;
  }
  override has() {
    return true;
  }
}

function fakeConsumer() {
  const commits: OffsetCommit[][] = [];
  let handlers!: GroupConsumerHandlers;
  const consumer: GroupConsumer = {
    joined: true,
    start: async (h) => {
      handlers = h;
      await h.onAssignment?.([{ topic: 't', partitions: [0] }]);
    },
    commit: async (offsets) => void commits.push(offsets),
    committed: async () => [{ partition: 0, offset: '-1', metadata: null }],
    seek: () => undefined,
    pause: () => undefined,
    resume: () => undefined,
    stop: async () => undefined,
  };
  const seen = { heartbeats: 0, resolved: [] as string[] };
  const context: BatchContext = {
    isRunning: () => true,
    isStale: () => false,
    heartbeat: async () => void seen.heartbeats++,
    resolveOffset: (offset) => void seen.resolved.push(offset),
  };
  const deliver = (batch: InboundBatch) => handlers.onBatch(batch, context);
  return { consumer, commits, deliver, seen };
}

/** `count` events one second apart from offset `from` (event i at T0 + i s); `badAt` is malformed. */
function batchOf(count: number, badAt?: number, from = 0): InboundBatch {
  return {
    topic: 't',
    partition: 0,
    highWatermark: String(from + count),
    messages: Array.from({ length: count }, (_, k) => from + k).map((i) => ({
      topic: 't',
      partition: 0,
      offset: String(i),
      timestampMs: T0 + i * 1000,
      key: null,
      headers: {},
      value: Buffer.from(i === badAt ? '{not json' : JSON.stringify({ model: 'm', model_version: 'v1', timestamp: T0 + i * 1000, features: creditRow(r) })),
    })),
  };
}

function setup(exporters: EvaluationExporter[], deadLetters: DeadLetterSink, changelog?: StateChangelog) {
  const engine = new Engine({
    windowMs: 10 * MIN,
    slideMs: 5 * MIN,
    allowedLatenessMs: 0,
    idleTimeoutMs: 60 * MIN,
    hysteresis: { raiseAfter: 1, clearAfter: 2 },
    detector: new DriftDetector({ minSamples: 10 }),
    referenceFor: () => ref,
  });
  const fake = fakeConsumer();
  // Retry waits (dead letters, exports), the backlog wait and evaluation ticks run on virtual time.
  const clock = virtualClock(T0 + 60 * MIN);
  let source!: KafkaSource;
  const pipeline = new Pipeline({
    engine,
    references: new Store(),
    exporters,
    deadLetters,
    metrics: runtimeMetrics(serviceMetrics()),
    logger,
    defaults: {},
    maxClockSkewMs: Infinity,
    now: () => T0 + 60 * MIN,
    retry: { baseMs: 5, maxMs: 20 },
    scheduler: clock.scheduler,
    onEvaluated: () => source.commit(),
  });
  source = new KafkaSource({ consumer: fake.consumer, topic: 't', pipeline, logger, chunkSize: 10_000, scheduler: clock.scheduler, changelog });
  return { ...fake, pipeline, source, engine, clock };
}

describe('KafkaSource commits and shutdown', () => {
  it('regression: no commit covers a dead letter that is not written yet', async () => {
    let release!: () => void;
    const blocked = new Promise<void>((resolve) => (release = resolve));
    let sends = 0;
    const { source, deliver, commits, pipeline } = setup([new InMemoryExporter()], { send: () => (sends++, blocked) });
    await source.start();
    const delivery = deliver(batchOf(1500, 1400)); // 25 min of events; offset 1400 is malformed
    await settleUntil(() => sends === 1, 'the dead letter to be sent');
    await pipeline.runDue(); // windows are due while the dead letter hangs
    expect(commits.length).toBeGreaterThan(0);
    for (const c of commits.flat()) {
      expect(Number(c.offset)).toBeLessThanOrEqual(1400);
      if (c.metadata) expect(JSON.parse(c.metadata).r).toBeLessThanOrEqual(1400);
    }
    release();
    await delivery;
    await pipeline.runDue();
    await source.commit();
    expect(JSON.parse(commits.at(-1)![0].metadata!).r).toBe(1500);
  });

  it('regression: SIGTERM does not hang while the dead-letter topic keeps failing', async () => {
    let sends = 0;
    const failing: DeadLetterSink = {
      send: async () => {
        sends++;
        throw new SinkError('topic unavailable', { retriable: true });
      },
    };
    const { source, deliver, clock } = setup([new InMemoryExporter()], failing);
    await source.start();
    void deliver(batchOf(100, 50)).catch(() => undefined);
    await settleUntil(() => sends >= 1, 'the first dead-letter attempt');
    clock.advance(100); // a few retries on virtual time
    await settleUntil(() => sends > 1, 'a dead-letter retry');
    const stopped = await Promise.race([source.stop().then(() => 'stopped'), new Promise((r) => setTimeout(() => r('hanging'), 3000))]);
    expect(stopped).toBe('stopped');
  });

  it('regression: SIGTERM during a sink outage does not commit the window it could not export', async () => {
    let exports = 0;
    const down: EvaluationExporter = {
      name: 'down',
      export: async () => (exports++, { ok: false, error: new SinkError('HTTP 503', { retriable: true }) }),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const { source, deliver, commits, pipeline } = setup([down], { send: async () => {} });
    await source.start();
    await deliver(batchOf(700));
    void pipeline.runDue();
    await settleUntil(() => exports >= 1, 'the failed export'); // its retry waits on virtual time
    await source.stop();
    expect(pipeline.exportAbandoned).toBe(true);
    expect(commits).toEqual([]);
  });

  it('while the runtime is backlogged, a batch waits on virtual time: a heartbeat each second, ingested as soon as the evaluation ends', async () => {
    let exports = 0;
    let sinkUp = false;
    const flaky: EvaluationExporter = {
      name: 'flaky',
      export: async () => (exports++, sinkUp ? { ok: true } : { ok: false, error: new SinkError('HTTP 503', { retriable: true }) }),
      forceFlush: async () => {},
      shutdown: async () => {},
    };
    const { source, deliver, pipeline, clock, seen } = setup([flaky], { send: async () => {} });
    await source.start();
    await deliver(batchOf(1500)); // 25 min of events: the windows ending at 10, 15 and 20 min are due
    expect(seen.resolved).toEqual(['1499']);
    void pipeline.runDue();
    await settleUntil(() => exports >= 1, 'the failed export'); // it retries every 5–20 ms of virtual time
    expect(pipeline.backlogged()).toBe(true);

    const beats = seen.heartbeats;
    let delivered = false;
    void deliver(batchOf(100, undefined, 1500)).then(() => (delivered = true));
    await settle();
    clock.advance(BACKLOG_HEARTBEAT_MS - 1);
    await settle();
    expect([seen.heartbeats, seen.resolved.length]).toEqual([beats, 1]); // waiting, not ingesting
    clock.advance(1);
    await settle();
    expect([seen.heartbeats, seen.resolved.length]).toEqual([beats + 1, 1]); // one heartbeat a second
    for (let second = 0; second < 3; second++) {
      clock.advance(BACKLOG_HEARTBEAT_MS);
      await settle();
    }
    expect([seen.heartbeats, seen.resolved.length]).toEqual([beats + 4, 1]);

    // The sink comes back: the next export retry (≤ 20 ms away) succeeds, the evaluation ends,
    // and the batch is ingested at once, not at the next whole second.
    sinkUp = true;
    const resumedAt = clock.now();
    await clock.run(
      (async () => {
        while (!delivered) await settle();
      })(),
    );
    expect(seen.resolved).toEqual(['1499', '1599']);
    expect(clock.now() - resumedAt).toBeLessThan(BACKLOG_HEARTBEAT_MS);
    await source.stop();
  });

  it('with a state changelog: the state is written (and acknowledged) before the offsets are committed, and a failed write commits nothing', async () => {
    const order: string[] = [];
    let failing = false;
    const store: ChangelogStore = {
      readAll: async () => new Map(),
      write: async (records) => {
        if (failing) throw new Error('broker down');
        order.push(`changelog ${records.length}`);
      },
    };
    const { source, deliver, commits, pipeline, consumer } = setup([new InMemoryExporter()], { send: async () => undefined }, new StateChangelog(store, logger));
    const commit = consumer.commit;
    consumer.commit = async (offsets) => {
      order.push('commit');
      await commit(offsets);
    };
    await source.start();
    await deliver(batchOf(1500));
    await pipeline.runDue();
    expect(order[0]).toBe('changelog 1');
    expect(order).toContain('commit');
    expect(JSON.parse(commits.at(-1)![0].metadata!)).toMatchObject({ v: 2, c: 1 });
    expect(JSON.parse(commits.at(-1)![0].metadata!).s).toBeUndefined();
    const before = commits.length;
    failing = true;
    // A change of state to write, while the changelog cannot be written: no commit.
    pipeline.restore({ lastEndMs: pipeline.commitPosition().state!.lastEndMs, hysteresis: { 'm\u0000v1': [1, 5, 0] } }, new Map());
    await source.commit();
    expect(commits.length).toBe(before);
  });

  it('on assignment the changelog state wins over the state of version-1 metadata, which is still read', async () => {
    const store: ChangelogStore = { readAll: async () => new Map([['m\u0000v1', JSON.stringify({ v: 1, s: [1, 2, 0] })]]), write: async () => undefined };
    const { source, consumer, pipeline } = setup([new InMemoryExporter()], { send: async () => undefined }, new StateChangelog(store, logger));
    consumer.committed = async () => [
      { partition: 0, offset: '10', metadata: JSON.stringify({ v: 1, e: T0 + 30 * MIN, r: 12, s: { 'm\u0000v1': [0, 0, 1], 'old\u0000v1': [1, 1, 0] } }) },
    ];
    await source.start();
    expect(pipeline.commitPosition().state).toEqual({ lastEndMs: T0 + 30 * MIN, hysteresis: { 'm\u0000v1': [1, 2, 0], 'old\u0000v1': [1, 1, 0] } });
  });
});
