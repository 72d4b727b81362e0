import { writeFile } from 'node:fs/promises';
import type { CheckResult } from '../../core/detect/result.js';
import type { ReferenceDistribution } from '../../core/reference/index.js';
import type { FeatureSetAccumulator } from '../../core/stats/index.js';
import { InputError } from '../../core/errors.js';
import type { WindowTimeline } from '../../runtime/history.js';
import { renderReport } from '../../adapters/report/index.js';
import { timelineReport } from '../report-routes.js';

/** Renders a report (docs/reports.md) and writes it; a path that cannot be written is bad usage, naming it. */
export async function writeReport(
  path: string,
  input: {
    model: string | null;
    modelVersion: string | null;
    check: CheckResult;
    reference: ReferenceDistribution;
    current?: FeatureSetAccumulator;
    window?: { startMs: number; endMs: number };
    timeline?: WindowTimeline;
  },
  now: () => Date = () => new Date(),
): Promise<void> {
  const html = renderReport({
    model: input.model,
    modelVersion: input.modelVersion,
    check: input.check,
    features: input.reference.features,
    referenceRows: input.reference.rowCount,
    current: input.current,
    window: input.window,
    timeline: input.timeline,
    generatedAt: now(),
  });
  await writeHtml(path, html);
}

async function writeHtml(path: string, html: string): Promise<void> {
  try {
    await writeFile(path, html);
  } catch (cause) {
    throw new InputError(`--report ${path}: cannot write the report (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause, context: { path } });
  }
}

/** A file-name-safe form of a model or version name. */
const safe = (name: string) => name.replace(/[^A-Za-z0-9._-]+/g, '_').slice(0, 80);

/**
 * Writes one report per (model, version) of a replay: `path` itself when there is one, else
 * `path` with `-model-version` before its extension for each. Returns what to tell the user.
 */
export async function writeTimelineReports(path: string, timelines: readonly WindowTimeline[], now: () => Date = () => new Date()): Promise<string[]> {
  if (timelines.length === 0) return [`note: --report ${path}: no window was evaluated, no report written`];
  const dot = path.lastIndexOf('.');
  const [stem, ext] = dot > path.lastIndexOf('/') ? [path.slice(0, dot), path.slice(dot)] : [path, '.html'];
  const lines: string[] = [];
  for (const timeline of timelines) {
    const target = timelines.length === 1 ? path : `${stem}-${safe(timeline.model)}-${safe(timeline.modelVersion)}${ext}`;
    await writeHtml(target, renderReport(timelineReport(timeline, now())));
    lines.push(`report of ${timeline.model} ${timeline.modelVersion} (${timeline.points.length} windows) written to ${target}`);
  }
  return lines;
}
