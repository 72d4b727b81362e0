import { pino, type Logger } from 'pino';
import { Registry } from 'prom-client';
import type { DriftEvent } from '../../core/detect/drift-event.js';
import { severityOf, type Alert, type AlertKind, type Severity } from './alert.js';
import { backoffDelayMs, raceAbort, sleep as defaultSleep } from './backoff.js';
import type { AlertChannel } from './channels/types.js';
import { dashboardUrl } from './dashboard.js';
import { AlertDeliveryError } from './errors.js';
import { abortReason } from './http.js';
import { BoundedLruSet } from './lru.js';
import { alertMetrics, type AlertMetrics } from './metrics.js';
import { Redactor, safeErrorInfo } from './redact.js';

/**
 * Why a drift event produced no notification:
 * - `duplicate`: its event_id was seen before (Kafka redelivery, a re-evaluated window),
 * - `active`: the drift of this model is already announced and still open,
 * - `cooldown`: a drift came back within cooldownMs of its resolved message (or its end while held),
 * - `not_drifting`: a drift_resolved for a model known not to be drifting.
 */
export type SuppressReason = 'duplicate' | 'active' | 'cooldown' | 'not_drifting';

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
  now?: () => number;
  /** Waits between attempts; must resolve early when `signal` aborts. */
  sleep?: (ms: number, signal: AbortSignal) => Promise<void>;
  /** Jitter source in [0, 1). */
  random?: () => number;
}

interface StreamState {
  /** The monitor says this model version is drifting (last event was drift_detected). */
  drifting: boolean;
  /** A drift alert went out for the current drift. */
  announced: boolean;
  /** Severity last announced in this episode. */
  severity: Severity | null;
  retrainFired: boolean;
  /** When the last resolved message was sent; the cooldown runs from here. */
  lastResolvedAtMs: number | null;
  /** The latest drift_detected held back by the cooldown, announced when it ends. */
  held: DriftEvent | null;
  timer: NodeJS.Timeout | null;
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

/**
 * Turns drift events into alerts, once, and delivers them without ever holding up the caller.
 *
 * Rules, per model and version (each deployed version of a model is its own stream, so a
 * canary's drift does not hide or close the stable version's):
 * 1. `drift_check` events are ignored; an event_id seen before is suppressed (`duplicate`).
 * 2. `drift_detected` while not drifting opens an episode and sends one `drift` alert
 *    (severity `critical` when max_drift_score > retrainThreshold, else `warning`) — unless a
 *    resolved message for this stream went out less than cooldownMs ago: then the alert is held
 *    (`cooldown`) and sent when the cooldown ends if the drift is still on, so a flapping drift
 *    costs at most one drift + one resolved message per cooldown and a drift that comes back
 *    and stays is still announced.
 * 3. `drift_detected` during an announced episode is suppressed (`active`), except once when it
 *    raises the episode from warning to critical (an escalation alert).
 * 4. `drift_resolved` ends an announced episode with one `resolved` alert and starts the
 *    cooldown; ending a held drift sends nothing (`cooldown`); a resolve for a stream known not
 *    to be drifting is suppressed (`not_drifting`), one for a stream never seen (e.g. after a
 *    restart) is sent.
 * 5. Retraining is triggered once per episode, by the first drift_detected of the episode with
 *    max_drift_score > retrainThreshold (also while held: it is an action, not a message). A
 *    drift held by the cooldown continues the previous episode.
 *
 * Delivery: each channel has a bounded queue (queueSize) and one worker, so a slow channel
 * delays only itself and alerts of one channel keep their order. A full queue drops the new
 * alert (`alerts_dropped_total`). Each alert gets up to maxAttempts attempts of at most
 * timeoutMs, retried on retriable errors after exponential backoff with full jitter; then it
 * is logged and counted (`alerts_failed_total`). `dispatch` is synchronous and never throws.
 */
export class AlertDispatcher {
  readonly channels: readonly AlertChannel[];
  private readonly retrainThreshold: number;
  private readonly cooldownMs: number;
  private readonly dashboardUrlTemplate: string | undefined;
  private readonly queueSize: number;
  private readonly maxAttempts: number;
  private readonly timeoutMs: number;
  private readonly backoffBaseMs: number;
  private readonly backoffMaxMs: number;
  private readonly logger: Logger;
  private readonly redactor: Redactor;
  private readonly metrics: AlertMetrics;
  private readonly now: () => number;
  private readonly sleep: (ms: number, signal: AbortSignal) => Promise<void>;
  private readonly random: () => number;
  private readonly seenEventIds: BoundedLruSet;
  private readonly streams = new Map<string, StreamState>();
  private readonly queues = new Map<string, ChannelQueue>();
  private readonly abort = new AbortController();
  private closed = false;

