import { loadConfig, type Config } from '../config/load.js';
import { ConfigError, DriftwatchError } from '../../core/errors.js';
import { createLogger, type RunningService } from '../service.js';
import type { Logger } from 'pino';
import { EXIT_FAILURE, EXIT_OK, type CliIo } from './io.js';

/** The logger of a command: JSON lines on the command's standard error. */
export function commandLogger(level: string, io: CliIo): Logger {
  return createLogger(level, { write: (line: string) => io.stderr(line) });
}

/** The configuration (file, then the environment over it), or null after printing why it is invalid. */
export async function configOrExit(file: string | undefined, io: CliIo): Promise<Config | null> {
  try {
    const { config, notes } = await loadConfig({ file, env: io.env });
    const logger = commandLogger(config.log.level, io);
    for (const note of notes) logger.warn(note);
    return config;
  } catch (error) {
    if (error instanceof ConfigError) {
      io.stderr(`driftwatch: ${error.message}\n`);
      return null;
    }
    throw error;
  }
}

/**
 * Calls `stop` on SIGTERM/SIGINT (stop fetching, finish the batch, flush sinks, commit,
 * disconnect); `signalled` resolves once it has. `dispose` removes the handlers.
 */
export function onSignals(stop: () => Promise<void>, io: CliIo): { signalled: Promise<void>; dispose(): void } {
  let handler: (signal: NodeJS.Signals) => void = () => undefined;
  const dispose = () => {
    process.off('SIGTERM', handler);
    process.off('SIGINT', handler);
  };
  const signalled = new Promise<void>((resolve) => {
    handler = (signal) => {
      io.stderr(`driftwatch: ${signal} received, shutting down\n`);
      dispose();
      stop().then(resolve, (error) => {
        io.stderr(`driftwatch: error while stopping: ${(error as Error).message}\n`);
        resolve();
      });
    };
  });
  process.on('SIGTERM', handler);
  process.on('SIGINT', handler);
  return { signalled, dispose };
}

/** Runs until the source ends, a signal, or a fatal error (exit 1); stops the service in every case. */
export async function runUntilDone(service: RunningService, io: CliIo): Promise<number> {
  const signals = onSignals(() => service.stop(), io);
  try {
    await Promise.race([service.done, signals.signalled]);
  } catch (error) {
    io.stderr(`driftwatch: ${(error as Error).message}\n`);
    await service.stop().catch(() => undefined);
    return EXIT_FAILURE;
  } finally {
    signals.dispose();
  }
  await service.stop();
  return EXIT_OK;
}

/** Prints a failure: one line for driftwatch's own errors, the stack for anything unexpected. */
export function fail(error: unknown, io: CliIo): number {
  const message = error instanceof DriftwatchError ? error.message : ((error as Error).stack ?? String(error));
  io.stderr(`driftwatch: ${message}\n`);
  return EXIT_FAILURE;
}
