import { driftEventsOf } from '../../core/detect/drift-event.js';
import type { OutboundMessage, Producer } from './index.js';
import type { Evaluation } from '../../core/detect/evaluation.js';
import { SinkError } from '../../core/errors.js';
import { SUCCESS, type EvaluationExporter, type ExportResult } from '../../runtime/ports.js';
import { isRetriable } from '../../runtime/retry.js';

/**
 * Bytes of drift events per produce request. The broker refuses a record batch (all records of
 * one partition in one request) above the topic's `max.message.bytes`, 1 MiB by default, and
 * that refusal is not retriable: one evaluation run of hundreds of models (about 1.7 kB per
 * event) used to exceed it and lose every event of the run. Half the default leaves room for
 * headers and record overhead.
 */
export const DRIFT_EVENTS_REQUEST_BYTES = 512 * 1024;

/**
 * Publishes drift events on the drift events topic, keyed by model, with the deterministic
 * `event_id` also as a header so consumers can de-duplicate without parsing. An evaluation's
 * events go out in produce requests of at most DRIFT_EVENTS_REQUEST_BYTES, in order; when a
 * later request fails, the retry sends the earlier ones again (same `event_id`: at least once).
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
      for (const chunk of chunked(events.map((e) => ({ key: e.model, value: JSON.stringify(e), headers: { event_id: e.event_id, type: e.type } })))) {
        await this.producer.send(this.topic, chunk);
      }
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

/** Consecutive runs of messages whose values together stay within DRIFT_EVENTS_REQUEST_BYTES (a larger one goes alone). */
function chunked(messages: OutboundMessage[]): OutboundMessage[][] {
  const chunks: OutboundMessage[][] = [];
  let chunk: OutboundMessage[] = [];
  let bytes = 0;
  for (const m of messages) {
    const size = Buffer.byteLength(m.value as string) + 200;
    if (chunk.length > 0 && bytes + size > DRIFT_EVENTS_REQUEST_BYTES) {
      chunks.push(chunk);
      chunk = [];
      bytes = 0;
    }
    chunk.push(m);
    bytes += size;
  }
  if (chunk.length > 0) chunks.push(chunk);
  return chunks;
}
