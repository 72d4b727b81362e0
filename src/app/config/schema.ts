import { z } from 'zod';
import { alertsConfigSchema, ALERTS_ENV } from '../../adapters/alerts/config.js';
import { CORRECTIONS, METRICS, SCORE_METRICS } from '../../core/stats/index.js';
import { fromEnv } from '../../core/coerce.js';

/**
 * driftwatch's configuration: a YAML or JSON file under config/ and the environment, the
 * environment winning. Values from the environment are strings: every field is read through
 * the one coercion helper, core/coerce.ts (numbers, booleans, comma lists, durations; an empty
 * string means "not set").
 */
const str = () => fromEnv.text(z.string().trim().min(1).optional());
const num = (schema: z.ZodNumber) => fromEnv.number(schema);
const bool = () => fromEnv.boolean(z.boolean({ error: 'expected true or false' }));
const list = () => fromEnv.list(z.array(z.string().min(1)));
const duration = () => fromEnv.duration();
/** A positive number or `auto` (DRIFT_THRESHOLD=auto). */
const thresholdSetting = () => z.union([fromEnv.text(z.literal('auto')), num(z.number().positive())]);
const DAY_MS = 86_400_000;
/** A duration with a sane upper bound (issue 16: a 100,000,000 h window was accepted silently). */
const boundedDuration = (maxMs: number, maxText: string) => duration().refine((ms) => ms > 0 && ms <= maxMs, { error: `must be positive and at most ${maxText}` });

export const DEFAULTS = {
  windowMs: 3_600_000, // 1 h
  slideMs: 300_000, // 5 min
  allowedLatenessMs: 30_000,
  idleTimeoutMs: 60_000,
  maxClockSkewMs: 3_600_000,
};

