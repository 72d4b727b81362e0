/**
 * driftwatch's error tree (after kafkajs's errors.js): every error says whether retrying can
 * help, keeps its cause, and carries the context that locates the problem.
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

export class DriftwatchError extends Error {
  readonly retriable: boolean;
  readonly context: ErrorContext;

  constructor(message: string, options: { retriable?: boolean; cause?: unknown; context?: ErrorContext } = {}) {
    super(message, { cause: options.cause });
    this.name = new.target.name;
    this.retriable = options.retriable ?? false;
    this.context = options.context ?? {};
  }
}

/** A reference_distribution.json that cannot be read or does not validate. */
export class ReferenceFileError extends DriftwatchError {}

/** Input rows that cannot be used (bad file, missing feature, empty input). */
export class InputError extends DriftwatchError {}

/** Configuration that does not validate; the message lists every problem. */
export class ConfigError extends DriftwatchError {}

/** A sink (InfluxDB, Kafka, alert channel) failed; `retriable` says whether to try again. */
export class SinkError extends DriftwatchError {}
