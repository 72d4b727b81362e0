import { driftEventsOf } from '../../core/detect/drift-event.js';
import type { Producer } from './index.js';
import type { Evaluation } from '../../core/detect/evaluation.js';
import { SinkError } from '../../core/errors.js';
import { SUCCESS, type EvaluationExporter, type ExportResult } from '../../runtime/ports.js';
import { isRetriable } from '../../runtime/retry.js';

/**
 * Publishes drift events on the drift events topic, keyed by model, with the deterministic
 * `event_id` also as a header so consumers can de-duplicate without parsing.
 */
export class KafkaDriftEventExporter implements EvaluationExporter {
  readonly name = 'kafka';

  constructor(
    private readonly producer: Producer,
    private readonly topic: string,
    private readonly emitAllChecks: boolean,
  ) {}

  async export(evaluation: Evaluation): Promise<ExportResult> {
    const events = driftEventsOf(evaluation, this.emitAllChecks);
    if (events.length === 0) return SUCCESS;
    try {
      await this.producer.send(
        this.topic,
        events.map((e) => ({ key: e.model, value: JSON.stringify(e), headers: { event_id: e.event_id, type: e.type } })),
      );
      return SUCCESS;
    } catch (cause) {
      // kafkajs errors say whether they are retriable; one that does not say is not (core/errors.ts).
      return {
        ok: false,
        error: new SinkError(`publishing ${events.length} drift event(s) to topic "${this.topic}" failed: ${(cause as Error).message}`, {
          retriable: isRetriable(cause),
          cause,
          context: { topic: this.topic },
        }),
      };
    }
  }

  async forceFlush(): Promise<void> {}

  async shutdown(): Promise<void> {}
}
