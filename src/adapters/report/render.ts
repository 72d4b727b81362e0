import { createHash } from 'node:crypto';
import { Eta } from 'eta';
import * as fmt from './format.js';
import { INDEX, REPORT, SCRIPT, STYLE, TEMPLATE_PARTS } from './templates.js';
import { reportView, type ReportInput } from './view.js';

export type { ReportInput } from './view.js';

/**
 * The page may run its own script and nothing else, and may load nothing at all: an escaping
 * mistake could not run an injected script, and opening the file makes no request
 * (docs/reports.md, "Self-contained").
 */
export const CONTENT_SECURITY_POLICY = `default-src 'none'; style-src 'unsafe-inline'; img-src data:; script-src 'sha256-${createHash('sha256').update(SCRIPT).digest('base64')}'; base-uri 'none'; form-action 'none'`;

const eta = new Eta({ autoEscape: true, autoTrim: false, useWith: false, cache: true });
for (const [name, template] of Object.entries(TEMPLATE_PARTS)) eta.loadTemplate(name, template);
eta.loadTemplate('@report', REPORT);
eta.loadTemplate('@index', INDEX);

const COLUMNS = [
  { label: 'feature', type: 'text' },
  { label: 'type', type: 'text' },
  { label: 'drifted', type: 'number' },
  { label: 'reasons', type: 'text' },
  { label: 'metric', type: 'text' },
  { label: 'score', type: 'number' },
  { label: 'threshold', type: 'number' },
  { label: 'psi', type: 'number' },
  { label: 'ks', type: 'number' },
  { label: 'ks p', type: 'number' },
  { label: 'js', type: 'number' },
  { label: 'wasserstein', type: 'number' },
  { label: 'χ² p', type: 'number' },
  { label: 'missing', type: 'number' },
  { label: 'ref. missing', type: 'number' },
  { label: 'values', type: 'number' },
  { label: 'unseen', type: 'number' },
] as const;

/** One self-contained HTML page: the verdict, the feature table, a chart per feature, and the timeline when given. */
export function renderReport(input: ReportInput): string {
  const v = reportView(input);
  const title = `driftwatch: ${input.model ?? 'check'}${input.modelVersion ? ` ${input.modelVersion}` : ''} — ${v.verdict.text}`;
  return eta.render('@report', { v, title, columns: COLUMNS, fmt, style: STYLE, script: SCRIPT, csp: CONTENT_SECURITY_POLICY });
}

export interface ModelRow {
  model: string;
  modelVersion: string;
  state: 'ok' | 'drifting';
  lastCheck: string;
  windowEnd: string;
  rows: number;
  maxScore: number | null;
  drifted: number;
}

/** The path of a model version's live report; each segment percent-encoded. */
export function reportPath(model: string, modelVersion: string): string {
  return `/report/${encodeURIComponent(model)}/${encodeURIComponent(modelVersion)}`;
}

/** The service's `/`: every model version with its state and last check, linked to its report. */
export function renderIndex(rows: readonly ModelRow[], windows: number): string {
  const sorted = [...rows].sort((a, b) => a.model.localeCompare(b.model) || a.modelVersion.localeCompare(b.modelVersion));
  return eta.render('@index', {
    rows: sorted.map((r) => ({ ...r, href: reportPath(r.model, r.modelVersion).slice(1) })),
    windows,
    fmt,
    title: 'driftwatch: models',
    style: STYLE,
    csp: CONTENT_SECURITY_POLICY,
  });
}
