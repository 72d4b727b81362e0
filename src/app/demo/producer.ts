import { asyncScheduler, type SchedulerLike } from 'rxjs';
import type { KafkaClient, OutboundMessage } from '../../adapters/kafka/index.js';
import { sleep } from '../../runtime/retry.js';
import { creditRow, rng, type CreditRow, type Rng } from './credit.js';

/**
 * The demo producer behind `driftwatch demo-producer` (and the compose service of that name):
 * credit-risk prediction events in the wire format of docs/wire-formats.md, stamped with the current time
 * and keyed by model, at a steady rate; after `driftAfterMs` the rows drift (income and
 * employment_type shift, see `creditRow`), so a driftwatch watching the topic reports drift
 * once its windows fill with drifted events.
 */
export interface DemoProducerOptions {
  kafka?: KafkaClient;
  /** Prediction events topic (driftwatch's KAFKA_TOPIC). */
  topic: string;
  /**
   * Where the events go instead of Kafka: a feature store (`demo-producer --store`), through
   * the step-2 writers (docs/feature-stores.md). Same generator, same rate, same drift phase.
   */
  sink?: DemoSink;
  /** Events per second (may be fractional, e.g. 0.5 for one every two seconds). */
  ratePerSecond: number;
  /** Milliseconds after the start at which rows begin to drift; 0 drifts from the start, Infinity never. */
  driftAfterMs: number;
  model: string;
  modelVersion: string;
  /** Seed of the row generator: the same seed gives the same rows. */
  seed: number;
  /** Abort to stop: the batch in hand is sent, then the producer disconnects. */
  signal: AbortSignal;
  logger?: DemoLogger;
  /** Create the topic when missing (default true). driftwatch's producer never auto-creates topics. */
  createTopic?: boolean;
  /** Partitions of the topic when it is created (default 1). */
  partitions?: number;
  /** Stop by itself after this many events (default: run until aborted). */
  maxEvents?: number;
  /** Runs the waits between sends; tests pass a VirtualTimeScheduler. Default asyncScheduler. */
  scheduler?: SchedulerLike;
  /** Clock of the rate and the event timestamps. Default: the scheduler's `now()` (Date.now). */
  now?: () => number;
}

/** Where the demo's events go: Kafka by default, or a feature store. */
export interface DemoSink {
  readonly description: string;
  open(): Promise<void>;
  send(events: readonly DemoEvent[]): Promise<void>;
  close(): Promise<void>;
}

/** The Kafka topic as a sink (the topic created when missing unless `createTopic` is false). */
export function kafkaDemoSink(kafka: KafkaClient, topic: string, options: { createTopic?: boolean; partitions?: number } = {}): DemoSink {
  const producer = kafka.producer();
  return {
    description: `topic ${topic}`,
    async open() {
      if (options.createTopic ?? true) {
        const admin = await kafka.admin();
        try {
          await admin.ensureTopics([{ topic, partitions: options.partitions ?? 1 }]);
        } finally {
          await admin.disconnect().catch(() => undefined);
        }
      }
      await producer.connect();
    },
    send: (events) =>
      producer.send(
        topic,
        events.map((e): OutboundMessage => ({ key: e.model, value: JSON.stringify(e) })),
      ),
    close: () => producer.disconnect(),
  };
}

/** The logger methods used (a pino Logger fits). */
export interface DemoLogger {
  info(obj: object, msg?: string): void;
  warn(obj: object, msg?: string): void;
}

export interface DemoProducerResult {
  /** Events sent. */
  sent: number;
  /** Of which drifted rows. */
  drifted: number;
}

/** One prediction event, as produced to the topic. */
export interface DemoEvent {
  model: string;
  model_version: string;
  timestamp: string;
  request_id: string;
  features: CreditRow;
  prediction: number;
  confidence: number;
}

/** Largest number of events in one produce request. */
const MAX_BATCH = 500;
/** How often due events are sent (ms); slower rates send each event on its own schedule. */
const TICK_MS = 100;

