import { Counter, Gauge } from 'prom-client';
import type { Logger } from 'pino';
import { loadConfig, type Config } from '../config/load.js';
import { createLogger, kafkaConnection } from '../service.js';
import { ReferenceStore } from '../../adapters/files/reference-store.js';
import { JsonLinesExporter } from '../../adapters/files/jsonl-exporter.js';
import { InfluxExporter } from '../../adapters/influx/exporter.js';
import { AlertExporter } from '../../adapters/alerts/exporter.js';
import { createAlertDispatcher } from '../../adapters/alerts/index.js';
import { ConsoleExporter } from '../../adapters/console/exporter.js';
import { createKafkajsClient, type KafkaClient } from '../../adapters/kafka/index.js';
import { KafkaDriftEventExporter } from '../../adapters/kafka/drift-events.js';
import { runtimeMetrics, serviceMetrics, type ServiceMetrics } from '../../adapters/http/metrics.js';
import { startHttpServer } from '../../adapters/http/server.js';
import { StoreError, type DeadLetterSink, type FeatureSource, type TimeWindow } from '../../adapters/stores/source.js';
import { ConfigError } from '../../core/errors.js';
import type { EvaluationExporter } from '../../runtime/ports.js';
import { Status } from '../../runtime/status.js';
import type { Hysteresis } from '../../core/detect/hysteresis.js';
import type { Evaluation } from '../../core/detect/evaluation.js';
import { checkWindow, jobJsonLines, jobTable, toEvaluation, type JobRunResult } from '../job/check-window.js';
import { createDeadLetter, createFeatureSource, jobTrigger } from '../job/compose.js';
import { JobScheduler, WALL_CLOCK, type JobClock, type RunOutcome, type TickReport } from '../job/scheduler.js';
import type { CommandOutput } from './check.js';

export interface JobCommandOptions {
  config?: string;
  /** Run one check and exit (cron, Kubernetes CronJobs). */
  once?: boolean;
  json?: boolean;
  failOnDrift?: boolean;
  /** Overrides FEATURE_STORE_TYPE. */
  store?: string;
  /** --once: the window's end (ISO time); default the latest scheduled tick. */
  at?: string;
}

export interface JobDeps {
  env?: Record<string, string | undefined>;
  logger?: Logger;
  clock?: JobClock;
  /** Extra exporters (tests). */
  exporters?: EvaluationExporter[];
  source?: FeatureSource;
  kafka?: KafkaClient;
  /** Console lines of the loop (default stdout). */
  write?: (line: string) => void;
}

/** What one configured job holds: the source, the references, the exporters and the drift states. */
class JobRunner {
  readonly states = new Map<string, Hysteresis>();
  private constructor(
    readonly config: Config,
    readonly source: FeatureSource,
    readonly references: ReferenceStore,
    readonly exporters: EvaluationExporter[],
    readonly logger: Logger,
    private readonly clock: JobClock,
    private readonly closers: (() => Promise<void>)[],
    readonly metrics: ServiceMetrics,
    readonly deadLetter: DeadLetterSink | undefined,
  ) {}

  static async create(config: Config, deps: JobDeps, console: boolean): Promise<JobRunner> {
    const logger = deps.logger ?? createLogger(config.log.level);
    const source = deps.source ?? createFeatureSource(config);
    const deadLetter = createDeadLetter(config);
    const references = new ReferenceStore(config.reference.dir, logger, config.reference.fallbackVersion);
    await references.loadAll();
    const metrics = serviceMetrics();
    const exporters: EvaluationExporter[] = [...(deps.exporters ?? [])];
    const closers: (() => Promise<void>)[] = [];
    if (console) exporters.push(new ConsoleExporter(deps.write));
    if (config.output.jsonlPath) exporters.push(new JsonLinesExporter(config.output.jsonlPath));
    if (config.influx.url) {
      exporters.push(
        new InfluxExporter({ url: config.influx.url, token: config.influx.token, org: config.influx.org, bucket: config.influx.bucket, timeoutMs: config.influx.timeoutMs }),
      );
    }
    exporters.push(new AlertExporter(createAlertDispatcher(config.alerts, { logger: logger.child({ component: 'alerts' }), registry: metrics.registry })));
    if ((config.kafka.brokers?.length ?? 0) > 0) {
      const kafka = deps.kafka ?? createKafkajsClient(kafkaConnection(config), logger.child({ component: 'kafka' }));
      const producer = kafka.producer();
      await producer.connect();
      closers.push(() => producer.disconnect());
      exporters.push(new KafkaDriftEventExporter(producer, config.kafka.driftEventsTopic, config.output.emitAllChecks));
    }
    return new JobRunner(config, source, references, exporters, logger, deps.clock ?? WALL_CLOCK, closers, metrics, deadLetter);
  }

  windowEndingAt(endMs: number): TimeWindow {
    return { startMs: endMs - this.config.window.sizeMs, endMs };
  }

