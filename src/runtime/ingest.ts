import type { SchedulerLike } from 'rxjs';
import { modelVersionKey } from '../core/keys.js';
import { EventDecoder } from '../core/event/decoder.js';
import { RowArena } from '../core/event/arena.js';
import type { EventDefaults, FeatureRecord } from '../core/event/event.js';
import type { OffsetLedger } from './delivery/ledger.js';
import type { Engine } from './engine.js';
import type { DeadLetter, DeadLetterSink, Logger, ReferenceLookup, RuntimeMetrics, SourceMessage } from './ports.js';
import { retry, type BackoffOptions } from './retry.js';
import type { Status } from './status.js';

/**
 * Longest model or version name accepted: names become metric labels, reference paths and
 * InfluxDB tags, so a longer one is a dead letter (`name_too_long`) rather than a 10,000-character
 * label and a file-name-too-long error on every reference lookup.
 */
export const MAX_NAME_LENGTH = 200;

/** Default bound on a failing dead-letter write: past it the service stops (docs/windows-and-delivery.md). */
export const DEFAULT_DEAD_LETTER_TIMEOUT_MS = 300_000;

/** What ingest records into: the engine, or the partial-aggregation stage of scale-out (partitioned/partial-stage.ts). */
export type IngestTarget = Pick<Engine, 'featuresFor' | 'outputCount' | 'countInvalid' | 'observe' | 'ingest'> & Partial<Pick<Engine, 'flush'>>;

export interface IngestOptions {
  engine: IngestTarget;
  ledger: OffsetLedger;
  references: ReferenceLookup;
  deadLetters: DeadLetterSink;
  metrics: RuntimeMetrics;
  logger: Logger;
  defaults: EventDefaults;
  /** Events stamped further than this into the future (wall clock) are dead-lettered. */
  maxClockSkewMs: number;
  now: () => number;
  scheduler?: SchedulerLike;
  backoff?: BackoffOptions;
  /** Aborted at shutdown: dead-letter retries end and the batch is read again next time. */
  signal: AbortSignal;
  /** Where a failing dead-letter write shows (readiness). */
  status?: Status;
  /**
   * How long a dead-letter write may keep failing before the service gives up on it: then
   * `onFatal` is called and the batch fails (default 5 min). Never retried forever.
   */
  deadLetterTimeoutMs?: number;
  onFatal?: (error: Error) => void;
}

/**
 * The ingest stage: decodes a batch of messages (synchronously, per event, on the fast path
 * where it can), routes each record into its window, and writes what cannot be used to the
 * dead-letter sink — retried until written, so that every message is either in a pane or on
 * the dead-letter topic before its offset counts as read.
 */
export class Ingest {
  private readonly inFlight = new Set<Map<number, number>>();
  /** Decodes events, straight into rows of the features their window records (core/event). */
  readonly decoder: EventDecoder;

  constructor(private readonly options: IngestOptions) {
    this.decoder = new EventDecoder(
      (model, version) => options.engine.featuresFor(model, version),
      (model, version) => options.engine.outputCount(model, version),
    );
  }

  /**
   * Decodes and ingests a batch of messages; dead letters are written before this resolves.
   * `isCurrent` turns false when a rebalance reset the windows meanwhile.
   */
  async ingest(messages: readonly SourceMessage[], isCurrent: () => boolean = () => true): Promise<void> {
    // Until this resolves, nothing from this batch may be committed as read: a dead letter not
    // yet written must be read again after a crash.
    const inFlight = new Map<number, number>();
    for (const m of messages) if (!(m.offset >= (inFlight.get(m.partition) ?? Infinity))) inFlight.set(m.partition, m.offset);
    this.inFlight.add(inFlight);
    try {
      await this.ingestBatch(messages, isCurrent);
    } finally {
      this.inFlight.delete(inFlight);
    }
  }

