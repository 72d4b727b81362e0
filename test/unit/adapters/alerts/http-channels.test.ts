// Slack, webhook and retrain channels against a real HTTP server on 127.0.0.1.
import { createHmac } from 'node:crypto';
import { Registry } from 'prom-client';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsConfigSchema, type AlertsConfigInput } from '../../../../src/adapters/alerts/config.js';
import { createAlertDispatcher } from '../../../../src/adapters/alerts/create.js';
import { verifySignature } from '../../../../src/adapters/alerts/signature.js';
import { createSlackChannel } from '../../../../src/adapters/alerts/channels/slack.js';
import { AlertDeliveryError } from '../../../../src/adapters/alerts/errors.js';
import { Redactor } from '../../../../src/adapters/alerts/redact.js';
import type { Alert } from '../../../../src/adapters/alerts/alert.js';
import type { DriftEvent } from '../../../../src/core/detect/drift-event.js';
import { captureLogger, driftEvent, HOUR_MS, metricValue, recordingSleep, startHttpServer, waitFor, type TestHttpServer } from './helpers.js';

const SLACK_SECRET = 'T0DRIFT/B0WATCH/xoxbSECRETtoken42';
const HOOK_SECRET_PATH = 'hooks/secret-path-9f8e7d';
const HMAC_KEY = 'hmac-key-5d41402abc4b2a76';
const T0 = Date.parse('2026-11-26T10:00:00.000Z');

let server: TestHttpServer;
beforeEach(async () => {
  server = await startHttpServer();
});
afterEach(async () => {
  await server.close();
});

function build(input: AlertsConfigInput, extra: { queueSize?: number } = {}) {
  const registry = new Registry();
  const log = captureLogger();
  const { sleep, delays } = recordingSleep();
  const config = alertsConfigSchema.parse({ backoffBaseMs: 100, backoffMaxMs: 1000, ...input, ...extra });
  const dispatcher = createAlertDispatcher(config, { registry, logger: log.logger, sleep, random: () => 0.5, now: () => T0 });
  return { dispatcher, registry, log, delays };
}

const sampleAlert = (): Alert => ({
  kind: 'drift',
  severity: 'critical',
  escalation: false,
  event: driftEvent(),
  dashboardUrl: null,
  retrainThreshold: 0.5,
  createdAt: new Date(T0).toISOString(),
});
const byPath = (prefix: string) => server.requests.filter((r) => r.path.startsWith(prefix));
const field = (body: any, title: string) => body.attachments[0].fields.find((f: { title: string }) => f.title === title)?.value;