  constructor(options: AlertDispatcherOptions) {
    const names = options.channels.map((c) => c.name);
    const duplicate = names.find((n, i) => names.indexOf(n) !== i);
    if (duplicate) throw new RangeError(`two alert channels are named "${duplicate}"; channel names must be unique`);
    this.channels = options.channels;
    this.retrainThreshold = options.retrainThreshold ?? 0.5;
    this.cooldownMs = options.cooldownMs ?? 3_600_000;
    this.dashboardUrlTemplate = options.dashboardUrlTemplate;
    this.queueSize = options.queueSize ?? 1000;
    this.maxAttempts = Math.max(1, options.maxAttempts ?? 5);
    this.timeoutMs = options.timeoutMs ?? 10_000;
    this.backoffBaseMs = options.backoffBaseMs ?? 500;
    this.backoffMaxMs = options.backoffMaxMs ?? 30_000;
    this.logger = options.logger ?? pino({ level: 'silent' });
    this.redactor = options.redactor ?? new Redactor();
    this.metrics = alertMetrics(options.registry ?? new Registry());
    this.now = options.now ?? Date.now;
    this.sleep = options.sleep ?? defaultSleep;
    this.random = options.random ?? Math.random;
    this.seenEventIds = new BoundedLruSet(options.dedupSize ?? 10_000);
    for (const channel of this.channels) {
      let markIdle = () => {};
      const idle = new Promise<void>((resolve) => (markIdle = resolve));
      markIdle();
      this.queues.set(channel.name, { channel, items: [], inFlight: false, idle, markIdle, dropLogged: false });
      this.metrics.queueDepth.set({ channel: channel.name }, 0);
      // Create the label sets so dashboards see zeros before the first alert.
      for (const c of [this.metrics.sent, this.metrics.failed, this.metrics.dropped, this.metrics.retries]) c.inc({ channel: channel.name }, 0);
    }
  }

  /** Decides what `event` means and queues the resulting alerts. Synchronous; never throws. */
  dispatch(event: DriftEvent): DispatchResult {
    try {
      if (this.closed) {
        this.logger.warn({ event_id: event.event_id, model: event.model }, 'alert dispatcher is shut down: drift event ignored');
        return { alerts: [], ignored: 'closed', dropped: 0 };
      }
      if (event.type === 'drift_check') return { alerts: [], ignored: 'drift_check', dropped: 0 };
      if (this.seenEventIds.seen(event.event_id)) return this.suppress(event, 'duplicate', []);
      return event.type === 'drift_detected' ? this.onDetected(event) : this.onResolved(event);
    } catch (error) {
      this.logger.error({ error: safeErrorInfo(error, this.redactor), event_id: event?.event_id }, 'alert dispatcher failed on a drift event');
      return { alerts: [], ignored: 'error', dropped: 0 };
    }
  }

  private onDetected(event: DriftEvent): DispatchResult {
    const s = this.stream(event);
    const severity = severityOf(event, this.retrainThreshold);
    const alerts: Alert[] = [];
    let suppressed: SuppressReason | undefined;
    if (!s.drifting) {
      s.drifting = true;
      if (this.inCooldown(s)) {
        s.announced = false;
        suppressed = this.hold(s, event);
      } else {
        s.retrainFired = false;
        alerts.push(this.announce(s, event, severity, false));
      }
    } else if (!s.announced) {
      if (this.inCooldown(s)) suppressed = this.hold(s, event);
      else alerts.push(this.announce(s, event, severity, false));
    } else if (severity === 'critical' && s.severity === 'warning') {
      alerts.push(this.announce(s, event, severity, true));
    } else {
      suppressed = 'active';
    }
    if (!s.retrainFired && event.max_drift_score !== null && event.max_drift_score > this.retrainThreshold) {
      s.retrainFired = true;
      alerts.push(this.alert('retrain', severity, false, event));
    }
    return this.finish(event, alerts, suppressed);
  }

