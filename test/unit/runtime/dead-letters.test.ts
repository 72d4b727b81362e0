// Dead letters that can always be written (issue 16, item 1): an item too large for the
// dead-letter topic is cut to fit, with the cut, the original size and the source coordinates in
// headers; produce requests stay under the topic's limit; a write that keeps failing makes the
// service not ready and, past its bound, stops it with a clear message instead of stalling.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { DLQ_HEADERS, fitDeadLetter, KafkaDeadLetterSink } from '../../../src/adapters/kafka/dead-letter.js';
import type { OutboundMessage, Producer } from '../../../src/adapters/kafka/types.js';
import { DriftDetector } from '../../../src/core/detect/detector.js';
import { SinkError } from '../../../src/core/errors.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { Engine } from '../../../src/runtime/engine.js';
import { InMemoryExporter } from '../../../src/runtime/memory-exporter.js';
import { Pipeline } from '../../../src/runtime/pipeline.js';
import { NO_METRICS, type DeadLetter, type DeadLetterSink, type ReferenceLookup, type RuntimeMetrics } from '../../../src/runtime/ports.js';
import { creditRow, rng } from '../../fixtures/random.js';

const logger = pino({ level: 'silent' });
const r = rng(7);
const ref = ReferenceDistribution.fromRows(
  Array.from({ length: 500 }, () => creditRow(r)),
  { modelVersion: 'v1' },
);

function letter(bytes: number, extra: Partial<DeadLetter> = {}): DeadLetter {
  return {
    value: Buffer.alloc(bytes, 0x7b),
    key: 'm',
    headers: { trace: 'abc' },
    failure: { reason: 'invalid_json', detail: 'invalid JSON at byte 1', model: 'm' },
    source: { topic: 'predictions', partition: 3, offset: 41, timestampMs: 1 },
    ...extra,
  };
}

function recordingProducer(limit: number) {
  const requests: OutboundMessage[][] = [];
  const producer: Producer = {
    connect: async () => {},
    disconnect: async () => {},
    send: async (_topic, messages) => {
      const size = messages.reduce((n, m) => n + Buffer.byteLength(m.value ?? '') + Object.entries(m.headers ?? {}).reduce((h, [k, v]) => h + k.length + v.length, 0), 0);
      if (size > limit) throw new Error(`MESSAGE_TOO_LARGE: ${size} > ${limit}`);
      requests.push(messages);
    },
  };
  return { producer, requests };
}

describe('oversized dead letters', () => {
  it('cuts a 1.1 MB payload to fit a 1 MB topic, with the cut, original size and source in headers', async () => {
    const { producer, requests } = recordingProducer(1_048_588);
    const sink = new KafkaDeadLetterSink(producer, 'dlq', { maxMessageBytes: 1_048_588 });
    const big = letter(1_150_000);
    const receipt = await sink.send([big, letter(100)]);
    expect(receipt.truncated).toEqual([big]);
    const messages = requests.flat();
    expect(messages).toHaveLength(2);
    const [cut, small] = messages;
    expect((cut.value as Buffer).length).toBeLessThan(1_048_588);
    expect((cut.value as Buffer).length).toBeGreaterThan(1_040_000);
    expect(cut.headers).toMatchObject({
      [DLQ_HEADERS.truncated]: 'true',
      [DLQ_HEADERS.originalSize]: '1150000',
      [DLQ_HEADERS.reason]: 'invalid_json',
      [DLQ_HEADERS.topic]: 'predictions',
      [DLQ_HEADERS.partition]: '3',
      [DLQ_HEADERS.offset]: '41',
      trace: 'abc',
    });
    expect(small.headers![DLQ_HEADERS.truncated]).toBeUndefined();
    // Two messages that do not fit one request together went in two.
    expect(requests).toHaveLength(2);
  });

  it('a 5 MB payload, a 10 KB key and 2 MB of headers still fit', () => {
    const item = letter(5_000_000, { key: 'k'.repeat(10_000), headers: { big: 'x'.repeat(2_000_000) } });
    const { message, bytes, cut } = fitDeadLetter(item, 1_000_000);
    expect(cut).toBe(true);
    expect(bytes).toBeLessThanOrEqual(1_000_000);
    expect((message.key as Buffer).length).toBe(1024);
    expect(message.headers).toMatchObject({ [DLQ_HEADERS.originalKeySize]: '10000', [DLQ_HEADERS.headersDropped]: '1', [DLQ_HEADERS.originalSize]: '5000000' });
    expect(message.headers!.big).toBeUndefined();
  });

  it('many small dead letters are split into requests under the limit', async () => {
    const { producer, requests } = recordingProducer(10_000);
    const sink = new KafkaDeadLetterSink(producer, 'dlq', { maxMessageBytes: 10_000 });
    await sink.send(Array.from({ length: 100 }, () => letter(900)));
    expect(requests.flat()).toHaveLength(100);
    expect(requests.length).toBeGreaterThanOrEqual(10);
  });
});

