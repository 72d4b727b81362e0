/**
 * The consumer worker (KAFKA_CONSUMER_THREAD=worker; consumer-thread.ts starts it): owns the
 * kafkajs consumer, so kafkajs's fetching and record decoding run off the main thread. Each
 * batch is packed into transferable buffers and posted; once the main thread has it, the
 * batch's offsets are resolved so that the next fetch overlaps the main thread's work, but the
 * next batch is posted only after the main thread is done with this one (one batch ahead at
 * most: backpressure). Commits stay explicit and come from the main thread, so the read
 * position running one batch ahead changes nothing in what is committed; a batch the main
 * thread fails is fetched again (seek back to its first unhandled offset). While the main
 * thread holds a batch the worker heartbeats the group itself.
 */
import { parentPort, workerData } from 'node:worker_threads';
import type { Logger } from 'pino';
import type { ConsumerWorkerData, FromWorker, PackedBatch, ToWorker } from './consumer-thread-protocol.js';
import { createKafkajsClient } from './kafkajs.js';
import type { BatchContext, InboundBatch } from './types.js';

const port = parentPort!;
const { connection, options } = workerData as ConsumerWorkerData;
const post = (message: FromWorker, transfer: ArrayBuffer[] = []) => port.postMessage(message, transfer);

/** The kafkajs adapter's log lines, forwarded to the main thread's logger. */
const forward = (level: 'error' | 'warn' | 'debug') => (fields: Record<string, unknown>, message: string) => post({ type: 'log', level, fields, message });
const logger = { error: forward('error'), warn: forward('warn'), debug: forward('debug'), info: forward('debug') } as unknown as Logger;

const consumer = createKafkajsClient(connection, logger).consumer(options);
/** Heartbeat this often while the main thread holds a batch (kafkajs throttles to its interval). */
const HEARTBEAT_TICK_MS = 1000;

let nextId = 0;
let stopping = false;
/** The batch the main thread holds, if any: its done message resolves `done`. */
let held: { id: number; topic: string; partition: number; firstOffset: string; done: () => void } | null = null;
let heldDone: Promise<void> = Promise.resolve();
/** The context of the batch waiting in eachBatch (the one heartbeats go through). */
let current: BatchContext | null = null;
let heartbeatError: unknown = null;
/**
 * The main thread's seeks applied, per partition: a batch carries the count from when it was
 * fetched, so the main thread can tell one fetched before its latest seek.
 */
const seeks = new Map<string, number>();
const seekKey = (topic: string, partition: number) => `${topic}:${partition}`;

function pack(batch: InboundBatch, id: number, seekEpoch: number): { packed: PackedBatch; transfer: ArrayBuffer[] } {
  const { messages } = batch;
  const n = messages.length;
  let valueBytes = 0;
  let keyBytes = 0;
  for (let i = 0; i < n; i++) {
    valueBytes += messages[i].value?.length ?? 0;
    keyBytes += messages[i].key?.length ?? 0;
  }
  const values = new Uint8Array(valueBytes);
  const keys = new Uint8Array(keyBytes);
  const valueStarts = new Int32Array(n + 1);
  const keyStarts = new Int32Array(n + 1);
  const valueNull = new Uint8Array(n);
  const keyNull = new Uint8Array(n);
  const offsets = new Float64Array(n);
  const timestamps = new Float64Array(n);
  const headers: [number, Record<string, string>][] = [];
  let v = 0;
  let k = 0;
  for (let i = 0; i < n; i++) {
    const m = messages[i];
    valueStarts[i] = v;
    keyStarts[i] = k;
    if (m.value === null) valueNull[i] = 1;
    else {
      values.set(m.value, v);
      v += m.value.length;
    }
    if (m.key === null) keyNull[i] = 1;
    else {
      keys.set(m.key, k);
      k += m.key.length;
    }
    offsets[i] = Number(m.offset);
    timestamps[i] = m.timestampMs;
    for (const _ in m.headers) {
      headers.push([i, m.headers]);
      break;
    }
  }
  valueStarts[n] = v;
  keyStarts[n] = k;
  const packed: PackedBatch = {
    type: 'batch',
    id,
    seekEpoch,
    topic: batch.topic,
    partition: batch.partition,
    highWatermark: batch.highWatermark,
    count: n,
    offsets,
    timestamps,
    values: values.buffer,
    valueStarts,
    valueNull,
    keys: keys.buffer,
    keyStarts,
    keyNull,
    headers,
  };
  return { packed, transfer: [values.buffer, keys.buffer, valueStarts.buffer, keyStarts.buffer, valueNull.buffer, keyNull.buffer, offsets.buffer, timestamps.buffer] };
}