  private onResolved(event: DriftEvent): DispatchResult {
    const key = streamKey(event);
    const known = this.streams.has(key);
    const s = this.stream(event);
    if (!s.drifting) {
      if (known) return this.suppress(event, 'not_drifting', []);
      // Never seen: we may have restarted mid-episode, after its drift alert went out.
      s.lastResolvedAtMs = this.now();
      return this.finish(event, [this.alert('resolved', 'warning', false, event)], undefined);
    }
    const announced = s.announced;
    s.drifting = false;
    s.announced = false;
    this.clearHeld(s);
    if (!announced) return this.suppress(event, 'cooldown', []);
    const severity = s.severity ?? 'warning';
    s.severity = null;
    s.lastResolvedAtMs = this.now();
    return this.finish(event, [this.alert('resolved', severity, false, event)], undefined);
  }

  /**
   * Announces drifts whose cooldown has ended and that are still on. Runs by itself on a timer;
   * tests that drive `now` call it directly.
   */
  tick(): Alert[] {
    const released: Alert[] = [];
    if (this.closed) return released;
    for (const s of this.streams.values()) {
      if (s.drifting && !s.announced && s.held && !this.inCooldown(s)) {
        const event = s.held;
        const alert = this.announce(s, event, severityOf(event, this.retrainThreshold), false);
        this.enqueue(alert);
        this.logger.info({ model: event.model, model_version: event.model_version, event_id: event.event_id }, 'drift still on after the cooldown: alert released');
        released.push(alert);
      }
    }
    return released;
  }

  private stream(event: DriftEvent): StreamState {
    const key = streamKey(event);
    let s = this.streams.get(key);
    if (!s) {
      s = { drifting: false, announced: false, severity: null, retrainFired: false, lastResolvedAtMs: null, held: null, timer: null };
      this.streams.set(key, s);
    }
    return s;
  }

  private inCooldown(s: StreamState): boolean {
    return s.lastResolvedAtMs !== null && this.now() - s.lastResolvedAtMs < this.cooldownMs;
  }

  private hold(s: StreamState, event: DriftEvent): SuppressReason {
    s.held = event;
    if (!s.timer && s.lastResolvedAtMs !== null) {
      const remainingMs = Math.max(0, s.lastResolvedAtMs + this.cooldownMs - this.now());
      s.timer = setTimeout(() => {
        s.timer = null;
        this.tick();
      }, remainingMs + 1);
      s.timer.unref();
    }
    return 'cooldown';
  }

  private clearHeld(s: StreamState): void {
    s.held = null;
    if (s.timer) clearTimeout(s.timer);
    s.timer = null;
  }

  private announce(s: StreamState, event: DriftEvent, severity: Severity, escalation: boolean): Alert {
    s.announced = true;
    s.severity = severity;
    this.clearHeld(s);
    return this.alert('drift', severity, escalation, event);
  }

  private alert(kind: AlertKind, severity: Severity, escalation: boolean, event: DriftEvent): Alert {
    return {
      kind,
      severity,
      escalation,
      event,
      dashboardUrl: dashboardUrl(this.dashboardUrlTemplate, event),
      retrainThreshold: this.retrainThreshold,
      createdAt: new Date(this.now()).toISOString(),
    };
  }

  private suppress(event: DriftEvent, reason: SuppressReason, alerts: Alert[]): DispatchResult {
    return this.finish(event, alerts, reason);
  }

  private finish(event: DriftEvent, alerts: Alert[], suppressed: SuppressReason | undefined): DispatchResult {
    if (suppressed) {
      this.metrics.suppressed.inc({ reason: suppressed });
      this.logger.debug({ event_id: event.event_id, type: event.type, model: event.model, model_version: event.model_version, reason: suppressed }, 'drift event suppressed');
    }
    let dropped = 0;
    for (const alert of alerts) dropped += this.enqueue(alert);
    return { alerts, ...(suppressed ? { suppressed } : {}), dropped };
  }

