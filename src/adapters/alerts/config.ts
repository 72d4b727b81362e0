import { z } from 'zod';
import { fromEnv } from '../../core/coerce.js';
import { durationMs } from '../../core/duration.js';
import { DEFAULT_MLFLOW_EXPERIMENT } from './channels/mlflow.js';
import { DASHBOARD_PLACEHOLDERS, unknownDashboardPlaceholders } from './dashboard.js';

/**
 * The `alerts:` section of the configuration. Self-contained: the keys are camelCase, the
 * values may come from YAML (numbers, arrays) or from the environment (strings), read through
 * the one coercion helper, core/coerce.ts (numbers coerced, comma lists split, durations
 * parsed, empty strings "not set").
 *
 * A channel is enabled by setting its URL. Bad combinations set explicitly are rejected with
 * the rule and the keys involved (never the values: URLs and secrets stay out of messages).
 */
const httpUrl = (what: string) =>
  fromEnv.text(
    z
      .string()
      .trim()
      .refine((s) => /^https?:\/\//i.test(s) && URL.canParse(s), `${what} must be an http:// or https:// URL`)
      .optional(),
  );

const smtpUrl = fromEnv.text(
  z
    .string()
    .trim()
    .refine((s) => /^smtps?:\/\//i.test(s) && URL.canParse(s), 'smtpUrl must be an smtp:// or smtps:// URL, e.g. smtp://user:password@mail.example.com:587')
    .optional(),
);

const emailList = fromEnv.list(z.array(z.email()).default([]));

const optionalString = fromEnv.text(z.string().optional());

const number = (schema: z.ZodNumber, fallback: number) => fromEnv.number(schema.default(fallback));

const duration = (fallback: number) => fromEnv.duration(durationMs.default(fallback));

export const DEFAULT_TEMPLATES_DIR = 'config/templates';

export const alertsConfigSchema = z
  .object({
    /** Slack incoming webhook URL (a secret: its path is the token). */
    slackWebhookUrl: httpUrl('slackWebhookUrl'),
    /** smtp://user:password@host:port or smtps://…; enables email with alertEmails. */
    smtpUrl,
    /** Recipients; from the environment a comma list. */
    alertEmails: emailList,
    /** Sender address. Default driftwatch@<SMTP host>. */
    alertEmailFrom: fromEnv.text(z.string().trim().min(3).optional()),
    /** Generic webhook receiving the drift event JSON. */
    webhookUrl: httpUrl('webhookUrl'),
    /** HMAC-SHA256 key signing webhook and retrain request bodies. */
    webhookSecret: optionalString,
    /** Retraining pipeline endpoint, called once per drift episode above retrainThreshold. */
    retrainWebhookUrl: httpUrl('retrainWebhookUrl'),
    /** MLflow tracking server: the retraining trigger creates a run there (docs/alerts.md). */
    retrainMlflowUrl: httpUrl('retrainMlflowUrl'),
    /** The MLflow experiment of those runs; created when missing. */
    retrainMlflowExperiment: fromEnv.text(z.string().trim().min(1).max(500).default(DEFAULT_MLFLOW_EXPERIMENT)),
    /** Bearer token for the MLflow server (a secret), like MLFLOW_TRACKING_TOKEN. */
    retrainMlflowToken: optionalString,
    /** max_drift_score above which an episode is critical and retraining is triggered. */
    retrainThreshold: number(z.number().positive(), 0.5),
    /** Quiet time per model after a resolved message before a new drift alert. Default 1 h. */
    cooldownMs: duration(3_600_000),
    /** Grafana (or other) link; placeholders {model}, {model_version}, {window_start_ms}, … */
    dashboardUrlTemplate: optionalString,
    /** Alerts waiting per channel; beyond it new alerts are dropped and counted. */
    queueSize: number(z.number().int().min(1), 1000),
    /** Delivery attempts per alert and channel (1 = no retry). */
    maxAttempts: number(z.number().int().min(1).max(20), 5),
    /** Time limit of one delivery attempt. */
    timeoutMs: duration(10_000),
    /** Exponential backoff with full jitter: attempt n waits random(0, min(max, base·2^(n−1))). */
    backoffBaseMs: duration(500),
    backoffMaxMs: duration(30_000),
    /** Directory with drift-alert.{html,txt} and drift-resolved.{html,txt}. */
    templatesDir: fromEnv.text(z.string().default(DEFAULT_TEMPLATES_DIR)),
    /** How many event_ids are remembered for de-duplication. */
    dedupSize: number(z.number().int().min(1), 10_000),
    /** Consumer group of the standalone `driftwatch alerts` consumer. */
    consumerGroupId: fromEnv.text(z.string().min(1).default('driftwatch-alerts')),
  })
  .superRefine((c, ctx) => {
    if (c.smtpUrl && c.alertEmails.length === 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['alertEmails'],
        message: 'smtpUrl is set but alertEmails is empty: set ALERT_EMAILS to a comma list of recipients, or unset SMTP_URL',
      });
    }
    if (!c.smtpUrl && c.alertEmails.length > 0) {
      ctx.addIssue({
        code: 'custom',
        path: ['smtpUrl'],
        message: `alertEmails lists ${c.alertEmails.length} recipient(s) but smtpUrl is not set: set SMTP_URL, e.g. smtp://user:password@mail.example.com:587`,
      });
    }
    if (c.webhookSecret && !c.webhookUrl && !c.retrainWebhookUrl) {
      ctx.addIssue({ code: 'custom', path: ['webhookSecret'], message: 'webhookSecret is set but neither webhookUrl nor retrainWebhookUrl is: nothing would be signed' });
    }
    if (c.retrainMlflowToken && !c.retrainMlflowUrl) {
      ctx.addIssue({
        code: 'custom',
        path: ['retrainMlflowToken'],
        message: 'retrainMlflowToken is set but retrainMlflowUrl is not: set RETRAIN_MLFLOW_URL, or unset RETRAIN_MLFLOW_TOKEN',
      });
    }
    if (c.backoffBaseMs > c.backoffMaxMs) {
      ctx.addIssue({ code: 'custom', path: ['backoffBaseMs'], message: `backoffBaseMs (${c.backoffBaseMs}) must not exceed backoffMaxMs (${c.backoffMaxMs})` });
    }
    if (c.timeoutMs <= 0) {
      ctx.addIssue({ code: 'custom', path: ['timeoutMs'], message: `timeoutMs (${c.timeoutMs}) must be positive` });
    }
    if (c.dashboardUrlTemplate) {
      const unknown = unknownDashboardPlaceholders(c.dashboardUrlTemplate);
      if (unknown.length > 0) {
        ctx.addIssue({
          code: 'custom',
          path: ['dashboardUrlTemplate'],
          message: `unknown placeholder ${unknown.map((p) => `{${p}}`).join(', ')}. Available: ${DASHBOARD_PLACEHOLDERS.map((p) => `{${p}}`).join(', ')}`,
        });
      }
    }
  });