  /** Lowest offset per partition of the batches being ingested (commits must stay below it). */
  inFlightOffsets(): Map<number, number> {
    const min = new Map<number, number>();
    for (const batch of this.inFlight) for (const [p, o] of batch) if (!(o >= (min.get(p) ?? Infinity))) min.set(p, o);
    return min;
  }

  private async ingestBatch(messages: readonly SourceMessage[], isCurrent: () => boolean): Promise<void> {
    const { engine, ledger, metrics, references, defaults } = this.options;
    const now = this.options.now();
    // Two parallel arrays rather than a { message, record } pair per event (less garbage).
    const decodedMessages: SourceMessage[] = [];
    const decoded: FeatureRecord[] = [];
    const dead: DeadLetter[] = [];
    const unknown = new Map<string, readonly [string, string]>();
    let knownModel: string | undefined;
    let knownVersion: string | undefined;
    const arena = new RowArena();
    // A failure of a record handled before a restart is not reported again: it only counts as read.
    const handledBefore = (m: SourceMessage): boolean => {
      if (!ledger.isHandled(m.partition, m.offset)) return false;
      ledger.note(m.partition, m.offset);
      return true;
    };
    for (const message of messages) {
      const result = this.decoder.decode(message.value, message, defaults, arena);
      if (!result.ok) {
        if (handledBefore(message)) continue;
        engine.countInvalid(result.failure.model, result.failure.modelVersion);
        dead.push(this.deadLetter(message, result.failure));
        continue;
      }
      const record = result.record;
      if (record.model.length > MAX_NAME_LENGTH || record.modelVersion.length > MAX_NAME_LENGTH) {
        if (handledBefore(message)) continue;
        const field = record.model.length > MAX_NAME_LENGTH ? 'model' : 'model_version';
        const length = field === 'model' ? record.model.length : record.modelVersion.length;
        dead.push(this.deadLetter(message, { reason: 'name_too_long', detail: `${field}: ${length} characters, at most ${MAX_NAME_LENGTH} are accepted`, path: field }));
        continue;
      }
      if (record.eventTimeMs > now + this.options.maxClockSkewMs) {
        if (handledBefore(message)) continue;
        engine.countInvalid(record.model, record.modelVersion);
        dead.push(
          this.deadLetter(message, {
            reason: 'future_timestamp',
            detail: `timestamp: ${new Date(record.eventTimeMs).toISOString()} is more than ${this.options.maxClockSkewMs} ms ahead of the clock`,
            path: 'timestamp',
            model: record.model,
            modelVersion: record.modelVersion,
          }),
        );
        continue;
      }
      if ((record.model !== knownModel || record.modelVersion !== knownVersion) && !references.has(record.model, record.modelVersion)) {
        unknown.set(modelVersionKey(record.model, record.modelVersion), [record.model, record.modelVersion]);
      } else {
        knownModel = record.model;
        knownVersion = record.modelVersion;
      }
      decodedMessages.push(message);
      decoded.push(record);
    }
    if (unknown.size > 0) await references.ensure(unknown.values(), now);
    // A rebalance during the await above reset the windows: these records belong to the old assignment.
    if (!isCurrent()) return;
    // Counted per model once per batch: a labelled counter increment per event is costly.
    const consumed = new Map<string, number>();
    // The whole batch counts towards its partitions' progress first: an event's `too_old`
    // horizon then knows the events it came with (an old event at the head of a batch too).
    const observed = new Uint8Array(decoded.length);
    let lastModel: string | undefined;
    let lastVersion: string | undefined;
    let lastKnown = false;
    for (let i = 0; i < decoded.length; i++) {
      const record = decoded[i];
      if (record.model !== lastModel || record.modelVersion !== lastVersion) {
        lastModel = record.model;
        lastVersion = record.modelVersion;
        lastKnown = references.has(lastModel, lastVersion);
      }
      if (!lastKnown) continue;
      engine.observe(record.partition, record.eventTimeMs, now);
      observed[i] = 1;
    }
    for (let i = 0; i < decoded.length; i++) {
      const record = decoded[i];
      const outcome = engine.ingest(record, now, ledger.isHandled(record.partition, record.offset), observed[i] === 1);
      if (outcome.status === 'failed') {
        if (outcome.failure.reason === 'late') metrics.eventLate(record.model);
        dead.push(this.deadLetter(decodedMessages[i], outcome.failure));
        continue;
      }
      ledger.note(record.partition, record.offset);
      if (outcome.status === 'recorded') consumed.set(record.model, (consumed.get(record.model) ?? 0) + 1);
    }
    // The rows the engine deferred are recorded now, in blocks: no pane keeps this batch's arena alive.
    engine.flush?.();
    for (const [model, count] of consumed) metrics.eventsConsumed(model, count);
    if (dead.length > 0) {
      await this.sendDeadLetters(dead);
      for (const d of dead) ledger.note(d.source.partition, d.source.offset);
    }
  }

