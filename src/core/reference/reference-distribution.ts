import { z } from 'zod';
import { numericModel, type FeatureModel } from '../stats/index.js';
import { ReferenceFileError } from '../errors.js';
import { buildFeatures, DEFAULT_PSI_BINS, type BuildOptions, type Row } from './build.js';
import { REFERENCE_SCHEMA_VERSION, referenceFileSchema, type FeatureEntry, type ReferenceFile } from './schema.js';

/**
 * The distribution a model was trained on, per feature: what every window is compared with.
 * Built once at deployment (`fromRows`), saved next to the model as reference_distribution.json
 * and loaded by the batch check and the streaming monitor.
 */
export class ReferenceDistribution {
  private constructor(
    readonly modelVersion: string | null,
    readonly createdAt: string,
    readonly rowCount: number,
    readonly psiBins: number,
    readonly features: readonly FeatureModel[],
    private readonly invalidCounts: ReadonlyMap<string, number>,
  ) {}

  get featureNames(): string[] {
    return this.features.map((f) => f.name);
  }

  feature(name: string): FeatureModel | undefined {
    return this.features.find((f) => f.name === name);
  }

  static fromRows(rows: readonly Row[], options: BuildOptions & { now?: Date } = {}): ReferenceDistribution {
    const { features } = buildFeatures(rows, options);
    return new ReferenceDistribution(
      options.modelVersion ?? null,
      (options.now ?? new Date()).toISOString(),
      rows.length,
      options.psiBins ?? DEFAULT_PSI_BINS,
      features.map((f) => f.model),
      new Map(features.map((f) => [f.model.name, f.invalidCount])),
    );
  }

  /** Validates a parsed reference file; `source` names it in errors. */
  static fromJSON(data: unknown, source = 'reference'): ReferenceDistribution {
    const parsed = referenceFileSchema.safeParse(data);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue.path.map(String).join('.');
      const more = parsed.error.issues.length > 1 ? ` (and ${parsed.error.issues.length - 1} more problems)` : '';
      throw new ReferenceFileError(`${source}: invalid reference distribution at ${path || '(root)'}: ${issue.message}${more}\n${z.prettifyError(parsed.error)}`, {
        context: { path: source, field: path },
      });
    }
    const file = parsed.data;
    const features = file.feature_names.map((name) => modelFromEntry(name, file.features[name]));
    return new ReferenceDistribution(
      file.model_version,
      file.created_at,
      file.row_count,
      file.psi_bins,
      features,
      new Map(file.feature_names.map((name) => [name, file.features[name].invalid_count])),
    );
  }

  toJSON(): ReferenceFile {
    const features: Record<string, FeatureEntry> = {};
    for (const f of this.features) {
      const invalid_count = this.invalidCounts.get(f.name) ?? 0;
      features[f.name] =
        f.type === 'numeric'
          ? {
              type: 'numeric',
              count: f.count,
              missing_count: f.missingCount,
              invalid_count,
              psi_edges: Array.from(f.psiEdges),
              fine_edges: Array.from(f.fineEdges),
              fine_counts: Array.from(f.fineCounts),
              discrete: f.discrete,
              summary: f.summary,
            }
          : {
              type: 'categorical',
              count: f.count,
              missing_count: f.missingCount,
              invalid_count,
              categories: Object.fromEntries(f.categories),
            };
    }
    return {
      schema_version: REFERENCE_SCHEMA_VERSION,
      model_version: this.modelVersion,
      created_at: this.createdAt,
      row_count: this.rowCount,
      psi_bins: this.psiBins,
      feature_names: this.featureNames,
      features,
    };
  }
}

function modelFromEntry(name: string, entry: FeatureEntry): FeatureModel {
  if (entry.type === 'categorical') {
    return { name, type: 'categorical', count: entry.count, missingCount: entry.missing_count, categories: new Map(Object.entries(entry.categories)) };
  }
  return numericModel({
    name,
    count: entry.count,
    missingCount: entry.missing_count,
    psiEdges: Float64Array.from(entry.psi_edges),
    fineEdges: Float64Array.from(entry.fine_edges),
    fineCounts: Float64Array.from(entry.fine_counts),
    discrete: entry.discrete,
    summary: entry.summary,
  });
}
