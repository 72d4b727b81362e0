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
 * SIGTERM/SIGINT trapped from the first line of a command to its last (a signal during
 * start-up used to kill the process with 143, or be lost). `stopWith` names what a signal
 * stops; before that is known (start-up), a signal is remembered and acted on as soon as it is.
 */
export interface SignalTrap {
  /** Resolves with the first signal received. */
  readonly received: Promise<NodeJS.Signals>;
  readonly signal: NodeJS.Signals | null;
  /** What a signal stops: called at once when one was already received. Resolves when stopped. */
  stopWith(stop: () => Promise<void>): Promise<void>;
  dispose(): void;
}

export function trapSignals(io: CliIo): SignalTrap {
  let signal: NodeJS.Signals | null = null;
  let resolveReceived!: (s: NodeJS.Signals) => void;
  const received = new Promise<NodeJS.Signals>((resolve) => (resolveReceived = resolve));
  const handler = (s: NodeJS.Signals) => {
    if (signal) {
      io.stderr(`driftwatch: ${s} received again, still shutting down\n`);
      return;
    }
    signal = s;
    io.stderr(`driftwatch: ${s} received, shutting down\n`);
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
      await stop().catch((error: unknown) => io.stderr(`driftwatch: error while stopping: ${(error as Error).message}\n`));
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
export async function startTrapped<T extends { stop(): Promise<void> }>(trap: SignalTrap, start: () => Promise<T>, io: CliIo): Promise<T | null> {
  const starting = start();
  const first = await Promise.race([starting.then((service) => ({ service })), trap.received.then(() => null)]);
  if (first) return first.service;
  io.stderr('driftwatch: signal received during start-up: stopping once started\n');
  const service = await starting.catch(() => null);
  if (service) await service.stop().catch(() => undefined);
  return null;
}

/** Runs until the source ends, a signal, or a fatal error (exit 1); stops the service in every case. */
export async function runUntilDone(service: RunningService, trap: SignalTrap, io: CliIo): Promise<number> {
  const signalled = trap.stopWith(() => service.stop());
  try {
    await Promise.race([service.done, signalled]);
  } catch (error) {
    io.stderr(`driftwatch: ${(error as Error).message}\n`);
    await service.stop().catch(() => undefined);
    return EXIT_FAILURE;
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