async function onBatch(batch: InboundBatch, context: BatchContext): Promise<void> {
  if (stopping || batch.messages.length === 0) return;
  current = context;
  const seekEpoch = seeks.get(seekKey(batch.topic, batch.partition)) ?? 0;
  const ticker = setInterval(() => {
    context.heartbeat().catch((error: unknown) => (heartbeatError = error));
  }, HEARTBEAT_TICK_MS);
  try {
    // At most one batch ahead: the previous one must be done before this one is posted.
    await heldDone;
    if (heartbeatError) {
      const error = heartbeatError;
      heartbeatError = null;
      throw error; // a rebalance: kafkajs rejoins, the batch is fetched again by its owner
    }
    if (stopping || !context.isRunning() || context.isStale()) return;
    const id = ++nextId;
    const { packed, transfer } = pack(batch, id, seekEpoch);
    heldDone = new Promise<void>((resolve) => {
      held = { id, topic: batch.topic, partition: batch.partition, firstOffset: batch.messages[0].offset, done: resolve };
    });
    post(packed, transfer);
    // Posted is taken (the port delivers in order, and a batch failed later is sought back):
    // resolving now lets kafkajs fetch the next batch while the main thread works on this one.
    context.resolveOffset(batch.messages[batch.messages.length - 1].offset);
  } finally {
    clearInterval(ticker);
    if (current === context) current = null;
  }
}

function done(message: Extract<ToWorker, { op: 'done' }>): void {
  const batch = held;
  if (!batch || batch.id !== message.id) return;
  held = null;
  if (message.error !== undefined && !stopping) {
    // Not handled to its end: read it again from the first offset not handled.
    const from = message.resolved === null ? batch.firstOffset : String(Number(message.resolved) + 1);
    try {
      consumer.seek(batch.topic, batch.partition, from);
    } catch (error) {
      post({ type: 'log', level: 'warn', fields: { err: (error as Error).message }, message: 'seeking back a failed batch failed' });
    }
  }
  batch.done();
}

async function reply(id: number, work: () => Promise<Partial<Extract<FromWorker, { type: 'reply' }>> | void>): Promise<void> {
  try {
    const result = await work();
    post({ type: 'reply', id, ...(result ?? {}) });
  } catch (error) {
    post({ type: 'reply', id, error: error instanceof Error ? error.message : String(error) });
  }
}

port.on('message', (message: ToWorker) => {
  switch (message.op) {
    case 'done':
      return done(message);
    case 'heartbeat':
      return void reply(message.id, async () => {
        await current?.heartbeat();
      });
    case 'commit':
      return void reply(message.id, () => consumer.commit(message.offsets));
    case 'committed':
      return void reply(message.id, async () => ({ committed: await consumer.committed(message.topic) }));
    case 'seek':
      // Counted even when it fails (a stopping consumer): the main thread counted it.
      seeks.set(seekKey(message.topic, message.partition), (seeks.get(seekKey(message.topic, message.partition)) ?? 0) + 1);
      try {
        consumer.seek(message.topic, message.partition, message.offset);
      } catch (error) {
        post({ type: 'log', level: 'warn', fields: { err: (error as Error).message }, message: 'seek failed' });
      }
      return;
    case 'pause':
      return consumer.pause(message.topics);
    case 'resume':
      return consumer.resume(message.topics);
    case 'stop':
      stopping = true;
      held?.done();
      held = null;
      return void reply(message.id, async () => {
        clearInterval(stateTimer);
        await consumer.stop(); // the main thread then ends this thread
      });
  }
});

let lastState = '';
const reportState = () => {
  const state = { joined: consumer.joined, reachable: consumer.brokerReachable ?? consumer.joined };
  const text = `${state.joined}/${state.reachable}`;
  if (text !== lastState) post({ type: 'state', ...state });
  lastState = text;
};
const stateTimer = setInterval(reportState, 250);

consumer
  .start({
    onBatch,
    onAssignment: (assignment) => {
      reportState();
      post({ type: 'assignment', assignment });
    },
    onCrash: (error, restarting) => {
      reportState();
      post({ type: 'crash', error: error.message, restarting });
    },
  })
  .then(
    () => post({ type: 'started' }),
    (error: unknown) => post({ type: 'startFailed', error: error instanceof Error ? error.message : String(error) }),
  );