describe('Slack channel', () => {
  it('posts the guide fields plus model, version, window, severity and the dashboard link; resolved is distinct', async () => {
    const { dispatcher, registry } = build({
      slackWebhookUrl: `${server.url}/services/${SLACK_SECRET}`,
      dashboardUrlTemplate: 'http://grafana:3000/d/driftwatch?var-model={model}&from={window_start_ms}&to={window_end_ms}',
    });
    dispatcher.dispatch(driftEvent({ endMs: T0, scores: { income: 0.79, age: 0.412, tenure: 0.1 } }));
    dispatcher.dispatch(driftEvent({ type: 'drift_resolved', endMs: T0 + HOUR_MS }));
    await dispatcher.flush();

    expect(server.requests.map((r) => `${r.method} ${r.path}`)).toEqual([`POST /services/${SLACK_SECRET}`, `POST /services/${SLACK_SECRET}`]);
    expect(server.requests[0].headers['content-type']).toContain('application/json');
    const detected = server.requests[0].json() as any;
    expect(detected.text).toBe('🚨 Data Drift Detected! credit-risk v1.2.0 (critical)');
    expect(detected.attachments[0].color).toBe('danger');
    expect(field(detected, 'Affected Features')).toBe('income (0.790), age (0.412)');
    expect(field(detected, 'Max Drift Score')).toBe('0.790');
    expect(field(detected, 'Sample Count')).toBe('5000');
    expect(field(detected, 'Timestamp')).toBe('2026-11-26T10:00:00.000Z');
    expect(field(detected, 'Model')).toBe('credit-risk');
    expect(field(detected, 'Version')).toBe('v1.2.0');
    expect(field(detected, 'Severity')).toBe('critical');
    expect(field(detected, 'Window')).toBe('2026-11-26T09:00:00.000Z → 2026-11-26T10:00:00.000Z');
    const link = `http://grafana:3000/d/driftwatch?var-model=credit-risk&from=${T0 - HOUR_MS}&to=${T0}`;
    expect(field(detected, 'Dashboard')).toBe(`<${link}|Open dashboard>`);
    expect(detected.attachments[0].title_link).toBe(link);

    const resolved = server.requests[1].json() as any;
    expect(resolved.text).toBe('✅ Data drift resolved: credit-risk v1.2.0');
    expect(resolved.attachments[0].color).toBe('good');
    expect(field(resolved, 'Severity')).toBe('resolved');
    expect(await metricValue(registry, 'alerts_sent_total', { channel: 'slack' })).toBe(2);
  });

  it("escapes Slack's control characters in names", async () => {
    const { dispatcher } = build({ slackWebhookUrl: `${server.url}/services/${SLACK_SECRET}` });
    dispatcher.dispatch(driftEvent({ model: 'a<b>&c', scores: { 'x<y': 0.4 } }));
    await dispatcher.flush();
    const body = server.requests[0].json() as any;
    expect(body.text).toContain('a&lt;b&gt;&amp;c');
    expect(field(body, 'Affected Features')).toBe('x&lt;y (0.400)');
  });
});

describe('webhook channel', () => {
  it('posts the drift event as JSON, signed with HMAC-SHA256 over the exact body, with a timestamp', async () => {
    const { dispatcher } = build({ webhookUrl: `${server.url}/${HOOK_SECRET_PATH}`, webhookSecret: HMAC_KEY });
    const event = driftEvent({ endMs: T0 });
    dispatcher.dispatch(event);
    await dispatcher.flush();
    const [req] = server.requests;
    expect(JSON.parse(req.body.toString('utf8')) as DriftEvent).toEqual(event);
    // Verified independently of the code under test:
    const expected = `sha256=${createHmac('sha256', HMAC_KEY).update(req.body).digest('hex')}`;
    expect(req.headers['x-driftwatch-signature']).toBe(expected);
    expect(verifySignature(HMAC_KEY, req.body, req.headers['x-driftwatch-signature'] as string)).toBe(true);
    expect(verifySignature('other-key', req.body, req.headers['x-driftwatch-signature'] as string)).toBe(false);
    expect(req.headers['x-driftwatch-timestamp']).toBe(String(T0 / 1000));
    expect(req.headers['x-driftwatch-event']).toBe('drift_detected');
    expect(req.headers['x-driftwatch-delivery']).toBe(event.event_id);
    expect(req.headers['x-driftwatch-severity']).toBe('critical');
  });

  it('sends no signature without a secret', async () => {
    const { dispatcher } = build({ webhookUrl: `${server.url}/${HOOK_SECRET_PATH}` });
    dispatcher.dispatch(driftEvent());
    await dispatcher.flush();
    expect(server.requests[0].headers['x-driftwatch-signature']).toBeUndefined();
    expect(server.requests[0].headers['x-driftwatch-timestamp']).toBeDefined();
  });
});

