// A second instance joins the consumer group mid-stream: the first one loses a partition,
// drops its window state and rebuilds it by re-reading from the committed offsets; the new one
// takes over the other partition from its commit. Every window of both models still equals a
// batch recomputation, and none is missing.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config/load.js';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import { startService, type RunningService } from '../../../src/app/service.js';
import type { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { driftChecks, streamingSetup, creditStream, eventJson, kafkaClient, quietLogger, readTopic, runId, type StreamEvent } from '../helpers.js';

const MIN = 60_000;
const SLIDE_MS = 5 * MIN;
const LATENESS_MS = 5_000;
// Once with the prediction consumer on the main thread and once on a worker thread
// (KAFKA_CONSUMER_THREAD): the delivery semantics must not depend on it.
describe.each(['main', 'worker'] as const)('KAFKA_CONSUMER_THREAD=%s', (thread) => {
  const id = runId();
  const topic = `predictions-${id}`; // as streamingSetup names them
  const eventsTopic = `drift-events-${id}`;
  const start = Math.floor((Date.now() - 3 * 3_600_000) / SLIDE_MS) * SLIDE_MS;
  const models = [
    { name: `alpha-${id}`, partition: 0, events: creditStream(start, 90, 20, 50, 21) },
    { name: `beta-${id}`, partition: 1, events: creditStream(start, 90, 20, 70, 22) },
  ];
  const kafka = kafkaClient();
  const services: RunningService[] = [];
  let reference: ReferenceDistribution;
  let env: Record<string, string>;

  async function produce(fromMs: number, toMs: number): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    for (const m of models) {
      const part = m.events.filter((e) => e.timestampMs >= fromMs && e.timestampMs < toMs);
      await producer.send(
        topic,
        part.map((e) => ({ key: m.name, value: eventJson(m.name, 'v1', e), partition: m.partition })),
      );
    }
    await producer.disconnect();
  }

  async function instance(): Promise<RunningService> {
    const service = await startService(resolveConfig({}, env).config, { logger: quietLogger });
    services.push(service);
    return service;
  }

  beforeAll(async () => {
    ({ reference, env } = await streamingSetup(id, { KAFKA_CONSUMER_THREAD: thread }));
  });

  afterAll(async () => {
    for (const s of services) await s.stop();
  });

  function expectedEnds(events: StreamEvent[]): string[] {
    const maxT = Math.max(...events.map((e) => e.timestampMs));
    const ends: string[] = [];
    for (let end = Math.floor(Math.min(...events.map((e) => e.timestampMs)) / SLIDE_MS) * SLIDE_MS + SLIDE_MS; end <= maxT - LATENESS_MS; end += SLIDE_MS)
      ends.push(new Date(end).toISOString());
    return ends;
  }

  describe('rebalance', () => {
    it('a member joining mid-stream changes nothing in the results', async () => {
      await produce(start, start + 40 * MIN);
      await instance();
      await readTopic(kafka, eventsTopic, (m) => driftChecks(m).length >= 8, 60_000);
      await instance(); // the group rebalances: one partition each
      await new Promise((r) => setTimeout(r, 3000));
      await produce(start + 40 * MIN, start + 91 * MIN);

      const total = models.reduce((n, m) => n + expectedEnds(m.events).length, 0);
      const messages = await readTopic(kafka, eventsTopic, (m) => new Set(driftChecks(m).map((e) => e.event_id)).size >= total, 120_000);
      const detector = new DriftDetector({ now: () => new Date(0) });
      for (const m of models) {
        const checks = driftChecks(messages).filter((c) => c.model === m.name);
        expect([...new Set(checks.map((c) => c.window.end))].sort()).toEqual(expectedEnds(m.events));
        for (const c of checks) {
          const end = Date.parse(c.window.end);
          const rows = m.events.filter((e) => e.timestampMs >= end - 20 * MIN && e.timestampMs < end).map((e) => e.features);
          const batch = detector.evaluate(accumulate(rows, reference), reference);
          expect(c.sample_count, `${m.name} ${c.window.end}`).toBe(batch.sample_count);
          for (const f of reference.featureNames) expect(c.features[f].psi, `${m.name} ${c.window.end} ${f}`).toBe(batch.features[f].psi);
          expect(c.drifted_features).toEqual(batch.drifted_features);
        }
      }
    });
  });
});
