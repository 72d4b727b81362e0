import type { CheckResult, FeatureResult } from '../../core/detect/result.js';
import { compare, type FeatureModel, type FeatureSetAccumulator } from '../../core/stats/index.js';
import type { WindowPoint } from '../../runtime/history.js';
import { barChart, cdfChart, sampleTimeline, scoreTimeline, type BarChart, type CdfChart, type TimelineChart } from './charts.js';
import { value } from './format.js';

/** What a report is drawn from (docs/reports.md). */
export interface ReportInput {
  model: string | null;
  modelVersion: string | null;
  check: CheckResult;
  /** The reference's features: their bins and counts. */
  features: readonly FeatureModel[];
  /** Rows the reference was built from. */
  referenceRows: number;
  /** The current values on the reference's bins; without them the report has no distribution charts. */
  current?: FeatureSetAccumulator;
  window?: { startMs: number; endMs: number };
  /** Recent windows (replay, the service): a timeline per feature and the rows per window. */
  timeline?: { features: readonly string[]; points: readonly WindowPoint[] };
  generatedAt: Date;
  /** A link back to the service's model list. */
  homeHref?: string;
}

/** Categorical charts show at most this many categories (the largest, unseen ones first). */
export const MAX_CATEGORIES = 40;

export interface FeatureView {
  /** Position in the reference (anchors use it, never the name). */
  index: number;
  name: string;
  result: FeatureResult;
  distribution: BarChart | null;
  /** Categories left out of the chart. */
  hiddenCategories: number;
  unseen: readonly string[];
  cdf: CdfChart | null;
  timeline: TimelineChart | null;
}

export interface ReportView {
  input: ReportInput;
  verdict: { kind: 'drift' | 'ok' | 'insufficient'; text: string };
  features: FeatureView[];
  samples: TimelineChart | null;
  windows: number;
  episodes: number;
}

export function reportView(input: ReportInput): ReportView {
  const { check } = input;
  const byName = new Map(input.features.map((m, i) => [m.name, i]));
  const timelineIndex = new Map(input.timeline?.features.map((name, i) => [name, i]) ?? []);
  const features: FeatureView[] = Object.entries(check.features).map(([name, result]) => {
    const index = byName.get(name) ?? -1;
    const model = index >= 0 ? input.features[index] : undefined;
    const current = model && input.current ? input.current.features[index] : undefined;
    const view: FeatureView = { index, name, result, distribution: null, hiddenCategories: 0, unseen: [], cdf: null, timeline: null };
    if (model && current) Object.assign(view, distributionCharts(model, current));
    const t = timelineIndex.get(name);
    if (input.timeline && t !== undefined && input.timeline.points.length > 0) {
      view.timeline = scoreTimeline(
        input.timeline.points.map((p) => ({ endMs: p.windowEndMs, drifting: p.state === 'drifting', score: p.scores[t], threshold: p.thresholds[t], drifted: p.drifted[t] === 1 })),
      );
    }
    return view;
  });
  // Drifted features first, then by score: what to look at comes first.
  features.sort((a, b) => Number(b.result.drifted) - Number(a.result.drifted) || (b.result.score ?? -1) - (a.result.score ?? -1) || a.index - b.index);
  const points = input.timeline?.points ?? [];
  const samples = points.length > 0 ? sampleTimeline(points.map((p) => ({ endMs: p.windowEndMs, drifting: p.state === 'drifting', samples: p.sampleCount }))) : null;
  return { input, verdict: verdict(check), features, samples, windows: points.length, episodes: samples?.episodes.length ?? 0 };
}

function verdict(check: CheckResult): ReportView['verdict'] {
  const total = Object.keys(check.features).length;
  if (check.status === 'insufficient_samples') return { kind: 'insufficient', text: `Insufficient samples: ${check.sample_count} rows, no drift decision` };
  const drifted = Object.keys(check.drifted_features).length;
  if (check.drift_detected) return { kind: 'drift', text: `Drift detected in ${drifted} of ${total} features` };
  return { kind: 'ok', text: drifted > 0 ? `No drift (${drifted} of ${total} features over threshold, below the drift share)` : `No drift in ${total} features` };
}

function distributionCharts(model: FeatureModel, current: FeatureSetAccumulator['features'][number]): Partial<FeatureView> {
  const c = compare(model, current);
  if (c.type === 'numeric') {
    const edges = c.model.psiEdges;
    const groups = Array.from(c.referencePsiCounts, (ref, i) => {
      const lo = i === 0 ? Number.NEGATIVE_INFINITY : edges[i - 1];
      const hi = i === edges.length ? Number.POSITIVE_INFINITY : edges[i];
      return {
        label: i === edges.length ? `>${value(lo)}` : `≤${value(hi)}`,
        full: `(${value(lo)}, ${value(hi)}${hi === Number.POSITIVE_INFINITY ? ')' : ']'}`,
        reference: c.referenceCount > 0 ? ref / c.referenceCount : 0,
        current: c.currentCount > 0 ? c.currentPsiCounts[i] / c.currentCount : 0,
        unseen: false,
      };
    });
    return {
      distribution: barChart(groups),
      cdf: c.currentCount > 0 ? cdfChart(c.model.fineEdges, c.model.fineCounts, c.current.histogram.counts, { discrete: c.model.discrete }) : null,
    };
  }
  const unseen = new Set(c.unseenCategories);
  const all = c.categories.map((name, i) => ({
    label: name.length > 10 ? `${name.slice(0, 9)}…` : name,
    full: name,
    reference: c.referenceCount > 0 ? c.referenceCounts[i] / c.referenceCount : 0,
    current: c.currentCount > 0 ? c.currentCounts[i] / c.currentCount : 0,
    unseen: unseen.has(name),
    order: i,
  }));
  let shown = all;
  if (all.length > MAX_CATEGORIES) {
    shown = [...all]
      .sort((a, b) => Number(b.unseen) - Number(a.unseen) || Math.max(b.reference, b.current) - Math.max(a.reference, a.current) || a.order - b.order)
      .slice(0, MAX_CATEGORIES)
      .sort((a, b) => a.order - b.order);
  }
  return { distribution: barChart(shown), hiddenCategories: all.length - shown.length, unseen: c.unseenCategories };
}
