import type { Logger } from 'pino';
import { Registry } from 'prom-client';
import { driftEventSchema, type DriftEvent } from '../../core/detect/drift-event.js';
import type { BatchContext, GroupConsumer, InboundBatch, InboundMessage, KafkaClient } from '../kafka/types.js';
import type { AlertsConfig } from './config.js';
import { createAlertDispatcher, type AlertsDeps } from './create.js';
import type { AlertDispatcher } from './dispatcher.js';
import { alertMetrics } from './metrics.js';

export interface AlertsConsumerOptions {
  kafka: KafkaClient;
  /** The drift events topic. */
  topic: string;
  /** A consumer group of its own (default in the config: driftwatch-alerts). */
  groupId: string;
  dispatcher: AlertDispatcher;
  logger: Logger;
  /** Where alerts_invalid_events_total is registered (use the dispatcher's registry). */
  registry?: Registry;
  /**
   * Where a group without committed offsets starts. Default false: at the end, so a new
   * deployment does not page people about drifts of the past.
   */
  fromBeginning?: boolean;
  /**
   * Commit a batch only once its alerts were delivered or given up on (at-least-once for
   * alerts). Default true. With false, offsets are committed as soon as the alerts are queued.
   */
  awaitDelivery?: boolean;
  /** How often to heartbeat while waiting for deliveries. Default 3000. */
  heartbeatIntervalMs?: number;
  /** After stop(), how long a batch may still wait for its deliveries before it is left uncommitted. Default 10_000. */
  stopDeadlineMs?: number;
  sessionTimeoutMs?: number;
}

export interface AlertsConsumer {
  /** Stops fetching, finishes the batch in hand (and commits it), leaves the group. */
  stop(): Promise<void>;
  /** Rejects when the consumer crashed and the client does not restart it. */
  readonly done: Promise<void>;
}

/**
 * The standalone downstream consumer (`driftwatch alerts`): reads drift events from the topic
 * with its own consumer group, validates each (invalid ones are logged and counted, never
 * fatal), dispatches them, and commits a partition's offsets after the batch's alerts were
 * delivered. Redelivered events (rebalance, restart before a commit) carry the same event_id,
 * which the dispatcher de-duplicates while it remembers them.
 */
