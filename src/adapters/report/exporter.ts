import type { Evaluation } from '../../core/detect/evaluation.js';
import type { EvaluationExporter, ExportResult } from '../../runtime/ports.js';
import type { WindowHistory } from '../../runtime/history.js';

/**
 * Feeds the reports' bounded history (runtime/history.ts) from every evaluation: the service's
 * `/report/…` pages and `replay --report` read it. It never fails and holds nothing to flush.
 */
export class HistoryExporter implements EvaluationExporter {
  readonly name = 'report-history';

  constructor(private readonly history: WindowHistory) {}

  export(evaluation: Evaluation): Promise<ExportResult> {
    this.history.record(evaluation);
    return Promise.resolve({ ok: true });
  }

  forceFlush(): Promise<void> {
    return Promise.resolve();
  }

  shutdown(): Promise<void> {
    return Promise.resolve();
  }
}