  /** One run: read, score, export. A store failure rejects (the run failed); a sink failure is logged and counted. */
  async run(window: TimeWindow): Promise<{ result: JobRunResult; evaluation: Evaluation }> {
    // New versions' references appear without a restart.
    await this.references.loadAll();
    const { drift, model } = this.config;
    const result = await checkWindow({
      source: this.source,
      window,
      referenceFor: (m, v) => this.references.get(m, v),
      defaults: { model: model.name, modelVersion: model.version },
      maxRows: this.config.store.maxRows,
      keepRejected: this.deadLetter !== undefined,
      detector: {
        metric: drift.metric,
        threshold: drift.threshold,
        outputThreshold: drift.outputThreshold,
        minSamples: drift.minSamples,
        missingRateThreshold: drift.missingRateThreshold,
        driftShare: drift.share,
        alpha: drift.alpha,
        correction: drift.correction,
        minEffect: drift.minEffect,
        // Severity critical at the retraining threshold, as `driftwatch run` rates it (docs/statistics.md, "Severity").
        criticalThreshold: this.config.alerts.retrainThreshold,
        featureThresholds: Object.fromEntries(Object.entries(drift.features).map(([name, f]) => [name, f.threshold])),
      },
      nowMs: () => this.clock.now(),
    });
    const evaluation = toEvaluation(result, this.states, { raiseAfter: drift.raiseAfter, clearAfter: drift.clearAfter }, this.clock.now());
    await Promise.all(
      this.exporters.map(async (exporter) => {
        const outcome = await exporter.export(evaluation).catch((error: Error) => ({ ok: false as const, error }));
        if (!outcome.ok) {
          this.metrics.sinkWriteFailures.inc({ sink: exporter.name });
          this.logger.error(
            { sink: exporter.name, err: outcome.error.message, windowEnd: evaluation.windowEnd.toISOString() },
            'export failed; this window is skipped for this sink',
          );
        }
      }),
    );
    if (this.deadLetter && result.deadLetters.length > 0) {
      // The rejections are already counted in the result; a dead letter that cannot be written is logged and counted, not retried.
      await this.deadLetter.write(result.deadLetters).catch((error: Error) => {
        this.metrics.sinkWriteFailures.inc({ sink: 'dead_letter' });
        this.logger.error({ sink: this.deadLetter!.name, rows: result.deadLetters.length, err: error.message }, 'writing rejected rows to the dead letter failed');
      });
    }
    if (result.sample && result.sample.seen > result.sample.kept) {
      this.logger.info({ maxRows: result.sample.cap, seen: result.sample.seen, kept: result.sample.kept }, 'FEATURE_STORE_MAX_ROWS: scored a uniform sample of the window');
    }
    for (const u of result.unassigned) this.logger.warn({ reason: u.reason, model: u.model, modelVersion: u.modelVersion, rows: u.count }, 'rows rejected');
    return { result, evaluation };
  }

  async close(): Promise<void> {
    await Promise.allSettled(this.exporters.map((e) => e.shutdown()));
    await Promise.allSettled(this.closers.map((c) => c()));
    await this.source.close();
    await this.deadLetter?.close();
  }
}

/** The job's configuration: the window is read per run, so the job's window rule applies (docs/feature-stores.md, "Window and interval"). */
async function configFor(options: JobCommandOptions, deps: JobDeps): Promise<{ config: Config; notes: string[] }> {
  const env = { ...(deps.env ?? process.env) };
  if (options.store) env.FEATURE_STORE_TYPE = options.store;
  return loadConfig({ file: options.config, env, windowRule: 'job' });
}

/** The end of the window `--once` checks: `--at`, else the latest tick of the schedule at or before now. */
export function onceWindowEnd(config: Config, nowMs: number, at?: string): number {
  if (at) {
    const t = Date.parse(at);
    if (!Number.isFinite(t)) throw new RangeError(`--at must be a time such as 2026-12-01T10:00:00Z, got "${at}"`);
    return t;
  }
  if (config.job.cron) return Math.floor(nowMs / 60_000) * 60_000;
  return Math.floor(nowMs / config.window.slideMs) * config.window.slideMs;
}

/** `driftwatch job --once`: one check, printed as `check` prints it, with `check`'s exit codes. */
export async function jobOnce(options: JobCommandOptions, deps: JobDeps = {}): Promise<CommandOutput> {
  const { config, notes } = await configFor(options, deps);
  const runner = await JobRunner.create(config, deps, false);
  for (const note of notes) runner.logger.warn(note);
  try {
    const endMs = onceWindowEnd(config, (deps.clock ?? WALL_CLOCK).now(), options.at);
    const { result } = await runner.run(runner.windowEndingAt(endMs));
    const drift = result.checks.some((c) => c.check.drift_detected);
    return { stdout: options.json ? jobJsonLines(result) : jobTable(result), stderr: '', exitCode: options.failOnDrift && drift ? 3 : 0 };
  } finally {
    await runner.close();
  }
}

