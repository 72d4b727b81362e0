import type { DriftEvent } from '../../core/detect/drift-event.js';
import { modelVersionKey } from '../../core/keys.js';
import { severityOf, type Alert, type AlertKind, type Severity } from './alert.js';
import { dashboardUrl } from './dashboard.js';
import { BoundedLruSet } from './lru.js';

/**
 * Why a drift event produced no notification:
 * - `duplicate`: its event_id was seen before (Kafka redelivery, a re-evaluated window),
 * - `active`: the drift of this model is already announced and still open,
 * - `cooldown`: a drift came back within cooldownMs of its resolved message (or its end while held),
 * - `not_drifting`: a drift_resolved for a model known not to be drifting.
 */
export type SuppressReason = 'duplicate' | 'active' | 'cooldown' | 'not_drifting';

/** What the policy made of one drift event. */
export interface Decision {
  /** Alerts to deliver; each goes to every channel taking its kind. */
  alerts: Alert[];
  /** Why no drift/resolved notification came of it, if none did. */
  suppressed?: SuppressReason;
  /** drift_check events produce nothing. */
  ignored?: 'drift_check';
}

export interface AlertPolicyOptions {
  /** max_drift_score above which alerts are critical and retraining is triggered. Default 0.5. */
  retrainThreshold?: number;
  /** Default 3_600_000 (1 h). */
  cooldownMs?: number;
  dashboardUrlTemplate?: string;
  /** event_ids remembered for de-duplication. Default 10_000. */
  dedupSize?: number;
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
}

/**
 * Which drift events become alerts: pure (no timers, no I/O), time is passed in.
 *
 * Rules, per model and version (each deployed version of a model is its own stream, so a
 * canary's drift does not hide or close the stable version's):
 * 1. `drift_check` events are ignored; an event_id seen before is suppressed (`duplicate`).
 * 2. `drift_detected` while not drifting opens an episode and sends one `drift` alert
 *    (severity `critical` when max_drift_score > retrainThreshold, else `warning`) — unless a
 *    resolved message for this stream went out less than cooldownMs ago: then the alert is held
 *    (`cooldown`) and released by `release(nowMs)` once the cooldown has ended if the drift is
 *    still on, so a flapping drift costs at most one drift + one resolved message per cooldown
 *    and a drift that comes back and stays is still announced.
 * 3. `drift_detected` during an announced episode is suppressed (`active`), except once when it
 *    raises the episode from warning to critical (an escalation alert).
 * 4. `drift_resolved` ends an announced episode with one `resolved` alert and starts the
 *    cooldown; ending a held drift sends nothing (`cooldown`); a resolve for a stream known not
 *    to be drifting is suppressed (`not_drifting`), one for a stream never seen (e.g. after a
 *    restart) is sent.
 * 5. Retraining is triggered once per episode, by the first drift_detected of the episode with
 *    max_drift_score > retrainThreshold (also while held: it is an action, not a message). A
 *    drift held by the cooldown continues the previous episode.
 */
export class AlertPolicy {
  readonly retrainThreshold: number;
  readonly cooldownMs: number;
  private readonly dashboardUrlTemplate: string | undefined;
  private readonly seenEventIds: BoundedLruSet;
  private readonly streams = new Map<string, StreamState>();

  constructor(options: AlertPolicyOptions = {}) {
    this.retrainThreshold = options.retrainThreshold ?? 0.5;
    this.cooldownMs = options.cooldownMs ?? 3_600_000;
    this.dashboardUrlTemplate = options.dashboardUrlTemplate;
    this.seenEventIds = new BoundedLruSet(options.dedupSize ?? 10_000);
  }

  /** Decides what `event`, received at `nowMs`, means. */
  decide(event: DriftEvent, nowMs: number): Decision {
    if (event.type === 'drift_check') return { alerts: [], ignored: 'drift_check' };
    if (this.seenEventIds.seen(event.event_id)) return { alerts: [], suppressed: 'duplicate' };
    return event.type === 'drift_detected' ? this.onDetected(event, nowMs) : this.onResolved(event, nowMs);
  }

