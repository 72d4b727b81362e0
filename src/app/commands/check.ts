import { DriftDetector, accumulate } from '../../core/detect/detector.js';
import type { CheckResult } from '../../core/detect/result.js';
import { readRows } from '../../adapters/files/rows.js';
import { InputError } from '../../core/errors.js';
import type { Row } from '../../core/reference/build.js';
import { loadReference } from '../../adapters/files/reference-file.js';
import type { CommandOutput } from './io.js';
import type { Progress } from '../../adapters/console/progress.js';
import { writeReport } from './report.js';

export interface CheckCommandOptions {
  reference: string;
  input: string;
  metric?: string;
  threshold?: number | 'auto';
  correction?: string;
  alpha?: number;
  minEffect?: number;
  minSamples?: number;
  json?: boolean;
  failOnDrift?: boolean;
  /** Also write the HTML report here (docs/reports.md). */
  report?: string;
}

export type { CommandOutput } from './io.js';

/** `driftwatch check`: scores a file of rows against a saved reference. */
export async function checkCommand(options: CheckCommandOptions, stdin?: AsyncIterable<Buffer | string>, progress?: Progress): Promise<CommandOutput> {
  const reference = await loadReference(options.reference);
  // CSV rows as arrays in the reference's order, numbers read from the bytes (docs/benchmarks.md).
  const text = reference.features.filter((f) => f.type === 'categorical').map((f) => f.name);
  const input = await readRows(options.input, undefined, stdin, { csvArrays: { order: reference.featureNames, text }, onRows: progress && ((rows) => progress.rows(rows)) });
  progress?.done(input.rows.length);
  const notes: string[] = [];
  if (input.columns) {
    const absent = reference.featureNames.filter((name) => !input.columns!.includes(name));
    if (absent.length > 0) {
      throw new InputError(
        `${options.input}: reference feature${absent.length > 1 ? 's' : ''} ${absent.map((n) => `"${n}"`).join(', ')} absent from the input (columns: ${input.columns.join(', ')})`,
        { context: { path: options.input, feature: absent[0] } },
      );
    }
    const extra = input.columns.filter((c) => !reference.featureNames.includes(c));
    if (extra.length > 0) notes.push(`note: ignoring ${extra.length} input column(s) not in the reference: ${extra.join(', ')}`);
  } else if (input.rows.some((r) => Array.isArray(r) && r.length !== reference.features.length)) {
    const bad = input.rows.findIndex((r) => Array.isArray(r) && r.length !== reference.features.length);
    throw new InputError(
      `${options.input}: line ${bad + 1}: feature_vector has ${(input.rows[bad] as unknown[]).length} values, the reference has ${reference.features.length} features`,
      {
        context: { path: options.input, line: bad + 1 },
      },
    );
  }
  const detector = new DriftDetector({
    metric: options.metric,
    threshold: options.threshold,
    minSamples: options.minSamples,
    correction: options.correction,
    alpha: options.alpha,
    minEffect: options.minEffect,
  });
  const current = accumulate(input.rows as Row[], reference);
  const result = detector.evaluate(current, reference);
  if (options.report) await writeReport(options.report, { model: null, modelVersion: reference.modelVersion, check: result, reference, current });
  for (const [name, f] of Object.entries(result.features)) {
    if (f.invalid_values > 0)
      notes.push(`note: feature "${name}": ${f.invalid_values} value(s) could not be read as ${f.type === 'numeric' ? 'numbers' : 'categories'} and count as missing`);
  }
  const stdout = options.json ? JSON.stringify(result, null, 2) + '\n' : formatCheck(result);
  const exitCode = options.failOnDrift && result.drift_detected ? 3 : 0;
  return { stdout, stderr: notes.map((n) => n + '\n').join(''), exitCode };
}

const fmt = (x: number | null, digits = 4) => (x === null ? '—' : x.toFixed(digits));

/** The readable table: one line per feature, then the verdict. */
export function formatCheck(result: CheckResult): string {
  const header = ['feature', 'type', `score (${result.metric})`, 'psi', 'ks', 'missing', 'drifted', 'reasons'];
  const rows = Object.entries(result.features).map(([name, f]) => [
    name,
    f.type,
    f.metric === result.metric ? fmt(f.score) : `${fmt(f.score)} (${f.metric})`,
    fmt(f.psi),
    fmt(f.ks),
    fmt(f.missing_rate, 3),
    f.status === 'insufficient_samples' ? 'n/a' : f.drifted ? 'YES' : 'no',
    f.reasons.join(','),
  ]);
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  const table = [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
  const drifted = Object.keys(result.drifted_features);
  if (result.threshold === 'auto') {
    const rule = `auto thresholds, α ${result.alpha ?? '—'} per check (${result.correction ?? 'none'}: ${result.feature_alpha?.toPrecision(3) ?? '—'} per feature)`;
    const verdict =
      result.status === 'insufficient_samples'
        ? `INSUFFICIENT SAMPLES: ${result.sample_count} rows, fewer than the minimum; no drift decision`
        : result.drift_detected
          ? `DRIFT DETECTED in ${drifted.length} of ${Object.keys(result.features).length} features (${drifted.join(', ')}); ${rule}; ${result.sample_count} rows`
          : `no drift: ${rule}; ${result.sample_count} rows`;
    return `${table}\n\n${verdict}\n`;
  }
  const verdict =
    result.status === 'insufficient_samples'
      ? `INSUFFICIENT SAMPLES: ${result.sample_count} rows, fewer than the minimum; no drift decision`
      : result.drift_detected
        ? `DRIFT DETECTED in ${drifted.length} of ${Object.keys(result.features).length} features (${drifted.join(', ')}); max ${result.metric} ${fmt(result.max_drift_score)} ≥ threshold ${result.threshold}; ${result.sample_count} rows`
        : `no drift: max ${result.metric} ${fmt(result.max_drift_score)} < threshold ${result.threshold}; ${result.sample_count} rows`;
  return `${table}\n\n${verdict}\n`;
}
