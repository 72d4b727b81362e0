import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { createInterface } from 'node:readline';
import { InputError, ReferenceFileError } from '../../core/errors.js';
import { startService } from '../service.js';
import { commandLogger, configOrExit, fail, runUntilDone, startTrapped, trapSignals } from './lifecycle.js';
import { EXIT_FAILURE, EXIT_OK, EXIT_USAGE, type CliIo } from './io.js';
import { WindowHistory } from '../../runtime/history.js';
import { writeTimelineReports } from './report.js';

export interface ReplayCommandOptions {
  input: string;
  referenceDir?: string;
  config?: string;
  out?: string;
  /** Also write the HTML report of the last window with the timeline of every window here (docs/reports.md). */
  report?: string;
}

/**
 * `driftwatch replay`: the streaming pipeline over a recorded stream, without servers. A
 * missing or empty input, or a reference directory that cannot be read, is bad input as for
 * `check`: one line and exit 2, before the service starts (so before any log line).
 */
export async function replayCommand(options: ReplayCommandOptions, io: CliIo): Promise<number> {
  const trap = trapSignals(io);
  try {
    return await replay(options, io, trap);
  } finally {
    trap.dispose();
  }
}

async function replay(options: ReplayCommandOptions, io: CliIo, trap: ReturnType<typeof trapSignals>): Promise<number> {
  const config = await configOrExit(options.config, io);
  if (!config) return EXIT_FAILURE;
  if (options.referenceDir) config.reference.dir = options.referenceDir;
  if (options.out) config.output.jsonlPath = options.out;
  if (io.env.HTTP_ENABLED === undefined) config.http.enabled = false;
  config.output.console ??= true;
  try {
    await checkInput(options.input);
    await checkReferenceDir(config.reference.dir);
    // A replay's timeline keeps every window (a point is a few bytes per feature).
    const history = options.report ? new WindowHistory({ windows: Number.MAX_SAFE_INTEGER }) : undefined;
    const service = await startTrapped(
      trap,
      () => startService(config, { logger: commandLogger(config.log.level, io), write: (line) => io.stdout(line + '\n'), history }, options.input),
      io,
    );
    const code = service ? await runUntilDone(service, trap, io) : EXIT_OK;
    if (history && options.report && code === EXIT_OK) {
      for (const line of await writeTimelineReports(options.report, history.all())) io.stderr(line + '\n');
    }
    return code;
  } catch (error) {
    if (error instanceof InputError || error instanceof ReferenceFileError) {
      io.stderr(`driftwatch: ${error.message}\n`);
      return EXIT_USAGE;
    }
    return fail(error, io);
  }
}

/** The input can be read and holds at least one non-blank line (read up to the first). */
async function checkInput(path: string): Promise<void> {
  const stream = createReadStream(path, { encoding: 'utf8' });
  const lines = createInterface({ input: stream, crlfDelay: Infinity });
  try {
    for await (const line of lines) if (line.trim() !== '') return;
  } catch (cause) {
    throw new InputError(`${path}: cannot read the recorded stream (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause, context: { path } });
  } finally {
    lines.close();
    stream.destroy();
  }
  throw new InputError(`${path}: the recorded stream holds no events`, { context: { path } });
}

async function checkReferenceDir(dir: string): Promise<void> {
  try {
    await readdir(dir);
  } catch (cause) {
    const code = (cause as NodeJS.ErrnoException).code ?? String(cause);
    throw new ReferenceFileError(
      `reference directory ${dir}: cannot list it (${code}); pass --reference-dir <dir> (references as {dir}/{model_version}/reference_distribution.json)`,
      {
        cause,
        context: { path: dir },
      },
    );
  }
}
