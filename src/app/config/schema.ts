import { z } from 'zod';
import { alertsConfigSchema, ALERTS_ENV } from '../../adapters/alerts/config.js';
import { SCORE_METRICS } from '../../core/stats/index.js';
import { durationMs } from '../../core/duration.js';

/**
 * driftwatch's configuration: a YAML or JSON file under config/ and the environment, the
 * environment winning. Values from the environment are strings, so numbers and booleans are
 * coerced and comma lists split; an empty string means "not set".
 */
const unset = (v: unknown) => (typeof v === 'string' && v.trim() === '' ? undefined : v);
const str = () => z.preprocess(unset, z.string().trim().min(1).optional());
const num = (schema: z.ZodNumber) => z.preprocess((v) => { const u = unset(v); return typeof u === 'string' ? Number(u) : u; }, schema);
const bool = () =>
  z.preprocess((v) => {
    const u = unset(v);
    if (typeof u !== 'string') return u;
    if (/^(true|1|yes|on)$/i.test(u)) return true;
    if (/^(false|0|no|off)$/i.test(u)) return false;
    return u;
  }, z.boolean({ error: 'expected true or false' }));
const list = () =>
  z.preprocess((v) => {
    const u = unset(v);
    return typeof u === 'string' ? u.split(',').map((s) => s.trim()).filter(Boolean) : u;
  }, z.array(z.string().min(1)));
const duration = () => z.preprocess(unset, durationMs);
const DAY_MS = 86_400_000;
/** A duration with a sane upper bound (issue 16: a 100,000,000 h window was accepted silently). */
const boundedDuration = (maxMs: number, maxText: string) =>
  duration().refine((ms) => ms > 0 && ms <= maxMs, { error: `must be positive and at most ${maxText}` });
