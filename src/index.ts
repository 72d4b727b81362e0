/**
 * driftwatch as a library: the same core serves the batch `check` command, the streaming
 * service and this API.
 */
export { ReferenceDistribution, REFERENCE_SCHEMA_VERSION, inferType, type BuildOptions, type Row, type ReferenceFile, type Calibrator } from './core/reference/index.js';
export { DriftDetector, accumulate, DEFAULT_THRESHOLD, DEFAULT_MIN_SAMPLES, type DetectorOptions, type CurrentRows } from './core/detect/detector.js';
export { driftCheckJob, loadReferenceCached, type DriftCheckJobOptions } from './app/check-job.js';
export type { CheckResult, FeatureResult, DriftReason, CheckStatus } from './core/detect/result.js';
export { Engine, type EngineOptions, type Evaluation, type ModelCheck } from './runtime/engine.js';
export { Hysteresis } from './core/detect/hysteresis.js';
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
} from './core/stats/index.js';
export { driftEventFromCheck, driftEventId, driftEventSchema, type DriftEvent, type DriftEventType } from './core/detect/drift-event.js';
export { DriftwatchError, ReferenceFileError, InputError, ConfigError, SinkError } from './core/errors.js';
export type { EvaluationExporter, ExportResult } from './runtime/ports.js';
export { InMemoryExporter } from './runtime/memory-exporter.js';
export { AlertDispatcher, alertsConfigSchema, createAlertDispatcher, startAlertsService, runAlertsConsumer, verifySignature, type AlertsConfig } from './adapters/alerts/index.js';
export { createKafkajsClient, type KafkaClient } from './adapters/kafka/index.js';
export { threadedCalibrator, type CalibrationPoolOptions } from './adapters/threads/calibration-pool.js';

// Feature stores (the integration guide's step 2): write features where `driftwatch job` reads them.
export {
  predictionLogsDdl,
  storePredictionPostgres,
  storeFeaturesRedis,
  storeFeaturesRedisStream,
  influxFeatureLines,
  storeFeaturesInflux,
  type FeatureVector,
} from './adapters/stores/writers.js';
export { quoteIdentifier, StoreError, IdentifierError, type FeatureSource, type StoreRow, type TimeWindow } from './adapters/stores/source.js';