describe('retrain channel', () => {
  it('is called once per episode above the threshold, with the event_id as idempotency key', async () => {
    const { dispatcher } = build({ retrainWebhookUrl: `${server.url}/retrain`, webhookSecret: HMAC_KEY, slackWebhookUrl: `${server.url}/slack` });
    const first = driftEvent({ endMs: T0, scores: { income: 0.79, age: 0.31 } });
    dispatcher.dispatch(first);
    dispatcher.dispatch(driftEvent({ endMs: T0 + 300_000, scores: { income: 0.9 } }));
    await dispatcher.flush();
    const calls = byPath('/retrain');
    expect(calls).toHaveLength(1);
    expect(calls[0].headers['idempotency-key']).toBe(first.event_id);
    expect(calls[0].json()).toEqual({
      idempotency_key: first.event_id,
      event_id: first.event_id,
      reason: 'data_drift',
      model: 'credit-risk',
      model_version: 'v1.2.0',
      window: first.window,
      drifted_features: { income: 0.79, age: 0.31 },
      max_drift_score: 0.79,
      retrain_threshold: 0.5,
      metric: 'psi',
      sample_count: 5000,
      triggered_at: new Date(T0).toISOString(),
    });
    expect(calls[0].headers['x-driftwatch-signature']).toBe(`sha256=${createHmac('sha256', HMAC_KEY).update(calls[0].body).digest('hex')}`);
    expect(byPath('/slack')).toHaveLength(1);
  });

  it('is not called for a warning-level drift', async () => {
    const { dispatcher } = build({ retrainWebhookUrl: `${server.url}/retrain` });
    dispatcher.dispatch(driftEvent({ scores: { income: 0.45 } }));
    await dispatcher.flush();
    expect(server.requests).toHaveLength(0);
  });
});

