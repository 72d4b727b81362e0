import type { Evaluation, ModelCheck } from '../core/detect/evaluation.js';
import type { SinkError } from '../core/errors.js';
import type { DecodeFailure } from '../core/event/event.js';
import type { ReferenceDistribution } from '../core/reference/index.js';

/**
 * The runtime's ports (docs/architecture.md, "Ports"): the small interfaces through which the
 * streaming runtime sees the world. Adapters (Kafka, InfluxDB, files, HTTP, alerts) implement
 * them; app/ wires one of each per command. Nothing in runtime/ imports an adapter.
 */

/** Structured logging (pino's shape): an object of fields, then the message. */
export interface LogFn {
  (fields: object, message?: string): void;
  (message: string): void;
}

export interface Logger {
  error: LogFn;
  warn: LogFn;
  info: LogFn;
  debug: LogFn;
  child(bindings: Record<string, unknown>): Logger;
}

/** A raw message as a source hands it over (Kafka record, or a line of a recorded stream). */
export interface SourceMessage {
  topic: string;
  partition: number;
  offset: number;
  /** Record timestamp (epoch ms), NaN when the source has none. */
  timestampMs: number;
  key: Buffer | string | null;
  value: Buffer | string | null;
  headers: Record<string, string>;
}

/** A message that could not be used, with the reason, bound for the dead-letter topic. */
export interface DeadLetter {
  value: Buffer | string | null;
  key: Buffer | string | null;
  headers: Record<string, string>;
  failure: DecodeFailure;
  source: { topic: string; partition: number; offset: number; timestampMs: number };
}

/** What a dead-letter sink reports about a write: the items it had to cut to fit its topic. */
export interface DeadLetterReceipt {
  truncated: readonly DeadLetter[];
}

/**
 * Where dead letters go; `send` resolves once every item is durably written. A sink with a
 * size limit cuts what does not fit (and says which in the receipt) rather than failing.
 */
export interface DeadLetterSink {
  send(items: DeadLetter[]): Promise<DeadLetterReceipt | void>;
}

/**
 * Every output of an evaluation is an exporter (after OpenTelemetry's MetricExporter):
 * `export` reports success or a failure that says whether retrying can help; `forceFlush`
 * pushes out anything buffered; `shutdown` flushes and releases resources.
 */
export type ExportResult = { ok: true } | { ok: false; error: SinkError };

export interface EvaluationExporter {
  readonly name: string;
  export(evaluation: Evaluation): Promise<ExportResult>;
  forceFlush(): Promise<void>;
  shutdown(): Promise<void>;
  /** Whether the destination answers (for /readyz); absent when there is nothing to reach. */
  reachable?(): Promise<boolean>;
}

export const SUCCESS: ExportResult = { ok: true };

/** The reference of each (model, version), loaded on demand. */
export interface ReferenceLookup {
  get(model: string, modelVersion: string): ReferenceDistribution | undefined;
  has(model: string, modelVersion: string): boolean;
  /** Tries to load the references of these pairs (a miss is remembered for a while). */
  ensure(pairs: Iterable<readonly [string, string]>, nowMs: number): Promise<void>;
}

/**
 * What the runtime counts. The HTTP adapter implements it on Prometheus metrics
 * (adapters/http/metrics.ts); `NO_METRICS` counts nothing. Model names come from events: the
 * implementation bounds their cardinality.
 */
export interface RuntimeMetrics {
  eventsConsumed(model: string, count: number): void;
  eventInvalid(model: string | undefined, reason: string): void;
  eventLate(model: string): void;
  deadLetterWriteFailed(): void;
  windowEvaluated(check: ModelCheck): void;
  /** From the watermark passing a window end to its results exported. */
  windowExported(closeToExportMs: number): void;
  sinkWriteFailed(sink: string): void;
  /** The latest check of a (model, version): drift state and per-feature scores. */
  checkRecorded(check: ModelCheck): void;
  watermark(epochMs: number): void;
  stateBytes(bytes: number): void;
  consumerLag(topic: string, partition: number, lag: number): void;
  /** Forgets every partition's lag (after a rebalance: another member may own them now). */
  resetConsumerLag(): void;
}

const ignore = (): void => undefined;

export const NO_METRICS: RuntimeMetrics = {
  eventsConsumed: ignore,
  eventInvalid: ignore,
  eventLate: ignore,
  deadLetterWriteFailed: ignore,
  windowEvaluated: ignore,
  windowExported: ignore,
  sinkWriteFailed: ignore,
  checkRecorded: ignore,
  watermark: ignore,
  stateBytes: ignore,
  consumerLag: ignore,
  resetConsumerLag: ignore,
};
