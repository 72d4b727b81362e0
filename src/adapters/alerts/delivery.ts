import type { Logger } from 'pino';
import { asyncScheduler, type SchedulerLike } from 'rxjs';
import { backoffDelayMs, isRetriable, raceAbort, sleep } from '../../runtime/retry.js';
import type { Alert } from './alert.js';
import type { AlertChannel } from './channels/types.js';
import { AlertDeliveryError } from './errors.js';
import { abortReason } from './http.js';
import type { AlertMetrics } from './metrics.js';
import { safeErrorInfo, type Redactor } from './redact.js';

export interface AlertDeliveryOptions {
  channels: readonly AlertChannel[];
  metrics: AlertMetrics;
  logger: Logger;
  /** Scrubs secrets from error text. */
  redactor: Redactor;
  /** Alerts waiting per channel (one more may be in flight). Default 1000. */
  queueSize?: number;
  /** Attempts per alert and channel. Default 5. */
  maxAttempts?: number;
  /** Limit of one attempt. Default 10_000. */
  timeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** Runs attempt time limits, waits between attempts and flush deadlines. Default: asyncScheduler. */
  scheduler?: SchedulerLike;
  /**
   * Waits between attempts; must resolve early when `signal` aborts. Default: runtime/retry.ts
   * `sleep` on `scheduler`. Tests against real servers replace it to skip and record the waits.
   */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
}

interface ChannelQueue {
  channel: AlertChannel;
  items: Alert[];
  inFlight: boolean;
  idle: Promise<void>;
  markIdle: () => void;
  /** A drop was logged since the queue last emptied (one warning per overflow, not one per alert). */
  dropLogged: boolean;
}

/** The time limit of one attempt ran out (the reason of the attempt's signal). */
class AttemptTimeout extends Error {
  override readonly name = 'TimeoutError';
}

/**
 * Delivers alerts without ever holding up the caller. Each channel has a bounded queue
 * (queueSize) and one worker, so a slow channel delays only itself and alerts of one channel
 * keep their order. A full queue drops the new alert (`alerts_dropped_total`). Each alert gets
 * up to maxAttempts attempts of at most timeoutMs, retried when the error is retriable
 * (`isRetriable`, the rule of core/errors.ts) after the backoff of runtime/retry.ts (exponential,
 * full jitter; at least a server's Retry-After, capped at backoffMaxMs); then it is logged and
 * counted (`alerts_failed_total`). Every wait runs on the injected scheduler.
 */
export class AlertDelivery {
  private readonly queueSize: number;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly scheduler: SchedulerLike;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly metrics: AlertMetrics;
  private readonly logger: Logger;
  private readonly redactor: Redactor;
  private readonly queues = new Map<string, ChannelQueue>();
  private readonly abort = new AbortController();

