import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import { asyncScheduler, type SchedulerLike, type Subscription } from 'rxjs';
import type { DriftEvent } from '../../core/detect/drift-event.js';
import type { Alert } from './alert.js';
import type { AlertChannel } from './channels/types.js';
import { AlertDelivery, type AlertDeliveryOptions } from './delivery.js';
import { alertMetrics, type AlertMetrics } from './metrics.js';
import { AlertPolicy, type SuppressReason } from './policy.js';
import { Redactor, safeErrorInfo } from './redact.js';

export type { SuppressReason } from './policy.js';

export interface DispatchResult {
  /** Alerts decided for this event; each goes to every channel taking its kind. */
  alerts: Alert[];
  /** Why no drift/resolved notification came of it, if none did. */
  suppressed?: SuppressReason;
  /** drift_check events produce nothing; neither does anything after shutdown() began. */
  ignored?: 'drift_check' | 'closed' | 'error';
  /** Channel deliveries dropped because the channel's queue was full. */
  dropped: number;
}

export interface AlertDispatcherOptions {
  channels: AlertChannel[];
  /** max_drift_score above which alerts are critical and retraining is triggered. Default 0.5. */
  retrainThreshold?: number;
  /** Default 3_600_000 (1 h). */
  cooldownMs?: number;
  dashboardUrlTemplate?: string;
  /** Alerts waiting per channel (one more may be in flight). Default 1000. */
  queueSize?: number;
  /** Attempts per alert and channel. Default 5. */
  maxAttempts?: number;
  /** Limit of one attempt. Default 10_000. */
  timeoutMs?: number;
  backoffBaseMs?: number;
  backoffMaxMs?: number;
  /** event_ids remembered for de-duplication. Default 10_000. */
  dedupSize?: number;
  logger?: Logger;
  /** Where the alerts_* metrics are registered; a private registry when absent. */
  registry?: Registry;
  /** Scrubs secrets from error text; build it with the channels' URLs and secrets. */
  redactor?: Redactor;
  /**
   * Runs every timer: the release of drifts held by the cooldown, attempt time limits, waits
   * between attempts, flush and shutdown deadlines. Default: asyncScheduler; tests pass a
   * VirtualTimeScheduler.
   */
  scheduler?: SchedulerLike;
  /** The clock of the policy (cooldowns, createdAt). Default: the scheduler's `now()`. */
  now?: () => number;
  /** Waits between attempts (default: runtime/retry.ts `sleep` on the scheduler). */
  sleep?: AlertDeliveryOptions['sleep'];
  /** Jitter source in [0, 1). */
  random?: () => number;
}

/**
 * Turns drift events into alerts, once, and delivers them without ever holding up the caller:
 * the `AlertPolicy` (pure: de-duplication, episodes, severity and escalation, cooldown,
 * retraining once per episode) decides, `AlertDelivery` (bounded per-channel queues, attempts,
 * backoff) delivers, and this class joins them to the clock: it passes `now()` to the policy
 * and arms one timer on the scheduler for the earliest drift held by a cooldown.
 * `dispatch` is synchronous and never throws.
 */
export class AlertDispatcher {
  readonly channels: readonly AlertChannel[];
  private readonly policy: AlertPolicy;
  private readonly delivery: AlertDelivery;
  private readonly logger: Logger;
  private readonly redactor: Redactor;
  private readonly metrics: AlertMetrics;
  private readonly scheduler: SchedulerLike;
  private readonly now: () => number;
  private releaseTimer: { atMs: number; subscription: Subscription } | null = null;
  private closed = false;

