import type { AlertsConfig } from '../config.js';
import type { Redactor } from '../redact.js';
import { createEmailChannel } from './email.js';
import { createMlflowChannel } from './mlflow.js';
import { createRetrainChannel } from './retrain.js';
import { createSlackChannel } from './slack.js';
import type { AlertChannel } from './types.js';
import { createWebhookChannel } from './webhook.js';

export type { AlertChannel } from './types.js';
export { createEmailChannel, emailContext, emailSubject, type EmailChannelOptions, type MailTransport } from './email.js';
export { createMlflowChannel, mlflowRunTags, DEFAULT_MLFLOW_EXPERIMENT, type MlflowChannelOptions, type MlflowTag } from './mlflow.js';
export { createRetrainChannel, retrainRequest, type RetrainChannelOptions, type RetrainRequest } from './retrain.js';
export { createSlackChannel, slackMessage, type SlackChannelOptions } from './slack.js';
export { createWebhookChannel, type WebhookChannelOptions } from './webhook.js';

export interface ChannelDeps {
  redactor: Redactor;
  now?: () => number;
}

/**
 * The channels, listed by hand: each is built when its URL is configured. Order is the order
 * of the logs only; every channel has its own queue.
 */
export const CHANNEL_FACTORIES: Record<string, (config: AlertsConfig, deps: ChannelDeps) => AlertChannel | null> = {
  slack: (c, d) => (c.slackWebhookUrl ? createSlackChannel({ webhookUrl: c.slackWebhookUrl, redactor: d.redactor }) : null),
  email: (c, d) =>
    c.smtpUrl && c.alertEmails.length > 0
      ? createEmailChannel({
          smtpUrl: c.smtpUrl,
          to: c.alertEmails,
          from: c.alertEmailFrom,
          templatesDir: c.templatesDir,
          timeoutMs: c.timeoutMs,
          redactor: d.redactor,
        })
      : null,
  webhook: (c, d) => (c.webhookUrl ? createWebhookChannel({ url: c.webhookUrl, secret: c.webhookSecret, redactor: d.redactor, now: d.now }) : null),
  retrain: (c, d) => (c.retrainWebhookUrl ? createRetrainChannel({ url: c.retrainWebhookUrl, secret: c.webhookSecret, redactor: d.redactor, now: d.now }) : null),
  mlflow: (c, d) =>
    c.retrainMlflowUrl
      ? createMlflowChannel({ url: c.retrainMlflowUrl, experiment: c.retrainMlflowExperiment, token: c.retrainMlflowToken, redactor: d.redactor, now: d.now })
      : null,
};

export function buildChannels(config: AlertsConfig, deps: ChannelDeps): AlertChannel[] {
  return Object.values(CHANNEL_FACTORIES)
    .map((factory) => factory(config, deps))
    .filter((c): c is AlertChannel => c !== null);
}