  constructor(readonly options: AlertDeliveryOptions) {
    const names = options.channels.map((c) => c.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new RangeError(`two alert channels are named "${duplicate}"; channel names must be unique`);
    this.queueSize = options.queueSize ?? 1000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.backoffBaseMs = options.backoffBaseMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.sleep = options.sleep ?? ((ms, signal) => sleep(ms, { signal, scheduler: this.scheduler }));
    this.random = options.random ?? Math.random;
    this.metrics = options.metrics;
    this.logger = options.logger;
    this.redactor = options.redactor;
    for (const channel of options.channels) {
      let markIdle = () => {};
      const idle = new Promise<void>((resolve) => (markIdle = resolve));
      markIdle();
      this.queues.set(channel.name, { channel, items: [], inFlight: false, idle, markIdle, dropLogged: false });
      this.metrics.queueDepth.set({ channel: channel.name }, 0);
      // Create the label sets so dashboards see zeros before the first alert.
      for (const c of [this.metrics.sent, this.metrics.failed, this.metrics.dropped, this.metrics.retries]) c.inc({ channel: channel.name }, 0);
    }
  }

  /** Queues `alert` on every channel taking its kind; returns how many were dropped. */
  enqueue(alert: Alert): number {
    let dropped = 0;
    for (const q of this.queues.values()) {
      if (!q.channel.kinds.includes(alert.kind)) continue;
      if (q.items.length >= this.queueSize) {
        dropped++;
        this.metrics.dropped.inc({ channel: q.channel.name });
        if (!q.dropLogged) {
          q.dropLogged = true;
          this.logger.warn(
            { channel: q.channel.name, target: q.channel.target, queueSize: this.queueSize, event_id: alert.event.event_id },
            `alert queue of ${q.channel.name} is full (${this.queueSize}): dropping new alerts until it drains (see alerts_dropped_total)`,
          );
        }
        continue;
      }
      q.items.push(alert);
      this.metrics.queueDepth.set({ channel: q.channel.name }, q.items.length + (q.inFlight ? 1 : 0));
      if (!q.inFlight) void this.work(q);
    }
    return dropped;
  }

  /** Alerts waiting or in flight, per channel. */
  pending(): Record<string, number> {
    const out: Record<string, number> = {};
    for (const [name, q] of this.queues) out[name] = q.items.length + (q.inFlight ? 1 : 0);
    return out;
  }

  /**
   * Waits until every queued alert was delivered or given up on. Resolves true when drained,
   * false when `timeoutMs` passed first (delivery goes on).
   */
  async flush(timeoutMs?: number): Promise<boolean> {
    const drained = (async () => {
      for (;;) {
        const busy = [...this.queues.values()].filter((q) => q.inFlight);
        if (busy.length === 0) return true;
        await Promise.all(busy.map((q) => q.idle));
      }
    })();
    if (timeoutMs === undefined) return drained;
    const stop = new AbortController();
    const result = await Promise.race([drained, sleep(timeoutMs, { signal: stop.signal, scheduler: this.scheduler }).then(() => false)]);
    stop.abort();
    return result;
  }

  /**
   * Gives the queues until `deadlineMs` to drain, then abandons what is left (in flight:
   * counted as failed; waiting: counted as dropped) and closes the channels. Resolves true when
   * everything was delivered or given up on in time.
   */
  async shutdown(deadlineMs: number): Promise<boolean> {
    const drained = await this.flush(deadlineMs);
    if (!drained) {
      for (const q of this.queues.values()) {
        if (q.items.length > 0) {
          this.metrics.dropped.inc({ channel: q.channel.name }, q.items.length);
          this.logger.error(
            { channel: q.channel.name, target: q.channel.target, dropped: q.items.length },
            `shutdown deadline (${deadlineMs} ms) passed: ${q.items.length} alert(s) for ${q.channel.name} dropped`,
          );
          q.items.length = 0;
        }
      }
      this.abort.abort(new Error('alert dispatcher shut down'));
      await this.flush();
    }
    await Promise.all(
      this.options.channels.map(async (c) => {
        try {
          await c.close?.();
        } catch (error) {
          this.logger.warn({ channel: c.name, error: safeErrorInfo(error, this.redactor) }, 'closing alert channel failed');
        }
      }),
    );
    return drained;
  }

  private async work(q: ChannelQueue): Promise<void> {
    q.inFlight = true;
    q.idle = new Promise<void>((resolve) => (q.markIdle = resolve));
    try {
      for (let alert = q.items.shift(); alert; alert = q.items.shift()) {
        this.metrics.queueDepth.set({ channel: q.channel.name }, q.items.length + 1);
        await this.deliver(q.channel, alert);
      }
    } finally {
      q.inFlight = false;
      q.dropLogged = false;
      this.metrics.queueDepth.set({ channel: q.channel.name }, 0);
      q.markIdle();
    }
  }

  private async deliver(channel: AlertChannel, alert: Alert): Promise<void> {
    const fields = {
      channel: channel.name,
      target: channel.target,
      kind: alert.kind,
      severity: alert.severity,
      model: alert.event.model,
      model_version: alert.event.model_version,
      event_id: alert.event.event_id,
    };
    for (let attempt = 1; ; attempt++) {
      const error = await this.attempt(channel, alert);
      if (error === null) {
        this.metrics.sent.inc({ channel: channel.name });
        this.logger.info({ ...fields, attempts: attempt }, `${alert.kind} alert sent to ${channel.name}`);
        return;
      }
      // Errors that do not say (a bug in a channel) are not retried.
      const retriable = isRetriable(error);
      const err = safeErrorInfo(error, this.redactor);
      if (!retriable || attempt >= this.maxAttempts || this.abort.signal.aborted) {
        this.metrics.failed.inc({ channel: channel.name });
        this.logger.error(
          { ...fields, attempts: attempt, error: err },
          `${alert.kind} alert to ${channel.name} failed after ${attempt} attempt(s)${retriable ? '' : ' (not retriable)'}: ${err.message}`,
        );
        return;
      }
      const retryAfterMs = error instanceof AlertDeliveryError ? error.context.retryAfterMs : undefined;
      const delayMs = Math.max(
        backoffDelayMs(attempt, { baseMs: this.backoffBaseMs, maxMs: this.backoffMaxMs, random: this.random }),
        Math.min(retryAfterMs ?? 0, this.backoffMaxMs),
      );
      this.metrics.retries.inc({ channel: channel.name });
      this.logger.warn({ ...fields, attempt, delayMs, error: err }, `${alert.kind} alert to ${channel.name} failed, retrying in ${delayMs} ms: ${err.message}`);
      await this.sleep(delayMs, this.abort.signal);
    }
  }

  /** One attempt of at most timeoutMs (on the scheduler); resolves with its error, or null when sent. */
  private async attempt(channel: AlertChannel, alert: Alert): Promise<unknown> {
    const limit = new AbortController();
    const timer = this.scheduler.schedule(() => limit.abort(new AttemptTimeout(`no answer within ${this.timeoutMs} ms`)), this.timeoutMs);
    const signal = AbortSignal.any([limit.signal, this.abort.signal]);
    try {
      await raceAbort(
        Promise.resolve().then(() => channel.send(alert, signal)),
        signal,
      );
      return null;
    } catch (thrown) {
      return signal.aborted ? this.abortError(channel, signal) : (thrown ?? new Error(`${channel.name}: send rejected without a reason`));
    } finally {
      timer.unsubscribe();
    }
  }

  private abortError(channel: AlertChannel, signal: AbortSignal): AlertDeliveryError {
    const shutdown = this.abort.signal.aborted;
    const message = shutdown
      ? `${channel.name}: delivery to ${channel.target} abandoned at shutdown`
      : `${channel.name}: no answer from ${channel.target} within ${this.timeoutMs} ms (${abortReason(signal)})`;
    return new AlertDeliveryError(message, { retriable: !shutdown, context: { channel: channel.name, target: channel.target } });
  }
}
