import { DriftDetector, accumulate } from '../../core/detect/detector.js';
import type { CheckResult } from '../../core/detect/result.js';
import { readRows, rowCount } from '../../adapters/files/rows.js';
import type { CsvBlock } from '../../adapters/files/csv.js';
import { InputError } from '../../core/errors.js';
import type { Row } from '../../core/reference/build.js';
import { loadReference } from '../../adapters/files/reference-file.js';
import type { CommandOutput } from './io.js';
import type { Progress } from '../../adapters/console/progress.js';
import { classOf, INVALID_PROBABILITIES, isProbabilityOutput, resolveOutputs } from '../../core/event/probabilities.js';
import { FeatureSetAccumulator, parseNumeric } from '../../core/stats/index.js';

export interface CheckCommandOptions {
  reference: string;
  input: string;
  metric?: string;
  threshold?: number | 'auto';
  /** The model outputs' threshold (default: `threshold`). */
  outputThreshold?: number | 'auto';
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
  // CSV as columns in the reference's order, numbers read from the bytes into Float64Arrays
  // (docs/benchmarks.md, "2026-12-03 columnar CSV"). The model's outputs, when the reference has
  // them, are columns after the features; class probabilities are checked row by row
  // (outOfRangeInvalid), so with them the CSV comes as array rows.
  const signalNames = reference.signals.map((f) => f.name);
  const text = reference.signals.filter((f) => f.type === 'categorical').map((f) => f.name);
  const csv = { order: signalNames, text };
  // Each block of columns is recorded as it is read, then dropped: memory is a block, not the file's columns.
  const columnar = !reference.outputNames.some(isProbabilityOutput);
  let recorded: FeatureSetAccumulator | null = null;
  const csvBlocks = () => {
    const accumulator = (recorded = new FeatureSetAccumulator(reference.signals));
    return (block: CsvBlock) => accumulator.recordColumns(block);
  };
  const input = await readRows(options.input, undefined, stdin, {
    ...(columnar ? { csvColumns: csv, csvBlocks } : { csvArrays: csv }),
    onRows: progress && ((rows) => progress.rows(rows)),
  });
  progress?.done(rowCount(input));
  const notes: string[] = [];
  if (input.columns) {
    const absent = reference.featureNames.filter((name) => !input.columns!.includes(name));
    if (absent.length > 0) {
      throw new InputError(
        `${options.input}: reference feature${absent.length > 1 ? 's' : ''} ${absent.map((n) => `"${n}"`).join(', ')} absent from the input (columns: ${input.columns.join(', ')})`,
        { context: { path: options.input, feature: absent[0] } },
      );
    }
    // Object rows without a confidence take the largest of their probabilities (probabilities.ts).
    const defaultsConfidence = input.format === 'jsonl' && input.columns.some((c) => isProbabilityOutput(c) && !reference.feature(c));
    const absentOutputs = reference.outputNames.filter((name) => !input.columns!.includes(name) && !(name === 'confidence' && defaultsConfidence));
    if (absentOutputs.length > 0) {
      throw new InputError(
        `${options.input}: reference output${absentOutputs.length > 1 ? 's' : ''} ${absentOutputs.map((n) => `"${n}"`).join(', ')} absent from the input (columns: ${input.columns.join(', ')}); the reference monitors the model's outputs, so each row needs them`,
        { context: { path: options.input, feature: absentOutputs[0] } },
      );
    }
    const probabilityOutputs = reference.outputNames.filter(isProbabilityOutput);
    const unknownClasses = probabilityOutputs.length > 0 ? input.columns.filter((c) => isProbabilityOutput(c) && !signalNames.includes(c)) : [];
    if (unknownClasses.length > 0 && input.format === 'csv') {
      throw new InputError(
        `${options.input}: column${unknownClasses.length > 1 ? 's' : ''} ${unknownClasses.map((n) => `"${n}"`).join(', ')}: the probability of a class the reference does not know (its classes: ${probabilityOutputs.map(classOf).join(', ')}); the model's classes changed, so build a new reference`,
        { context: { path: options.input, feature: unknownClasses[0] } },
      );
    }
    if (input.format === 'jsonl' && (probabilityOutputs.length > 0 || defaultsConfidence)) {
      const unknown = resolveRows(input.rows as Record<string, unknown>[], reference.outputNames, (key) => reference.feature(key) !== undefined);
      if (unknown.rows > 0)
        notes.push(
          `note: ${unknown.rows} row(s) give the probability of a class the reference does not know (${unknown.classes.join(', ')}): their class probabilities count as invalid`,
        );
    }
    if (input.format === 'csv' && probabilityOutputs.length > 0) outOfRangeInvalid(input.rows, probabilityOutputs, signalNames);
    const extra = input.columns.filter((c) => !signalNames.includes(c) && !unknownClasses.includes(c));
    if (extra.length > 0) notes.push(`note: ignoring ${extra.length} input column(s) not in the reference: ${extra.join(', ')}`);
  } else if (reference.outputs.length > 0) {
    throw new InputError(
      `${options.input}: rows given as feature_vector arrays carry no outputs, and the reference monitors ${reference.outputNames.join(', ')}: give rows as objects (or events with "features") with the outputs`,
      { context: { path: options.input } },
    );
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
    outputThreshold: options.outputThreshold,
    minSamples: options.minSamples,
    correction: options.correction,
    alpha: options.alpha,
    minEffect: options.minEffect,
  });
  const current = input.table && recorded ? recorded : accumulate(input.rows as Row[], reference);
  const result = detector.evaluate(current, reference);
  if (options.report) {
    // The HTML report's modules (eta, d3, the templates) load only for --report: start-up (docs/benchmarks.md).
    const { writeReport } = await import('./report.js');
    await writeReport(options.report, { model: null, modelVersion: reference.modelVersion, check: result, reference, current });
  }
  for (const [kind, results] of [
    ['feature', result.features],
    ['output', result.outputs ?? {}],
  ] as const) {
    for (const [name, f] of Object.entries(results)) {
      if (f.invalid_values > 0)
        notes.push(
          isProbabilityOutput(name) && kind === 'output'
            ? `note: output "${name}": ${f.invalid_values} value(s) are no probability (a number in [0, 1]) of a class set the reference knows, and count as missing`
            : `note: ${kind} "${name}": ${f.invalid_values} value(s) could not be read as ${f.type === 'numeric' ? 'numbers' : 'categories'} and count as missing`,
        );
    }
  }
  const stdout = options.json ? JSON.stringify(result, null, 2) + '\n' : formatCheck(result);
  const exitCode = options.failOnDrift && result.drift_detected ? 3 : 0;
  return { stdout, stderr: notes.map((n) => n + '\n').join(''), exitCode };
}

