// Per-class probabilities through the streaming monitor (`run`) against the real broker
// (docs/references-and-check.md, "Per-class probabilities"): events carry a `probabilities`
// object and no confidence; some name a class the reference does not know, some lack one. Every
// drift check published carries the class probabilities and the defaulted confidence under
// `outputs`, equal field for field to the batch check of the window's events under the same
// rules (core/event/probabilities.ts), and the shift of the deny probability is reported with
// the reason probability_drift.
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config/load.js';
import { startService, type RunningService } from '../../../src/app/service.js';
import { DriftDetector } from '../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { resolveOutputs } from '../../../src/core/event/probabilities.js';
import { saveReference } from '../../../src/adapters/files/reference-file.js';
import { creditRow, rng } from '../../../src/app/demo/credit.js';
import { creditStream, driftChecks, kafkaClient, quietLogger, readTopic, runId, streamingSetup, type StreamEvent } from '../helpers.js';

const MIN = 60_000;
const WINDOW_MS = 20 * MIN;
const SLIDE_MS = 5 * MIN;
const id = runId();
const model = `probabilities-${id}`;
const start = Math.floor((Date.now() - 2 * 3_600_000) / SLIDE_MS) * SLIDE_MS;
const DRIFT_AT = 40;
const events: StreamEvent[] = creditStream(start, 80, 20, DRIFT_AT, 4242);
const kafka = kafkaClient();
let service: RunningService;
let reference: ReferenceDistribution;
let eventsTopic: string;

/** The deny probability of a row, from its credit score; the model grows less sure of deny after the drift. */
const denyOf = (row: Record<string, unknown>, drifted: boolean) => (1 / (1 + Math.exp(((row.credit_score as number) - 680) / 40))) * (drifted ? 0.6 : 1);

/** The event's JSON: a prediction and the two classes' probabilities; every 97th names a third class, every 89th lacks deny. */
function eventJson(e: StreamEvent, i: number): string {
  const deny = denyOf(e.features, e.timestampMs >= start + DRIFT_AT * MIN);
  const probabilities: Record<string, number> = i % 97 === 5 ? { approve: 1 - deny, deny, review: 0 } : i % 89 === 7 ? { approve: 1 - deny } : { approve: 1 - deny, deny };
  return JSON.stringify({
    model,
    model_version: 'v1',
    timestamp: new Date(e.timestampMs).toISOString(),
    features: e.features,
    prediction: deny > 0.5 ? 'deny' : 'approve',
    probabilities,
  });
}

beforeAll(async () => {
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-refs-probabilities-'));
  const r = rng(20261126);
  const training = Array.from({ length: 5000 }, () => {
    const row = creditRow(r);
    const deny = denyOf(row, false);
    return { ...row, prediction: deny > 0.5 ? 'deny' : 'approve', confidence: Math.max(deny, 1 - deny), probabilities: { approve: 1 - deny, deny } };
  });
  reference = ReferenceDistribution.fromRows(training, { modelVersion: 'v1', outputs: ['prediction', 'confidence', 'probabilities'] });
  await saveReference(reference, join(dir, 'v1', 'reference_distribution.json'));
  // One partition holds the stream (one key), in the order the events were drawn; the idle one
  // stops holding the watermark back after 2 s, as in pipeline.test.ts.
  const setup = await streamingSetup(id, { REFERENCE_DIR: dir, PARTITION_IDLE_TIMEOUT: '2s' });
  eventsTopic = setup.eventsTopic;
  const producer = kafka.producer();
  await producer.connect();
  await producer.send(
    setup.topic,
    events.map((e, i) => ({ key: model, value: eventJson(e, i) })),
  );
  await producer.disconnect();
  const { config } = resolveConfig({}, setup.env);
  service = await startService(config, { logger: quietLogger });
});

afterAll(async () => {
  await service?.stop();
});

describe('per-class probabilities through the streaming monitor and the real broker', () => {
  it('every published window carries the class probabilities equal to the batch check of its events, the shift as probability_drift', async () => {
    // Wait for the windows well before the last event.
    const last = Math.max(...events.map((e) => e.timestampMs));
    const closed = Math.floor((last - 2 * SLIDE_MS - start) / SLIDE_MS);
    const checks = driftChecks(await readTopic(kafka, eventsTopic, (m) => driftChecks(m).length >= closed, 60_000)).filter((c) => c.model === model);
    expect(checks.length).toBeGreaterThanOrEqual(closed);
    const rows = events.map((e, i) => {
      const event = JSON.parse(eventJson(e, i));
      return { ...event.features, ...resolveOutputs(event, reference.outputNames).outputs };
    });
    // The service's detector: critical severity at the retraining threshold (default 0.5).
    const detector = new DriftDetector({ criticalThreshold: 0.5 });
    let drifted = 0;
    for (const c of checks) {
      const end = Date.parse(c.window.end);
      const batch = detector.detect(
        rows.filter((_, i) => events[i].timestampMs >= end - WINDOW_MS && events[i].timestampMs < end),
        reference,
      );
      expect(Object.keys(c.outputs!)).toEqual(['prediction', 'confidence', 'probability_approve', 'probability_deny']);
      for (const name of reference.outputNames) {
        const expected = batch.outputs![name] as unknown as Record<string, unknown>;
        for (const [key, value] of Object.entries(c.outputs![name])) expect(value, `${c.window.end} ${name}.${key}`).toEqual(expected[key]);
      }
      expect(c.drifted_outputs).toEqual(batch.drifted_outputs);
      if (end - WINDOW_MS >= start + DRIFT_AT * MIN) {
        expect(c.outputs!.probability_deny.reasons, c.window.end).toEqual(['probability_drift']);
        drifted++;
      }
    }
    expect(drifted).toBeGreaterThan(0);
  });
});
