import { createWriteStream, type WriteStream } from 'node:fs';
import type { Evaluation } from '../../core/detect/evaluation.js';
import { driftEventFromCheck } from '../../core/detect/drift-event.js';
import { SinkError } from '../../core/errors.js';
import { SUCCESS, type EvaluationExporter, type ExportResult } from '../../runtime/ports.js';

/** Appends every check as a JSON line shaped like a drift event (type drift_check, plus `state`). */
export class JsonLinesExporter implements EvaluationExporter {
  readonly name = 'jsonl';
  private readonly stream: WriteStream;

  constructor(readonly path: string) {
    this.stream = createWriteStream(path, { flags: 'a' });
  }

  async export(evaluation: Evaluation): Promise<ExportResult> {
    const window = { start: evaluation.windowStart, end: evaluation.windowEnd };
    let text = '';
    for (const mc of evaluation.checks) {
      const event = driftEventFromCheck('drift_check', mc.model, mc.modelVersion, window, mc.check);
      text += JSON.stringify({ ...event, state: mc.state, change: mc.change }) + '\n';
    }
    if (text === '') return SUCCESS;
    return new Promise((resolve) => {
      this.stream.write(text, (error) =>
        resolve(error ? { ok: false, error: new SinkError(`${this.path}: ${error.message}`, { retriable: false, cause: error, context: { path: this.path } }) } : SUCCESS),
      );
    });
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {
    await new Promise<void>((resolve) => this.stream.end(resolve));
  }
}
