import type { DeadLetter, DeadLetterReceipt, DeadLetterSink, Logger } from '../../runtime/ports.js';

/**
 * Dead letters bound for another sink (the dead-letter topic), also logged as warnings, at most
 * one per reason per `intervalMs`: the first dead letter of a reason is logged at once; those
 * that follow within the interval are counted and the count is given by the next warning of
 * that reason (`count`: dead letters of this reason since the previous warning).
 */
export class DeadLetterWarnings implements DeadLetterSink {
  private readonly reasons = new Map<string, { lastWarnedMs: number; unreported: number }>();
  private readonly intervalMs: number;
  private readonly now: () => number;

  constructor(
    private readonly sink: DeadLetterSink,
    private readonly logger: Logger,
    options: { intervalMs?: number; now?: () => number } = {},
  ) {
    this.intervalMs = options.intervalMs ?? 10_000;
    this.now = options.now ?? Date.now;
  }

  async send(items: DeadLetter[]): Promise<DeadLetterReceipt | void> {
    const receipt = await this.sink.send(items);
    const now = this.now();
    for (const item of items) {
      const { reason } = item.failure;
      let entry = this.reasons.get(reason);
      if (entry === undefined) this.reasons.set(reason, (entry = { lastWarnedMs: Number.NEGATIVE_INFINITY, unreported: 0 }));
      entry.unreported++;
      if (now - entry.lastWarnedMs < this.intervalMs) continue;
      const { failure, source } = item;
      const since = Number.isFinite(entry.lastWarnedMs) ? ` in the last ${Math.round((now - entry.lastWarnedMs) / 1000)} s` : '';
      this.logger.warn(
        {
          reason,
          count: entry.unreported,
          topic: source.topic,
          partition: source.partition,
          offset: source.offset,
          path: failure.path,
          model: failure.model,
          model_version: failure.modelVersion,
        },
        `${entry.unreported} dead letter(s) (${reason})${since}; latest: ${failure.detail}`,
      );
      entry.lastWarnedMs = now;
      entry.unreported = 0;
    }
    return receipt;
  }
}
