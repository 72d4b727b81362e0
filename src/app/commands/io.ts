import type { KafkaClient } from '../../adapters/kafka/index.js';

/** Exit codes: 0 ran (drift or not), 1 service failure or bad configuration, 2 bad usage or input, 3 drift with --fail-on-drift. */
export const EXIT_OK = 0;
export const EXIT_FAILURE = 1;
export const EXIT_USAGE = 2;
export const EXIT_DRIFT = 3;

/**
 * What a command reads and writes outside its arguments, so that the CLI runs in process (the
 * tests) as it runs in a terminal: standard output and error, the environment, standard input.
 */
export interface CliIo {
  stdout(text: string): void;
  stderr(text: string): void;
  /** Standard error is a terminal (progress lines are drawn only then). */
  stderrIsTTY?: boolean;
  env: Record<string, string | undefined>;
  stdin: AsyncIterable<Buffer | string>;
  /** A Kafka client to use instead of kafkajs (tests). */
  kafka?: KafkaClient;
}

/** The process's own streams and environment. */
export function processIo(): CliIo {
  return {
    stdout: (text) => void process.stdout.write(text),
    stderr: (text) => void process.stderr.write(text),
    stderrIsTTY: process.stderr.isTTY === true,
    env: process.env,
    stdin: process.stdin,
  };
}

/** What the file commands (check, reference build, inspect) produce. */
export interface CommandOutput {
  stdout: string;
  stderr: string;
  exitCode: number;
}
