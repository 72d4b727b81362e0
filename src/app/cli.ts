#!/usr/bin/env node
import { realpathSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { EXIT_USAGE, processIo, type CliIo, type CommandOutput } from './commands/io.js';
import { DriftwatchError } from '../core/errors.js';
import { CORRECTIONS, SCORE_METRICS } from '../core/stats/index.js';
import { progressLine } from '../adapters/console/progress.js';

/** A progress line on standard error when it is a terminal (adapters/console/progress.ts). */
const progressOf = (io: CliIo, input: string) => progressLine({ label: `reading ${input === '-' ? 'stdin' : input}`, write: (t) => io.stderr(t), isTTY: io.stderrIsTTY === true });

export { processIo, type CliIo } from './commands/io.js';

const list = (value: string) =>
  value
    .split(',')
    .map((s) => s.trim())
    .filter(Boolean);
const positiveNumber = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got "${value}"`);
  return n;
};
const thresholdSetting = (value: string): number | 'auto' => (value === 'auto' ? 'auto' : positiveNumber('--threshold')(value));
const outputThresholdSetting = (value: string): number | 'auto' => (value === 'auto' ? 'auto' : positiveNumber('--output-threshold')(value));
const positiveInteger = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
  return n;
};

const nonNegativeInteger = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n < 0) throw new InvalidArgumentError(`${name} must be a non-negative integer, got "${value}"`);
  return n;
};
const integerList = (name: string) => (value: string) => list(value).map((item) => positiveInteger(name)(item));

const CONFIGURATION_HELP = `
Configuration: settings come from the environment (KAFKA_BROKERS, INFLUX_URL, DRIFT_METRIC,
HTTP_PORT, …) and from --config (YAML or JSON, camelCase keys); the environment wins. Every
setting, its file key and default: the "Configuration" table of README.md; how values are read
and the file-only settings: docs/configuration.md.`;

/**
 * The `driftwatch` program; each action stores its exit code in `exit.code`. Every command's
 * module is imported only when that command runs, so that `--version`, `check` and `reference`
 * never load kafkajs, the InfluxDB client, nodemailer, RxJS or the store drivers
 * (docs/benchmarks.md, "Start-up"; test/unit/cli/startup.test.ts holds it). `npm run build`
 * bundles this file with one chunk per command (config/build/bundle-cli.mjs), so these imports stay
 * lazy there too (test/unit/cli/bundle.test.ts).
 */
export function buildProgram(io: CliIo, exit: { code: number }): Command {
  const finish = (output: CommandOutput) => {
    io.stdout(output.stdout);
    io.stderr(output.stderr);
    exit.code = output.exitCode;
  };
  const program = new Command('driftwatch')
    .description('Streaming data-drift monitor: Kafka prediction events → sliding windows → PSI/KS against a reference → InfluxDB, Kafka drift events, alerts')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ writeOut: (text) => io.stdout(text), writeErr: (text) => io.stderr(text), outputError: (text, write) => write(text) });

  const reference = program.command('reference').description('build and inspect reference distributions');
  reference
    .command('build')
    .description('build reference_distribution.json from training rows (CSV with a header, or JSON Lines)')
    .requiredOption('--input <file>', 'training rows: file.csv, file.jsonl, or - for standard input')
    .requiredOption('--out <path>', 'where to write reference_distribution.json')
    .option('--model-version <version>', 'model version recorded in the file')
    .option('--categorical <names>', 'features to treat as categorical (comma list)', list)
    .option('--numeric <names>', 'features to treat as numeric (comma list)', list)
    .option('--features <names>', 'features to keep, in this order (comma list; default: every input column)', list)
    .option(
      '--outputs <names>',
      "columns holding the model's outputs, monitored apart from the features: prediction, confidence, probabilities (every probability_<class> column, or a JSON row's probabilities object) (comma list)",
      list,
    )
    .option('--psi-bins <n>', 'PSI bins per numeric feature', positiveInteger('--psi-bins'), 10)
    .option('--fine-bins <n>', 'fine bins per numeric feature for KS and Wasserstein', positiveInteger('--fine-bins'), 400)
    .option('--no-calibration', 'skip the resampled calibration of the PSI and JS p-values (they are then asymptotic)')
    .option('--calibration-sizes <list>', 'window sizes the calibration is drawn for (comma list; default 100,200,500,1000,2000,5000)', integerList('--calibration-sizes'))
    .option('--calibration-replicates <n>', 'null draws per feature and window size (default 4000)', positiveInteger('--calibration-replicates'))
    .option('--calibration-seed <n>', 'seed of the null draws, saved in the reference (default 20261202)', nonNegativeInteger('--calibration-seed'))
    .option(
      '--threads <n>',
      'threads for the calibration, this one included (default: one per core, at most 4; 1 = single-threaded; the file is the same)',
      positiveInteger('--threads'),
    )
    .option('--multivariate', 'also build the multivariate drift score (RFF-MMD) on the numeric input features: docs/multivariate.md')
    .option('--multivariate-features <n>', 'random Fourier features D of the multivariate score (default 128)', positiveInteger('--multivariate-features'))
    .option('--multivariate-seed <n>', 'seed of the random features and the null, saved in the reference (default 20261212)', nonNegativeInteger('--multivariate-seed'))
    .action(async (opts) => {
      const { referenceBuildCommand } = await import('./commands/reference-build.js');
      finish(await referenceBuildCommand(opts, io.stdin, progressOf(io, opts.input)));
    });
  reference
    .command('inspect')
    .description('summarize a saved reference: features, types, counts, bins, quantiles, missing rates')
    .argument('<file>', 'reference_distribution.json')
    .option('--json', 'print one JSON object instead of the tables')
    .action(async (file: string, opts: { json?: boolean }) => {
      const { referenceInspectCommand } = await import('./commands/reference-inspect.js');
      finish(await referenceInspectCommand({ reference: file, json: opts.json }));
    });

  program
    .command('check')
    .description('batch check: score a file of current rows against a saved reference')
    .requiredOption('--reference <file>', 'reference_distribution.json')
    .requiredOption('--input <file>', 'current rows: file.csv, file.jsonl, or - for standard input')
    .addOption(new Option('--metric <metric>', 'drift score, or auto: chosen per feature by type and size').choices([...SCORE_METRICS, 'auto']).default('psi'))
    .option(
      '--threshold <x>',
      "drifted when score ≥ threshold, or auto: the score's critical value at the input's size (default: the metric's own, psi 0.3, ks/js/wasserstein 0.1)",
      thresholdSetting,
    )
    .option('--output-threshold <x>', "the model outputs' threshold (references built with --outputs), or auto (default: --threshold)", outputThresholdSetting)
    .addOption(new Option('--correction <c>', 'with --threshold auto: across features').choices([...CORRECTIONS]).default('bonferroni'))
    .option('--alpha <p>', 'with --threshold auto: false-alarm rate of the check', positiveNumber('--alpha'), 0.01)
    .option('--min-effect <x>', "with --threshold auto: smallest score that can drift (default: the metric's)", positiveNumber('--min-effect'))
    .option('--min-samples <n>', 'minimum rows (and non-missing values per feature) for a drift decision', positiveInteger('--min-samples'), 100)
    .option('--json', 'print one JSON object instead of the table')
    .option('--fail-on-drift', 'exit 3 when drift is detected')
    .option('--report <file>', 'also write a self-contained HTML report (charts per feature) here')
    .action(async (opts) => {
      const { checkCommand } = await import('./commands/check.js');
      finish(await checkCommand(opts, io.stdin, progressOf(io, opts.input)));
    });

  program
    .command('run')
    .description('the streaming monitor: consume prediction events, score sliding windows, write InfluxDB, publish drift events')
    .option('--config <file>', 'configuration file (YAML or JSON); the environment overrides it')
    .addHelpText('after', CONFIGURATION_HELP)
    .action(async (opts) => {
      const { runCommand } = await import('./commands/run.js');
      exit.code = await runCommand(opts, io);
    });

  program
    .command('replay')
    .description('run the pipeline over a recorded stream (JSON Lines of prediction events), without servers')
    .requiredOption('--input <file>', 'events, one JSON object per line')
    .option('--reference-dir <dir>', 'references laid out as {dir}/{model_version}/reference_distribution.json')
    .option('--config <file>', 'configuration file (YAML or JSON); the environment overrides it')
    .option('--out <file>', 'also write every check as JSON Lines here')
    .option('--report <file>', 'also write an HTML report: the last window in detail and the timeline of every window')
    .action(async (opts) => {
      const { replayCommand } = await import('./commands/replay.js');
      exit.code = await replayCommand(opts, io);
    });

  program
    .command('alerts')
    .description('standalone alert dispatcher: consume the drift events topic and notify Slack, email, webhooks')
    .option('--config <file>', 'configuration file (YAML or JSON); the environment overrides it')
    .addHelpText('after', CONFIGURATION_HELP)
    .action(async (opts) => {
      const { alertsCommand } = await import('./commands/alerts.js');
      exit.code = await alertsCommand(opts, io);
    });

  program
    .command('job')
    .description("scheduled drift checks over a feature store (PostgreSQL, Redis, InfluxDB or files), the integration guide's drift_check_job")
    .option('--once', 'run one check of the latest window and exit (cron, Kubernetes CronJobs)')
    .addOption(new Option('--store <type>', 'feature store (default: FEATURE_STORE_TYPE)').choices(['postgresql', 'redis', 'influxdb', 'file']))
    .option('--at <time>', 'with --once: the window ends here (ISO time) instead of at the latest scheduled tick')
    .option('--json', 'with --once: one JSON object per (model, version), as check --json prints it')
    .option('--fail-on-drift', 'with --once: exit 3 when drift is detected')
    .option('--config <file>', 'configuration file (YAML or JSON); the environment overrides it')
    .action(async (opts) => {
      const { jobCommand } = await import('./commands/job.js');
      exit.code = await jobCommand(opts);
    });

  program
    .command('demo-producer')
    .description('produce credit-risk prediction events to Kafka (the docker compose demo) or with --store to a feature store, drifting after a while')
    .option('--rate <events/s>', 'events per second (may be fractional)', positiveNumber('--rate'), 20)
    .option('--drift-after <duration>', 'when the rows start to drift ("5m", "30s", or "never")', '5m')
    .option('--model <name>', 'model name in the events', 'credit-risk')
    .option('--model-version <version>', 'model_version in the events', 'v1.2.0')
    .option('--seed <n>', 'seed of the row generator', (v) => Number.parseInt(v, 10), 42)
    .option('--topic <topic>', 'topic (default: KAFKA_TOPIC)')
    .option('--partitions <n>', 'partitions when the topic is created', positiveInteger('--partitions'), 1)
    .option('--max-events <n>', 'stop after this many events', positiveInteger('--max-events'))
    .option('--no-create-topic', 'do not create the topic when it is missing')
    .option('--store <type>', 'write to a feature store instead of Kafka: postgresql, redis or influxdb (FEATURE_STORE_* settings)')
    .option('--config <file>', 'configuration file (YAML or JSON); the environment overrides it')
    .action(async (opts) => {
      const { demoProducerCommand } = await import('./commands/demo-producer.js');
      exit.code = await demoProducerCommand(opts, io);
    });

  return program;
}

/**
 * Runs the CLI on `argv` (as process.argv: node, script, arguments…) and returns the exit code:
 * 0 ran (drift or not), 1 service failure or bad configuration, 2 bad usage or input, 3 drift
 * with --fail-on-drift. `io` stands in for the process's streams and environment (tests).
 */
export async function main(argv: string[], io: CliIo = processIo()): Promise<number> {
  const exit = { code: 0 };
  const program = buildProgram(io, exit);
  try {
    await program.parseAsync(argv);
    return exit.code;
  } catch (error) {
    // --help and --version end here with code 0; usage errors were already printed.
    if (error instanceof CommanderError) return error.exitCode === 0 ? 0 : EXIT_USAGE;
    if (error instanceof DriftwatchError || error instanceof RangeError) {
      io.stderr(`driftwatch: ${error.message}\n`);
      return EXIT_USAGE;
    }
    throw error;
  }
}

/** Whether this module is the program being run (not imported by a test or the library). */
function isEntryPoint(): boolean {
  if (!process.argv[1]) return false;
  try {
    return realpathSync(process.argv[1]) === fileURLToPath(import.meta.url);
  } catch {
    return false;
  }
}

if (isEntryPoint()) process.exitCode = await main(process.argv);
