import type { DriftEvent } from '../../core/detect/drift-event.js';

/** Placeholders of DASHBOARD_URL_TEMPLATE, each replaced URL-encoded. */
export const DASHBOARD_PLACEHOLDERS = ['model', 'model_version', 'window_start', 'window_end', 'window_start_ms', 'window_end_ms', 'event_id'] as const;

const PLACEHOLDER = /\{([a-z_]+)\}/g;

export function unknownDashboardPlaceholders(template: string): string[] {
  const known = new Set<string>(DASHBOARD_PLACEHOLDERS);
  return [...template.matchAll(PLACEHOLDER)].map((m) => m[1]).filter((name) => !known.has(name));
}

/**
 * The dashboard link for an event, e.g. with
 * `http://grafana:3000/d/driftwatch?var-model={model}&from={window_start_ms}&to={window_end_ms}`.
 */
export function dashboardUrl(template: string | undefined, event: DriftEvent): string | null {
  if (!template) return null;
  const values: Record<string, string> = {
    model: event.model,
    model_version: event.model_version,
    window_start: event.window.start,
    window_end: event.window.end,
    window_start_ms: String(Date.parse(event.window.start)),
    window_end_ms: String(Date.parse(event.window.end)),
    event_id: event.event_id,
  };
  return template.replace(PLACEHOLDER, (whole, name: string) => (name in values ? encodeURIComponent(values[name]) : whole));
}
