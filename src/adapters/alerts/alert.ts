import type { DriftEvent } from '../../core/detect/drift-event.js';

/**
 * What a channel is asked to deliver:
 * - `drift`: a drift episode started (or escalated from warning to critical),
 * - `resolved`: the episode ended,
 * - `retrain`: the retraining trigger (only the retrain channel takes these).
 */
export type AlertKind = 'drift' | 'resolved' | 'retrain';

/** `warning`: some feature's score reached the drift threshold; `critical`: max score > retrainThreshold. */
export type Severity = 'warning' | 'critical';

export interface Alert {
  kind: AlertKind;
  severity: Severity;
  /** A `drift` alert raised again because an open episode went from warning to critical. */
  escalation: boolean;
  /** The drift event behind the alert (for `resolved`: the drift_resolved event). */
  event: DriftEvent;
  /** Link built from dashboardUrlTemplate, or null. */
  dashboardUrl: string | null;
  retrainThreshold: number;
  /** When the dispatcher decided to send it (ISO 8601). */
  createdAt: string;
}

/**
 * Severity of a drift event: `critical` when max_drift_score > retrainThreshold, else
 * `warning` (a drift_detected event means at least one feature reached its threshold; an event
 * flagged only by missing rate has no score and is a warning).
 */
export function severityOf(event: DriftEvent, retrainThreshold: number): Severity {
  // The check's own severity (docs/statistics.md, "Severity"); events of earlier versions carry
  // none and are rated by their largest score against the retraining threshold.
  if (event.severity === 'warning' || event.severity === 'critical') return event.severity;
  return event.max_drift_score !== null && event.max_drift_score > retrainThreshold ? 'critical' : 'warning';
}

/** The guide's score format: three decimals ("0.790"), or "n/a" without a score. */
export function formatScore(score: number | null | undefined): string {
  return typeof score === 'number' && Number.isFinite(score) ? score.toFixed(3) : 'n/a';
}

/** Drifted features, highest score first, as "income (0.790), age (0.412)". */
export function describeDriftedFeatures(event: DriftEvent): string {
  const entries = Object.entries(event.drifted_features).sort((a, b) => b[1] - a[1]);
  return entries.length === 0 ? 'none' : entries.map(([name, score]) => `${name} (${formatScore(score)})`).join(', ');
}

export function sortedDriftedFeatures(event: DriftEvent): { name: string; score: string }[] {
  return Object.entries(event.drifted_features)
    .sort((a, b) => b[1] - a[1])
    .map(([name, score]) => ({ name, score: formatScore(score) }));
}

export function formatWindow(event: DriftEvent): string {
  return `${event.window.start} → ${event.window.end}`;
}
