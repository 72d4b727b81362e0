import type { AlertDispatcher } from './dispatcher.js';
import { driftEventsOf } from '../../core/detect/drift-event.js';
import type { Evaluation } from '../../core/detect/evaluation.js';
import { SUCCESS, type EvaluationExporter, type ExportResult } from '../../runtime/ports.js';

/**
 * Hands drift state changes to the alert dispatcher inside the service. Dispatching is
 * synchronous and bounded (the dispatcher queues and drops, never blocks), so a failing alert
 * channel never holds up scoring.
 */
export class AlertExporter implements EvaluationExporter {
  readonly name = 'alerts';

  constructor(private readonly dispatcher: AlertDispatcher) {}

  async export(evaluation: Evaluation): Promise<ExportResult> {
    for (const event of driftEventsOf(evaluation, false)) this.dispatcher.dispatch(event);
    return SUCCESS;
  }

  async forceFlush(): Promise<void> {
    await this.dispatcher.flush(5_000);
  }

  async shutdown(): Promise<void> {
    await this.dispatcher.shutdown(10_000);
  }
}