describe('HTTP failures', () => {
  const secrets = [SLACK_SECRET, 'xoxbSECRETtoken42', HOOK_SECRET_PATH, HMAC_KEY];
  const expectNoSecret = (text: string) => {
    for (const s of secrets) expect(text).not.toContain(s);
  };

  it('HTTP 500 then success: retried with backoff, delivered once', async () => {
    server.respond = (_req, res, i) => void (i < 2 ? res.writeHead(500).end('upstream busy') : res.writeHead(200).end('ok'));
    const { dispatcher, registry, delays, log } = build({ slackWebhookUrl: `${server.url}/services/${SLACK_SECRET}` });
    dispatcher.dispatch(driftEvent());
    await dispatcher.flush();
    expect(server.requests).toHaveLength(3);
    expect(delays).toEqual([50, 100]);
    expect(await metricValue(registry, 'alerts_sent_total', { channel: 'slack' })).toBe(1);
    expect(await metricValue(registry, 'alerts_retries_total', { channel: 'slack' })).toBe(2);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'slack' })).toBe(0);
    expect(log.text()).toContain('slack: POST http://127.0.0.1');
    expect(log.text()).toContain('/*** answered 500 Internal Server Error: upstream busy');
    expectNoSecret(log.text());
  });

  it('permanent 500: counted in alerts_failed_total{channel}, logged without the secret even when the server echoes it', async () => {
    server.respond = (req, res) => void res.writeHead(500).end(`no route for ${req.path} (key ${HMAC_KEY})`);
    const { dispatcher, registry, log } = build({ webhookUrl: `${server.url}/${HOOK_SECRET_PATH}`, webhookSecret: HMAC_KEY, maxAttempts: 3 });
    dispatcher.dispatch(driftEvent());
    await dispatcher.flush();
    expect(server.requests).toHaveLength(3);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'webhook' })).toBe(1);
    const text = log.text();
    expect(text).toContain('drift alert to webhook failed after 3 attempt(s)');
    expect(text).toContain('answered 500 Internal Server Error: no route for *** (key ***)');
    expectNoSecret(text);
    expectNoSecret(await registry.metrics());
  });

  it('errors thrown by a channel carry no secret: message, cause and context', async () => {
    const closed = await startHttpServer();
    const url = `${closed.url}/services/${SLACK_SECRET}`;
    await closed.close();
    const redactor = new Redactor({ urls: [url] });
    const channel = createSlackChannel({ webhookUrl: url, redactor });
    const error = await channel.send(sampleAlert(), AbortSignal.timeout(5000)).then(
      () => null,
      (e: unknown) => e as AlertDeliveryError,
    );
    expect(error).toBeInstanceOf(AlertDeliveryError);
    expect(error!.retriable).toBe(true);
    expect(error!.message).toMatch(/^slack: POST http:\/\/127\.0\.0\.1:\d+\/\*\*\* failed: fetch failed: connect ECONNREFUSED/);
    const everything = [error!.message, error!.stack, String((error!.cause as Error)?.message), (error!.cause as Error)?.stack, JSON.stringify(error!.context)].join('\n');
    expectNoSecret(everything);
  });

  it('HTTP 400 is not retried', async () => {
    server.respond = (_req, res) => void res.writeHead(400).end('invalid_payload');
    const { dispatcher, registry } = build({ slackWebhookUrl: `${server.url}/services/${SLACK_SECRET}` });
    dispatcher.dispatch(driftEvent());
    await dispatcher.flush();
    expect(server.requests).toHaveLength(1);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'slack' })).toBe(1);
  });

  it('HTTP 429 honours Retry-After (capped at backoffMaxMs)', async () => {
    server.respond = (_req, res, i) => void (i === 0 ? res.writeHead(429, { 'retry-after': '0.7' }).end() : res.writeHead(200).end());
    const { dispatcher, delays } = build({ slackWebhookUrl: `${server.url}/services/${SLACK_SECRET}` });
    dispatcher.dispatch(driftEvent());
    await dispatcher.flush();
    expect(delays).toEqual([700]);
    expect(server.requests).toHaveLength(2);
  });

  it('a server that never answers: each attempt times out, the alert is counted as failed', async () => {
    server.respond = () => {}; // hang
    const { dispatcher, registry, log } = build({ slackWebhookUrl: `${server.url}/services/${SLACK_SECRET}`, timeoutMs: 150, maxAttempts: 2 });
    dispatcher.dispatch(driftEvent());
    expect(await dispatcher.flush(5000)).toBe(true);
    expect(server.requests).toHaveLength(2);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'slack' })).toBe(1);
    expect(log.text()).toMatch(/slack: (no answer from http:\/\/127\.0\.0\.1:\d+\/\*\*\* within 150 ms|POST http:\/\/127\.0\.0\.1:\d+\/\*\*\* failed: timed out)/);
    expectNoSecret(log.text());
  });

  it('connection refused is retried, then counted, without the secret', async () => {
    const closed = await startHttpServer();
    const url = `${closed.url}/services/${SLACK_SECRET}`;
    await closed.close();
    const { dispatcher, registry, log } = build({ slackWebhookUrl: url, maxAttempts: 2 });
    dispatcher.dispatch(driftEvent());
    await dispatcher.flush();
    expect(await metricValue(registry, 'alerts_retries_total', { channel: 'slack' })).toBe(1);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'slack' })).toBe(1);
    expect(log.text()).toContain('ECONNREFUSED');
    expectNoSecret(log.text());
  });

  it('while the endpoint hangs, dispatch stays synchronous, the queue stays bounded and drops are counted', async () => {
    server.respond = () => {}; // hang every request
    const { dispatcher, registry } = build({ slackWebhookUrl: `${server.url}/services/${SLACK_SECRET}`, timeoutMs: 60_000 }, { queueSize: 2 });
    const results = Array.from({ length: 6 }, (_, i) => dispatcher.dispatch(driftEvent({ model: `model-${i}` })));
    expect(results.every((r) => typeof (r as unknown as Promise<unknown>).then !== 'function')).toBe(true);
    expect(results.map((r) => r.dropped)).toEqual([0, 0, 0, 1, 1, 1]);
    expect(await metricValue(registry, 'alerts_dropped_total', { channel: 'slack' })).toBe(3);
    await waitFor(() => server.requests.length === 1, 5000, 'the first request');
    expect(await dispatcher.shutdown(100)).toBe(false);
    expect(await metricValue(registry, 'alerts_dropped_total', { channel: 'slack' })).toBe(5);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'slack' })).toBe(1);
  });
});
