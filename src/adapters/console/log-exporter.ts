import type { Evaluation } from '../../core/detect/evaluation.js';
import { SUCCESS, type EvaluationExporter, type ExportResult, type Logger } from '../../runtime/ports.js';

/**
 * One info log line per drift state change (`drift_detected`, `drift_resolved`), naming the
 * model, version, window and drifted features with their scores: what a service without the
 * console output (`OUTPUT_CONSOLE`) would otherwise never say in its logs. Windows without a
 * change log nothing.
 */
export class StateChangeLogExporter implements EvaluationExporter {
  readonly name = 'log';

  constructor(private readonly logger: Logger) {}

  async export(evaluation: Evaluation): Promise<ExportResult> {
    for (const { model, modelVersion, check, change } of evaluation.checks) {
      if (change === null) continue;
      const fields = {
        event: change,
        model,
        model_version: modelVersion,
        window_start: evaluation.windowStart.toISOString(),
        window_end: evaluation.windowEnd.toISOString(),
        metric: check.metric,
        max_drift_score: check.max_drift_score,
        drifted_features: check.drifted_features,
        sample_count: check.sample_count,
      };
      const drifted = Object.keys(check.drifted_features);
      const what = change === 'drift_detected' ? `drift detected${drifted.length > 0 ? ` in ${drifted.join(', ')}` : ''}` : 'drift resolved';
      this.logger.info(fields, `${what}: ${model} ${modelVersion}, window ending ${fields.window_end}`);
    }
    return SUCCESS;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