export async function runAlertsConsumer(options: AlertsConsumerOptions): Promise<AlertsConsumer> {
  const { kafka, topic, groupId, dispatcher } = options;
  const logger = options.logger.child({ component: 'alerts-consumer', topic, groupId });
  const metrics = alertMetrics(options.registry ?? new Registry());
  const awaitDelivery = options.awaitDelivery ?? true;
  const heartbeatIntervalMs = options.heartbeatIntervalMs ?? 3000;
  const stopDeadlineMs = options.stopDeadlineMs ?? 10_000;
  let stopAt: number | null = null;

  let rejectDone: (error: Error) => void = () => {};
  let resolveDone: () => void = () => {};
  const done = new Promise<void>((resolve, reject) => {
    resolveDone = resolve;
    rejectDone = reject;
  });
  done.catch(() => undefined);

  const consumer: GroupConsumer = kafka.consumer({
    groupId,
    topics: [topic],
    fromBeginning: options.fromBeginning ?? false,
    sessionTimeoutMs: options.sessionTimeoutMs,
  });

  const decode = (message: InboundMessage): DriftEvent | null => {
    const where = { partition: message.partition, offset: message.offset };
    if (!message.value) {
      metrics.invalidEvents.inc();
      logger.warn(where, 'drift events topic: message without a value skipped');
      return null;
    }
    let json: unknown;
    try {
      json = JSON.parse(message.value.toString('utf8'));
    } catch (error) {
      metrics.invalidEvents.inc();
      logger.warn({ ...where, reason: (error as Error).message }, 'drift events topic: message is not JSON, skipped');
      return null;
    }
    const parsed = driftEventSchema.safeParse(json);
    if (!parsed.success) {
      metrics.invalidEvents.inc();
      const issues = parsed.error.issues.slice(0, 10).map((i) => ({ code: i.code, path: i.path.join('.'), message: i.message }));
      logger.warn({ ...where, issues }, 'drift events topic: message is not a valid drift event, skipped');
      return null;
    }
    return parsed.data;
  };

  const waitForDelivery = async (context: BatchContext): Promise<boolean> => {
    for (;;) {
      if (await dispatcher.flush(heartbeatIntervalMs)) return true;
      if (stopAt !== null && Date.now() - stopAt > stopDeadlineMs) return false;
      try {
        await context.heartbeat();
      } catch (error) {
        logger.debug({ reason: (error as Error).message }, 'heartbeat while waiting for alert delivery failed');
      }
    }
  };

  // Next offset to handle per partition in this process. A batch fetched again (a batch left
  // unresolved at stop, a rebalance) holds messages dispatched already: they are skipped (and
  // counted once, not again, when invalid).
  const nextOffset = new Map<number, bigint>();

  const onBatch = async (batch: InboundBatch, context: BatchContext): Promise<void> => {
    let last: string | null = null;
    for (const message of batch.messages) {
      if (context.isStale()) break;
      if (BigInt(message.offset) < (nextOffset.get(message.partition) ?? 0n)) continue;
      const event = decode(message);
      if (event) {
        const result = dispatcher.dispatch(event);
        logger.debug(
          {
            partition: message.partition,
            offset: message.offset,
            event_id: event.event_id,
            type: event.type,
            alerts: result.alerts.map((a) => a.kind),
            suppressed: result.suppressed,
          },
          'drift event dispatched',
        );
      }
      last = message.offset;
      nextOffset.set(message.partition, BigInt(message.offset) + 1n);
      // After stop(): finish the message in hand, commit what was read.
      if (!context.isRunning()) break;
    }
    if (last === null) {
      const final = batch.messages[batch.messages.length - 1];
      if (final && context.isRunning() && !context.isStale() && BigInt(final.offset) < (nextOffset.get(batch.partition) ?? 0n)) context.resolveOffset(final.offset);
      return;
    }
    if (awaitDelivery && !(await waitForDelivery(context))) {
      logger.warn({ partition: batch.partition, offset: last }, 'stopping before the alerts of this batch were delivered: offsets left uncommitted, the events will be read again');
      return;
    }
    if (context.isStale()) return;
    const next = (BigInt(last) + 1n).toString();
    await consumer.commit([{ topic: batch.topic, partition: batch.partition, offset: next }]);
    // Move the fetch position past the batch (the client would otherwise fetch it again).
    if (context.isRunning()) context.resolveOffset(last);
  };

  await consumer.start({
    onBatch,
    onAssignment: (assignment) => logger.info({ assignment }, 'alerts consumer assigned'),
    onCrash: (error, restarting) => {
      logger.error({ error: { name: error.name, message: error.message }, restarting }, 'alerts consumer crashed');
      if (!restarting) rejectDone(error);
    },
  });
  logger.info('alerts consumer started');

  let stopping: Promise<void> | null = null;
  return {
    done,
    stop() {
      stopping ??= (async () => {
        stopAt = Date.now();
        await consumer.stop();
        logger.info('alerts consumer stopped');
        resolveDone();
      })();
      return stopping;
    },
  };
}

export interface AlertsServiceDeps extends AlertsDeps {
  kafka: KafkaClient;
  /** The drift events topic. */
  topic: string;
  logger: Logger;
  /** Defaults to config.consumerGroupId. */
  groupId?: string;
  fromBeginning?: boolean;
}

export interface AlertsService {
  dispatcher: AlertDispatcher;
  consumer: AlertsConsumer;
  /** Stops the consumer (committing the batch in hand), then drains the dispatcher within `deadlineMs`. */
  stop(deadlineMs?: number): Promise<void>;
}

/** `driftwatch alerts`: dispatcher + consumer from the alerts section of the configuration. */
export async function startAlertsService(config: AlertsConfig, deps: AlertsServiceDeps): Promise<AlertsService> {
  const dispatcher = createAlertDispatcher(config, { ...deps, logger: deps.logger.child({ component: 'alerts' }) });
  let consumer: AlertsConsumer;
  try {
    consumer = await runAlertsConsumer({
      kafka: deps.kafka,
      topic: deps.topic,
      groupId: deps.groupId ?? config.consumerGroupId,
      dispatcher,
      logger: deps.logger,
      registry: deps.registry,
      fromBeginning: deps.fromBeginning,
    });
  } catch (error) {
    await dispatcher.shutdown(0);
    throw error;
  }
  return {
    dispatcher,
    consumer,
    async stop(deadlineMs = 10_000) {
      await consumer.stop();
      await dispatcher.shutdown(deadlineMs);
    },
  };
}
