import { Readable } from 'node:stream';
import type { CliIo } from '../../../src/app/cli.js';
import type { KafkaClient } from '../../../src/adapters/kafka/index.js';

export interface MemoryIo extends CliIo {
  stdoutText(): string;
  stderrText(): string;
}

/** The CLI's streams in memory: what it printed, a given environment and standard input. */
export function memoryIo(options: { env?: Record<string, string>; stdin?: string; kafka?: KafkaClient } = {}): MemoryIo {
  const out: string[] = [];
  const err: string[] = [];
  return {
    stdout: (text) => void out.push(text),
    stderr: (text) => void err.push(text),
    env: { PATH: process.env.PATH, HOME: process.env.HOME, ...options.env },
    stdin: Readable.from(options.stdin === undefined ? [] : [Buffer.from(options.stdin)]),
    kafka: options.kafka,
    stdoutText: () => out.join(''),
    stderrText: () => err.join(''),
  };
}