export interface RunningJob {
  scheduler: JobScheduler;
  metrics: ServiceMetrics;
  status: Status;
  httpPort: number | null;
  /** The latest failure, until a run succeeds (what /readyz reports). */
  lastFailure(): string | null;
  stop(): Promise<void>;
}

/** `driftwatch job`: the scheduled loop, with /metrics, /readyz and /drift. */
export async function startJob(options: JobCommandOptions, deps: JobDeps = {}): Promise<RunningJob> {
  const { config, notes } = await configFor(options, deps);
  const runner = await JobRunner.create(config, deps, config.output.console ?? true);
  const { metrics, logger } = runner;
  for (const note of notes) logger.warn(note);
  const runs = new Counter({
    name: 'driftwatch_job_runs_total',
    help: 'Scheduled drift checks, by outcome (ok, drift, failed, skipped_overlap, missed)',
    labelNames: ['outcome'],
    registers: [metrics.registry],
  });
  for (const outcome of ['ok', 'drift', 'failed', 'skipped_overlap', 'missed'] satisfies RunOutcome[]) runs.inc({ outcome }, 0);
  const lastSuccess = new Gauge({ name: 'driftwatch_job_last_success_seconds', help: 'Scheduled time of the latest successful run, epoch seconds', registers: [metrics.registry] });
  const status = new Status(runtimeMetrics(metrics));
  let failure: string | null = null;
  // Whether a run has finished, well or not: before then there is no last run to speak of.
  let ran = false;
  const trigger = jobTrigger(config);
  const scheduler = new JobScheduler({
    trigger,
    clock: deps.clock,
    misfireGraceMs: config.job.misfireGraceMs,
    run: async (scheduledMs) => {
      const { result, evaluation } = await runner.run(runner.windowEndingAt(scheduledMs));
      status.record(evaluation);
      return result.checks.some((c) => c.check.drift_detected) ? 'drift' : 'ok';
    },
    onTick: (report: TickReport) => {
      runs.inc({ outcome: report.outcome });
      const at = new Date(report.scheduledMs).toISOString();
      if (report.outcome === 'failed') {
        ran = true;
        failure = `run scheduled at ${at} failed: ${report.error?.message}`;
        logger.error({ scheduled: at, err: report.error?.message }, 'drift check failed; the next tick tries again');
      } else if (report.outcome === 'missed') {
        logger.warn({ scheduled: at, lateMs: report.lateMs, graceMs: config.job.misfireGraceMs }, 'tick missed its misfire grace (DRIFT_MISFIRE_GRACE): skipped');
      } else if (report.outcome === 'skipped_overlap') {
        logger.warn({ scheduled: at }, 'the previous run is still in progress: tick skipped (one run at a time)');
      } else {
        ran = true;
        failure = null;
        lastSuccess.set(report.scheduledMs / 1000);
      }
    },
  });
  const http = config.http.enabled
    ? await startHttpServer({
        host: config.http.host,
        port: config.http.port,
        registry: metrics.registry,
        status: {
          drift: () => status.driftSummary(),
          // last_run_ok is absent until a run has finished (docs/http.md): nothing ran, so nothing failed yet, nor succeeded.
          readiness: async () => ({ references_loaded: runner.references.size > 0, ...(ran ? { last_run_ok: failure === null } : {}) }),
          reasons: (): Record<string, string> => (failure ? { last_run_ok: failure } : {}),
        },
      })
    : null;
  scheduler.start();
  logger.info(
    { store: runner.source.name, schedule: trigger.description, windowMs: config.window.sizeMs, next: new Date(scheduler.nextTickMs ?? 0).toISOString(), port: http?.port },
    'scheduled drift checks started',
  );
  return {
    scheduler,
    metrics,
    status,
    httpPort: http?.port ?? null,
    lastFailure: () => failure,
    async stop() {
      await scheduler.stop();
      await runner.close();
      await http?.close();
    },
  };
}

/** The CLI's entry: --once prints and exits; otherwise runs until SIGINT / SIGTERM. */
export async function jobCommand(options: JobCommandOptions): Promise<number> {
  if (options.once) {
    let out: CommandOutput;
    try {
      out = await jobOnce(options);
    } catch (error) {
      // A store that cannot be read or bad configuration: exit 1, as `check` does for a service failure.
      if (error instanceof StoreError || error instanceof ConfigError) {
        process.stderr.write(`driftwatch: ${error.message}\n`);
        return 1;
      }
      throw error;
    }
    process.stdout.write(out.stdout);
    process.stderr.write(out.stderr);
    return out.exitCode;
  }
  const job = await startJob(options);
  await new Promise<void>((resolve) => {
    process.once('SIGINT', resolve);
    process.once('SIGTERM', resolve);
  });
  await job.stop();
  return 0;
}
