import { fileURLToPath } from 'node:url';
import { pino, type DestinationStream, type Logger } from 'pino';
import type { SchedulerLike } from 'rxjs';
import type { Config } from './config/load.js';
import { createAlertDispatcher } from '../adapters/alerts/index.js';
import { createKafkajsClient, retryingAdmin, type KafkaClient, type KafkaConnection } from '../adapters/kafka/index.js';
import { DriftDetector } from '../core/detect/detector.js';
import { Engine } from '../runtime/engine.js';
import { runtimeMetrics, serviceMetrics, type ServiceMetrics } from '../adapters/http/metrics.js';
import { startHttpServer } from '../adapters/http/server.js';
import { AlertExporter } from '../adapters/alerts/exporter.js';
import { ConsoleExporter } from '../adapters/console/exporter.js';
import { StateChangeLogExporter } from '../adapters/console/log-exporter.js';
import { DeadLetterWarnings } from '../adapters/console/dead-letter-warnings.js';
import type { EvaluationExporter } from '../runtime/ports.js';
import { InfluxExporter } from '../adapters/influx/exporter.js';
import { JsonLinesExporter } from '../adapters/files/jsonl-exporter.js';
import { KafkaDriftEventExporter } from '../adapters/kafka/drift-events.js';
import { KafkaSource } from '../adapters/kafka/kafka-source.js';
import { KafkaChangelogStore, STATE_CHANGELOG_CONFIG, stateChangelogTopic } from '../adapters/kafka/state-changelog.js';
import { StateChangelog } from '../runtime/delivery/changelog.js';
import { replayFile } from '../adapters/files/replay-source.js';
import { KafkaDeadLetterSink } from '../adapters/kafka/dead-letter.js';
import { LogDeadLetterSink } from '../adapters/console/dead-letter.js';
import type { DeadLetterSink } from '../runtime/ports.js';
import { Pipeline } from '../runtime/pipeline.js';
import { DriftwatchError, SinkError } from '../core/errors.js';
import { ReferenceStore } from '../adapters/files/reference-store.js';
import { HistoryExporter } from '../adapters/report/index.js';
import { WindowHistory } from '../runtime/history.js';
import { reportRoutes } from './report-routes.js';
import { preparePartitioned, startPartitioned, type PartitionedRuntime, type PartitionedTopology } from './partitioned.js';

/**
 * The composition of the service: the one place where configuration becomes a source, the
 * engine, exporters and the HTTP endpoints. Everything else receives its collaborators.
 */
export interface ServiceDeps {
  logger?: Logger;
  kafka?: KafkaClient;
  /** Extra exporters (tests). */
  exporters?: EvaluationExporter[];
  now?: () => number;
  scheduler?: SchedulerLike;
  /** Console output (default stdout). */
  write?: (line: string) => void;
  /** Where the reports' window history goes (replay --report); default: one of REPORT_WINDOWS windows while HTTP is on. */
  history?: WindowHistory;
}

export interface RunningService {
  metrics: ServiceMetrics;
  pipeline: Pipeline;
  httpPort: number | null;
  /** Resolves when the source ended by itself (a replay reached the end of its file). */
  done: Promise<void>;
  stop(): Promise<void>;
}

/** The bundled example: a reference and a recorded stream in config/examples. */
export const EXAMPLE = {
  referenceDir: fileURLToPath(new URL('../../config/examples/model_artifacts', import.meta.url)),
  events: fileURLToPath(new URL('../../config/examples/events.jsonl', import.meta.url)),
  config: fileURLToPath(new URL('../../config/examples/driftwatch.yaml', import.meta.url)),
};

/** JSON logs on `destination` (default: standard error, fd 2). */
export function createLogger(level: string, destination: DestinationStream = pino.destination(2)): Logger {
  return pino(
    {
      level,
      base: { service: 'driftwatch' },
      // Secrets must never reach the logs, whatever an error message carries.
      redact: { paths: ['*.password', '*.token', '*.secret', 'config.kafka.sasl', 'config.influx.token'], censor: '***' },
    },
    destination,
  );
}

