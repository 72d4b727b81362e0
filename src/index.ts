/**
 * driftwatch as a library: the same core serves the batch `check` command, the streaming
 * service and this API.
 */
export { ReferenceDistribution, REFERENCE_SCHEMA_VERSION, inferType, type BuildOptions, type Row, type ReferenceFile } from './reference/index.js';
export { DriftDetector, accumulate, DEFAULT_THRESHOLD, DEFAULT_MIN_SAMPLES, type DetectorOptions, type CurrentRows } from './monitor/detector.js';
export { driftCheckJob, loadReferenceCached, type DriftCheckJobOptions } from './monitor/job.js';
export type { CheckResult, FeatureResult, DriftReason, CheckStatus } from './monitor/result.js';
export { Engine, type EngineOptions, type Evaluation, type ModelCheck } from './monitor/engine.js';
export { Hysteresis } from './monitor/hysteresis.js';
export {
  METRICS,
  SCORE_METRICS,
  scoreMetric,
  UnknownMetricError,
  Histogram,
  FeatureSetAccumulator,
  psiFromCounts,
  ksFromBinnedCounts,
  ksTwoSample,
  ksPValue,
  jensenShannonDistance,
  chiSquarePValue,
  kolmogorovSurvival,
  chiSquareSurvival,
  type MetricDescriptor,
  type ScoreMetric,
  type FeatureModel,
} from './stats/index.js';
export { driftEventFromCheck, driftEventId, driftEventSchema, type DriftEvent, type DriftEventType } from './events/drift-event.js';
export { DriftwatchError, ReferenceFileError, InputError, ConfigError, SinkError } from './errors.js';
export type { EvaluationExporter, ExportResult } from './sinks/exporter.js';
export { InMemoryExporter } from './sinks/memory.js';
export {
  AlertDispatcher,
  alertsConfigSchema,
  createAlertDispatcher,
  startAlertsService,
  runAlertsConsumer,
  verifySignature,
  type AlertsConfig,
} from './alerts/index.js';
export { createKafkajsClient, type KafkaClient } from './kafka/index.js';
