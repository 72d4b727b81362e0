// The MLflow channel's own rules against a local HTTP server answering as MLflow's REST API does
// (the real server is exercised by test/integration/alerts/mlflow.test.ts): the settings, the
// tags, credentials in the URL, and the answers that are and are not retried.
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { alertsConfigSchema, ALERTS_ENV, alertsEnvInput } from '../../../../src/adapters/alerts/config.js';
import { buildChannels } from '../../../../src/adapters/alerts/channels/index.js';
import { createMlflowChannel, mlflowRunTags } from '../../../../src/adapters/alerts/channels/mlflow.js';
import { AlertDeliveryError } from '../../../../src/adapters/alerts/errors.js';
import { Redactor } from '../../../../src/adapters/alerts/redact.js';
import type { Alert } from '../../../../src/adapters/alerts/alert.js';
import { driftEvent, startHttpServer, type RecordedRequest, type TestHttpServer } from './helpers.js';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const alert = (scores: Record<string, number> = { income: 0.79 }): Alert => ({
  kind: 'retrain',
  severity: 'critical',
  escalation: false,
  event: driftEvent({ endMs: T0, scores }),
  dashboardUrl: null,
  retrainThreshold: 0.5,
  createdAt: new Date(T0).toISOString(),
});

let server: TestHttpServer;
beforeEach(async () => {
  server = await startHttpServer();
});
afterEach(async () => {
  await server.close();
});

/** Answers like MLflow: the experiment exists as id "7" unless `missing`; no runs unless `runs`. */
function mlflowLike(options: { missing?: boolean; runs?: unknown[]; status?: number } = {}) {
  server.respond = (req: RecordedRequest, res) => {
    const json = (status: number, body: unknown) => res.writeHead(status, { 'content-type': 'application/json' }).end(JSON.stringify(body));
    if (options.status) return json(options.status, { error_code: 'INTERNAL_ERROR', message: 'boom' });
    if (req.path.startsWith('/api/2.0/mlflow/experiments/get-by-name')) {
      return options.missing ? json(404, { error_code: 'RESOURCE_DOES_NOT_EXIST' }) : json(200, { experiment: { experiment_id: '7' } });
    }
    if (req.path === '/api/2.0/mlflow/experiments/create') return json(200, { experiment_id: '8' });
    if (req.path === '/api/2.0/mlflow/runs/search') return json(200, options.runs ? { runs: options.runs } : {});
    if (req.path === '/api/2.0/mlflow/runs/create') return json(200, { run: { info: { run_id: 'r1' } } });
    return json(404, { error_code: 'ENDPOINT_NOT_FOUND' });
  };
}

const channel = (url: string, token?: string) =>
  createMlflowChannel({ url, experiment: 'automated_retraining', token, redactor: new Redactor({ urls: [url], values: [token] }), now: () => T0 });
const send = (url: string, token?: string) => channel(url, token).send(alert(), AbortSignal.timeout(5000));

