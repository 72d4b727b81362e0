import { postJson } from '../http.js';
import { redactUrl, type Redactor } from '../redact.js';
import { signatureHeaders } from '../signature.js';
import type { AlertChannel } from './types.js';

export interface WebhookChannelOptions {
  url: string;
  /** When set, bodies are signed: X-Driftwatch-Signature: sha256=<hex HMAC-SHA256>. */
  secret?: string;
  redactor: Redactor;
  now?: () => number;
}

/**
 * POSTs the drift event itself (the wire format of the drift events topic) as JSON. Headers:
 * X-Driftwatch-Event (drift_detected | drift_resolved), X-Driftwatch-Delivery (the event_id,
 * for idempotent receivers), X-Driftwatch-Severity, X-Driftwatch-Timestamp and, with a secret,
 * X-Driftwatch-Signature over the exact body bytes.
 */
export function createWebhookChannel(options: WebhookChannelOptions): AlertChannel {
  const target = redactUrl(options.url);
  const now = options.now ?? Date.now;
  return {
    name: 'webhook',
    target,
    kinds: ['drift', 'resolved'],
    send: (alert, signal) => {
      const body = JSON.stringify(alert.event);
      return postJson({
        channel: 'webhook',
        url: options.url,
        target,
        body,
        headers: {
          'x-driftwatch-event': alert.event.type,
          'x-driftwatch-delivery': alert.event.event_id,
          'x-driftwatch-severity': alert.kind === 'resolved' ? 'resolved' : alert.severity,
          ...signatureHeaders(options.secret, body, now()),
        },
        signal,
        redactor: options.redactor,
      });
    },
  };
}