  /** The held drifts whose cooldown has ended by `nowMs` and that are still on, announced now. */
  release(nowMs: number): Alert[] {
    const released: Alert[] = [];
    for (const s of this.streams.values()) {
      if (s.drifting && !s.announced && s.held && !this.inCooldown(s, nowMs)) {
        const event = s.held;
        released.push(this.announce(s, event, severityOf(event, this.retrainThreshold), false, nowMs));
      }
    }
    return released;
  }

  /** When the earliest held drift's cooldown ends (ms since the epoch), or null when none is held. */
  nextReleaseAtMs(): number | null {
    let next: number | null = null;
    for (const s of this.streams.values()) {
      if (!s.held || s.lastResolvedAtMs === null) continue;
      const at = s.lastResolvedAtMs + this.cooldownMs;
      if (next === null || at < next) next = at;
    }
    return next;
  }

  /** Forgets every held drift (at shutdown: nothing more is released). */
  dropHeld(): void {
    for (const s of this.streams.values()) s.held = null;
  }

  private onDetected(event: DriftEvent, nowMs: number): Decision {
    const s = this.stream(event);
    const severity = severityOf(event, this.retrainThreshold);
    const alerts: Alert[] = [];
    let suppressed: SuppressReason | undefined;
    if (!s.drifting) {
      s.drifting = true;
      if (this.inCooldown(s, nowMs)) {
        s.announced = false;
        suppressed = this.hold(s, event);
      } else {
        s.retrainFired = false;
        alerts.push(this.announce(s, event, severity, false, nowMs));
      }
    } else if (!s.announced) {
      if (this.inCooldown(s, nowMs)) suppressed = this.hold(s, event);
      else alerts.push(this.announce(s, event, severity, false, nowMs));
    } else if (severity === 'critical' && s.severity === 'warning') {
      alerts.push(this.announce(s, event, severity, true, nowMs));
    } else {
      suppressed = 'active';
    }
    if (!s.retrainFired && event.max_drift_score !== null && event.max_drift_score > this.retrainThreshold) {
      s.retrainFired = true;
      alerts.push(this.alert('retrain', severity, false, event, nowMs));
    }
    return suppressed ? { alerts, suppressed } : { alerts };
  }

  private onResolved(event: DriftEvent, nowMs: number): Decision {
    const known = this.streams.has(modelVersionKey(event.model, event.model_version));
    const s = this.stream(event);
    if (!s.drifting) {
      if (known) return { alerts: [], suppressed: 'not_drifting' };
      // Never seen: we may have restarted mid-episode, after its drift alert went out.
      s.lastResolvedAtMs = nowMs;
      return { alerts: [this.alert('resolved', 'warning', false, event, nowMs)] };
    }
    const announced = s.announced;
    s.drifting = false;
    s.announced = false;
    s.held = null;
    if (!announced) return { alerts: [], suppressed: 'cooldown' };
    const severity = s.severity ?? 'warning';
    s.severity = null;
    s.lastResolvedAtMs = nowMs;
    return { alerts: [this.alert('resolved', severity, false, event, nowMs)] };
  }

  private stream(event: DriftEvent): StreamState {
    const key = modelVersionKey(event.model, event.model_version);
    let s = this.streams.get(key);
    if (!s) {
      s = { drifting: false, announced: false, severity: null, retrainFired: false, lastResolvedAtMs: null, held: null };
      this.streams.set(key, s);
    }
    return s;
  }

  private inCooldown(s: StreamState, nowMs: number): boolean {
    return s.lastResolvedAtMs !== null && nowMs - s.lastResolvedAtMs < this.cooldownMs;
  }

  private hold(s: StreamState, event: DriftEvent): SuppressReason {
    s.held = event;
    return 'cooldown';
  }

  private announce(s: StreamState, event: DriftEvent, severity: Severity, escalation: boolean, nowMs: number): Alert {
    s.announced = true;
    s.severity = severity;
    s.held = null;
    return this.alert('drift', severity, escalation, event, nowMs);
  }

  private alert(kind: AlertKind, severity: Severity, escalation: boolean, event: DriftEvent, nowMs: number): Alert {
    return {
      kind,
      severity,
      escalation,
      event,
      dashboardUrl: dashboardUrl(this.dashboardUrlTemplate, event),
      retrainThreshold: this.retrainThreshold,
      createdAt: new Date(nowMs).toISOString(),
    };
  }
}
