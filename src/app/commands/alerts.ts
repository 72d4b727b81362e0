import { Registry } from 'prom-client';
import { createKafkajsClient } from '../../adapters/kafka/index.js';
import { startAlertsService } from '../../adapters/alerts/index.js';
import { kafkaConnection } from '../service.js';
import { commandLogger, configOrExit, fail, trapSignals } from './lifecycle.js';
import { EXIT_FAILURE, EXIT_OK, type CliIo } from './io.js';

/** `driftwatch alerts`: the standalone alert dispatcher on the drift events topic. */
export async function alertsCommand(options: { config?: string }, io: CliIo): Promise<number> {
  const config = await configOrExit(options.config, io);
  if (!config) return EXIT_FAILURE;
  if (!config.kafka.brokers?.length) {
    io.stderr('driftwatch: `driftwatch alerts` reads the drift events topic: set KAFKA_BROKERS\n');
    return EXIT_FAILURE;
  }
  const logger = commandLogger(config.log.level, io);
  const trap = trapSignals(io);
  try {
    const kafka = io.kafka ?? createKafkajsClient({ ...kafkaConnection(config), clientId: `${config.kafka.clientId}-alerts` }, logger.child({ component: 'kafka' }));
    const service = await startAlertsService(config.alerts, { kafka, topic: config.kafka.driftEventsTopic, logger, registry: new Registry() });
    const signalled = trap.stopWith(() => service.stop());
    await Promise.race([service.consumer.done, signalled]);
    await service.stop();
    return EXIT_OK;
  } catch (error) {
    return fail(error, io);
  } finally {
    trap.dispose();
  }
}
