// Regression (issue 9): one unexpected error thrown inside an evaluation run used to end the
// trigger stream for good (exhaustMap(defer(runDue)) only logged it): consumption went on,
// nothing was committed again and /readyz stayed green. Now the service is made not ready and
// stopped (onFatal → exit 1), without committing the failed window: its restart re-reads from
// the last commit and evaluates that window again.
import { pino } from 'pino';
import { VirtualTimeScheduler } from 'rxjs';
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../src/core/detect/detector.js';
import type { Evaluation } from '../../../src/core/detect/evaluation.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { Engine } from '../../../src/runtime/engine.js';
import { Pipeline } from '../../../src/runtime/pipeline.js';
import { NO_METRICS, SUCCESS, type EvaluationExporter, type SourceMessage } from '../../../src/runtime/ports.js';
import { creditRow, rng } from '../../fixtures/random.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-26T00:00:00Z');
const logger = pino({ level: 'silent' });

/** An exporter with a bug: it throws instead of returning a failed ExportResult. */
class ThrowingExporter implements EvaluationExporter {
  readonly name = 'buggy';
  throwing = true;
  readonly exported: Evaluation[] = [];
  async export(evaluation: Evaluation) {
    if (this.throwing) throw new TypeError('cannot read properties of undefined');
    this.exported.push(evaluation);
    return SUCCESS;
  }
  async forceFlush() {}
  async shutdown() {}
}

function setup() {
  const r = rng(11);
  const ref = ReferenceDistribution.fromRows(
    Array.from({ length: 1000 }, () => creditRow(r)),
    { modelVersion: 'v1' },
  );
  const engine = new Engine({
    windowMs: 10 * MIN,
    slideMs: 5 * MIN,
    allowedLatenessMs: 0,
    idleTimeoutMs: 60_000,
    hysteresis: { raiseAfter: 1, clearAfter: 1 },
    detector: new DriftDetector({ minSamples: 10 }),
    referenceFor: () => ref,
  });
  const clock = { now: T0 + 30 * MIN };
  const fatal: Error[] = [];
  const committed: number[] = [];
  const exporter = new ThrowingExporter();
  const pipeline = new Pipeline({
    engine,
    references: { get: () => ref, has: () => true, ensure: async () => undefined },
    exporters: [exporter],
    deadLetters: { send: async () => undefined },
    metrics: NO_METRICS,
    logger,
    defaults: {},
    maxClockSkewMs: Number.POSITIVE_INFINITY,
    now: () => clock.now,
    // Ticks never fire on their own: runs are kicked by the test.
    scheduler: new VirtualTimeScheduler(),
    retry: { baseMs: 1000, maxMs: 1000, random: () => 0.999 },
    onEvaluated: async (evaluation) => void committed.push(evaluation.windowEnd.getTime()),
    onFatal: (error) => fatal.push(error),
  });
  const messages: SourceMessage[] = Array.from({ length: 900 }, (_, i) => ({
    topic: 't',
    partition: 0,
    offset: i,
    timestampMs: Number.NaN,
    key: null,
    value: JSON.stringify({ model: 'm', model_version: 'v1', timestamp: new Date(T0 + i * 1000).toISOString(), features: creditRow(r) }),
    headers: {},
  }));
  /** Kicks one run and waits until it settled. */
  const run = async () => {
    pipeline.kick();
    for (let i = 0; i < 20; i++) await pipeline.idle().then(() => new Promise((resolve) => setImmediate(resolve)));
  };
  return { pipeline, exporter, fatal, committed, messages, run };
}

describe('an evaluation run that throws', () => {
  it('makes the service not ready and stops it once, committing nothing for the failed window', async () => {
    const { pipeline, exporter, fatal, committed, messages, run } = setup();
    pipeline.start();
    await pipeline.ingest(messages);
    await run();
    expect(pipeline.status.evaluationFailure?.message).toBe('cannot read properties of undefined');
    expect(fatal.map((e) => e.message)).toEqual(['cannot read properties of undefined']);
    expect(committed).toEqual([]);

    // Until the service is stopped, no further run goes past the failed window.
    exporter.throwing = false;
    await run();
    await run();
    expect(exporter.exported).toHaveLength(0);
    expect(committed).toEqual([]);
    expect(fatal).toHaveLength(1);
    await pipeline.stop();
  });

  it('without a failure, the same stream is evaluated and committed (the control)', async () => {
    const { pipeline, exporter, fatal, committed, messages, run } = setup();
    exporter.throwing = false;
    pipeline.start();
    await pipeline.ingest(messages);
    await run();
    expect(pipeline.status.evaluationFailure).toBeNull();
    expect(committed.length).toBeGreaterThan(0);
    expect(fatal).toEqual([]);
    await pipeline.stop();
  });
});