export type AlertsConfig = z.output<typeof alertsConfigSchema>;
export type AlertsConfigInput = z.input<typeof alertsConfigSchema>;

/** Environment variable → key of the alerts section. */
export const ALERTS_ENV: Record<string, keyof AlertsConfig> = {
  SLACK_WEBHOOK_URL: 'slackWebhookUrl',
  SMTP_URL: 'smtpUrl',
  ALERT_EMAILS: 'alertEmails',
  ALERT_EMAIL_FROM: 'alertEmailFrom',
  ALERT_WEBHOOK_URL: 'webhookUrl',
  ALERT_WEBHOOK_SECRET: 'webhookSecret',
  RETRAIN_WEBHOOK_URL: 'retrainWebhookUrl',
  RETRAIN_MLFLOW_URL: 'retrainMlflowUrl',
  RETRAIN_MLFLOW_EXPERIMENT: 'retrainMlflowExperiment',
  RETRAIN_MLFLOW_TOKEN: 'retrainMlflowToken',
  RETRAIN_THRESHOLD: 'retrainThreshold',
  ALERT_COOLDOWN: 'cooldownMs',
  DASHBOARD_URL_TEMPLATE: 'dashboardUrlTemplate',
  ALERT_QUEUE_SIZE: 'queueSize',
  ALERT_MAX_ATTEMPTS: 'maxAttempts',
  ALERT_TIMEOUT: 'timeoutMs',
  ALERT_BACKOFF_BASE: 'backoffBaseMs',
  ALERT_BACKOFF_MAX: 'backoffMaxMs',
  ALERT_TEMPLATES_DIR: 'templatesDir',
  ALERT_DEDUP_SIZE: 'dedupSize',
  ALERTS_GROUP_ID: 'consumerGroupId',
};

/** The alerts keys set in `env` (raw strings), ready to merge over the YAML section and parse. */
export function alertsEnvInput(env: Record<string, string | undefined>): Record<string, string> {
  const out: Record<string, string> = {};
  for (const [name, key] of Object.entries(ALERTS_ENV)) {
    const value = env[name];
    if (value !== undefined) out[key] = value;
  }
  return out;
}
