import type { Evaluation } from '../core/detect/evaluation.js';
import { SUCCESS, type EvaluationExporter, type ExportResult } from './ports.js';

/** Keeps every evaluation in memory: for tests of the core and of the pipeline. */
export class InMemoryExporter implements EvaluationExporter {
  readonly name = 'memory';
  readonly evaluations: Evaluation[] = [];
  stopped = false;

  async export(evaluation: Evaluation): Promise<ExportResult> {
    this.evaluations.push(evaluation);
    return SUCCESS;
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    this.stopped = true;
  }
}