describe('MLflow retraining channel', () => {
  it('is built from RETRAIN_MLFLOW_URL, with the guide experiment name by default; a token without a URL is refused', () => {
    expect(ALERTS_ENV).toMatchObject({ RETRAIN_MLFLOW_URL: 'retrainMlflowUrl', RETRAIN_MLFLOW_EXPERIMENT: 'retrainMlflowExperiment', RETRAIN_MLFLOW_TOKEN: 'retrainMlflowToken' });
    const config = alertsConfigSchema.parse(alertsEnvInput({ RETRAIN_MLFLOW_URL: 'http://mlflow:5000' }));
    expect(config.retrainMlflowExperiment).toBe('automated_retraining');
    const channels = buildChannels(config, { redactor: new Redactor() });
    expect(channels.map((c) => [c.name, c.target, c.kinds])).toEqual([['mlflow', 'http://mlflow:5000', ['retrain']]]);

    const bad = alertsConfigSchema.safeParse(alertsEnvInput({ RETRAIN_MLFLOW_TOKEN: 'tok-123456' }));
    expect(bad.success).toBe(false);
    expect(JSON.stringify(bad.error?.issues)).toContain('RETRAIN_MLFLOW_URL');
    expect(JSON.stringify(bad.error?.issues)).not.toContain('tok-123456');
    expect(alertsConfigSchema.safeParse({ retrainMlflowUrl: 'mlflow:5000' }).success).toBe(false);
  });

  it('tags the run with the trigger, model, version, max score and event id', () => {
    const a = alert({ income: 0.79, age: 0.41 });
    const tags = Object.fromEntries(mlflowRunTags(a).map((t) => [t.key, t.value]));
    expect(tags).toMatchObject({ trigger: 'data_drift', model: 'credit-risk', model_version: 'v1.2.0', max_drift_score: '0.79', event_id: a.event.event_id, sample_count: '5000' });
    expect(JSON.parse(tags.drifted_features!)).toEqual({ income: 0.79, age: 0.41 });
    const many = alert(Object.fromEntries(Array.from({ length: 2000 }, (_, i) => [`feature_with_a_long_name_${i}`, 0.9])));
    expect(mlflowRunTags(many).every((t) => t.value.length <= 8000)).toBe(true);
  });

  it('looks the experiment up, searches by event_id, then creates the run; credentials in the URL become basic auth', async () => {
    mlflowLike();
    await send(`http://ml:s3cret@${server.url.slice('http://'.length)}/`);
    expect(server.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /api/2.0/mlflow/experiments/get-by-name',
      'POST /api/2.0/mlflow/runs/search',
      'POST /api/2.0/mlflow/runs/create',
    ]);
    expect(server.requests[0]!.path).toContain('experiment_name=automated_retraining');
    expect(server.requests.every((r) => r.headers.authorization === `Basic ${Buffer.from('ml:s3cret').toString('base64')}`)).toBe(true);
    const search = server.requests[1]!.json() as { experiment_ids: string[]; filter: string };
    expect(search.experiment_ids).toEqual(['7']);
    expect(search.filter).toBe(`tags.event_id = '${alert().event.event_id}'`);
    const create = server.requests[2]!.json() as { experiment_id: string; start_time: number; tags: { key: string }[] };
    expect(create.experiment_id).toBe('7');
    expect(create.start_time).toBe(T0);
    expect(server.requests[2]!.headers['content-type']).toBe('application/json; charset=utf-8');
  });

  it('creates a missing experiment, sends a token as bearer, and creates nothing when the event already has a run', async () => {
    mlflowLike({ missing: true, runs: [{ info: { run_id: 'old' } }] });
    await send(server.url, 'tok-abcdef');
    expect(server.requests.map((r) => `${r.method} ${r.path.split('?')[0]}`)).toEqual([
      'GET /api/2.0/mlflow/experiments/get-by-name',
      'POST /api/2.0/mlflow/experiments/create',
      'POST /api/2.0/mlflow/runs/search',
    ]);
    expect(server.requests[1]!.json()).toEqual({ name: 'automated_retraining' });
    expect(server.requests[2]!.json()).toMatchObject({ experiment_ids: ['8'] });
    expect(server.requests[0]!.headers.authorization).toBe('Bearer tok-abcdef');
  });

  it('a 5xx is retriable, a 403 is not, and neither message carries the token', async () => {
    mlflowLike({ status: 503 });
    const unavailable = await send(server.url, 'tok-abcdef').catch((e: unknown) => e);
    expect(unavailable).toBeInstanceOf(AlertDeliveryError);
    expect((unavailable as AlertDeliveryError).retriable).toBe(true);
    expect((unavailable as Error).message).toMatch(/^mlflow: GET http:\/\/127\.0\.0\.1:\d+ answered 503/);
    mlflowLike({ status: 403 });
    const forbidden = await send(server.url, 'tok-abcdef').catch((e: unknown) => e);
    expect((forbidden as AlertDeliveryError).retriable).toBe(false);
    expect(`${String(unavailable)} ${String(forbidden)}`).not.toContain('tok-abcdef');
  });
});