  constructor(options: AlertDispatcherOptions) {
    this.channels = options.channels;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.redactor = options.redactor ?? new Redactor();
    this.metrics = alertMetrics(options.registry ?? new Registry());
    this.scheduler = options.scheduler ?? asyncScheduler;
    const scheduler = this.scheduler;
    this.now = options.now ?? (() => scheduler.now());
    this.delivery = new AlertDelivery({
      channels: options.channels,
      metrics: this.metrics,
      logger: this.logger,
      redactor: this.redactor,
      queueSize: options.queueSize,
      maxAttempts: options.maxAttempts,
      timeoutMs: options.timeoutMs,
      backoffBaseMs: options.backoffBaseMs,
      backoffMaxMs: options.backoffMaxMs,
      scheduler: this.scheduler,
      sleep: options.sleep,
      random: options.random,
    });
    this.policy = new AlertPolicy({
      retrainThreshold: options.retrainThreshold,
      cooldownMs: options.cooldownMs,
      dashboardUrlTemplate: options.dashboardUrlTemplate,
      dedupSize: options.dedupSize,
    });
  }

  /** Decides what `event` means and queues the resulting alerts. Synchronous; never throws. */
  dispatch(event: DriftEvent): DispatchResult {
    try {
      if (this.closed) {
        this.logger.warn({ event_id: event.event_id, model: event.model }, 'alert dispatcher is shut down: drift event ignored');
        return { alerts: [], ignored: 'closed', dropped: 0 };
      }
      const decision = this.policy.decide(event, this.now());
      if (decision.ignored) return { alerts: [], ignored: decision.ignored, dropped: 0 };
      const { alerts, suppressed } = decision;
      if (suppressed) {
        this.metrics.suppressed.inc({ reason: suppressed });
        this.logger.debug({ event_id: event.event_id, type: event.type, model: event.model, model_version: event.model_version, reason: suppressed }, 'drift event suppressed');
      }
      let dropped = 0;
      for (const alert of alerts) dropped += this.delivery.enqueue(alert);
      this.armRelease();
      return { alerts, ...(suppressed ? { suppressed } : {}), dropped };
    } catch (error) {
      this.logger.error({ error: safeErrorInfo(error, this.redactor), event_id: event?.event_id }, 'alert dispatcher failed on a drift event');
      return { alerts: [], ignored: 'error', dropped: 0 };
    }
  }

  /**
   * Announces drifts whose cooldown has ended and that are still on. Runs by itself on the
   * scheduler; tests that drive `now` call it directly.
   */
  tick(): Alert[] {
    if (this.closed) return [];
    const released = this.policy.release(this.now());
    for (const alert of released) {
      this.delivery.enqueue(alert);
      const { event } = alert;
      this.logger.info({ model: event.model, model_version: event.model_version, event_id: event.event_id }, 'drift still on after the cooldown: alert released');
    }
    this.armRelease();
    return released;
  }

  /** Keeps one timer at the end of the earliest cooldown holding a drift back. */
  private armRelease(): void {
    const atMs = this.closed ? null : this.policy.nextReleaseAtMs();
    if (this.releaseTimer && this.releaseTimer.atMs === atMs) return;
    this.releaseTimer?.subscription.unsubscribe();
    this.releaseTimer = null;
    if (atMs === null) return;
    const subscription = this.scheduler.schedule(
      () => {
        this.releaseTimer = null;
        this.tick();
      },
      Math.max(0, atMs - this.now()) + 1,
    );
    this.releaseTimer = { atMs, subscription };
  }

  /** Alerts waiting or in flight, per channel. */
  pending(): Record<string, number> {
    return this.delivery.pending();
  }

  /**
   * Waits until every queued alert was delivered or given up on. Resolves true when drained,
   * false when `timeoutMs` passed first (delivery goes on).
   */
  flush(timeoutMs?: number): Promise<boolean> {
    return this.delivery.flush(timeoutMs);
  }

  /**
   * Stops taking events, gives the queues until `deadlineMs` to drain, then abandons what is
   * left (in flight: counted as failed; waiting: counted as dropped) and closes the channels.
   * Resolves true when everything was delivered or given up on in time.
   */
  async shutdown(deadlineMs = 10_000): Promise<boolean> {
    if (!this.closed) {
      this.closed = true;
      this.policy.dropHeld();
      this.armRelease();
    }
    return this.delivery.shutdown(deadlineMs);
  }
}
