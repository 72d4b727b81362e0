import type { PageProvider } from '../adapters/http/server.js';
import { CONTENT_SECURITY_POLICY, renderIndex, renderReport, type ReportInput } from '../adapters/report/index.js';
import type { FeatureModel } from '../core/stats/index.js';
import type { WindowHistory, WindowTimeline } from '../runtime/history.js';
import type { Status } from '../runtime/status.js';

/** Rows the reference was built from, read off its features (each reference row counts in every feature, as a value or as missing). */
export function referenceRowsOf(features: readonly FeatureModel[]): number {
  return features.reduce((max, f) => Math.max(max, f.count + f.missingCount), 0);
}

/** The report of a timeline's last window, with the timeline. */
export function timelineReport(timeline: WindowTimeline, now: Date, homeHref?: string): ReportInput {
  const { check, current } = timeline.last.check;
  const features = current?.models ?? [];
  return {
    model: timeline.model,
    modelVersion: timeline.modelVersion,
    check,
    features,
    referenceRows: referenceRowsOf(features),
    current,
    window: { startMs: timeline.last.windowStartMs, endMs: timeline.last.windowEndMs },
    timeline,
    generatedAt: now,
    homeHref,
  };
}

/**
 * The service's report pages over what it already holds: the status's latest checks for `/`,
 * the window history for `/report/{model}/{version}`. A page is rendered once per evaluated
 * window and served from a cache after that, so a reloading browser costs the event loop
 * nothing (docs/reports.md, "The service's pages").
 */
export function reportRoutes(status: Status, history: WindowHistory, now: () => Date = () => new Date()): PageProvider {
  const cache = new Map<string, { windowEndMs: number; html: string }>();
  return {
    contentSecurityPolicy: CONTENT_SECURITY_POLICY,
    index: () =>
      renderIndex(
        [...status.latest.values()].map((l) => ({
          model: l.model,
          modelVersion: l.modelVersion,
          state: l.state,
          lastCheck: l.check.timestamp,
          windowEnd: l.windowEnd,
          rows: l.check.sample_count,
          maxScore: l.check.max_drift_score,
          drifted: Object.keys(l.check.drifted_features).length,
        })),
        history.windows,
      ),
    report(model, modelVersion) {
      const timeline = history.get(model, modelVersion);
      if (!timeline) return undefined;
      const key = JSON.stringify([model, modelVersion]);
      const hit = cache.get(key);
      if (hit && hit.windowEndMs === timeline.last.windowEndMs) return hit.html;
      const html = renderReport(timelineReport(timeline, now(), '../..'));
      cache.set(key, { windowEndMs: timeline.last.windowEndMs, html });
      return html;
    },
  };
}