  private deadLetter(message: SourceMessage, failure: DeadLetter['failure']): DeadLetter {
    // A model name from a bad event is untrusted: an overlong one never becomes a label.
    if (failure.model !== undefined && failure.model.length > MAX_NAME_LENGTH) failure = { ...failure, model: undefined, modelVersion: undefined };
    this.options.metrics.eventInvalid(failure.model, failure.reason);
    return {
      value: message.value,
      key: message.key,
      headers: message.headers,
      failure,
      source: { topic: message.topic, partition: message.partition, offset: message.offset, timestampMs: message.timestampMs },
    };
  }

  /**
   * Retried while it fails (consumption waits meanwhile, and the service is not ready), but not
   * forever: after `deadLetterTimeoutMs` of failures `onFatal` stops the service with the error.
   * At shutdown the error is rethrown (the batch is read again next time).
   */
  private async sendDeadLetters(items: DeadLetter[]): Promise<void> {
    const { deadLetters, metrics, logger, signal, scheduler, backoff, status } = this.options;
    const timeoutMs = this.options.deadLetterTimeoutMs ?? DEFAULT_DEAD_LETTER_TIMEOUT_MS;
    const startedMs = this.options.now();
    let gaveUp = false;
    const send = async () => {
      try {
        const receipt = await deadLetters.send(items);
        if (status) status.deadLetterFailure = null;
        for (const item of receipt?.truncated ?? []) {
          metrics.eventInvalid(item.failure.model, 'oversized');
          logger.warn(
            { reason: item.failure.reason, topic: item.source.topic, partition: item.source.partition, offset: item.source.offset, bytes: item.value?.length ?? 0 },
            'dead letter too large for the dead-letter topic: written with its payload cut (headers dlq_truncated, dlq_original_size)',
          );
        }
      } catch (error) {
        metrics.deadLetterWriteFailed();
        if (status) status.deadLetterFailure = error as Error;
        throw error;
      }
    };
    try {
      await retry(send, {
        signal,
        scheduler,
        backoff,
        shouldRetry: () => {
          gaveUp = this.options.now() - startedMs >= timeoutMs;
          return !gaveUp;
        },
        onRetry: (error, attempt, retryInMs) =>
          logger.warn({ err: (error as Error).message, attempt, retryInMs }, 'dead-letter write failed; retrying (consumption waits, not ready)'),
      });
    } catch (error) {
      if (gaveUp && !signal.aborted) {
        const fatal = new Error(
          `dead-letter writes kept failing for ${Math.round((this.options.now() - startedMs) / 1000)} s (bound ${Math.round(timeoutMs / 1000)} s, DEAD_LETTER_TIMEOUT): ${(error as Error).message}; stopping rather than stalling`,
          { cause: error },
        );
        logger.error({ err: (error as Error).message }, fatal.message);
        this.options.onFatal?.(fatal);
        throw fatal;
      }
      throw error;
    }
  }
}
