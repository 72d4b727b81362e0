import { createKafkajsClient } from '../../adapters/kafka/index.js';
import { parseDuration } from '../../core/duration.js';
import { runDemoProducer } from '../demo/producer.js';
import { storeDemoSink } from '../demo/store-sink.js';
import { kafkaConnection } from '../service.js';
import { commandLogger, configOrExit, fail } from './lifecycle.js';
import { EXIT_FAILURE, EXIT_OK, type CliIo } from './io.js';

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
  /** Write to this feature store (FEATURE_STORE_* settings) instead of Kafka. */
  store?: string;
}

/** `driftwatch demo-producer`: credit-risk prediction events to Kafka (or with --store to a feature store), drifting after a while. */
export async function demoProducerCommand(options: DemoProducerCommandOptions, io: CliIo): Promise<number> {
  const config = await configOrExit(options.config, io);
  if (!config) return EXIT_FAILURE;
  if (!options.store && !config.kafka.brokers?.length) {
    io.stderr('driftwatch: `driftwatch demo-producer` writes to Kafka: set KAFKA_BROKERS\n');
    return EXIT_FAILURE;
  }
  const driftAfterMs = options.driftAfter === 'never' ? Number.POSITIVE_INFINITY : parseDuration(options.driftAfter);
  if (driftAfterMs === null) throw new RangeError(`--drift-after must be a duration such as "5m" or "never", got "${options.driftAfter}"`);
  const logger = commandLogger(config.log.level, io);
  const abort = new AbortController();
  const stop = () => abort.abort();
  process.once('SIGTERM', stop);
  process.once('SIGINT', stop);
  try {
    // runDemoProducer logs the counts itself ("demo producer stopped"): once is enough.
    await runDemoProducer({
      ...(options.store
        ? { sink: storeDemoSink(config, options.store) }
        : { kafka: io.kafka ?? createKafkajsClient({ ...kafkaConnection(config), clientId: `${config.kafka.clientId}-demo` }, logger.child({ component: 'kafka' })) }),
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
    return EXIT_OK;
  } catch (error) {
    return fail(error, io);
  } finally {
    process.off('SIGTERM', stop);
    process.off('SIGINT', stop);
  }
}
