import { writeFile } from 'node:fs/promises';
import type { CheckResult } from '../../core/detect/result.js';
import type { ReferenceDistribution } from '../../core/reference/index.js';
import type { FeatureSetAccumulator } from '../../core/stats/index.js';
import { InputError } from '../../core/errors.js';
import type { WindowTimeline } from '../../runtime/history.js';
import { renderReport } from '../../adapters/report/index.js';

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
  try {
    await writeFile(path, html);
  } catch (cause) {
    throw new InputError(`--report ${path}: cannot write the report (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause, context: { path } });
  }
}
