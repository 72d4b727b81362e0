import type { Logger } from 'pino';
import type { SchedulerLike } from 'rxjs';
import type { Config } from './config/load.js';
import type { DriftDetector } from '../core/detect/detector.js';
import { DriftwatchError } from '../core/errors.js';
import type { Admin, KafkaClient, Producer } from '../adapters/kafka/index.js';
import { KafkaPartialsPublisher, MergeSource, PartialSource, PARTIALS_TOPIC_CONFIG, mergeGroupId, partialsTopic, singleModeEnd } from '../adapters/kafka/partials.js';
import { KafkaChangelogStore, stateChangelogTopic } from '../adapters/kafka/state-changelog.js';
import { MergeStage } from '../runtime/partitioned/merge-stage.js';
import { PartialStage } from '../runtime/partitioned/partial-stage.js';
import type { DeadLetterSink, EvaluationExporter, ReferenceLookup, RuntimeMetrics } from '../runtime/ports.js';
import type { Status } from '../runtime/status.js';

/**
 * The composition of SCALE_MODE=partitioned (docs/architecture.md, "Scale-out"): the
 * partial-aggregation stage on the prediction events topic and the merge stage on the internal
 * topic, both in this process. app/service.ts calls it instead of the single-instance source.
 */
export interface PartitionedTopology {
  /** The internal topic and its partition count; the source topic's partitions. */
  topic: string;
  internalPartitions: number;
  sourcePartitions: number[];
}

/** Creates (or checks) the internal topic and reads the partition counts both stages need. */
export async function preparePartitioned(config: Config, admin: Admin): Promise<PartitionedTopology> {
  const topic = config.scale.partialsTopic ?? partialsTopic(config.kafka.groupId);
  if (config.kafka.createTopics) await admin.ensureTopics([{ topic, partitions: config.scale.partialsPartitions, config: PARTIALS_TOPIC_CONFIG }]);
  else if (!(await admin.listTopics()).includes(topic)) {
    throw new DriftwatchError(
      `the internal topic of partial panes "${topic}" (SCALE_PARTIALS_TOPIC, default <KAFKA_GROUP_ID>-partials) does not exist and KAFKA_CREATE_TOPICS is false: create it with cleanup.policy=delete`,
      { context: { topic } },
    );
  }
  // The service's admin asks again while the answer is retriable (adapters/kafka/retrying-admin.ts).
  const internal = await admin.topicOffsets(topic);
  const source = await admin.topicOffsets(config.kafka.topic);
  if (internal.length === 0 || source.length === 0) throw new DriftwatchError(`cannot read the partitions of "${topic}" and "${config.kafka.topic}"`, { context: { topic } });
  return { topic, internalPartitions: internal.length, sourcePartitions: source.map((p) => p.partition).sort((a, b) => a - b) };
}

export interface PartitionedDeps {
  config: Config;
  topology: PartitionedTopology;
  kafka: KafkaClient;
  producer: Producer;
  references: ReferenceLookup;
  exporters: EvaluationExporter[];
  deadLetters: DeadLetterSink;
  detector: DriftDetector;
  metrics: RuntimeMetrics;
  status: Status;
  logger: Logger;
  keepCurrent: boolean;
  onFatal: (error: Error) => void;
  now?: () => number;
  scheduler?: SchedulerLike;
}

export interface PartitionedRuntime {
  partial: PartialStage;
  merge: MergeStage;
  readonly joined: boolean;
  readonly brokerReachable: boolean;
  stop(): Promise<void>;
}

