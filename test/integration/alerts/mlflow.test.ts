// The retraining trigger through a real MLflow tracking server (installed from PyPI by
// test/services/up.sh, started here): the guide's mlflow.start_run(experiment_name=
// "automated_retraining", tags={"trigger": "data_drift"}) as REST calls, once per drift episode,
// de-duplicated across restarts. Runs are read back through MLflow's own search API.
import { Registry } from 'prom-client';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { alertsConfigSchema, type AlertsConfigInput } from '../../../src/adapters/alerts/config.js';
import { createAlertDispatcher } from '../../../src/adapters/alerts/create.js';
import { startMlflow, type RunningMlflow } from '../../services/mlflow.js';
import { captureLogger, driftEvent, HOUR_MS, metricValue, recordingSleep } from '../../unit/adapters/alerts/helpers.js';

const T0 = Date.parse('2026-11-26T10:00:00.000Z');
const TOKEN = 'mlflow-token-7c1e0b9d';

let mlflow: RunningMlflow;
beforeAll(async () => {
  mlflow = await startMlflow({ binary: inject('mlflowBinary'), port: inject('mlflowPort') });
}, 180_000);
afterAll(async () => {
  await mlflow?.stop();
});

interface MlflowRun {
  info: { run_id: string; status: string; experiment_id: string };
  data: { tags?: { key: string; value: string }[] };
}

async function api(path: string, body?: unknown): Promise<any> {
  const response = await fetch(`${mlflow.url}/api/2.0/mlflow/${path}`, {
    method: body === undefined ? 'GET' : 'POST',
    headers: body === undefined ? {} : { 'content-type': 'application/json' },
    body: body === undefined ? undefined : JSON.stringify(body),
  });
  return { status: response.status, json: await response.json() };
}

async function runsIn(experiment: string): Promise<MlflowRun[]> {
  const found = await api(`experiments/get-by-name?experiment_name=${encodeURIComponent(experiment)}`);
  if (found.status === 404) return [];
  const search = await api('runs/search', { experiment_ids: [found.json.experiment.experiment_id], max_results: 1000 });
  return (search.json.runs ?? []) as MlflowRun[];
}
const tags = (run: MlflowRun) => Object.fromEntries((run.data.tags ?? []).map((t) => [t.key, t.value]));

function build(input: AlertsConfigInput) {
  const registry = new Registry();
  const log = captureLogger();
  const { sleep } = recordingSleep();
  const config = alertsConfigSchema.parse({ retrainThreshold: 0.5, maxAttempts: 2, backoffBaseMs: 10, backoffMaxMs: 10, ...input });
  const dispatcher = createAlertDispatcher(config, { registry, logger: log.logger, sleep, random: () => 0.5, now: () => T0 });
  return { dispatcher, registry, log };
}

describe('retraining through MLflow (real tracking server)', () => {
  it('creates the experiment and one RUNNING run per drift episode above RETRAIN_THRESHOLD, tagged as the guide says', async () => {
    const experiment = `automated_retraining-${Date.now()}`;
    const { dispatcher, registry } = build({ retrainMlflowUrl: mlflow.url, retrainMlflowExperiment: experiment });
    const first = driftEvent({ endMs: T0, scores: { income: 0.79, age: 0.41 } });
    dispatcher.dispatch(first);
    // Same episode, worse: no second run (once per episode).
    dispatcher.dispatch(driftEvent({ endMs: T0 + HOUR_MS, scores: { income: 0.95, age: 0.41 } }));
    dispatcher.dispatch(driftEvent({ type: 'drift_resolved', endMs: T0 + 2 * HOUR_MS }));
    // A new episode of another model: its own run.
    const other = driftEvent({ model: 'churn', version: '7', endMs: T0 + 3 * HOUR_MS, scores: { tenure: 0.66 } });
    dispatcher.dispatch(other);
    await dispatcher.flush();

    const runs = await runsIn(experiment);
    expect(runs).toHaveLength(2);
    const byEvent = new Map(runs.map((r) => [tags(r).event_id, r]));
    const run = byEvent.get(first.event_id)!;
    expect(run.info.status).toBe('RUNNING');
    expect(tags(run)).toMatchObject({
      trigger: 'data_drift',
      model: 'credit-risk',
      model_version: 'v1.2.0',
      max_drift_score: '0.79',
      event_id: first.event_id,
      retrain_threshold: '0.5',
      window_start: first.window.start,
      window_end: first.window.end,
      drifted_features: JSON.stringify(first.drifted_features),
    });
    expect(tags(byEvent.get(other.event_id)!)).toMatchObject({ model: 'churn', model_version: '7', max_drift_score: '0.66' });
    expect(await metricValue(registry, 'alerts_sent_total', { channel: 'mlflow' })).toBe(2);
    await dispatcher.shutdown();
  });

  it('does not create a second run for the same event after a restart (search by the event_id tag)', async () => {
    const experiment = `automated_retraining-restart-${Date.now()}`;
    const event = driftEvent({ endMs: T0, scores: { income: 0.8 } });
    for (let start = 0; start < 3; start++) {
      // A fresh dispatcher each time: its in-memory de-duplication is empty, as after a restart.
      const { dispatcher, registry } = build({ retrainMlflowUrl: mlflow.url, retrainMlflowExperiment: experiment, retrainMlflowToken: TOKEN });
      dispatcher.dispatch(event);
      await dispatcher.flush();
      expect(await metricValue(registry, 'alerts_sent_total', { channel: 'mlflow' })).toBe(1);
      await dispatcher.shutdown();
    }
    expect(await runsIn(experiment)).toHaveLength(1);
  });

  it('creates no run below RETRAIN_THRESHOLD', async () => {
    const experiment = `automated_retraining-below-${Date.now()}`;
    const { dispatcher } = build({ retrainMlflowUrl: mlflow.url, retrainMlflowExperiment: experiment });
    dispatcher.dispatch(driftEvent({ endMs: T0, scores: { income: 0.45 } }));
    await dispatcher.flush();
    expect(await runsIn(experiment)).toHaveLength(0);
    await dispatcher.shutdown();
  });

  it('an unreachable server is retried, then counted as failed with a message naming the target and no secret', async () => {
    const { dispatcher, registry, log } = build({ retrainMlflowUrl: 'http://user:pa55word@127.0.0.1:9/mlflow', retrainMlflowToken: TOKEN });
    dispatcher.dispatch(driftEvent({ endMs: T0, scores: { income: 0.9 } }));
    await dispatcher.flush();
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'mlflow' })).toBe(1);
    expect(await metricValue(registry, 'alerts_retries_total', { channel: 'mlflow' })).toBe(1);
    const text = log.text();
    expect(text).toContain('mlflow: GET http://***@127.0.0.1:9/*** failed');
    expect(text).not.toContain('pa55word');
    expect(text).not.toContain(TOKEN);
    await dispatcher.shutdown();
  });
});
