// Health that tells the truth (issue 16, item 5): the lag of a partition still ours survives a
// rejoin (after a broker outage) instead of reading 0, with its age; a partition no longer ours
// is forgotten.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { Engine } from '../../../src/runtime/engine.js';
import { Pipeline } from '../../../src/runtime/pipeline.js';
import { NO_METRICS, type RuntimeMetrics } from '../../../src/runtime/ports.js';
import { creditRow, rng } from '../../fixtures/random.js';

const r = rng(2);
const ref = ReferenceDistribution.fromRows(
  Array.from({ length: 300 }, () => creditRow(r)),
  { modelVersion: 'v1' },
);

describe('consumer lag across a rejoin', () => {
  it('keeps the last known lag of partitions still assigned, with its age', () => {
    const gauge = new Map<number, number>();
    const metrics: RuntimeMetrics = { ...NO_METRICS, consumerLag: (_t, p, lag) => void gauge.set(p, lag), resetConsumerLag: () => gauge.clear() };
    let now = 1_000;
    const pipeline = new Pipeline({
      engine: new Engine({
        windowMs: 600_000,
        slideMs: 300_000,
        allowedLatenessMs: 0,
        idleTimeoutMs: 60_000,
        hysteresis: { raiseAfter: 1, clearAfter: 2 },
        detector: new DriftDetector(),
        referenceFor: () => ref,
      }),
      references: { get: () => ref, has: () => true, ensure: async () => {} },
      exporters: [],
      deadLetters: { send: async () => {} },
      metrics,
      logger: pino({ level: 'silent' }),
      defaults: {},
      maxClockSkewMs: Infinity,
      now: () => now,
    });
    pipeline.partitionLag('t', 0, 1200);
    pipeline.partitionLag('t', 1, 300);
    now += 168_000; // an outage, then the member rejoins with partition 0 only
    pipeline.rebuild([0]);
    expect([...gauge]).toEqual([[0, 1200]]);
    expect(pipeline.lagSnapshot()).toEqual([{ topic: 't', partition: 0, lag: 1200, ageMs: 168_000 }]);
  });
});
