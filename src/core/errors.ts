/**
 * driftwatch's error tree (after kafkajs's errors.js): every error says whether retrying can
 * help, keeps its cause, and carries the context that locates the problem.
 *
 * The one rule for `retriable`: an error is retried only when it says so. Errors of a sink or
 * an alert channel (`SinkError` and below) must say it when they are made: `retriable` is a
 * required option, so every caller decides. Errors of input, configuration and reference
 * files are never retriable (the same input fails the same way). A `DriftwatchError` made
 * without the option, and any error that carries no boolean `retriable` (a bug, a TypeError),
 * is not retriable: `isRetriable` in runtime/retry.ts reads the flag the same way for sinks,
 * dead letters, the Kafka source and alerts.
 */
export interface ErrorContext {
  path?: string;
  line?: number;
  column?: string;
  feature?: string;
  field?: string;
  topic?: string;
  [key: string]: unknown;
}

export interface DriftwatchErrorOptions {
  cause?: unknown;
  context?: ErrorContext;
}

export class DriftwatchError extends Error {
  readonly retriable: boolean;
  readonly context: ErrorContext;

  /** `retriable` defaults to false: an error that does not say is not retried. */
  constructor(message: string, options: DriftwatchErrorOptions & { retriable?: boolean } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }
}

/** An error that trying again cannot cure: `retriable` is always false. */
class PermanentError extends DriftwatchError {
  declare readonly retriable: false;

  constructor(message: string, options: DriftwatchErrorOptions = {}) {
    super(message, { ...options, retriable: false });
  }
}

/** A reference_distribution.json that cannot be read or does not validate. Never retriable. */
export class ReferenceFileError extends PermanentError {}

/** Input rows that cannot be used (bad file, missing feature, empty input). Never retriable. */
export class InputError extends PermanentError {}

/** Configuration that does not validate; the message lists every problem. Never retriable. */
export class ConfigError extends PermanentError {}

/**
 * An output (InfluxDB, Kafka, a file, an alert channel) failed. `retriable` is required: the
 * caller says whether the same write may succeed later (an outage, a timeout, HTTP 5xx/429) or
 * cannot (a rejected request, a bad path).
 */
export class SinkError extends DriftwatchError {
  constructor(message: string, options: DriftwatchErrorOptions & { retriable: boolean }) {
    super(message, options);
  }
}