/**
 * Object rows' outputs as the events' rules make them (core/event/probabilities.ts): an unknown
 * class makes the row's class probabilities invalid, a row without confidence takes its largest
 * probability. Rewrites the rows in place; returns how many rows named an unknown class, and which.
 */
function resolveRows(rows: Record<string, unknown>[], outputNames: readonly string[], isFeature: (key: string) => boolean): { rows: number; classes: string[] } {
  let count = 0;
  const classes = new Set<string>();
  for (let i = 0; i < rows.length; i++) {
    const { outputs, unknownClasses } = resolveOutputs(rows[i], outputNames, { isFeature });
    rows[i] = { ...rows[i], ...outputs };
    if (unknownClasses.length > 0) count++;
    for (const c of unknownClasses) classes.add(JSON.stringify(c));
  }
  return { rows: count, classes: [...classes].sort() };
}

/** CSV rows: a class probability outside [0, 1] is invalid, as in an event (probabilities.ts). */
function outOfRangeInvalid(rows: (Record<string, unknown> | unknown[])[], outputs: readonly string[], order: readonly string[]): void {
  const slots = outputs.map((name) => order.indexOf(name));
  const outside = (v: unknown) => {
    const x = parseNumeric(v);
    return typeof x === 'number' && (x < 0 || x > 1);
  };
  for (const row of rows) {
    if (Array.isArray(row)) {
      for (const at of slots) if (outside(row[at])) row[at] = INVALID_PROBABILITIES;
    } else for (const name of outputs) if (outside(row[name])) row[name] = INVALID_PROBABILITIES;
  }
}

