import { z } from 'zod';
import { CALIBRATION_METHODS, calibrationLevels } from './calibration.js';
import { multivariateSchema } from '../multivariate/model.js';

/**
 * Version of the reference_distribution.json layout this build writes. Version 2 adds the
 * resampled calibration (`calibration`, and `null_quantiles` per feature); version 1 files,
 * which have none, are still read (their PSI and JS p-values are asymptotic). The calibration's
 * `method` says how its null was drawn and which levels it stores (calibration.ts): every
 * method this build knows is read with its own rule.
 */
export const REFERENCE_SCHEMA_VERSION = 2;
/** Every version this build reads. */
export const READABLE_SCHEMA_VERSIONS = [1, 2] as const;

const finite = z.number().refine(Number.isFinite, 'must be a finite number');
const count = z.number().int().nonnegative();

/**
 * How a schema checks a feature's long arrays (its PSI and fine edges, its fine counts): an
 * array of `element` with at least `min` elements; `accepts` is the element schema's own test.
 */
type LongArray = (element: z.ZodType<number>, accepts: (value: number) => boolean, min?: number) => z.ZodType<number[]>;
/** Zod's array: each element parsed, each problem an issue with its index. */
const exactArray: LongArray = (element, _accepts, min = 0) => (min > 0 ? z.array(element).min(min) : z.array(element));
/**
 * The same acceptance in one loop, with no issue of its own. A reference of 100 features holds
 * about 80,000 fine edges and counts, and zod parsing each one was a third of loading the file
 * in a fresh process (`check`, the service's start): 66–84 ms, 41–48 ms with this
 * (docs/benchmarks.md, "2026-12-03, afternoon"). A file this refuses is parsed again with
 * exactArray for its issues (ReferenceDistribution.fromJSON).
 */
const fastArray: LongArray = (_element, accepts, min = 0) =>
  z.custom<number[]>((value) => {
    if (!Array.isArray(value) || value.length < min) return false;
    for (let i = 0; i < value.length; i++) {
      const x: unknown = value[i];
      if (typeof x !== 'number' || !accepts(x)) return false;
    }
    return true;
  });
/** What `finite` and `count` accept (zod's z.number() refuses NaN and ±Infinity; int() is a safe integer). */
const isFiniteNumber = (x: number) => Number.isFinite(x);
const isCount = (x: number) => Number.isSafeInteger(x) && x >= 0;

/** Per metric, per calibration size, the null quantiles of T at each calibration level. */
const nullQuantiles = z.object({ psi: z.array(z.array(finite.nonnegative())), js: z.array(z.array(finite.nonnegative())) });

const numericFeature = (longArray: LongArray) =>
  z
    .object({
      type: z.literal('numeric'),
      count: count.min(1, 'a numeric feature needs at least one non-missing reference value'),
      missing_count: count,
      invalid_count: count.default(0),
      psi_edges: longArray(finite, isFiniteNumber),
      fine_edges: longArray(finite, isFiniteNumber, 1),
      fine_counts: longArray(count, isCount),
      discrete: z.boolean(),
      summary: z.object({
        mean: finite,
        std: finite.nonnegative(),
        min: finite,
        max: finite,
        quantiles: z.record(z.string(), finite),
      }),
      null_quantiles: nullQuantiles.optional(),
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
    null_quantiles: nullQuantiles.optional(),
  })
  .superRefine((f, ctx) => {
    const total = Object.values(f.categories).reduce((a, b) => a + b, 0);
    if (total !== f.count) ctx.addIssue({ code: 'custom', path: ['categories'], message: `category counts sum to ${total}, but count is ${f.count}` });
  });

const featureWith = (longArray: LongArray) => z.discriminatedUnion('type', [numericFeature(longArray), categoricalFeature]);
export const featureSchema = featureWith(exactArray);

/**
 * The model outputs a reference can hold besides its input features (docs/references-and-check.md,
 * "Model outputs"): the fields of a prediction event that carry them.
 */
export const OUTPUT_NAMES = ['prediction', 'confidence'] as const;
/**
 * An output's name: one of OUTPUT_NAMES, or `probability_<class>` for a class's probability
 * (core/event/probabilities.ts; docs/references-and-check.md, "Per-class probabilities").
 */
export type OutputName = (typeof OUTPUT_NAMES)[number] | `probability_${string}`;

/** Whether a name is an output's (see OutputName). */
export const isOutputName = (name: string): name is OutputName =>
  (OUTPUT_NAMES as readonly string[]).includes(name) || (name.length > 'probability_'.length && name.startsWith('probability_'));

