import type { DeadLetter, DeadLetterSink, Logger } from '../../runtime/ports.js';

/** Dead letters of a recorded stream: one warning each, naming the line and the reason. */
export class LogDeadLetterSink implements DeadLetterSink {
  readonly received: DeadLetter[] = [];

  constructor(
    private readonly logger: Logger,
    private readonly keep = false,
  ) {}

  async send(items: DeadLetter[]): Promise<void> {
    for (const item of items) {
      if (this.keep) this.received.push(item);
      this.logger.warn({ line: item.source.offset + 1, reason: item.failure.reason, path: item.failure.path }, `dead letter: ${item.failure.detail}`);
    }
  }
}