export const configSchema = z.object({
  kafka: z
    .object({
      /** Unset: no Kafka; `driftwatch run` then runs the bundled example from files. */
      brokers: list().optional(),
      clientId: str().default('driftwatch'),
      topic: str().default('predictions'),
      groupId: str().default('driftwatch'),
      ssl: bool().default(false),
      sasl: z
        .object({
          mechanism: fromEnv.text(z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional()),
          username: str(),
          password: str(),
        })
        .prefault({}),
      driftEventsTopic: str().default('drift-events'),
      deadLetterTopic: str().default('predictions.dlq'),
      /** A dead-letter write failing this long stops the service (it is not ready meanwhile). */
      deadLetterTimeoutMs: boundedDuration(DAY_MS, '1d').default(300_000),
      /** Create the drift events and dead-letter topics at start when missing. */
      createTopics: bool().default(true),
      /** A new consumer group starts at the earliest offset (true) or the latest. */
      fromBeginning: bool().default(true),
      sessionTimeoutMs: boundedDuration(3_600_000, '1h').default(30_000),
      /** The source's Kafka client on the main thread or on a worker thread (docs/configuration.md). */
      consumerThread: fromEnv.text(z.enum(['main', 'worker']).default('main')),
    })
    .prefault({}),
  influx: z
    .object({
      /** Unset: scores are not written to InfluxDB. */
      url: fromEnv.text(z.url({ error: 'expected a URL such as http://127.0.0.1:8086' }).optional()),
      token: str(),
      org: str().default('driftwatch'),
      bucket: str().default('driftwatch'),
      timeoutMs: boundedDuration(600_000, '10m').default(10_000),
    })
    .prefault({}),
  reference: z
    .object({
      /** {dir}/{model_version}/reference_distribution.json */
      dir: str().default('model_artifacts'),
      /** Version whose reference scores events of versions without one (else dead-lettered). */
      fallbackVersion: str(),
    })
    .prefault({}),
  model: z
    .object({
      /** Default `model` for events without one (single-model deployments). */
      name: str(),
      /** Default `model_version` for events without one. */
      version: str(),
    })
    .prefault({}),
  drift: z
    .object({
      metric: fromEnv.text(
        z.enum([...SCORE_METRICS, 'auto'], { error: (i) => `Unknown metric ${JSON.stringify(i.input)}. Available: ${[...SCORE_METRICS, 'auto'].join(', ')}` }).default('psi'),
      ),
      /** A number or `auto`; unset: the metric's own default (psi 0.3, ks/js/wasserstein 0.1; auto for metric auto). */
      threshold: thresholdSetting().optional(),
      /** The model outputs' threshold (prediction, confidence; references built with outputs). Unset: `threshold`. */
      outputThreshold: thresholdSetting().optional(),
      /** `auto` thresholds: the false-alarm rate (per check with a correction), the correction, the effect floor. */
      alpha: num(z.number().positive().lt(1)).default(0.01),
      correction: fromEnv.text(z.enum(CORRECTIONS, { error: (i) => `Unknown correction ${JSON.stringify(i.input)}. Available: ${CORRECTIONS.join(', ')}` }).default('bonferroni')),
      minEffect: num(z.number().nonnegative()).optional(),
      minSamples: num(z.number().int().min(1)).default(100),
      missingRateThreshold: num(z.number().positive().max(1)).default(0.1),
      /** When set, a check drifts when this share of features drifted (else any one). */
      share: num(z.number().positive().max(1)).optional(),
      raiseAfter: num(z.number().int().min(1)).default(1),
      clearAfter: num(z.number().int().min(1)).default(2),
      features: z.record(z.string(), z.object({ threshold: thresholdSetting() })).prefault({}),
    })
    .transform((d) => ({ ...d, threshold: d.threshold ?? (d.metric === 'auto' ? ('auto' as const) : (METRICS[d.metric].defaultThreshold ?? 0.3)) }))
    .prefault({}),
  window: z
    .object({
      sizeMs: boundedDuration(7 * DAY_MS, '7d').optional(),
      slideMs: boundedDuration(DAY_MS, '1d').optional(),
      allowedLatenessMs: duration()
        .refine((ms) => ms >= 0 && ms <= DAY_MS, { error: 'must be between 0 and 1d' })
        .default(DEFAULTS.allowedLatenessMs),
      idleTimeoutMs: boundedDuration(DAY_MS, '1d').default(DEFAULTS.idleTimeoutMs),
      maxClockSkewMs: boundedDuration(7 * DAY_MS, '7d').default(DEFAULTS.maxClockSkewMs),
      /** Events older than their partition's progress by more than this are dead-lettered too_old (default 3 windows). */
      maxEventAgeMs: boundedDuration(365 * DAY_MS, '365d').optional(),
    })
    .prefault({}),
  output: z
    .object({
      /** Publish a drift_check event for every window, not only state changes. */
      emitAllChecks: bool().default(false),
      /** Also append every check as JSON Lines to this file. */
      jsonlPath: str(),
      /** Print a per-window summary line. Default: on without Kafka, off with it. */
      console: bool().optional(),
    })
    .prefault({}),
  http: z
    .object({
      port: num(z.number().int().min(0).max(65535)).default(8080),
      host: str().default('0.0.0.0'),
      enabled: bool().default(true),
      /** Windows kept per (model, version) for the live report's timeline; 0 turns the report pages off (docs/reports.md). */
      reportWindows: num(z.number().int().min(0).max(100_000)).default(288),
    })
    .prefault({}),
  store: z
    .object({
      /** The scheduled job's feature store (FEATURE_STORE_TYPE): the guide's names, plus files. */
      type: fromEnv.text(
        z
          .enum(['postgresql', 'redis', 'influxdb', 'file'], { error: (i) => `Unknown feature store ${JSON.stringify(i.input)}. Available: postgresql, redis, influxdb, file` })
          .optional(),
      ),
      url: str(),
      /** PostgreSQL: table and columns (plain identifiers, validated and quoted). */
      table: str().default('prediction_logs'),
      vectorColumn: str().default('feature_vector'),
      timeColumn: str().default('created_at'),
      modelColumn: str(),
      versionColumn: str(),
      /** PostgreSQL: the model's outputs beside the vector (docs/feature-stores.md); unset: `prediction` / `confidence` when the table has them. */
      predictionColumn: str(),
      confidenceColumn: str(),
      /** PostgreSQL: the model's per-class probabilities, a json/jsonb object; unset: `probabilities` when the table has it. */
      probabilitiesColumn: str(),
      /** PostgreSQL: the user's own query, $1 and $2 the window bounds. */
      query: str(),
      /** Redis: the list (the guide's recent_features) or stream key. */
      key: str().default('recent_features'),
      redisMode: fromEnv.text(z.enum(['list', 'stream']).default('list')),
      /** InfluxDB: database (1.8) or bucket (2.x), measurement, and the long or wide form. */
      database: str().default('driftwatch'),
      measurement: str().default('model_features'),
      layout: fromEnv.text(z.enum(['long', 'wide']).default('long')),
      token: str(),
      /** Files: CSV, JSON Lines or Parquet paths (comma list; * and ? match within a file name). */
      paths: list().optional(),
      /** At most this many rows scored per run, a uniform sample of the window (reservoir sampling); unset: every row. */
      maxRows: num(z.number().int().min(1)).optional(),
      /** Rejected rows also go here: a PostgreSQL table (postgresql) or a Redis stream key (redis). */
      deadLetter: str(),
    })
    .prefault({}),
  job: z
    .object({
      /** A cron expression; when set it replaces the interval (DRIFT_CHECK_INTERVAL). */
      cron: str(),
      /** A run later than this after its scheduled time is skipped and counted (APScheduler's misfire_grace_time). */
      misfireGraceMs: duration().default(300_000),
    })
    .prefault({}),
  log: z.object({ level: fromEnv.text(z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info')) }).prefault({}),
  alerts: alertsConfigSchema.prefault({}),
  /** Scale-out (docs/architecture.md, "Scale-out"): one model's stream read by many instances. */
  scale: z
    .object({
      /** single: each (model, version) is read by one instance (today's behaviour); partitioned: partial panes merged where the key lives. */
      mode: fromEnv.text(z.enum(['single', 'partitioned'], { error: (i) => `Unknown scale mode ${JSON.stringify(i.input)}. Available: single, partitioned` }).default('single')),
      /** The internal topic of partial panes (default <KAFKA_GROUP_ID>-partials). */
      partialsTopic: str(),
      /** Its partitions when driftwatch creates it: the merge stage's parallelism (default 6). */
      partialsPartitions: num(z.number().int().min(1).max(10_000)).default(6),
      /** Watermark reports are sent at least this often, so an idle partition does not hold windows back (default 5s). */
      reportIntervalMs: boundedDuration(600_000, '10m').default(5_000),
    })
    .prefault({}),
});

export type ConfigInput = z.input<typeof configSchema>;
export type ParsedConfig = z.output<typeof configSchema>;

/** Every environment variable driftwatch reads, with the key it sets and what it means. */
export interface EnvVar {
  name: string;
  path: string[];
  description: string;
  /** Read as hours (the integration guide's *_HOURS names). */
  hours?: boolean;
}

export const ENV_VARS: readonly EnvVar[] = [
  { name: 'KAFKA_BROKERS', path: ['kafka', 'brokers'], description: 'comma list of bootstrap brokers; unset runs the bundled example without servers' },
  { name: 'KAFKA_CLIENT_ID', path: ['kafka', 'clientId'], description: 'Kafka client id (default driftwatch)' },
  { name: 'KAFKA_TOPIC', path: ['kafka', 'topic'], description: 'prediction events topic (default predictions)' },
  { name: 'KAFKA_GROUP_ID', path: ['kafka', 'groupId'], description: 'consumer group (default driftwatch)' },
  { name: 'KAFKA_SSL', path: ['kafka', 'ssl'], description: 'true to connect with TLS' },
  { name: 'KAFKA_SASL_MECHANISM', path: ['kafka', 'sasl', 'mechanism'], description: 'plain, scram-sha-256 or scram-sha-512' },
  { name: 'KAFKA_SASL_USERNAME', path: ['kafka', 'sasl', 'username'], description: 'SASL user' },
  { name: 'KAFKA_SASL_PASSWORD', path: ['kafka', 'sasl', 'password'], description: 'SASL password (secret; never logged)' },
  { name: 'KAFKA_CREATE_TOPICS', path: ['kafka', 'createTopics'], description: 'create missing drift-events, dead-letter and state-changelog topics at start (default true)' },
  { name: 'KAFKA_FROM_BEGINNING', path: ['kafka', 'fromBeginning'], description: 'a new group starts at the earliest offset (default true)' },
  { name: 'KAFKA_CONSUMER_THREAD', path: ['kafka', 'consumerThread'], description: 'main (default) or worker: run the prediction consumer on a worker thread' },
  { name: 'DRIFT_EVENTS_TOPIC', path: ['kafka', 'driftEventsTopic'], description: 'drift events topic (default drift-events)' },
  { name: 'DEAD_LETTER_TOPIC', path: ['kafka', 'deadLetterTopic'], description: 'dead-letter topic for bad and late events (default predictions.dlq)' },
  { name: 'DEAD_LETTER_TIMEOUT', path: ['kafka', 'deadLetterTimeoutMs'], description: 'a dead-letter write failing this long stops the service with a message (default 5m)' },
  { name: 'INFLUX_URL', path: ['influx', 'url'], description: 'InfluxDB URL; unset: no InfluxDB output' },
  { name: 'INFLUX_TOKEN', path: ['influx', 'token'], description: 'InfluxDB token (2.x) or user:password (1.8) (secret; never logged)' },
  { name: 'INFLUX_ORG', path: ['influx', 'org'], description: 'InfluxDB organisation (default driftwatch)' },
  { name: 'INFLUX_BUCKET', path: ['influx', 'bucket'], description: 'InfluxDB bucket (1.8: database/retention-policy) (default driftwatch)' },
  { name: 'REFERENCE_DIR', path: ['reference', 'dir'], description: 'references as {dir}/{model_version}/reference_distribution.json (default model_artifacts)' },
  {
    name: 'REFERENCE_FALLBACK_VERSION',
    path: ['reference', 'fallbackVersion'],
    description: 'reference used for versions without one (default: none, such events are dead-lettered)',
  },
  { name: 'MODEL_NAME', path: ['model', 'name'], description: 'default model for events without "model"' },
  { name: 'MODEL_VERSION', path: ['model', 'version'], description: 'default model_version for events without one' },
  { name: 'DRIFT_METRIC', path: ['drift', 'metric'], description: 'drift score: psi, ks, js, wasserstein, hellinger, linf, or auto (per feature by type and size) (default psi)' },
  {
    name: 'DRIFT_THRESHOLD',
    path: ['drift', 'threshold'],
    description: "a feature drifts when score ≥ threshold, or auto: the score's critical value at the window's size (default: the metric's, psi 0.3, ks/js/wasserstein 0.1)",
  },
  {
    name: 'DRIFT_OUTPUT_THRESHOLD',
    path: ['drift', 'outputThreshold'],
    description: 'a model output (prediction, confidence) drifts when its score ≥ this, or auto (default: DRIFT_THRESHOLD); for references built with --outputs',
  },
  { name: 'DRIFT_ALPHA', path: ['drift', 'alpha'], description: 'auto thresholds: false-alarm rate per window (per feature with DRIFT_CORRECTION=none) (default 0.01)' },
  { name: 'DRIFT_CORRECTION', path: ['drift', 'correction'], description: 'auto thresholds: none, bonferroni or bh across the features of one check (default bonferroni)' },
  {
    name: 'DRIFT_MIN_EFFECT',
    path: ['drift', 'minEffect'],
    description: "auto thresholds: a feature drifts only when its score is also ≥ this (default: the metric's, psi 0.1, others 0.05)",
  },
  { name: 'DRIFT_MIN_SAMPLES', path: ['drift', 'minSamples'], description: 'rows (and non-missing values per feature) needed for a decision (default 100)' },
  { name: 'MISSING_RATE_THRESHOLD', path: ['drift', 'missingRateThreshold'], description: 'flag when missing_rate − reference missing rate ≥ this (default 0.1)' },
  { name: 'DRIFT_SHARE', path: ['drift', 'share'], description: 'share of drifted features for a drifted check (default: any one)' },
  { name: 'DRIFT_RAISE_AFTER', path: ['drift', 'raiseAfter'], description: 'consecutive drifted windows before drift_detected (default 1)' },
  { name: 'DRIFT_CLEAR_AFTER', path: ['drift', 'clearAfter'], description: 'consecutive clean windows before drift_resolved (default 2)' },
  { name: 'DRIFT_WINDOW', path: ['window', 'sizeMs'], description: 'window size, e.g. 1h (default 1h)' },
  { name: 'FEATURE_RETENTION_HOURS', path: ['window', 'sizeMs'], description: "window size in hours (the guide's name; DRIFT_WINDOW wins)", hours: true },
  { name: 'DRIFT_CHECK_INTERVAL', path: ['window', 'slideMs'], description: 'slide: a window is evaluated this often, e.g. 5m (default 5m)' },
  { name: 'DRIFT_CHECK_INTERVAL_HOURS', path: ['window', 'slideMs'], description: "slide in hours (the guide's name; DRIFT_CHECK_INTERVAL wins)", hours: true },
  { name: 'ALLOWED_LATENESS', path: ['window', 'allowedLatenessMs'], description: 'watermark lag behind the newest event time (default 30s)' },
  { name: 'PARTITION_IDLE_TIMEOUT', path: ['window', 'idleTimeoutMs'], description: 'a partition silent this long stops holding the watermark back (default 60s)' },
  { name: 'MAX_CLOCK_SKEW', path: ['window', 'maxClockSkewMs'], description: 'events timestamped further than this in the future are dead-lettered (default 1h)' },
  {
    name: 'MAX_EVENT_AGE',
    path: ['window', 'maxEventAgeMs'],
    description: "events older than their partition's progress by more than this are dead-lettered too_old (default 3 windows)",
  },
  { name: 'EMIT_ALL_CHECKS', path: ['output', 'emitAllChecks'], description: 'publish a drift_check event for every window (default false)' },
  { name: 'OUTPUT_JSONL', path: ['output', 'jsonlPath'], description: 'also append every check to this JSON Lines file' },
  { name: 'OUTPUT_CONSOLE', path: ['output', 'console'], description: 'print a summary line per window (default: on without Kafka)' },
  { name: 'HTTP_PORT', path: ['http', 'port'], description: 'port of /healthz, /readyz, /metrics, /drift (default 8080; 0 picks one)' },
  { name: 'HTTP_HOST', path: ['http', 'host'], description: 'address the HTTP server binds (default 0.0.0.0)' },
  { name: 'HTTP_ENABLED', path: ['http', 'enabled'], description: 'false disables the HTTP server' },
  {
    name: 'REPORT_WINDOWS',
    path: ['http', 'reportWindows'],
    description: 'windows per model version kept for the live report at /report/{model}/{version}; 0 turns / and /report off (default 288)',
  },
  { name: 'FEATURE_STORE_TYPE', path: ['store', 'type'], description: 'driftwatch job: postgresql, redis, influxdb or file' },
  { name: 'FEATURE_STORE_URL', path: ['store', 'url'], description: 'driftwatch job: postgres://…, redis://… or the InfluxDB URL (secret parts never logged)' },
  { name: 'FEATURE_STORE_TABLE', path: ['store', 'table'], description: 'PostgreSQL table (default prediction_logs; schema.table allowed)' },
  { name: 'FEATURE_STORE_VECTOR_COLUMN', path: ['store', 'vectorColumn'], description: 'PostgreSQL column of the vector: double precision[] or jsonb (default feature_vector)' },
  { name: 'FEATURE_STORE_TIME_COLUMN', path: ['store', 'timeColumn'], description: 'PostgreSQL timestamptz column the window is on (default created_at)' },
  { name: 'FEATURE_STORE_MODEL_COLUMN', path: ['store', 'modelColumn'], description: 'PostgreSQL model column (default: model when the table has it)' },
  { name: 'FEATURE_STORE_VERSION_COLUMN', path: ['store', 'versionColumn'], description: 'PostgreSQL model version column (default: model_version when the table has it)' },
  {
    name: 'FEATURE_STORE_PREDICTION_COLUMN',
    path: ['store', 'predictionColumn'],
    description: "PostgreSQL column of the model's prediction output (default: prediction when the table has it)",
  },
  {
    name: 'FEATURE_STORE_CONFIDENCE_COLUMN',
    path: ['store', 'confidenceColumn'],
    description: "PostgreSQL column of the model's confidence output (default: confidence when the table has it)",
  },
  {
    name: 'FEATURE_STORE_PROBABILITIES_COLUMN',
    path: ['store', 'probabilitiesColumn'],
    description: "PostgreSQL json/jsonb column of the model's per-class probabilities, an object class → probability (default: probabilities when the table has it)",
  },
  {
    name: 'FEATURE_STORE_QUERY',
    path: ['store', 'query'],
    description: 'PostgreSQL query instead of the table, $1 and $2 the window bounds; returns feature_vector[, model, model_version]',
  },
  { name: 'FEATURE_STORE_KEY', path: ['store', 'key'], description: 'Redis key of the list or stream (default recent_features)' },
  {
    name: 'FEATURE_STORE_REDIS_MODE',
    path: ['store', 'redisMode'],
    description: "Redis: list (the guide's LPUSH list, read whole) or stream (XRANGE over the window) (default list)",
  },
  { name: 'FEATURE_STORE_DATABASE', path: ['store', 'database'], description: 'InfluxDB database (1.8) or bucket (2.x) of the features (default driftwatch)' },
  { name: 'FEATURE_STORE_MEASUREMENT', path: ['store', 'measurement'], description: 'InfluxDB measurement (default model_features)' },
  { name: 'FEATURE_STORE_LAYOUT', path: ['store', 'layout'], description: 'InfluxDB: long (tag feature_name, field value) or wide (a field per feature) (default long)' },
  { name: 'FEATURE_STORE_TOKEN', path: ['store', 'token'], description: 'InfluxDB token or user:password of the feature store (secret; never logged)' },
  { name: 'FEATURE_STORE_PATHS', path: ['store', 'paths'], description: 'files: comma list of CSV, JSON Lines or Parquet paths (* and ? in file names)' },
  {
    name: 'FEATURE_STORE_MAX_ROWS',
    path: ['store', 'maxRows'],
    description: 'driftwatch job: score at most this many rows per run, a uniform sample of the window (seeded reservoir sampling; unset: every row)',
  },
  {
    name: 'FEATURE_STORE_DEAD_LETTER',
    path: ['store', 'deadLetter'],
    description: 'driftwatch job: rejected rows also written to this PostgreSQL table (created when missing) or Redis stream key',
  },
  { name: 'DRIFT_CHECK_CRON', path: ['job', 'cron'], description: 'driftwatch job: a cron expression instead of DRIFT_CHECK_INTERVAL, e.g. "0 */2 * * *"' },
  { name: 'DRIFT_MISFIRE_GRACE', path: ['job', 'misfireGraceMs'], description: 'driftwatch job: a run later than this is skipped and counted (default 300s)' },
  { name: 'SCALE_MODE', path: ['scale', 'mode'], description: 'single (default: each model read by one instance) or partitioned (partial panes merged by the owner of the model)' },
  { name: 'SCALE_PARTIALS_TOPIC', path: ['scale', 'partialsTopic'], description: 'partitioned: the internal topic of partial panes (default <KAFKA_GROUP_ID>-partials)' },
  { name: 'SCALE_PARTIALS_PARTITIONS', path: ['scale', 'partialsPartitions'], description: 'partitioned: partitions of the internal topic when created (default 6)' },
  { name: 'SCALE_REPORT_INTERVAL', path: ['scale', 'reportIntervalMs'], description: 'partitioned: watermark reports at least this often (default 5s)' },
  { name: 'LOG_LEVEL', path: ['log', 'level'], description: 'trace, debug, info, warn, error, fatal or silent (default info)' },
  ...Object.entries(ALERTS_ENV).map(([name, key]) => ({ name, path: ['alerts', key], description: `alerts: ${key}` })),
];

export const ENV_NAMES: readonly string[] = ENV_VARS.map((v) => v.name);
