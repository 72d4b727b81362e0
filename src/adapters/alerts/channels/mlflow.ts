import type { Alert } from '../alert.js';
import { AlertDeliveryError } from '../errors.js';
import { requestJson, type JsonResponse } from '../http.js';
import { redactUrl, type Redactor } from '../redact.js';
import type { AlertChannel } from './types.js';

export const DEFAULT_MLFLOW_EXPERIMENT = 'automated_retraining';

export interface MlflowChannelOptions {
  /** The tracking server, e.g. http://mlflow:5000 (a path prefix is kept). */
  url: string;
  /** The experiment the runs are created in; created when missing. */
  experiment: string;
  /** Sent as `Authorization: Bearer …` when set (MLFLOW_TRACKING_TOKEN's role). */
  token?: string;
  redactor: Redactor;
  now?: () => number;
}

/** A run tag as MLflow's REST API takes it. */
export interface MlflowTag {
  key: string;
  value: string;
}

/**
 * The tags of the run created for one drift episode: the guide's `trigger=data_drift`, then what
 * the retraining pipeline needs to pick the data (model, version, window) and what ties the run
 * to the drift event (`event_id`, also the de-duplication key).
 */
export function mlflowRunTags(alert: Alert): MlflowTag[] {
  const e = alert.event;
  const tags: Record<string, string> = {
    trigger: 'data_drift',
    model: e.model,
    model_version: e.model_version,
    max_drift_score: e.max_drift_score === null ? '' : String(e.max_drift_score),
    event_id: e.event_id,
    retrain_threshold: String(alert.retrainThreshold),
    metric: e.metric,
    window_start: e.window.start,
    window_end: e.window.end,
    sample_count: String(e.sample_count),
    drifted_features: JSON.stringify(e.drifted_features),
    'mlflow.source.name': 'driftwatch',
  };
  // MLflow caps a tag value at 8,000 characters; the feature list is the only long one.
  return Object.entries(tags).map(([key, value]) => ({ key, value: value.length > 8000 ? `${value.slice(0, 7997)}...` : value }));
}

/**
 * The retraining trigger through MLflow (the guide's `mlflow.start_run(experiment_name=…,
 * tags={"trigger": "data_drift"})`): once per drift episode above RETRAIN_THRESHOLD, a run is
 * created in the experiment, left RUNNING for the retraining pipeline to pick up and end.
 *
 * De-duplicated like the webhook: the dispatcher drops a redelivered event_id it remembers, and
 * across restarts the channel first searches the experiment for a run tagged with the event_id
 * and creates none when one exists. MLflow has no idempotency key, so two instances triggering
 * the same event at the same moment could still both create one (docs/alerts.md).
 */
export function createMlflowChannel(options: MlflowChannelOptions): AlertChannel {
  const { base, headers } = endpoint(options.url, options.token);
  const target = redactUrl(options.url);
  const now = options.now ?? Date.now;
  let experimentId: string | null = null;

  const call = (method: 'GET' | 'POST', path: string, signal: AbortSignal, body?: unknown, acceptStatuses?: number[]): Promise<JsonResponse> =>
    requestJson({
      channel: 'mlflow',
      method,
      url: `${base}/api/2.0/mlflow/${path}`,
      target,
      body: body === undefined ? undefined : JSON.stringify(body),
      headers,
      signal,
      redactor: options.redactor,
      acceptStatuses,
    });

  const lookUp = async (signal: AbortSignal): Promise<string | null> => {
    const found = await call('GET', `experiments/get-by-name?experiment_name=${encodeURIComponent(options.experiment)}`, signal, undefined, [404]);
    if (found.status === 404) return null;
    return experimentIdOf(found.json, 'experiments/get-by-name', target);
  };

  const ensureExperiment = async (signal: AbortSignal): Promise<string> => {
    if (experimentId !== null) return experimentId;
    let id = await lookUp(signal);
    if (id === null) {
      // Another instance may create it between the lookup and here: MLflow then answers 400
      // RESOURCE_ALREADY_EXISTS, and the lookup is repeated.
      const created = await call('POST', 'experiments/create', signal, { name: options.experiment }, [400]);
      id = created.status === 400 ? await lookUp(signal) : experimentIdOf(created.json, 'experiments/create', target);
      if (id === null) throw invalidAnswer(target, `experiment "${options.experiment}" could be neither found nor created: ${errorText(created.json)}`, false);
    }
    experimentId = id;
    return id;
  };

  return {
    name: 'mlflow',
    target,
    kinds: ['retrain'],
    send: async (alert: Alert, signal: AbortSignal) => {
      const id = await ensureExperiment(signal);
      // event_ids are hex digests; the quotes are escaped anyway, since the filter is a query language.
      const filter = `tags.event_id = '${alert.event.event_id.replace(/\\/g, '\\\\').replace(/'/g, "\\'")}'`;
      const existing = await call('POST', 'runs/search', signal, { experiment_ids: [id], filter, max_results: 1 });
      if (runsOf(existing.json).length > 0) return;
      await call('POST', 'runs/create', signal, {
        experiment_id: id,
        run_name: `retrain ${alert.event.model} ${alert.event.model_version}`,
        start_time: now(),
        tags: mlflowRunTags(alert),
      });
    },
  };
}

/**
 * fetch refuses URLs with credentials: a user and password in RETRAIN_MLFLOW_URL become basic
 * authentication (MLflow's basic-auth app), a token bearer authentication (it wins over both).
 */
function endpoint(url: string, token: string | undefined): { base: string; headers: Record<string, string> } {
  const parsed = new URL(url);
  const user = decodeURIComponent(parsed.username);
  const password = decodeURIComponent(parsed.password);
  parsed.username = '';
  parsed.password = '';
  const base = parsed.href.replace(/\/+$/, '');
  if (token) return { base, headers: { authorization: `Bearer ${token}` } };
  if (user || password) return { base, headers: { authorization: `Basic ${Buffer.from(`${user}:${password}`).toString('base64')}` } };
  return { base, headers: {} };
}

function experimentIdOf(json: unknown, what: string, target: string): string {
  const body = json as { experiment?: { experiment_id?: unknown }; experiment_id?: unknown } | null;
  const id = body?.experiment?.experiment_id ?? body?.experiment_id;
  if (typeof id !== 'string' || id === '') throw invalidAnswer(target, `${what} answered without an experiment_id`, true);
  return id;
}

function runsOf(json: unknown): unknown[] {
  const runs = (json as { runs?: unknown } | null)?.runs;
  return Array.isArray(runs) ? runs : [];
}

function errorText(json: unknown): string {
  const body = json as { error_code?: unknown; message?: unknown } | null;
  return [body?.error_code, body?.message].filter((s) => typeof s === 'string').join(': ') || 'no error message';
}

function invalidAnswer(target: string, message: string, retriable: boolean): AlertDeliveryError {
  return new AlertDeliveryError(`mlflow: ${target}: ${message}`, { retriable, context: { channel: 'mlflow', target } });
}