export function validateDemoOptions(
  options: Pick<DemoProducerOptions, 'topic' | 'ratePerSecond' | 'driftAfterMs' | 'model' | 'modelVersion' | 'seed' | 'partitions' | 'maxEvents'>,
): void {
  const problems: string[] = [];
  if (!options.topic.trim()) problems.push('topic must not be empty');
  if (!options.model.trim()) problems.push('model must not be empty');
  if (!options.modelVersion.trim()) problems.push('modelVersion must not be empty');
  if (!(Number.isFinite(options.ratePerSecond) && options.ratePerSecond > 0)) problems.push(`ratePerSecond must be a positive number, got ${options.ratePerSecond}`);
  if (!(options.driftAfterMs >= 0)) problems.push(`driftAfterMs must be ≥ 0 (Infinity: never drift), got ${options.driftAfterMs}`);
  if (!Number.isSafeInteger(options.seed)) problems.push(`seed must be an integer, got ${options.seed}`);
  if (options.partitions !== undefined && !(Number.isInteger(options.partitions) && options.partitions >= 1))
    problems.push(`partitions must be a positive integer, got ${options.partitions}`);
  if (options.maxEvents !== undefined && !(Number.isInteger(options.maxEvents) && options.maxEvents >= 0))
    problems.push(`maxEvents must be a non-negative integer, got ${options.maxEvents}`);
  if (problems.length > 0) throw new RangeError(`demo producer: ${problems.join('; ')}`);
}

/** Builds event number `index` from the generator (exported for tests). */
export function demoEvent(r: Rng, index: number, timeMs: number, options: { model: string; modelVersion: string; seed: number }, drift: boolean): DemoEvent {
  const features = creditRow(r, drift);
  // A made-up model output: riskier with lower credit scores and larger loans per income.
  const z = -(features.credit_score - 680) / 50 + 2 * (features.loan_amount / Math.max(features.income, 1) - 0.3);
  const risk = 1 / (1 + Math.exp(-z));
  const prediction = Math.round(Math.min(1, Math.max(0, risk + (r.uniform() - 0.5) * 0.1)) * 1000) / 1000;
  return {
    model: options.model,
    model_version: options.modelVersion,
    timestamp: new Date(timeMs).toISOString(),
    request_id: `demo-${options.seed}-${index}`,
    features,
    prediction,
    confidence: Math.round(Math.max(prediction, 1 - prediction) * 1000) / 1000,
  };
}

/**
 * Produces until `signal` aborts (or `maxEvents` were sent). Resolves with the counts; rejects
 * when Kafka fails (connect, topic creation or a send), after disconnecting.
 */
export async function runDemoProducer(options: DemoProducerOptions): Promise<DemoProducerResult> {
  validateDemoOptions(options);
  const { kafka, topic, ratePerSecond, driftAfterMs, model, modelVersion, seed, signal, logger } = options;
  const scheduler = options.scheduler ?? asyncScheduler;
  const now = options.now ?? (() => scheduler.now());
  const maxEvents = options.maxEvents ?? Number.POSITIVE_INFINITY;
  const result: DemoProducerResult = { sent: 0, drifted: 0 };
  if (signal.aborted) return result;

  if (!options.sink && !kafka) throw new RangeError('demo producer: pass kafka or a sink');
  const sink = options.sink ?? kafkaDemoSink(kafka!, topic, { createTopic: options.createTopic, partitions: options.partitions });
  await sink.open();
  logger?.info(
    { to: sink.description, ratePerSecond, model, modelVersion, seed, driftAfterMs: Number.isFinite(driftAfterMs) ? driftAfterMs : null },
    Number.isFinite(driftAfterMs) ? `producing demo events; drift starts after ${Math.round(driftAfterMs / 1000)} s` : 'producing demo events without drift',
  );

  const r = rng(seed);
  const started = now();
  const interval = Math.max(TICK_MS, Math.min(1000 / ratePerSecond, 1000));
  let announced = false;
  try {
    while (!signal.aborted && result.sent < maxEvents) {
      const elapsed = now() - started;
      // Events due by now at the rate (the first one at once), less those already sent.
      const due = Math.min(maxEvents, Math.floor((elapsed * ratePerSecond) / 1000) + 1) - result.sent;
      if (due > 0) {
        const drifting = elapsed >= driftAfterMs;
        if (drifting && !announced) {
          announced = true;
          logger?.info({ afterMs: elapsed, sent: result.sent }, 'demo events drift from now on (income and employment_type shift)');
        }
        const events: DemoEvent[] = [];
        for (let i = 0; i < Math.min(due, MAX_BATCH); i++) events.push(demoEvent(r, result.sent + i, now(), { model, modelVersion, seed }, drifting));
        await sink.send(events);
        result.sent += events.length;
        if (drifting) result.drifted += events.length;
        if (due > MAX_BATCH) continue; // behind: catch up without waiting
      }
      const nextDueMs = started + (result.sent * 1000) / ratePerSecond;
      const wait = Math.max(1, Math.min(interval, nextDueMs - now()));
      await sleep(wait, { signal, scheduler });
    }
  } finally {
    await sink.close().catch((error: unknown) => logger?.warn({ err: error }, `demo producer: closing ${sink.description} failed`));
  }
  logger?.info({ ...result }, 'demo producer stopped');
  return result;
}
