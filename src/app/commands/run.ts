import { loadConfig, type Config } from '../config/load.js';
import { ConfigError, DriftwatchError } from '../../core/errors.js';
import { createLogger, EXAMPLE, kafkaConnection, startService, type RunningService } from '../service.js';
import { parseDuration } from '../../core/duration.js';
import { runDemoProducer } from '../demo/producer.js';
import { createKafkajsClient } from '../../adapters/kafka/index.js';
import { startAlertsService } from '../../adapters/alerts/index.js';
import { Registry } from 'prom-client';

const EXIT_OK = 0;
const EXIT_FAILURE = 1;

async function configOrExit(file: string | undefined): Promise<Config | null> {
  try {
    const { config, notes } = await loadConfig({ file });
    const logger = createLogger(config.log.level);
    for (const note of notes) logger.warn(note);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      process.stderr.write(`driftwatch: ${error.message}\n`);
      return null;
    }
    throw error;
  }
}

/**
 * SIGTERM/SIGINT trapped from the first line of a command to its last (issue 16: a signal during
 * start-up used to kill the process with 143, or be lost). `stopWith` names what a signal stops;
 * before that is known (start-up), a signal is remembered and acted on as soon as it is.
 */
interface SignalTrap {
  /** Resolves with the first signal received. */
  readonly received: Promise<NodeJS.Signals>;
  readonly signal: NodeJS.Signals | null;
  /** What a signal stops: called at once when one was already received. Resolves when stopped. */
  stopWith(stop: () => Promise<void>): Promise<void>;
  dispose(): void;
}

function trapSignals(): SignalTrap {
  let signal: NodeJS.Signals | null = null;
  let resolveReceived!: (s: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveReceived = resolve));
  const handler = (s: NodeJS.Signals) => {
    if (signal) {
      process.stderr.write(`driftwatch: ${s} received again, still shutting down\n`);
      return;
    }
    signal = s;
    process.stderr.write(`driftwatch: ${s} received, shutting down\n`);
    resolveReceived(s);
  };
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return {
    received,
    get signal() {
      return signal;
    },
    async stopWith(stop) {
      await received;
      await stop().catch((error: unknown) => process.stderr.write(`driftwatch: error while stopping: ${(error as Error).message}\n`));
    },
    dispose() {
      process.off('SIGTERM', handler);
      process.off('SIGINT', handler);
    },
  };
}

/**
 * Starts a service while signals are trapped: a signal during start-up stops the service as
 * soon as start-up completes (or lets a failed start-up end quietly), exit 0.
 */
async function startTrapped<T extends { stop(): Promise<void> }>(trap: SignalTrap, start: () => Promise<T>): Promise<T | null> {
  const starting = start();
  const first = await Promise.race([starting.then((service) => ({ service })), trap.received.then(() => null)]);
  if (first) return first.service;
  process.stderr.write('driftwatch: signal received during start-up: stopping once started\n');
  const service = await starting.catch(() => null);
  if (service) await service.stop().catch(() => undefined);
  return null;
}

async function runUntilDone(service: RunningService, trap: SignalTrap): Promise<number> {
  const signalled = trap.stopWith(() => service.stop());
  try {
    await Promise.race([service.done, signalled]);
  } catch (error) {
    process.stderr.write(`driftwatch: ${(error as Error).message}\n`);
    await service.stop().catch(() => undefined);
    return EXIT_FAILURE;
  }
  await service.stop();
  return EXIT_OK;
}

export async function runCommand(options: { config?: string }): Promise<number> {
  const trap = trapSignals();
  try {
    // Nothing configured at all: the bundled example, with its own window settings.
    const file = options.config ?? (process.env.KAFKA_BROKERS ? undefined : EXAMPLE.config);
    const config = await configOrExit(file);
    if (!config) return EXIT_FAILURE;
    if (trap.signal) return EXIT_OK;
    const embedded = !(config.kafka.brokers?.length);
    if (embedded) {
      // The example replays in a moment; the HTTP server is left off unless asked for.
      if (process.env.HTTP_ENABLED === undefined) config.http.enabled = false;
      process.stdout.write('driftwatch: no KAFKA_BROKERS configured, so running the bundled example:\n' +
        '  config     config/examples/driftwatch.yaml\n' +
        '  reference  config/examples/model_artifacts/v1.2.0/reference_distribution.json\n' +
        '  events     config/examples/events.jsonl (credit-risk model, drift begins part-way)\n' +
        `  window ${config.window.sizeMs / 60_000} min, evaluated every ${config.window.slideMs / 60_000} min, metric ${config.drift.metric}, threshold ${config.drift.threshold}\n\n`);
    }
    const service = await startTrapped(trap, () => startService(config));
    if (!service) return EXIT_OK;
    const code = await runUntilDone(service, trap);
    if (embedded) process.stdout.write('\nSet KAFKA_BROKERS (and INFLUX_URL) to monitor a live stream; see the README.\n');
    return code;
  } catch (error) {
    return fail(error);
  } finally {
    trap.dispose();
  }
}

