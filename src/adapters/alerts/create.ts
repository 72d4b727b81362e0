import type { Logger } from 'pino';
import type { Registry } from 'prom-client';
import type { SchedulerLike } from 'rxjs';
import { buildChannels } from './channels/index.js';
import type { AlertChannel } from './channels/types.js';
import type { AlertsConfig } from './config.js';
import { AlertDispatcher, type AlertDispatcherOptions } from './dispatcher.js';
import { Redactor } from './redact.js';

/** Every secret of the alerts section, for a Redactor. */
export function alertsRedactor(config: AlertsConfig): Redactor {
  return new Redactor({
    urls: [config.slackWebhookUrl, config.smtpUrl, config.webhookUrl, config.retrainWebhookUrl, config.retrainMlflowUrl],
    values: [config.webhookSecret, config.retrainMlflowToken],
  });
}

export interface AlertsDeps {
  logger?: Logger;
  registry?: Registry;
  /** Replaces the channels built from the configuration (tests, custom outputs). */
  channels?: AlertChannel[];
  /** Runs the dispatcher's timers (default asyncScheduler). */
  scheduler?: SchedulerLike;
  now?: () => number;
  sleep?: AlertDispatcherOptions['sleep'];
  random?: () => number;
}

/**
 * The dispatcher for a parsed alerts section: the service calls `dispatch(event)` for each
 * drift event it publishes and `shutdown()` when it stops. Throws (TemplateError) when the
 * email templates are missing or name unknown placeholders.
 */
export function createAlertDispatcher(config: AlertsConfig, deps: AlertsDeps = {}): AlertDispatcher {
  const redactor = alertsRedactor(config);
  const channels = deps.channels ?? buildChannels(config, { redactor, now: deps.now });
  const dispatcher = new AlertDispatcher({
    channels,
    retrainThreshold: config.retrainThreshold,
    cooldownMs: config.cooldownMs,
    dashboardUrlTemplate: config.dashboardUrlTemplate,
    queueSize: config.queueSize,
    maxAttempts: config.maxAttempts,
    timeoutMs: config.timeoutMs,
    backoffBaseMs: config.backoffBaseMs,
    backoffMaxMs: config.backoffMaxMs,
    dedupSize: config.dedupSize,
    logger: deps.logger,
    registry: deps.registry,
    redactor,
    scheduler: deps.scheduler,
    now: deps.now,
    sleep: deps.sleep,
    random: deps.random,
  });
  deps.logger?.info(
    { channels: channels.map((c) => ({ name: c.name, target: c.target })), cooldownMs: config.cooldownMs, retrainThreshold: config.retrainThreshold },
    channels.length === 0 ? 'alerts: no channel configured (drift events are tracked, nothing is sent)' : `alerts: ${channels.map((c) => c.name).join(', ')}`,
  );
  return dispatcher;
}
