#!/usr/bin/env node
import { Command, CommanderError, InvalidArgumentError, Option } from 'commander';
import { checkCommand } from './commands/check.js';
import { referenceBuildCommand } from './commands/reference-build.js';
import { DriftwatchError } from '../core/errors.js';
import { SCORE_METRICS } from '../core/stats/index.js';

/** Exit codes: 0 ran (drift or not), 1 service failure or bad configuration, 2 bad usage or input, 3 drift with --fail-on-drift. */
const EXIT_USAGE = 2;

const list = (value: string) => value.split(',').map((s) => s.trim()).filter(Boolean);
const positiveNumber = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isFinite(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive number, got "${value}"`);
  return n;
};
const positiveInteger = (name: string) => (value: string) => {
  const n = Number(value);
  if (!Number.isInteger(n) || n <= 0) throw new InvalidArgumentError(`${name} must be a positive integer, got "${value}"`);
  return n;
};

export function buildProgram(): Command {
  const program = new Command('driftwatch')
    .description('Streaming data-drift monitor: Kafka prediction events → sliding windows → PSI/KS against a reference → InfluxDB, Kafka drift events, alerts')
    .version('0.1.0')
    .exitOverride()
    .configureOutput({ outputError: (text, write) => write(text) });

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
    .option('--psi-bins <n>', 'PSI bins per numeric feature', positiveInteger('--psi-bins'), 10)
    .option('--fine-bins <n>', 'fine bins per numeric feature for KS and Wasserstein', positiveInteger('--fine-bins'), 400)
    .action(async (opts) => finish(await referenceBuildCommand(opts)));

  program
    .command('check')
    .description('batch check: score a file of current rows against a saved reference')
    .requiredOption('--reference <file>', 'reference_distribution.json')
    .requiredOption('--input <file>', 'current rows: file.csv, file.jsonl, or - for standard input')
    .addOption(new Option('--metric <metric>', 'drift score').choices([...SCORE_METRICS]).default('psi'))
    .option('--threshold <x>', 'drifted when score ≥ threshold', positiveNumber('--threshold'), 0.3)
    .option('--min-samples <n>', 'minimum rows (and non-missing values per feature) for a drift decision', positiveInteger('--min-samples'), 100)
    .option('--json', 'print one JSON object instead of the table')
    .option('--fail-on-drift', 'exit 3 when drift is detected')
    .action(async (opts) => finish(await checkCommand(opts)));

  program
    .command('run')
    .description('the streaming monitor: consume prediction events, score sliding windows, write InfluxDB, publish drift events')
    .option('--config <file>', 'configuration file (YAML or JSON); the environment overrides it')
    .action(async (opts) => {
      const { runCommand } = await import('./commands/run.js');
      process.exitCode = await runCommand(opts);
    });

  program
    .command('replay')
    .description('run the pipeline over a recorded stream (JSON Lines of prediction events), without servers')
    .requiredOption('--input <file>', 'events, one JSON object per line')
    .option('--reference-dir <dir>', 'references laid out as {dir}/{model_version}/reference_distribution.json')
    .option('--config <file>', 'configuration file (YAML or JSON); the environment overrides it')
    .option('--out <file>', 'also write every check as JSON Lines here')
    .action(async (opts) => {
      const { replayCommand } = await import('./commands/run.js');
      process.exitCode = await replayCommand(opts);
    });

  program
    .command('alerts')
    .description('standalone alert dispatcher: consume the drift events topic and notify Slack, email, webhooks')
    .option('--config <file>', 'configuration file (YAML or JSON); the environment overrides it')
    .action(async (opts) => {
      const { alertsCommand } = await import('./commands/run.js');
      process.exitCode = await alertsCommand(opts);
    });

  program
    .command('job')
    .description('scheduled drift checks over a feature store (PostgreSQL, Redis, InfluxDB or files), the integration guide\'s drift_check_job')
    .option('--once', 'run one check of the latest window and exit (cron, Kubernetes CronJobs)')
    .addOption(new Option('--store <type>', 'feature store (default: FEATURE_STORE_TYPE)').choices(['postgresql', 'redis', 'influxdb', 'file']))
    .option('--at <time>', 'with --once: the window ends here (ISO time) instead of at the latest scheduled tick')
    .option('--json', 'with --once: one JSON object per (model, version), as check --json prints it')
    .option('--fail-on-drift', 'with --once: exit 3 when drift is detected')
    .option('--config <file>', 'configuration file (YAML or JSON); the environment overrides it')
    .action(async (opts) => {
      const { jobCommand } = await import('./commands/job.js');
      process.exitCode = await jobCommand(opts);
    });

  program
    .command('demo-producer')
    .description('produce credit-risk prediction events to Kafka (the docker compose demo), drifting after a while')
    .option('--rate <events/s>', 'events per second (may be fractional)', positiveNumber('--rate'), 20)
    .option('--drift-after <duration>', 'when the rows start to drift ("5m", "30s", or "never")', '5m')
    .option('--model <name>', 'model name in the events', 'credit-risk')
    .option('--model-version <version>', 'model_version in the events', 'v1.2.0')
    .option('--seed <n>', 'seed of the row generator', (v) => Number.parseInt(v, 10), 42)
    .option('--topic <topic>', 'topic (default: KAFKA_TOPIC)')
    .option('--partitions <n>', 'partitions when the topic is created', positiveInteger('--partitions'), 1)
    .option('--max-events <n>', 'stop after this many events', positiveInteger('--max-events'))
    .option('--no-create-topic', 'do not create the topic when it is missing')
    .option('--config <file>', 'configuration file (YAML or JSON); the environment overrides it')
    .action(async (opts) => {
      const { demoProducerCommand } = await import('./commands/run.js');
      process.exitCode = await demoProducerCommand(opts);
    });

  return program;
}

function finish(output: { stdout: string; stderr: string; exitCode: number }): void {
  process.stdout.write(output.stdout);
  process.stderr.write(output.stderr);
  process.exitCode = output.exitCode;
}

export async function main(argv: string[]): Promise<void> {
  const program = buildProgram();
  try {
    await program.parseAsync(argv);
  } catch (error) {
    if (error instanceof CommanderError) {
      // --help and --version end here with code 0; usage errors were already printed.
      process.exitCode = error.exitCode === 0 ? 0 : EXIT_USAGE;
      return;
    }
    if (error instanceof DriftwatchError || error instanceof RangeError) {
      process.stderr.write(`driftwatch: ${error.message}\n`);
      process.exitCode = EXIT_USAGE;
      return;
    }
    throw error;
  }
}

await main(process.argv);
