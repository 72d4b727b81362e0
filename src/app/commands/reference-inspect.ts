import type { ReferenceDistribution } from '../../core/reference/index.js';
import type { FeatureEntry } from '../../core/reference/schema.js';
import { loadReference } from '../../adapters/files/reference-file.js';
import { EXIT_OK, type CommandOutput } from './io.js';

export interface ReferenceInspectOptions {
  reference: string;
  json?: boolean;
}

/** The quantiles the table shows (the file holds p1 … p99). */
const SHOWN_QUANTILES = ['p5', 'p25', 'p50', 'p75', 'p95'];

/** `driftwatch reference inspect`: what a saved reference holds, per feature. */
export async function referenceInspectCommand(options: ReferenceInspectOptions): Promise<CommandOutput> {
  const reference = await loadReference(options.reference);
  const summary = summarize(reference, options.reference);
  return { stdout: options.json ? JSON.stringify(summary, null, 2) + '\n' : formatSummary(summary), stderr: '', exitCode: EXIT_OK };
}

type FeatureSummary =
  | {
      type: 'numeric';
      count: number;
      missing_count: number;
      invalid_count: number;
      missing_rate: number;
      psi_bins: number;
      fine_bins: number;
      discrete: boolean;
      mean: number;
      std: number;
      min: number;
      max: number;
      quantiles: Record<string, number>;
      psi_edges: number[];
    }
  | { type: 'categorical'; count: number; missing_count: number; invalid_count: number; missing_rate: number; categories: Record<string, number> };

export interface ReferenceSummary {
  path: string;
  model_version: string | null;
  created_at: string;
  row_count: number;
  psi_bins: number;
  feature_names: string[];
  features: Record<string, FeatureSummary>;
}

/** The summary `--json` prints: the file's fields without the fine bins, plus bin counts and missing rates. */
export function summarize(reference: ReferenceDistribution, path: string): ReferenceSummary {
  const file = reference.toJSON();
  const features: Record<string, FeatureSummary> = {};
  for (const name of file.feature_names) features[name] = summarizeFeature(file.features[name]);
  return { path, model_version: file.model_version, created_at: file.created_at, row_count: file.row_count, psi_bins: file.psi_bins, feature_names: file.feature_names, features };
}

function summarizeFeature(f: FeatureEntry): FeatureSummary {
  // As the detector's reference_missing_rate: missing over missing and non-missing values.
  const rows = f.count + f.missing_count;
  const base = { count: f.count, missing_count: f.missing_count, invalid_count: f.invalid_count, missing_rate: rows > 0 ? f.missing_count / rows : 0 };
  if (f.type === 'categorical') return { type: 'categorical', ...base, categories: f.categories };
  const { mean, std, min, max, quantiles } = f.summary;
  return {
    type: 'numeric',
    ...base,
    psi_bins: f.psi_edges.length + 1,
    fine_bins: f.fine_counts.length,
    discrete: f.discrete,
    mean,
    std,
    min,
    max,
    quantiles,
    psi_edges: f.psi_edges,
  };
}

const num = (x: number) => (Number.isInteger(x) ? String(x) : Math.abs(x) >= 1000 ? x.toFixed(1) : x.toPrecision(4));
const pct = (x: number) => `${(x * 100).toFixed(1)}%`;

function table(header: string[], rows: string[][]): string {
  const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
  const line = (cells: string[]) =>
    cells
      .map((c, i) => c.padEnd(widths[i]))
      .join('  ')
      .trimEnd();
  return [line(header), line(widths.map((w) => '-'.repeat(w))), ...rows.map(line)].join('\n');
}

/** The readable summary: a header line, a table of numeric features, a line per categorical feature. */
export function formatSummary(s: ReferenceSummary): string {
  const names = s.feature_names;
  const numeric = names.filter((n) => s.features[n].type === 'numeric');
  const categorical = names.filter((n) => s.features[n].type === 'categorical');
  const out = [
    `${s.path}`,
    `model_version ${s.model_version ?? '(none)'}, created ${s.created_at}, ${s.row_count} rows, ${names.length} features (${numeric.length} numeric, ${categorical.length} categorical), ${s.psi_bins} PSI bins`,
    '',
  ];
  if (numeric.length > 0) {
    const header = ['feature', 'count', 'missing', 'bins psi/fine', 'mean', 'std', 'min', ...SHOWN_QUANTILES, 'max'];
    const rows = numeric.map((name) => {
      const f = s.features[name] as Extract<FeatureSummary, { type: 'numeric' }>;
      return [
        name,
        String(f.count),
        `${f.missing_count} (${pct(f.missing_rate)})`,
        `${f.psi_bins}/${f.fine_bins}${f.discrete ? ' discrete' : ''}`,
        num(f.mean),
        num(f.std),
        num(f.min),
        ...SHOWN_QUANTILES.map((q) => (f.quantiles[q] === undefined ? '—' : num(f.quantiles[q]))),
        num(f.max),
      ];
    });
    out.push('numeric', table(header, rows), '');
  }
  if (categorical.length > 0) {
    out.push('categorical');
    for (const name of categorical) {
      const f = s.features[name] as Extract<FeatureSummary, { type: 'categorical' }>;
      const categories = Object.entries(f.categories).sort((a, b) => b[1] - a[1]);
      const shares = categories.map(([c, n]) => `${c} ${n} (${pct(f.count > 0 ? n / f.count : 0)})`).join(', ');
      out.push(`${name}: ${f.count} values, missing ${f.missing_count} (${pct(f.missing_rate)}), ${categories.length} categories: ${shares}`);
    }
    out.push('');
  }
  return out.join('\n');
}
