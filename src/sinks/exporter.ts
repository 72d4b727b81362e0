import type { Evaluation } from '../monitor/engine.js';
import type { SinkError } from '../errors.js';

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
