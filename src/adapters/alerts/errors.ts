import { ConfigError, SinkError, type DriftwatchErrorOptions, type ErrorContext } from '../../core/errors.js';

export interface DeliveryErrorContext extends ErrorContext {
  channel: string;
  /** Redacted target, e.g. https://hooks.slack.com/*** */
  target: string;
  status?: number;
  /** Server-requested wait (HTTP Retry-After), honoured by the retry loop. */
  retryAfterMs?: number;
}

/**
 * One delivery attempt to an alert channel failed. `retriable` is required (the rule of
 * core/errors.ts): timeouts, connection errors, HTTP 408/429/5xx and SMTP 4xx are retriable;
 * other HTTP 4xx and SMTP 5xx (permanent refusals) are not. Messages and causes are already
 * scrubbed of secrets.
 */
export class AlertDeliveryError extends SinkError {
  declare readonly context: DeliveryErrorContext;

  constructor(message: string, options: Omit<DriftwatchErrorOptions, 'context'> & { retriable: boolean; context: DeliveryErrorContext }) {
    super(message, options);
  }
}

/** An email template that cannot be read or names a placeholder that does not exist. */
export class TemplateError extends ConfigError {}
