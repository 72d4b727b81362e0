// The streaming monitor end to end with InfluxDB 2.7 as its InfluxDB (INFLUX_URL, INFLUX_TOKEN,
// INFLUX_ORG, INFLUX_BUCKET of the 2.7 server: an API token, a bucket without /rp): the seeded
// stream of test/integration/streaming/pipeline.test.ts produced to the real broker, consumed
// by the service; InfluxDB 2.7 then holds per-feature points equal to a batch recomputation of
// each window, and /readyz finds the bucket writable with that token.
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config/load.js';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import { startService, type RunningService } from '../../../src/app/service.js';
import type { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { brokers, creditStream, eventJson, kafkaClient, quietLogger, referenceDir, runId, waitFor, type StreamEvent } from '../helpers.js';
import { featureDriftPointsIn, influxFlavour } from '../influx-flavours.js';

const MIN = 60_000;
const WINDOW_MS = 20 * MIN;
const SLIDE_MS = 5 * MIN;
const f = influxFlavour('2.7');
const id = runId();
const model = `credit-risk-influx2-${id}`;
const topic = `predictions-${id}`;
// Two hours ago, aligned to the slide, so every window lies in the past of the wall clock.
const start = Math.floor((Date.now() - 2 * 3_600_000) / SLIDE_MS) * SLIDE_MS;
const events: StreamEvent[] = creditStream(start, 80, 20, 40);
let service: RunningService | undefined;
let reference: ReferenceDistribution;

/** The windows the stream fills: every window end from the first pane to the last. */
function expectedWindowEnds(): number[] {
  const first = Math.floor(Math.min(...events.map((e) => e.timestampMs)) / SLIDE_MS) * SLIDE_MS + SLIDE_MS;
  const last = Math.floor(Math.max(...events.map((e) => e.timestampMs)) / SLIDE_MS) * SLIDE_MS + SLIDE_MS;
  const ends: number[] = [];
  for (let end = first; end <= last; end += SLIDE_MS) ends.push(end);
  return ends;
}

function batchCheck(end: number) {
  const rows = events.filter((e) => e.timestampMs >= end - WINDOW_MS && e.timestampMs < end).map((e) => e.features);
  return new DriftDetector({ now: () => new Date(0) }).evaluate(accumulate(rows, reference), reference);
}

describe.skipIf(!f.url)(`streaming monitor against real Kafka and InfluxDB ${f.flavour}`, () => {
  beforeAll(async () => {
    const refs = await referenceDir('v1');
    reference = refs.reference;
    const kafka = kafkaClient();
    const admin = await kafka.admin();
    await admin.ensureTopics([{ topic, partitions: 2 }, { topic: `drift-events-${id}` }, { topic: `dlq-${id}` }]);
    await admin.disconnect();
    const producer = kafka.producer();
    await producer.connect();
    await producer.send(
      topic,
      events.map((e) => ({ key: model, value: eventJson(model, 'v1', e) })),
    );
    await producer.disconnect();

    const { config } = resolveConfig(
      {},
      {
        KAFKA_BROKERS: brokers(),
        KAFKA_TOPIC: topic,
        KAFKA_GROUP_ID: `driftwatch-${id}`,
        DRIFT_EVENTS_TOPIC: `drift-events-${id}`,
        DEAD_LETTER_TOPIC: `dlq-${id}`,
        INFLUX_URL: f.url,
        INFLUX_TOKEN: f.token,
        INFLUX_ORG: f.org,
        INFLUX_BUCKET: f.bucket,
        REFERENCE_DIR: refs.dir,
        DRIFT_WINDOW: '20m',
        DRIFT_CHECK_INTERVAL: '5m',
        ALLOWED_LATENESS: '5s',
        PARTITION_IDLE_TIMEOUT: '2s',
        EMIT_ALL_CHECKS: 'true',
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
      },
    );
    service = await startService(config, { logger: quietLogger });
  });

  afterAll(async () => {
    await service?.stop();
  });

  it(`writes per-feature points to InfluxDB ${f.flavour} whose PSI and KS equal a batch recomputation of each window`, async () => {
    const ends = expectedWindowEnds();
    let seen = 0;
    const points = await waitFor(`every window in InfluxDB ${f.flavour} (expecting ${ends.length * reference.features.length} points)`, 60_000, async () => {
      const p = await featureDriftPointsIn(f, model);
      seen = p.size;
      return p.size >= ends.length * reference.features.length ? p : null;
    }).catch((error: unknown) => {
      throw new Error(`${(error as Error).message}; found ${seen}`);
    });
    expect(points.size).toBe(ends.length * reference.features.length);
    for (const end of ends) {
      const batch = batchCheck(end);
      for (const feature of reference.featureNames) {
        const point = points.get(`${new Date(end).toISOString()}|${feature}`);
        expect(point, `window ${new Date(end).toISOString()} ${feature}`).toBeDefined();
        const expected = batch.features[feature];
        expect(point!.psi).toBe(expected.psi);
        if (expected.ks !== null) expect(point!.ks).toBe(expected.ks);
        expect(point!.score).toBe(expected.score);
        expect(point!.sample_count).toBe(expected.sample_count);
        expect(point!.drifted).toBe(expected.drifted);
        expect(point!.model_version).toBe('v1');
      }
    }
  });

  it(`is ready: /readyz finds the InfluxDB ${f.flavour} bucket writable with the token`, async () => {
    const base = `http://127.0.0.1:${service!.httpPort}`;
    const ready = await waitFor('readiness', 20_000, async () => {
      const r = await fetch(`${base}/readyz`);
      return r.status === 200 ? r.json() : null;
    });
    expect(ready).toMatchObject({ status: 'ready', checks: { group_joined: true, references_loaded: true, sinks_reachable: true } });
  });
});