export async function startPartitioned(deps: PartitionedDeps): Promise<PartitionedRuntime> {
  const { config, topology, kafka, producer, logger } = deps;
  const aborter = new AbortController();
  const partial = new PartialStage({
    references: deps.references,
    deadLetters: deps.deadLetters,
    metrics: deps.metrics,
    logger: logger.child({ component: 'partial-aggregation' }),
    defaults: { model: config.model.name, modelVersion: config.model.version },
    publisher: new KafkaPartialsPublisher(producer, topology.topic, topology.internalPartitions),
    windowMs: config.window.sizeMs,
    slideMs: config.window.slideMs,
    allowedLatenessMs: config.window.allowedLatenessMs,
    idleTimeoutMs: config.window.idleTimeoutMs,
    maxAheadOfClockMs: 0,
    maxEventAgeMs: config.window.maxEventAgeMs,
    maxClockSkewMs: config.window.maxClockSkewMs,
    reportIntervalMs: config.scale.reportIntervalMs,
    deadLetterTimeoutMs: config.kafka.deadLetterTimeoutMs,
    now: deps.now,
    scheduler: deps.scheduler,
    signal: aborter.signal,
    status: deps.status,
    onFatal: deps.onFatal,
  });
  const merge = new MergeStage({
    references: deps.references,
    exporters: deps.exporters,
    detector: deps.detector,
    hysteresis: { raiseAfter: config.drift.raiseAfter, clearAfter: config.drift.clearAfter },
    windowMs: config.window.sizeMs,
    slideMs: config.window.slideMs,
    sourcePartitions: topology.sourcePartitions,
    status: deps.status,
    metrics: deps.metrics,
    logger: logger.child({ component: 'merge' }),
    keepCurrent: deps.keepCurrent,
    now: deps.now,
    scheduler: deps.scheduler,
    signal: aborter.signal,
  });
  // Before either stage commits: a move from single starts the merge after single's last window.
  const sourceConsumer = kafka.consumer({
    groupId: config.kafka.groupId,
    topics: [config.kafka.topic],
    fromBeginning: config.kafka.fromBeginning,
    sessionTimeoutMs: config.kafka.sessionTimeoutMs,
  });
  const migratedEndMs = await singleModeEnd(sourceConsumer, config.kafka.topic);
  if (migratedEndMs !== null)
    logger.info({ lastEvaluatedWindowEnd: new Date(migratedEndMs).toISOString() }, 'SCALE_MODE=partitioned after single: the merge starts after the last window single evaluated');
  const mergeSource = new MergeSource({
    migratedEndMs,
    consumer: kafka.consumer({ groupId: mergeGroupId(config.kafka.groupId), topics: [topology.topic], fromBeginning: true, sessionTimeoutMs: config.kafka.sessionTimeoutMs }),
    topic: topology.topic,
    stage: merge,
    logger: logger.child({ component: 'merge' }),
    onFatal: deps.onFatal,
    scheduler: deps.scheduler,
    // The same changelog as single mode's: a move to partitioned keeps every drift state.
    changelogStore: new KafkaChangelogStore(kafka, producer, stateChangelogTopic(config.kafka.groupId)),
  });
  const partialSource = new PartialSource({
    consumer: sourceConsumer,
    topic: config.kafka.topic,
    stage: partial,
    logger: logger.child({ component: 'partial-aggregation' }),
    onFatal: deps.onFatal,
    scheduler: deps.scheduler,
  });
  await mergeSource.start();
  await partialSource.start();
  logger.info(
    { topic: config.kafka.topic, partials: topology.topic, sourcePartitions: topology.sourcePartitions.length, internalPartitions: topology.internalPartitions },
    'SCALE_MODE=partitioned: aggregating partial panes and merging the (model, version) keys this instance owns',
  );
  let stopping: Promise<void> | null = null;
  return {
    partial,
    merge,
    get joined() {
      return partialSource.joined && mergeSource.joined;
    },
    get brokerReachable() {
      return partialSource.brokerReachable && mergeSource.brokerReachable;
    },
    stop() {
      stopping ??= (async () => {
        // The source first: its last flush publishes what it can (for at most 10 s); then the merge stage.
        const bound = setTimeout(() => aborter.abort(), 10_000);
        await partialSource.stop();
        clearTimeout(bound);
        aborter.abort();
        await mergeSource.stop();
        logger.info({ published: partial.published, merged: merge.counts }, 'partitioned runtime stopped');
      })();
      return stopping;
    },
  };
}