export function kafkaConnection(config: Config): KafkaConnection {
  const { sasl } = config.kafka;
  if (sasl.mechanism && (!sasl.username || !sasl.password)) {
    throw new Error('KAFKA_SASL_MECHANISM is set: KAFKA_SASL_USERNAME and KAFKA_SASL_PASSWORD are needed too');
  }
  return {
    brokers: config.kafka.brokers ?? [],
    clientId: config.kafka.clientId,
    ssl: config.kafka.ssl,
    sasl: sasl.mechanism ? { mechanism: sasl.mechanism, username: sasl.username!, password: sasl.password! } : undefined,
  };
}

function buildEngine(config: Config, references: ReferenceStore, live: boolean, keepCurrent: boolean): Engine {
  return new Engine({
    keepCurrent,
    windowMs: config.window.sizeMs,
    slideMs: config.window.slideMs,
    allowedLatenessMs: config.window.allowedLatenessMs,
    idleTimeoutMs: config.window.idleTimeoutMs,
    maxEventAgeMs: config.window.maxEventAgeMs,
    // Live streams: the watermark never runs ahead of the clock (replays: no bound).
    maxAheadOfClockMs: live ? 0 : undefined,
    hysteresis: { raiseAfter: config.drift.raiseAfter, clearAfter: config.drift.clearAfter },
    detector: buildDetector(config),
    referenceFor: (model, version) => references.get(model, version),
  });
}

/** The detector of the configuration: the engine's, and the merge stage's with SCALE_MODE=partitioned. */
function buildDetector(config: Config): DriftDetector {
  return new DriftDetector({
    metric: config.drift.metric,
    threshold: config.drift.threshold,
    outputThreshold: config.drift.outputThreshold,
    minSamples: config.drift.minSamples,
    missingRateThreshold: config.drift.missingRateThreshold,
    driftShare: config.drift.share,
    alpha: config.drift.alpha,
    correction: config.drift.correction,
    minEffect: config.drift.minEffect,
    // Severity critical at the retraining threshold (docs/statistics.md, "Severity"), as the alerts rate it.
    criticalThreshold: config.alerts.retrainThreshold,
    featureThresholds: Object.fromEntries(Object.entries(config.drift.features).map(([name, f]) => [name, f.threshold])),
  });
}

/** The dead-letter topic's max.message.bytes, or undefined (the sink's default) when it cannot be read. */
async function dlqLimit(admin: Awaited<ReturnType<KafkaClient['admin']>>, topic: string, logger: Logger): Promise<number | undefined> {
  try {
    const value = Number((await admin.topicConfig?.(topic, ['max.message.bytes']))?.['max.message.bytes']);
    return Number.isFinite(value) && value > 0 ? value : undefined;
  } catch (error) {
    logger.warn({ topic, err: (error as Error).message }, 'cannot read max.message.bytes of the dead-letter topic; assuming 1,000,000');
    return undefined;
  }
}

/**
 * Starts the service. With Kafka brokers configured it consumes the prediction events topic;
 * without, it replays `replayPath` (default: the bundled example) through the same pipeline.
 */