const hours = () => num(z.number().positive()).transform((h) => Math.round(h * 3_600_000));

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
          mechanism: z.preprocess(unset, z.enum(['plain', 'scram-sha-256', 'scram-sha-512']).optional()),
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
    })
    .prefault({}),
  influx: z
    .object({
      /** Unset: scores are not written to InfluxDB. */
      url: z.preprocess(unset, z.url({ error: 'expected a URL such as http://127.0.0.1:8086' }).optional()),
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
      metric: z.preprocess(unset, z.enum(SCORE_METRICS, { error: (i) => `Unknown metric ${JSON.stringify(i.input)}. Available: ${SCORE_METRICS.join(', ')}` }).default('psi')),
      threshold: num(z.number().positive()).default(0.3),
      minSamples: num(z.number().int().min(1)).default(100),
      missingRateThreshold: num(z.number().positive().max(1)).default(0.1),
      /** When set, a check drifts when this share of features drifted (else any one). */
      share: num(z.number().positive().max(1)).optional(),
      raiseAfter: num(z.number().int().min(1)).default(1),
      clearAfter: num(z.number().int().min(1)).default(2),
      features: z.record(z.string(), z.object({ threshold: num(z.number().positive()) })).prefault({}),
    })
    .prefault({}),
  window: z
    .object({
      sizeMs: boundedDuration(7 * DAY_MS, '7d').optional(),
      slideMs: boundedDuration(DAY_MS, '1d').optional(),
      allowedLatenessMs: duration().refine((ms) => ms >= 0 && ms <= DAY_MS, { error: 'must be between 0 and 1d' }).default(DEFAULTS.allowedLatenessMs),
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
    })
    .prefault({}),
  log: z.object({ level: z.preprocess(unset, z.enum(['trace', 'debug', 'info', 'warn', 'error', 'fatal', 'silent']).default('info')) }).prefault({}),
  alerts: alertsConfigSchema.prefault({}),
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
  { name: 'KAFKA_CREATE_TOPICS', path: ['kafka', 'createTopics'], description: 'create missing drift-events and dead-letter topics at start (default true)' },
  { name: 'KAFKA_FROM_BEGINNING', path: ['kafka', 'fromBeginning'], description: 'a new group starts at the earliest offset (default true)' },
  { name: 'DRIFT_EVENTS_TOPIC', path: ['kafka', 'driftEventsTopic'], description: 'drift events topic (default drift-events)' },
  { name: 'DEAD_LETTER_TOPIC', path: ['kafka', 'deadLetterTopic'], description: 'dead-letter topic for bad and late events (default predictions.dlq)' },
  { name: 'DEAD_LETTER_TIMEOUT', path: ['kafka', 'deadLetterTimeoutMs'], description: 'a dead-letter write failing this long stops the service with a message (default 5m)' },
  { name: 'INFLUX_URL', path: ['influx', 'url'], description: 'InfluxDB URL; unset: no InfluxDB output' },
  { name: 'INFLUX_TOKEN', path: ['influx', 'token'], description: 'InfluxDB token (2.x) or user:password (1.8) (secret; never logged)' },
  { name: 'INFLUX_ORG', path: ['influx', 'org'], description: 'InfluxDB organisation (default driftwatch)' },
  { name: 'INFLUX_BUCKET', path: ['influx', 'bucket'], description: 'InfluxDB bucket (1.8: database/retention-policy) (default driftwatch)' },
  { name: 'REFERENCE_DIR', path: ['reference', 'dir'], description: 'references as {dir}/{model_version}/reference_distribution.json (default model_artifacts)' },
  { name: 'REFERENCE_FALLBACK_VERSION', path: ['reference', 'fallbackVersion'], description: 'reference used for versions without one (default: none, such events are dead-lettered)' },
  { name: 'MODEL_NAME', path: ['model', 'name'], description: 'default model for events without "model"' },
  { name: 'MODEL_VERSION', path: ['model', 'version'], description: 'default model_version for events without one' },
  { name: 'DRIFT_METRIC', path: ['drift', 'metric'], description: 'drift score: psi, ks, js or wasserstein (default psi)' },
  { name: 'DRIFT_THRESHOLD', path: ['drift', 'threshold'], description: 'a feature drifts when score ≥ threshold (default 0.3)' },
  { name: 'DRIFT_MIN_SAMPLES', path: ['drift', 'minSamples'], description: 'rows (and non-missing values per feature) needed for a decision (default 100)' },
  { name: 'MISSING_RATE_THRESHOLD', path: ['drift', 'missingRateThreshold'], description: 'flag when missing_rate − reference missing rate ≥ this (default 0.1)' },
  { name: 'DRIFT_SHARE', path: ['drift', 'share'], description: 'share of drifted features for a drifted check (default: any one)' },
  { name: 'DRIFT_RAISE_AFTER', path: ['drift', 'raiseAfter'], description: 'consecutive drifted windows before drift_detected (default 1)' },
  { name: 'DRIFT_CLEAR_AFTER', path: ['drift', 'clearAfter'], description: 'consecutive clean windows before drift_resolved (default 2)' },
  { name: 'DRIFT_WINDOW', path: ['window', 'sizeMs'], description: 'window size, e.g. 1h (default 1h)' },
  { name: 'FEATURE_RETENTION_HOURS', path: ['window', 'sizeMs'], description: 'window size in hours (the guide\'s name; DRIFT_WINDOW wins)', hours: true },
  { name: 'DRIFT_CHECK_INTERVAL', path: ['window', 'slideMs'], description: 'slide: a window is evaluated this often, e.g. 5m (default 5m)' },
  { name: 'DRIFT_CHECK_INTERVAL_HOURS', path: ['window', 'slideMs'], description: 'slide in hours (the guide\'s name; DRIFT_CHECK_INTERVAL wins)', hours: true },
  { name: 'ALLOWED_LATENESS', path: ['window', 'allowedLatenessMs'], description: 'watermark lag behind the newest event time (default 30s)' },
  { name: 'PARTITION_IDLE_TIMEOUT', path: ['window', 'idleTimeoutMs'], description: 'a partition silent this long stops holding the watermark back (default 60s)' },
  { name: 'MAX_CLOCK_SKEW', path: ['window', 'maxClockSkewMs'], description: 'events timestamped further than this in the future are dead-lettered (default 1h)' },
  { name: 'MAX_EVENT_AGE', path: ['window', 'maxEventAgeMs'], description: 'events older than their partition\'s progress by more than this are dead-lettered too_old (default 3 windows)' },
  { name: 'EMIT_ALL_CHECKS', path: ['output', 'emitAllChecks'], description: 'publish a drift_check event for every window (default false)' },
  { name: 'OUTPUT_JSONL', path: ['output', 'jsonlPath'], description: 'also append every check to this JSON Lines file' },
  { name: 'OUTPUT_CONSOLE', path: ['output', 'console'], description: 'print a summary line per window (default: on without Kafka)' },
  { name: 'HTTP_PORT', path: ['http', 'port'], description: 'port of /healthz, /readyz, /metrics, /drift (default 8080; 0 picks one)' },
  { name: 'HTTP_HOST', path: ['http', 'host'], description: 'address the HTTP server binds (default 0.0.0.0)' },
  { name: 'HTTP_ENABLED', path: ['http', 'enabled'], description: 'false disables the HTTP server' },
  { name: 'LOG_LEVEL', path: ['log', 'level'], description: 'trace, debug, info, warn, error, fatal or silent (default info)' },
  ...Object.entries(ALERTS_ENV).map(([name, key]) => ({ name, path: ['alerts', key], description: `alerts: ${key}` })),
];

export const ENV_NAMES: readonly string[] = ENV_VARS.map((v) => v.name);
