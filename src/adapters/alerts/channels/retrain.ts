import type { Alert } from '../alert.js';
import { postJson } from '../http.js';
import { redactUrl, type Redactor } from '../redact.js';
import { signatureHeaders } from '../signature.js';
import type { AlertChannel } from './types.js';

export interface RetrainChannelOptions {
  url: string;
  /** Signs the body like the webhook channel when set. */
  secret?: string;
  redactor: Redactor;
  now?: () => number;
}

/** The retraining request body; `idempotency_key` (= the triggering event_id) is also a header. */
export interface RetrainRequest {
  idempotency_key: string;
  event_id: string;
  reason: 'data_drift';
  model: string;
  model_version: string;
  window: { start: string; end: string };
  drifted_features: Record<string, number>;
  max_drift_score: number | null;
  retrain_threshold: number;
  metric: string;
  sample_count: number;
  triggered_at: string;
}

export function retrainRequest(alert: Alert): RetrainRequest {
  const e = alert.event;
  return {
    idempotency_key: e.event_id,
    event_id: e.event_id,
    reason: 'data_drift',
    model: e.model,
    model_version: e.model_version,
    window: e.window,
    drifted_features: e.drifted_features,
    max_drift_score: e.max_drift_score,
    retrain_threshold: alert.retrainThreshold,
    metric: e.metric,
    sample_count: e.sample_count,
    triggered_at: alert.createdAt,
  };
}

/**
 * The retraining trigger: POSTs a RetrainRequest to RETRAIN_WEBHOOK_URL with an
 * Idempotency-Key header, so a redelivered trigger does not start a second run.
 */
export function createRetrainChannel(options: RetrainChannelOptions): AlertChannel {
  const target = redactUrl(options.url);
  const now = options.now ?? Date.now;
  return {
    name: 'retrain',
    target,
    kinds: ['retrain'],
    send: (alert, signal) => {
      const body = JSON.stringify(retrainRequest(alert));
      return postJson({
        channel: 'retrain',
        url: options.url,
        target,
        body,
        headers: { 'idempotency-key': alert.event.event_id, ...signatureHeaders(options.secret, body, now()) },
        signal,
        redactor: options.redactor,
      });
    },
  };
}