const references: ReferenceLookup = { get: () => ref, has: () => true, ensure: async () => {} };

function pipelineWith(deadLetters: DeadLetterSink, now: () => number, metrics: RuntimeMetrics = NO_METRICS) {
  const fatal: Error[] = [];
  const pipeline = new Pipeline({
    engine: new Engine({
      windowMs: 600_000,
      slideMs: 300_000,
      allowedLatenessMs: 0,
      idleTimeoutMs: 3_600_000,
      hysteresis: { raiseAfter: 1, clearAfter: 2 },
      detector: new DriftDetector({ minSamples: 10 }),
      referenceFor: () => ref,
    }),
    references,
    exporters: [new InMemoryExporter()],
    deadLetters,
    metrics,
    logger,
    defaults: {},
    maxClockSkewMs: Infinity,
    now,
    retry: { baseMs: 1, maxMs: 2 },
    deadLetterTimeoutMs: 1_000,
    onFatal: (error) => fatal.push(error),
  });
  return { pipeline, fatal };
}

const bad = { topic: 't', partition: 0, offset: 0, timestampMs: 0, key: null, headers: {}, value: Buffer.from('{not json') };

describe('a dead-letter write that keeps failing', () => {
  it('makes the service not ready, then stops it past the bound with a clear message', async () => {
    let t = 0;
    let attempts = 0;
    const failing: DeadLetterSink = {
      send: async () => {
        attempts++;
        t += 300; // each attempt takes 300 ms of (virtual) wall time
        throw new SinkError('topic unavailable', { retriable: true });
      },
    };
    const { pipeline, fatal } = pipelineWith(failing, () => t);
    const ingest = pipeline.ingest([bad]);
    await expect(ingest).rejects.toThrow(/dead-letter writes kept failing for 1 s \(bound 1 s, DEAD_LETTER_TIMEOUT\): .*topic unavailable; stopping/);
    expect(attempts).toBe(4);
    expect(fatal).toHaveLength(1);
    expect(pipeline.status.deadLetterFailure).not.toBeNull();
  });

  it('is not ready while failing and ready again once a write succeeds', async () => {
    let failures = 2;
    let readyDuring: boolean | null = null;
    let pipelineRef!: Pipeline;
    const flaky: DeadLetterSink = {
      send: async () => {
        if (failures-- > 0) throw new SinkError('not leader', { retriable: true });
        readyDuring = pipelineRef.status.deadLetterFailure === null;
      },
    };
    const { pipeline, fatal } = pipelineWith(flaky, () => 0);
    pipelineRef = pipeline;
    await pipeline.ingest([bad]);
    expect(readyDuring).toBe(false);
    expect(pipeline.status.deadLetterFailure).toBeNull();
    expect(fatal).toEqual([]);
  });

  it('counts a dead letter the sink had to cut under reason oversized', async () => {
    const reasons: string[] = [];
    const metrics: RuntimeMetrics = { ...NO_METRICS, eventInvalid: (_m, reason) => void reasons.push(reason) };
    const cutting: DeadLetterSink = { send: async (items) => ({ truncated: items }) };
    const { pipeline } = pipelineWith(cutting, () => 0, metrics);
    await pipeline.ingest([bad]);
    expect(reasons).toEqual(['invalid_json', 'oversized']);
  });
});
