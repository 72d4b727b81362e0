import { ConfigError, SinkError, type ErrorContext } from '../../core/errors.js';

export interface DeliveryErrorContext extends ErrorContext {
  channel: string;
  /** Redacted target, e.g. https://hooks.slack.com/*** */
  target: string;
  status?: number;
  /** Server-requested wait (HTTP Retry-After), honoured by the retry loop. */
  retryAfterMs?: number;
}

/**
 * One delivery attempt to an alert channel failed. `retriable`: timeouts, connection errors,
 * HTTP 408/429/5xx, SMTP 4xx; not retriable: other HTTP 4xx, SMTP 5xx (permanent refusals).
 * Messages and causes are already scrubbed of secrets.
 */
export class AlertDeliveryError extends SinkError {
  declare readonly context: DeliveryErrorContext;
}

/** An email template that cannot be read or names a placeholder that does not exist. */
export class TemplateError extends ConfigError {}
