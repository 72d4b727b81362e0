// runAlertsConsumer against an in-memory stand-in for the Kafka seam (the real broker is
// exercised in test/integration/alerts).
import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { runAlertsConsumer } from '../../../../src/adapters/alerts/consumer.js';
import { AlertDispatcher } from '../../../../src/adapters/alerts/dispatcher.js';
import type { BatchContext, GroupConsumer, GroupConsumerHandlers, GroupConsumerOptions, InboundMessage, KafkaClient, OffsetCommit } from '../../../../src/adapters/kafka/types.js';
import { captureLogger, driftEvent, memoryChannel, metricValue, settle, waitFor } from './helpers.js';

function fakeKafka() {
  const state = {
    options: null as GroupConsumerOptions | null,
    handlers: null as GroupConsumerHandlers | null,
    commits: [] as OffsetCommit[],
    seeks: [] as string[],
    resolved: [] as string[],
    stopped: false,
  };
  const consumer: GroupConsumer = {
    joined: true,
    async start(handlers) {
      state.handlers = handlers;
    },
    async commit(offsets) {
      state.commits.push(...offsets);
    },
    async committed() {
      return [];
    },
    seek(topic, partition, offset) {
      state.seeks.push(`${topic}/${partition}@${offset}`);
    },
    pause() {},
    resume() {},
    async stop() {
      state.stopped = true;
    },
  };
  const kafka: KafkaClient = {
    consumer(options) {
      state.options = options;
      return consumer;
    },
    producer() {
      throw new Error('not used');
    },
    admin() {
      throw new Error('not used');
    },
  };
  let running = true;
  const context: BatchContext = { isRunning: () => running, isStale: () => false, heartbeat: async () => {}, resolveOffset: (offset) => void state.resolved.push(`${offset}`) };
  const deliver = (partition: number, values: (string | null)[], firstOffset = 0) => {
    const messages: InboundMessage[] = values.map((v, i) => ({
      topic: 'drift-events',
      partition,
      offset: String(firstOffset + i),
      timestampMs: 0,
      key: null,
      value: v === null ? null : Buffer.from(v),
      headers: {},
    }));
    return state.handlers!.onBatch({ topic: 'drift-events', partition, messages, highWatermark: String(firstOffset + values.length) }, context);
  };
  return { kafka, state, deliver, stopRunning: () => void (running = false) };
}

describe('runAlertsConsumer', () => {
  it('subscribes with its own group, starting at the end by default', async () => {
    const k = fakeKafka();
    const dispatcher = new AlertDispatcher({ channels: [] });
    await runAlertsConsumer({ kafka: k.kafka, topic: 'drift-events', groupId: 'driftwatch-alerts', dispatcher, logger: captureLogger().logger });
    expect(k.state.options).toMatchObject({ groupId: 'driftwatch-alerts', topics: ['drift-events'], fromBeginning: false });
  });

  it('validates each message: invalid ones are logged and counted, valid ones dispatched, then the offset is committed', async () => {
    const k = fakeKafka();
    const registry = new Registry();
    const { logger, text } = captureLogger();
    const slack = memoryChannel('slack');
    const dispatcher = new AlertDispatcher({ channels: [slack], registry });
    await runAlertsConsumer({ kafka: k.kafka, topic: 'drift-events', groupId: 'g', dispatcher, logger, registry });
    const detected = driftEvent();
    await k.deliver(
      1,
      [
        JSON.stringify(detected),
        'not json',
        null,
        JSON.stringify({ ...detected, event_id: '', sample_count: -1 }),
        JSON.stringify(driftEvent({ type: 'drift_check' })),
        JSON.stringify(detected), // redelivery
      ],
      40,
    );
    expect(slack.sent.map((a) => a.kind)).toEqual(['drift']); // delivered before the commit
    expect(k.state.commits).toEqual([{ topic: 'drift-events', partition: 1, offset: '46' }]);
    expect(k.state.resolved).toEqual(['45']); // the fetch position moves past the batch
    expect(await metricValue(registry, 'alerts_invalid_events_total')).toBe(3);
    expect(await metricValue(registry, 'alerts_suppressed_total', { reason: 'duplicate' })).toBe(1);
    expect(text()).toContain('message is not JSON, skipped');
    expect(text()).toContain('message without a value skipped');
    expect(text()).toMatch(/"issues":\[\{"code":"too_small","path":"event_id"/);
  });

  it('skips messages of a batch fetched again (already dispatched in this process)', async () => {
    const k = fakeKafka();
    const registry = new Registry();
    const slack = memoryChannel('slack');
    const dispatcher = new AlertDispatcher({ channels: [slack], registry });
    await runAlertsConsumer({ kafka: k.kafka, topic: 'drift-events', groupId: 'g', dispatcher, logger: captureLogger().logger, registry });
    const values = [JSON.stringify(driftEvent()), 'garbage'];
    await k.deliver(0, values);
    await k.deliver(0, values); // the same batch again
    await k.deliver(0, [...values, JSON.stringify(driftEvent({ model: 'other' }))]);
    expect(slack.sent.map((a) => a.event.model)).toEqual(['credit-risk', 'other']);
    expect(await metricValue(registry, 'alerts_invalid_events_total')).toBe(1);
    expect(await metricValue(registry, 'alerts_suppressed_total', { reason: 'duplicate' })).toBe(0);
    expect(k.state.commits.map((c) => c.offset)).toEqual(['2', '3']);
    expect(k.state.resolved).toEqual(['1', '1', '2']);
  });

  it("commits only after the batch's alerts were delivered (at-least-once)", async () => {
    const k = fakeKafka();
    let release = () => {};
    const slow = memoryChannel('slow', ['drift'], () => new Promise<void>((r) => (release = r)));
    const dispatcher = new AlertDispatcher({ channels: [slow] });
    await runAlertsConsumer({ kafka: k.kafka, topic: 'drift-events', groupId: 'g', dispatcher, logger: captureLogger().logger, heartbeatIntervalMs: 10 });
    const batch = k.deliver(0, [JSON.stringify(driftEvent())]);
    await waitFor(() => slow.attempts === 1, 5000, 'the delivery attempt');
    await settle();
    expect(k.state.commits).toEqual([]);
    release();
    await batch;
    expect(k.state.commits).toEqual([{ topic: 'drift-events', partition: 0, offset: '1' }]);
  });

  it('stop() stops the group consumer and settles done', async () => {
    const k = fakeKafka();
    const consumer = await runAlertsConsumer({ kafka: k.kafka, topic: 't', groupId: 'g', dispatcher: new AlertDispatcher({ channels: [] }), logger: captureLogger().logger });
    await consumer.stop();
    await expect(consumer.done).resolves.toBeUndefined();
    expect(k.state.stopped).toBe(true);
  });

  it('done rejects when the client gives up on a crashed consumer', async () => {
    const k = fakeKafka();
    const consumer = await runAlertsConsumer({ kafka: k.kafka, topic: 't', groupId: 'g', dispatcher: new AlertDispatcher({ channels: [] }), logger: captureLogger().logger });
    k.state.handlers!.onCrash!(new Error('broker gone'), false);
    await expect(consumer.done).rejects.toThrow('broker gone');
  });
});
