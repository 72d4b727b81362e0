import { EXAMPLE, startService } from '../service.js';
import { configOrExit, commandLogger, fail, runUntilDone, startTrapped, trapSignals } from './lifecycle.js';
import { EXIT_FAILURE, EXIT_OK, type CliIo } from './io.js';

/** `driftwatch run`: the streaming monitor; with nothing configured, the bundled example. */
export async function runCommand(options: { config?: string }, io: CliIo): Promise<number> {
  const trap = trapSignals(io);
  try {
    // Nothing configured at all: the bundled example, with its own window settings.
    const file = options.config ?? (io.env.KAFKA_BROKERS ? undefined : EXAMPLE.config);
    const config = await configOrExit(file, io);
    if (!config) return EXIT_FAILURE;
    if (trap.signal) return EXIT_OK;
    const embedded = !config.kafka.brokers?.length;
    if (embedded) {
      // The example replays in a moment; the HTTP server is left off unless asked for.
      if (io.env.HTTP_ENABLED === undefined) config.http.enabled = false;
      io.stdout(
        'driftwatch: no KAFKA_BROKERS configured, so running the bundled example:\n' +
          '  config     config/examples/driftwatch.yaml\n' +
          '  reference  config/examples/model_artifacts/v1.2.0/reference_distribution.json\n' +
          '  events     config/examples/events.jsonl (credit-risk model, drift begins part-way)\n' +
          `  window ${config.window.sizeMs / 60_000} min, evaluated every ${config.window.slideMs / 60_000} min, metric ${config.drift.metric}, threshold ${config.drift.threshold}\n\n`,
      );
    }
    const service = await startTrapped(
      trap,
      () => startService(config, { logger: commandLogger(config.log.level, io), kafka: io.kafka, write: (line) => io.stdout(line + '\n') }),
      io,
    );
    if (!service) return EXIT_OK;
    const code = await runUntilDone(service, trap, io);
    if (embedded) io.stdout('\nSet KAFKA_BROKERS (and INFLUX_URL) to monitor a live stream; see the README.\n');
    return code;
  } catch (error) {
    return fail(error, io);
  } finally {
    trap.dispose();
  }
}