const fmt = (x: number | null, digits = 4) => (x === null ? '—' : x.toFixed(digits));

/** The readable table: one line per feature, then one per output (when the reference has outputs), then the verdict. */
export function formatCheck(result: CheckResult): string {
  const table = formatTable('feature', result.features, result.metric);
  const outputs = result.outputs ? `\n\n${formatTable('output', result.outputs, result.metric)}` : '';
  const drifted = Object.keys(result.drifted_features);
  const driftedOutputs = Object.keys(result.drifted_outputs ?? {});
  // Outputs that drifted are named in the verdict after the features.
  const alsoOutputs =
    (driftedOutputs.length > 0 ? `; outputs drifted: ${driftedOutputs.map((n) => `${n} ${fmt(result.drifted_outputs![n])}`).join(', ')}` : '') + multivariateVerdict(result);
  const multivariate = formatMultivariate(result);
  if (result.threshold === 'auto') {
    const rule = `auto thresholds, α ${result.alpha ?? '—'} per check (${result.correction ?? 'none'}: ${result.feature_alpha?.toPrecision(3) ?? '—'} per feature)`;
    const verdict =
      result.status === 'insufficient_samples'
        ? `INSUFFICIENT SAMPLES: ${result.sample_count} rows, fewer than the minimum; no drift decision`
        : result.drift_detected
          ? `DRIFT DETECTED in ${drifted.length} of ${Object.keys(result.features).length} features (${drifted.join(', ')})${alsoOutputs}; ${rule}; ${result.sample_count} rows`
          : `no drift: ${rule}; ${result.sample_count} rows`;
    return `${table}${outputs}${multivariate}\n\n${verdict}\n`;
  }
  const verdict =
    result.status === 'insufficient_samples'
      ? `INSUFFICIENT SAMPLES: ${result.sample_count} rows, fewer than the minimum; no drift decision`
      : result.drift_detected
        ? drifted.length === 0
          ? `DRIFT DETECTED in ${[driftedOutputs.length > 0 ? "the model's outputs" : '', result.multivariate?.drifted ? 'the joint distribution of the features' : ''].filter(Boolean).join(' and ')} only${alsoOutputs}; inputs: max ${result.metric} ${fmt(result.max_drift_score)} < threshold ${result.threshold}; ${result.sample_count} rows`
          : `DRIFT DETECTED in ${drifted.length} of ${Object.keys(result.features).length} features (${drifted.join(', ')}); max ${result.metric} ${fmt(result.max_drift_score)} ≥ threshold ${result.threshold}${alsoOutputs}; ${result.sample_count} rows`
        : `no drift: max ${result.metric} ${fmt(result.max_drift_score)} < threshold ${result.threshold}; ${result.sample_count} rows`;
  return `${table}${outputs}${multivariate}\n\n${verdict}\n`;
}

/** The multivariate score's line (docs/multivariate.md), when the reference has one. */
function formatMultivariate(result: CheckResult): string {
  const mv = result.multivariate;
  if (!mv) return '';
  const p = mv.p_value === null ? '—' : mv.p_value.toPrecision(3);
  return `\n\nmultivariate (rff-mmd on ${mv.dims} numeric features, ${mv.random_features} random features): MMD² ${fmt(mv.score, 6)}, p ${p}, threshold ${fmt(Number.isFinite(mv.threshold) ? mv.threshold : null, 6)}${mv.drifted ? `, DRIFTED (${mv.severity})` : ''}`;
}

function multivariateVerdict(result: CheckResult): string {
  const mv = result.multivariate;
  return mv?.drifted ? `; multivariate drifted: MMD² ${fmt(mv.score, 6)} ≥ ${fmt(mv.threshold, 6)} (p ${mv.p_value?.toPrecision(3)})` : '';
}

function formatTable(kind: 'feature' | 'output', results: CheckResult['features'], metric: CheckResult['metric']): string {
  const header = [kind, 'type', `score (${metric})`, 'psi', 'ks', 'missing', 'drifted', 'reasons'];
  const rows = Object.entries(results).map(([name, f]) => [
    name,
    f.type,
    f.metric === metric ? fmt(f.score) : `${fmt(f.score)} (${f.metric})`,
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
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}