  /** Queues `alert` on every channel taking its kind; returns how many were dropped. */
  private enqueue(alert: Alert): number {
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
      const signal = AbortSignal.any([AbortSignal.timeout(this.timeoutMs), this.abort.signal]);
      try {
        await raceAbort(Promise.resolve().then(() => channel.send(alert, signal)), signal);
        this.metrics.sent.inc({ channel: channel.name });
        this.logger.info({ ...fields, attempts: attempt }, `${alert.kind} alert sent to ${channel.name}`);
        return;
      } catch (thrown) {
        const error = signal.aborted ? this.abortError(channel, signal) : thrown;
        // Errors that do not say (a bug in a channel) are not retried.
        const flag = (error as { retriable?: unknown } | null)?.retriable;
        const retriable = typeof flag === 'boolean' ? flag : false;
        const err = safeErrorInfo(error, this.redactor);
        if (!retriable || attempt >= this.maxAttempts || this.abort.signal.aborted) {
          this.metrics.failed.inc({ channel: channel.name });
          this.logger.error(
            { ...fields, attempts: attempt, error: err },
            `${alert.kind} alert to ${channel.name} failed after ${attempt} attempt(s)${retriable ? '' : ' (not retriable)'}: ${err.message}`,
          );
          return;
        }
        const retryAfterMs = (error as AlertDeliveryError).context?.retryAfterMs;
        const delayMs = Math.max(
          backoffDelayMs(attempt, this.backoffBaseMs, this.backoffMaxMs, this.random),
          Math.min(retryAfterMs ?? 0, this.backoffMaxMs),
        );
        this.metrics.retries.inc({ channel: channel.name });
        this.logger.warn({ ...fields, attempt, delayMs, error: err }, `${alert.kind} alert to ${channel.name} failed, retrying in ${delayMs} ms: ${err.message}`);
        await this.sleep(delayMs, this.abort.signal);
      }
    }
  }

  private abortError(channel: AlertChannel, signal: AbortSignal): AlertDeliveryError {
    const shutdown = this.abort.signal.aborted;
    const message = shutdown
      ? `${channel.name}: delivery to ${channel.target} abandoned at shutdown`
      : `${channel.name}: no answer from ${channel.target} within ${this.timeoutMs} ms (${abortReason(signal)})`;
    return new AlertDeliveryError(message, { retriable: !shutdown, context: { channel: channel.name, target: channel.target } });
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
    const result = await Promise.race([drained, defaultSleep(timeoutMs, stop.signal).then(() => false)]);
    stop.abort();
    return result;
  }

  /**
   * Stops taking events, gives the queues until `deadlineMs` to drain, then abandons what is
   * left (in flight: counted as failed; waiting: counted as dropped) and closes the channels.
   * Resolves true when everything was delivered or given up on in time.
   */
  async shutdown(deadlineMs = 10_000): Promise<boolean> {
    if (!this.closed) {
      this.closed = true;
      for (const s of this.streams.values()) this.clearHeld(s);
    }
    const drained = await this.flush(deadlineMs);
    if (!drained) {
      for (const q of this.queues.values()) {
        if (q.items.length > 0) {
          this.metrics.dropped.inc({ channel: q.channel.name }, q.items.length);
          this.logger.error({ channel: q.channel.name, target: q.channel.target, dropped: q.items.length }, `shutdown deadline (${deadlineMs} ms) passed: ${q.items.length} alert(s) for ${q.channel.name} dropped`);
          q.items.length = 0;
        }
      }
      this.abort.abort(new Error('alert dispatcher shut down'));
      await this.flush();
    }
    await Promise.all(
      this.channels.map(async (c) => {
        try {
          await c.close?.();
        } catch (error) {
          this.logger.warn({ channel: c.name, error: safeErrorInfo(error, this.redactor) }, 'closing alert channel failed');
        }
      }),
    );
    return drained;
  }
}

function streamKey(event: DriftEvent): string {
  return `${event.model}\u0000${event.model_version}`;
}