export async function startService(config: Config, deps: ServiceDeps = {}, replayPath?: string): Promise<RunningService> {
  const logger = deps.logger ?? createLogger(config.log.level);
  const metrics = serviceMetrics();
  const useKafka = !replayPath && (config.kafka.brokers?.length ?? 0) > 0;
  const referenceDir = !useKafka && !replayPath ? EXAMPLE.referenceDir : config.reference.dir;
  const references = new ReferenceStore(referenceDir, logger, config.reference.fallbackVersion);
  const loaded = await references.loadAll();
  if (loaded === 0) logger.warn({ dir: referenceDir }, 'no reference distribution found yet; events are dead-lettered (no_reference) until one appears');

  const exporters: EvaluationExporter[] = [...(deps.exporters ?? [])];
  if (config.output.console ?? !useKafka) exporters.push(new ConsoleExporter(deps.write));
  else exporters.push(new StateChangeLogExporter(logger.child({ component: 'drift' })));
  if (config.output.jsonlPath) exporters.push(new JsonLinesExporter(config.output.jsonlPath));
  if (config.influx.url) {
    exporters.push(
      new InfluxExporter({ url: config.influx.url, token: config.influx.token, org: config.influx.org, bucket: config.influx.bucket, timeoutMs: config.influx.timeoutMs }),
    );
  }
  // The reports (docs/reports.md) read a bounded history fed once per evaluation.
  const history = deps.history ?? (config.http.enabled && config.http.reportWindows > 0 ? new WindowHistory({ windows: config.http.reportWindows }) : undefined);
  if (history) exporters.push(new HistoryExporter(history));
  const dispatcher = createAlertDispatcher(config.alerts, { logger: logger.child({ component: 'alerts' }), registry: metrics.registry });
  exporters.push(new AlertExporter(dispatcher));

  const partitioned = useKafka && config.scale.mode === 'partitioned';
  let topology: PartitionedTopology | undefined;
  let scale: PartitionedRuntime | undefined;
  let kafka: KafkaClient | undefined;
  let producer: ReturnType<KafkaClient['producer']> | undefined;
  let deadLetters: DeadLetterSink;
  let dlqMaxMessageBytes: number | undefined;
  if (useKafka) {
    kafka = deps.kafka ?? createKafkajsClient(kafkaConnection(config), logger.child({ component: 'kafka' }));
    const connected = await kafka.admin().catch((cause) => {
      throw new SinkError(`cannot reach the Kafka brokers ${config.kafka.brokers!.join(',')} (KAFKA_BROKERS): ${(cause as Error).message}`, { retriable: true, cause });
    });
    // Instances started together race to create the topics; a fresh one answers "not the leader" for a while.
    const admin = retryingAdmin(connected, { logger: logger.child({ component: 'kafka' }) });
    try {
      if (config.kafka.createTopics) {
        await admin.ensureTopics([
          { topic: config.kafka.driftEventsTopic },
          { topic: config.kafka.deadLetterTopic },
          { topic: stateChangelogTopic(config.kafka.groupId), config: STATE_CHANGELOG_CONFIG },
        ]);
      } else if (!(await admin.listTopics()).includes(stateChangelogTopic(config.kafka.groupId))) {
        throw new DriftwatchError(
          `the state changelog topic "${stateChangelogTopic(config.kafka.groupId)}" (named after KAFKA_GROUP_ID) does not exist and KAFKA_CREATE_TOPICS is false: create it with cleanup.policy=compact`,
          { context: { topic: stateChangelogTopic(config.kafka.groupId) } },
        );
      }
      // SCALE_MODE=partitioned: the internal topic of partial panes, and both topics' partitions.
      if (partitioned) topology = await preparePartitioned(config, admin);
      // Dead letters are cut to fit the topic's limit, so that one can always be written.
      dlqMaxMessageBytes = await dlqLimit(admin, config.kafka.deadLetterTopic, logger);
      if (!(await admin.listTopics()).includes(config.kafka.topic)) {
        throw new DriftwatchError(
          `the prediction events topic "${config.kafka.topic}" (KAFKA_TOPIC) does not exist on ${config.kafka.brokers!.join(',')}: create it, or point KAFKA_TOPIC at the topic your models write to`,
          {
            context: { topic: config.kafka.topic },
          },
        );
      }
    } finally {
      await admin.disconnect();
    }
    producer = kafka.producer();
    await producer.connect();
    exporters.push(new KafkaDriftEventExporter(producer, config.kafka.driftEventsTopic, config.output.emitAllChecks));
    deadLetters = new DeadLetterWarnings(
      new KafkaDeadLetterSink(producer, config.kafka.deadLetterTopic, { maxMessageBytes: dlqMaxMessageBytes }),
      logger.child({ component: 'dead-letter' }),
      { now: deps.now },
    );
  } else {
    deadLetters = new LogDeadLetterSink(logger.child({ component: 'dead-letter' }));
  }

  let source: KafkaSource | undefined;
  // A failure the service cannot recover from (the consumer died for good, evaluation keeps
  // failing): `done` rejects, and the CLI stops the service and exits non-zero.
  let fatal: (error: Error) => void = () => undefined;
  const failed = new Promise<never>((_, reject) => (fatal = reject));
  failed.catch(() => undefined);
  const engine = buildEngine(config, references, useKafka, history !== undefined);
  const pipeline = new Pipeline({
    engine,
    references,
    exporters,
    deadLetters,
    metrics: runtimeMetrics(metrics),
    logger,
    defaults: { model: config.model.name, modelVersion: config.model.version },
    maxClockSkewMs: useKafka ? config.window.maxClockSkewMs : Number.POSITIVE_INFINITY,
    deadLetterTimeoutMs: config.kafka.deadLetterTimeoutMs,
    now: deps.now,
    scheduler: deps.scheduler,
    onEvaluated: async () => {
      await source?.commit();
    },
    onFatal: (error) => fatal(error),
  });
  metrics.setLagSource(() => pipeline.lagSnapshot());

  const http = config.http.enabled
    ? await startHttpServer({
        host: config.http.host,
        port: config.http.port,
        registry: metrics.registry,
        ...(history ? { pages: reportRoutes(pipeline.status, history) } : {}),
        status: {
          drift: () => pipeline.driftSummary(),
          readiness: async () => ({
            references_loaded: references.size > 0,
            group_joined: useKafka ? (scale?.joined ?? source?.joined ?? false) : true,
            broker_reachable: useKafka ? (scale?.brokerReachable ?? source?.brokerReachable ?? false) : true,
            sinks_reachable: await pipeline.sinksReachable(),
            evaluating: pipeline.status.evaluationFailure === null,
            dead_letters_writable: pipeline.status.deadLetterFailure === null,
          }),
        },
      }).catch(async (error: unknown) => {
        // A service that did not start must not keep the process alive (a port taken used to hang it).
        await pipeline.shutdownExporters();
        await producer?.disconnect().catch(() => undefined);
        throw error;
      })
    : null;
  if (http) logger.info({ port: http.port }, 'HTTP: /healthz /readyz /metrics /drift');

  let done: Promise<void>;
  const abort = new AbortController();
  if (partitioned) {
    done = failed;
    try {
      scale = await startPartitioned({
        config,
        topology: topology!,
        kafka: kafka!,
        producer: producer!,
        references,
        exporters,
        deadLetters,
        detector: buildDetector(config),
        metrics: runtimeMetrics(metrics),
        status: pipeline.status,
        logger,
        keepCurrent: history !== undefined,
        onFatal: (error) => fatal(error),
        now: deps.now,
        scheduler: deps.scheduler,
      });
      const { merge } = scale;
      metrics.setMergeSource(() => merge.counts);
    } catch (error) {
      await producer?.disconnect().catch(() => undefined);
      await http?.close();
      throw error;
    }
  } else if (useKafka) {
    done = failed;
    source = new KafkaSource({
      consumer: kafka!.consumer({
        groupId: config.kafka.groupId,
        topics: [config.kafka.topic],
        fromBeginning: config.kafka.fromBeginning,
        sessionTimeoutMs: config.kafka.sessionTimeoutMs,
        thread: config.kafka.consumerThread,
      }),
      topic: config.kafka.topic,
      pipeline,
      logger,
      onFatal: (error) => fatal(error),
      scheduler: deps.scheduler,
      changelog: new StateChangelog(new KafkaChangelogStore(kafka!, producer!, stateChangelogTopic(config.kafka.groupId)), logger.child({ component: 'state-changelog' })),
    });
    pipeline.start();
    try {
      await source.start();
    } catch (error) {
      // Nothing must keep answering /healthz for a service that did not start.
      await pipeline.stop();
      await producer?.disconnect().catch(() => undefined);
      await http?.close();
      throw error;
    }
    logger.info({ topic: config.kafka.topic, group: config.kafka.groupId, windowMs: config.window.sizeMs, slideMs: config.window.slideMs }, 'consuming prediction events');
  } else {
    const path = replayPath ?? EXAMPLE.events;
    logger.info(
      { path, references: references.versions() },
      replayPath ? 'replaying a recorded stream' : 'no KAFKA_BROKERS: running the bundled example (a recorded stream in which drift begins part-way)',
    );
    done = Promise.race([failed, replayFile(path, pipeline, { signal: abort.signal }).then(({ lines }) => logger.info({ lines }, 'end of the recorded stream'))]);
  }

  let stopping: Promise<void> | null = null;
  return {
    metrics,
    pipeline,
    httpPort: http?.port ?? null,
    done,
    stop() {
      stopping ??= (async () => {
        abort.abort();
        if (scale) {
          await scale.stop();
          await pipeline.flushExporters();
        } else if (source) await source.stop();
        else await pipeline.stop();
        await pipeline.shutdownExporters();
        await producer?.disconnect().catch(() => undefined);
        await http?.close();
      })();
      return stopping;
    },
  };
}