export async function replayCommand(options: { input: string; referenceDir?: string; config?: string; out?: string }): Promise<number> {
  const trap = trapSignals();
  try {
    const config = await configOrExit(options.config);
    if (!config) return EXIT_FAILURE;
    if (options.referenceDir) config.reference.dir = options.referenceDir;
    if (options.out) config.output.jsonlPath = options.out;
    if (process.env.HTTP_ENABLED === undefined) config.http.enabled = false;
    config.output.console ??= true;
    const service = await startTrapped(trap, () => startService(config, {}, options.input));
    return service ? await runUntilDone(service, trap) : EXIT_OK;
  } catch (error) {
    return fail(error);
  } finally {
    trap.dispose();
  }
}

export async function alertsCommand(options: { config?: string }): Promise<number> {
  const config = await configOrExit(options.config);
  if (!config) return EXIT_FAILURE;
  if (!config.kafka.brokers?.length) {
    process.stderr.write('driftwatch: `driftwatch alerts` reads the drift events topic: set KAFKA_BROKERS\n');
    return EXIT_FAILURE;
  }
  const logger = createLogger(config.log.level);
  const trap = trapSignals();
  try {
    const kafka = createKafkajsClient({ ...kafkaConnection(config), clientId: `${config.kafka.clientId}-alerts` }, logger.child({ component: 'kafka' }));
    const service = await startAlertsService(config.alerts, { kafka, topic: config.kafka.driftEventsTopic, logger, registry: new Registry() });
    const signalled = trap.stopWith(() => service.stop());
    await Promise.race([service.consumer.done, signalled]);
    await service.stop();
    return EXIT_OK;
  } catch (error) {
    return fail(error);
  } finally {
    trap.dispose();
  }
}

function fail(error: unknown): number {
  const message = error instanceof DriftwatchError ? error.message : (error as Error).stack ?? String(error);
  process.stderr.write(`driftwatch: ${message}\n`);
  return EXIT_FAILURE;
}

export interface DemoProducerCommandOptions {
  rate: number;
  driftAfter: string;
  model: string;
  modelVersion: string;
  seed: number;
  topic?: string;
  partitions: number;
  maxEvents?: number;
  createTopic: boolean;
  config?: string;
}

export async function demoProducerCommand(options: DemoProducerCommandOptions): Promise<number> {
  const config = await configOrExit(options.config);
  if (!config) return EXIT_FAILURE;
  if (!config.kafka.brokers?.length) {
    process.stderr.write('driftwatch: `driftwatch demo-producer` writes to Kafka: set KAFKA_BROKERS\n');
    return EXIT_FAILURE;
  }
  const driftAfterMs = options.driftAfter === 'never' ? Number.POSITIVE_INFINITY : parseDuration(options.driftAfter);
  if (driftAfterMs === null) throw new RangeError(`--drift-after must be a duration such as "5m" or "never", got "${options.driftAfter}"`);
  const logger = createLogger(config.log.level);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    const result = await runDemoProducer({
      kafka: createKafkajsClient({ ...kafkaConnection(config), clientId: `${config.kafka.clientId}-demo` }, logger.child({ component: 'kafka' })),
      topic: options.topic ?? config.kafka.topic,
      ratePerSecond: options.rate,
      driftAfterMs,
      model: options.model,
      modelVersion: options.modelVersion,
      seed: options.seed,
      partitions: options.partitions,
      maxEvents: options.maxEvents,
      createTopic: options.createTopic,
      signal: abort.signal,
      logger,
    });
    logger.info(result, 'demo producer stopped');
    return EXIT_OK;
  } catch (error) {
    return fail(error);
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
