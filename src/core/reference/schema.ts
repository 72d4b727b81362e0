import { z } from 'zod';

/** Version of the reference_distribution.json layout this build reads and writes. */
export const REFERENCE_SCHEMA_VERSION = 1;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const count = z.number().int().nonnegative();

const numericFeature = z
  .object({
    type: z.literal('numeric'),
    count: count.min(1, 'a numeric feature needs at least one non-missing reference value'),
    missing_count: count,
    invalid_count: count.default(0),
    psi_edges: z.array(finite),
    fine_edges: z.array(finite).min(1),
    fine_counts: z.array(count),
    discrete: z.boolean(),
    summary: z.object({
      mean: finite,
      std: finite.nonnegative(),
      min: finite,
      max: finite,
      quantiles: z.record(z.string(), finite),
    }),
  })
  .superRefine((f, ctx) => {
    if (f.fine_counts.length !== f.fine_edges.length + 1) {
      ctx.addIssue({
        code: 'custom',
        path: ['fine_counts'],
        message: `needs fine_edges.length + 1 = ${f.fine_edges.length + 1} entries, has ${f.fine_counts.length}`,
      });
    }
    const total = f.fine_counts.reduce((a, b) => a + b, 0);
    if (total !== f.count) {
      ctx.addIssue({ code: 'custom', path: ['fine_counts'], message: `sums to ${total}, but count is ${f.count}` });
    }
    for (const key of ['psi_edges', 'fine_edges'] as const) {
      const edges = f[key];
      const bad = edges.findIndex((e, i) => i > 0 && !(e > edges[i - 1]));
      if (bad > 0) ctx.addIssue({ code: 'custom', path: [key, bad], message: 'edges must be strictly increasing' });
    }
    if (f.summary.min > f.summary.max) ctx.addIssue({ code: 'custom', path: ['summary', 'min'], message: `min (${f.summary.min}) exceeds max (${f.summary.max})` });
    const lastEdge = f.fine_edges[f.fine_edges.length - 1];
    if (f.fine_counts.length === f.fine_edges.length + 1 && (lastEdge !== f.summary.max || f.fine_counts[f.fine_counts.length - 1] !== 0)) {
      ctx.addIssue({ code: 'custom', path: ['fine_edges'], message: `the last fine edge must be the reference max (${f.summary.max}) with no reference value above it` });
    }
    if (!f.fine_edges.includes(f.summary.min)) {
      ctx.addIssue({ code: 'custom', path: ['fine_edges'], message: `the reference min (${f.summary.min}) must be a fine edge` });
    }
    const fine = new Set(f.fine_edges);
    const missingEdge = f.psi_edges.findIndex((e) => !fine.has(e));
    if (missingEdge >= 0) {
      ctx.addIssue({ code: 'custom', path: ['psi_edges', missingEdge], message: 'every PSI edge must also be a fine edge' });
    }
  });

const categoricalFeature = z
  .object({
    type: z.literal('categorical'),
    count: count,
    missing_count: count,
    invalid_count: count.default(0),
    categories: z.record(z.string(), count),
  })
  .superRefine((f, ctx) => {
    const total = Object.values(f.categories).reduce((a, b) => a + b, 0);
    if (total !== f.count) ctx.addIssue({ code: 'custom', path: ['categories'], message: `category counts sum to ${total}, but count is ${f.count}` });
  });

export const featureSchema = z.discriminatedUnion('type', [numericFeature, categoricalFeature]);

export const referenceFileSchema = z
  .object({
    schema_version: z.literal(REFERENCE_SCHEMA_VERSION, {
      error: (issue) => `unsupported schema_version ${JSON.stringify(issue.input)}; this driftwatch reads version ${REFERENCE_SCHEMA_VERSION}`,
    }),
    model_version: z.string().nullable(),
    created_at: z.iso.datetime({ offset: true }),
    row_count: count,
    psi_bins: z.number().int().min(2),
    feature_names: z.array(z.string().min(1)).min(1),
    features: z.record(z.string(), featureSchema),
  })
  .superRefine((ref, ctx) => {
    const seen = new Set<string>();
    ref.feature_names.forEach((name, i) => {
      if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['feature_names', i], message: `duplicate feature "${name}"` });
      seen.add(name);
      if (!(name in ref.features)) {
        ctx.addIssue({ code: 'custom', path: ['features', name], message: `feature "${name}" is listed in feature_names but has no entry` });
      }
    });
    for (const name of Object.keys(ref.features)) {
      if (!seen.has(name)) ctx.addIssue({ code: 'custom', path: ['features', name], message: `not listed in feature_names` });
    }
  });

export type ReferenceFile = z.infer<typeof referenceFileSchema>;
export type FeatureEntry = z.infer<typeof featureSchema>;