const referenceFileWith = (longArray: LongArray) => {
  const featureSchema = featureWith(longArray);
  return z
    .object({
      schema_version: z.literal(READABLE_SCHEMA_VERSIONS, {
        error: (issue) => `unsupported schema_version ${JSON.stringify(issue.input)}; this driftwatch reads versions ${READABLE_SCHEMA_VERSIONS.join(' and ')}`,
      }),
      model_version: z.string().nullable(),
      created_at: z.iso.datetime({ offset: true }),
      row_count: count,
      psi_bins: z.number().int().min(2),
      feature_names: z.array(z.string().min(1)).min(1),
      features: z.record(z.string(), featureSchema),
      /** The model outputs monitored beside the features, in order; absent when there are none. */
      output_names: z
        .array(
          z.string().refine(isOutputName, { error: (issue) => `unknown output ${JSON.stringify(issue.input)}; outputs are ${OUTPUT_NAMES.join(', ')} and probability_<class>` }),
        )
        .min(1)
        .optional(),
      outputs: z.record(z.string(), featureSchema).optional(),
      calibration: z
        .object({
          method: z.enum(CALIBRATION_METHODS),
          seed: z.number().int().min(0).max(0xffffffff),
          replicates: z.number().int().min(100),
          sizes: z.array(z.number().int().min(2)).min(1),
          levels: z.array(z.number().gt(0).lt(1)),
        })
        .optional(),
      /** The multivariate drift score's map and null (docs/multivariate.md); absent when not built. */
      multivariate: multivariateSchema.optional(),
    })
    .superRefine((ref, ctx) => {
      ref.multivariate?.features.forEach((name, i) => {
        if (ref.features[name]?.type !== 'numeric')
          ctx.addIssue({ code: 'custom', path: ['multivariate', 'features', i], message: `"${name}" is not a numeric input feature of the reference` });
      });
      const cal = ref.calibration;
      if (cal && ref.schema_version < 2) ctx.addIssue({ code: 'custom', path: ['calibration'], message: 'a calibration needs schema_version 2' });
      if (cal) {
        const bad = cal.sizes.findIndex((n, i) => i > 0 && !(n > cal.sizes[i - 1]));
        if (bad > 0) ctx.addIssue({ code: 'custom', path: ['calibration', 'sizes', bad], message: 'sizes must be strictly increasing' });
        const levels = calibrationLevels(cal.method);
        if (cal.levels.join() !== levels.join()) {
          ctx.addIssue({ code: 'custom', path: ['calibration', 'levels'], message: `levels of method ${cal.method} must be ${levels.join(', ')} (are ${cal.levels.join(', ')})` });
        }
      }
      const signals = [
        ...Object.entries(ref.features).map(([name, f]) => ['features', name, f] as const),
        ...Object.entries(ref.outputs ?? {}).map(([name, f]) => ['outputs', name, f] as const),
      ];
      for (const [group, name, f] of signals) {
        if (!f.null_quantiles) continue;
        if (!cal) {
          ctx.addIssue({ code: 'custom', path: [group, name, 'null_quantiles'], message: 'null_quantiles need a top-level calibration' });
          continue;
        }
        for (const metric of ['psi', 'js'] as const) {
          const rows = f.null_quantiles[metric];
          const shapeOk = rows.length === cal.sizes.length && rows.every((row) => row.length === cal.levels.length);
          if (!shapeOk) {
            ctx.addIssue({
              code: 'custom',
              path: [group, name, 'null_quantiles', metric],
              message: `needs ${cal.sizes.length} rows (one per calibration size) of ${cal.levels.length} quantiles (one per level)`,
            });
          } else if (rows.some((row) => row.some((q, i) => i > 0 && q < row[i - 1]))) {
            ctx.addIssue({ code: 'custom', path: [group, name, 'null_quantiles', metric], message: 'quantiles must not decrease as the level falls' });
          }
        }
      }
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
      // Outputs: listed in output_names exactly, each once, none also an input feature.
      const outputNames = ref.output_names ?? [];
      const outputs = ref.outputs ?? {};
      if (ref.outputs && !ref.output_names) ctx.addIssue({ code: 'custom', path: ['output_names'], message: 'outputs need output_names' });
      outputNames.forEach((name, i) => {
        if (outputNames.indexOf(name) !== i) ctx.addIssue({ code: 'custom', path: ['output_names', i], message: `duplicate output "${name}"` });
        if (seen.has(name)) ctx.addIssue({ code: 'custom', path: ['output_names', i], message: `"${name}" is both an input feature and an output` });
        if (!(name in outputs)) ctx.addIssue({ code: 'custom', path: ['outputs', name], message: `output "${name}" is listed in output_names but has no entry` });
      });
      for (const name of Object.keys(outputs)) {
        if (!(outputNames as readonly string[]).includes(name)) ctx.addIssue({ code: 'custom', path: ['outputs', name], message: `not listed in output_names` });
      }
    });
};

export const referenceFileSchema = referenceFileWith(exactArray);
/**
 * referenceFileSchema with the features' long arrays checked in one loop each (fastArray): it
 * accepts exactly the files referenceFileSchema accepts, with the same output, and names no
 * problem well; a file it refuses is parsed again with referenceFileSchema for its issues.
 */
export const fastReferenceFileSchema = referenceFileWith(fastArray);

export type ReferenceFile = z.infer<typeof referenceFileSchema>;
export type FeatureEntry = z.infer<typeof featureSchema>;
