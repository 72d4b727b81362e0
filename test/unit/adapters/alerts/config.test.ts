import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { ALERTS_ENV, alertsConfigSchema, alertsEnvInput } from '../../../../src/adapters/alerts/config.js';

describe('alertsConfigSchema', () => {
  it('has the documented defaults', () => {
    const c = alertsConfigSchema.parse({});
    expect(c).toMatchObject({
      alertEmails: [],
      retrainThreshold: 0.5,
      cooldownMs: 3_600_000,
      queueSize: 1000,
      maxAttempts: 5,
      timeoutMs: 10_000,
      backoffBaseMs: 500,
      backoffMaxMs: 30_000,
      templatesDir: 'config/templates',
      dedupSize: 10_000,
      consumerGroupId: 'driftwatch-alerts',
    });
    expect(c.slackWebhookUrl).toBeUndefined();
  });

  it('reads the environment: strings coerced, comma list split, durations parsed, empty = unset', () => {
    const env = {
      SLACK_WEBHOOK_URL: 'https://hooks.slack.com/services/T/B/X',
      SMTP_URL: 'smtp://user:pw@mail.example.com:587',
      ALERT_EMAILS: 'admin@company.com, ml-team@company.com,',
      ALERT_EMAIL_FROM: 'driftwatch@company.com',
      ALERT_WEBHOOK_URL: '',
      RETRAIN_THRESHOLD: '0.6',
      ALERT_COOLDOWN: '30m',
      ALERT_QUEUE_SIZE: '50',
      ALERT_TIMEOUT: '5s',
      DASHBOARD_URL_TEMPLATE: 'http://grafana:3000/d/driftwatch?var-model={model}&from={window_start_ms}&to={window_end_ms}',
      UNRELATED: 'x',
    };
    const c = alertsConfigSchema.parse(alertsEnvInput(env));
    expect(c.alertEmails).toEqual(['admin@company.com', 'ml-team@company.com']);
    expect(c.retrainThreshold).toBe(0.6);
    expect(c.cooldownMs).toBe(1_800_000);
    expect(c.queueSize).toBe(50);
    expect(c.timeoutMs).toBe(5000);
    expect(c.webhookUrl).toBeUndefined();
    expect(c.dashboardUrlTemplate).toContain('{window_end_ms}');
  });

  it('maps every env name to a key of the schema', () => {
    const keys = Object.keys(alertsConfigSchema.shape);
    for (const [name, key] of Object.entries(ALERTS_ENV)) expect(keys, name).toContain(key);
    for (const name of [
      'SLACK_WEBHOOK_URL',
      'SMTP_URL',
      'ALERT_EMAILS',
      'ALERT_EMAIL_FROM',
      'ALERT_WEBHOOK_URL',
      'ALERT_WEBHOOK_SECRET',
      'RETRAIN_WEBHOOK_URL',
      'RETRAIN_THRESHOLD',
      'ALERT_COOLDOWN',
      'DASHBOARD_URL_TEMPLATE',
      'ALERT_QUEUE_SIZE',
    ]) {
      expect(ALERTS_ENV).toHaveProperty(name);
    }
  });

  it('accepts YAML types (numbers, arrays, durations as text)', () => {
    const c = alertsConfigSchema.parse({ smtpUrl: 'smtps://mail.example.com', alertEmails: ['a@b.io'], cooldownMs: '2h', maxAttempts: 3 });
    expect(c.cooldownMs).toBe(7_200_000);
    expect(c.maxAttempts).toBe(3);
  });

  it('rejects bad combinations with the rule, never echoing a secret', () => {
    const result = alertsConfigSchema.safeParse({
      smtpUrl: 'smtp://user:hunter2@mail.example.com',
      webhookSecret: 'topsecret',
      backoffBaseMs: '10s',
      backoffMaxMs: '1s',
      dashboardUrlTemplate: 'http://g/d?m={modle}',
    });
    expect(result.success).toBe(false);
    const text = z.prettifyError(result.error!);
    expect(text).toContain('smtpUrl is set but alertEmails is empty');
    expect(text).toContain('webhookSecret is set but neither webhookUrl nor retrainWebhookUrl is');
    expect(text).toContain('backoffBaseMs (10000) must not exceed backoffMaxMs (1000)');
    expect(text).toContain('unknown placeholder {modle}. Available: {model}, {model_version}');
    expect(text).not.toContain('hunter2');
    expect(text).not.toContain('topsecret');
  });

  it('rejects recipients without SMTP, bad URLs and bad addresses', () => {
    const r = alertsConfigSchema.safeParse({ alertEmails: 'not-an-address', slackWebhookUrl: 'hooks.slack.com/x', retrainThreshold: 'abc' });
    expect(r.success).toBe(false);
    const paths = r.error!.issues.map((i) => i.path.join('.'));
    expect(paths).toEqual(expect.arrayContaining(['alertEmails.0', 'slackWebhookUrl', 'retrainThreshold']));
  });
});
