import { z } from 'zod';
import { numericModel, type FeatureModel } from '../stats/index.js';
import { ReferenceFileError } from '../errors.js';
import { buildFeatures, buildFeaturesFromColumns, DEFAULT_PSI_BINS, tableRows, type BuildOptions, type BuiltFeature, type ColumnTable, type Row } from './build.js';
import {
  fastReferenceFileSchema,
  isOutputName,
  OUTPUT_NAMES,
  REFERENCE_SCHEMA_VERSION,
  referenceFileSchema,
  type FeatureEntry,
  type OutputName,
  type ReferenceFile,
} from './schema.js';
import { flattenProbabilities, isProbabilityOutput, PROBABILITIES } from '../event/probabilities.js';
import { InputError } from '../errors.js';
import {
  calibratedNull,
  calibrateFeatures,
  calibrationSettings,
  type Calibrator,
  type CalibratedMetric,
  type CalibrationOptions,
  type CalibrationSettings,
  type FeatureCalibration,
  type CalibratedNull,
} from './calibration.js';
import { MultivariateModel, type MultivariateOptions } from '../multivariate/model.js';
import { attachMultivariate } from '../multivariate/state.js';

export interface FromRowsOptions extends BuildOptions {
  now?: Date;
  /**
   * The resampled calibration of the PSI and JS p-values (calibration.ts): true or options to
   * build it. Default none (asymptotic p-values); `driftwatch reference build` builds it by default.
   */
  calibration?: CalibrationOptions | boolean;
  /**
   * Runs the calibration of every feature (default calibrateFeatures, one thread); the CLI
   * passes a worker pool's (src/adapters/threads/). Every Calibrator gives the same quantiles.
   */
  calibrator?: Calibrator;
  /**
   * Columns of the rows that hold the model's outputs (`prediction`, `confidence`) rather than
   * input features: they are built like features (same bins, types and calibration) and kept
   * apart, as the reference's `outputs` (docs/references-and-check.md, "Model outputs").
   * `probabilities` stands for one output `probability_<class>` per class the rows give: columns
   * of that name, or the keys of an object row's `probabilities` object.
   */
  outputs?: readonly string[];
  /**
   * The multivariate drift score (docs/multivariate.md): true or options to build its map and
   * null on the numeric input features. Default none (`reference build --multivariate`).
   */
  multivariate?: MultivariateOptions | boolean;
}

/** Whether a signal is an input feature or a model output (docs/references-and-check.md, "Model outputs"). */
export type SignalKind = 'feature' | 'output';

/** Calibrated nulls kept per feature and metric, for this many window sizes (a window's size changes little between checks). */
const NULL_CACHE_SIZES = 64;

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
    /** The resampled calibration's settings, or null (built without, or a version 1 file). */
    readonly calibration: CalibrationSettings | null = null,
    private readonly nullQuantiles: ReadonlyMap<string, FeatureCalibration> = new Map(),
    /** The model outputs monitored beside the features (`prediction`, `confidence`); empty when none. */
    readonly outputs: readonly FeatureModel[] = [],
    /** The multivariate score's map and null, or null (built without). */
    readonly multivariate: MultivariateModel | null = null,
  ) {
    this.signals = outputs.length === 0 ? features : [...features, ...outputs];
    // Every accumulator built on the signals records the MMD state (multivariate/state.ts).
    if (multivariate) attachMultivariate(this.signals, multivariate.inputFor(this.signals));
  }

  /**
   * Every monitored signal: the input features, then the outputs. A window records these (the
   * features array itself when there are no outputs), so outputs are pane state like features.
   */
  readonly signals: readonly FeatureModel[];

  get outputNames(): OutputName[] {
    return this.outputs.map((f) => f.name as OutputName);
  }

  private readonly nullCache = new Map<string, Map<number, CalibratedNull | null>>();

  /**
   * The calibrated null of a feature's PSI or JS at a window of n non-missing values, or null
   * when the reference has no calibration for it or n lies outside the calibrated grid (then
   * the asymptotic p-value applies).
   */
  calibratedNull(feature: string, metric: CalibratedMetric, n: number): CalibratedNull | null {
    const quantiles = this.nullQuantiles.get(feature);
    if (!this.calibration || !quantiles) return null;
    const key = `${feature}\u0000${metric}`;
    let cache = this.nullCache.get(key);
    if (!cache) this.nullCache.set(key, (cache = new Map()));
    if (cache.has(n)) return cache.get(n)!;
    const fit = calibratedNull(this.calibration, quantiles[metric], n);
    if (cache.size >= NULL_CACHE_SIZES) cache.delete(cache.keys().next().value!);
    cache.set(n, fit);
    return fit;
  }

  /** The stored null quantiles of a feature (per metric, size and level), if calibrated. */
  nullQuantilesOf(feature: string): FeatureCalibration | undefined {
    return this.nullQuantiles.get(feature);
  }

  get featureNames(): string[] {
    return this.features.map((f) => f.name);
  }

  feature(name: string): FeatureModel | undefined {
    return this.features.find((f) => f.name === name);
  }

  /**
   * fromRows of rows given as columns (the CSV reader's column blocks), `names` the table's
   * columns in order: the same reference, bit for bit, as fromRows of the same values as array
   * rows with `featureNames: names`. The outputs and the multivariate block read rows, so with
   * either the table is turned into array rows first.
   */
  static fromColumns(table: ColumnTable, names: readonly string[], options: FromRowsOptions = {}): ReferenceDistribution {
    if ((options.outputs ?? []).length > 0 || options.multivariate) return ReferenceDistribution.fromRows(tableRows(table), { ...options, featureNames: names });
    const built = buildFeaturesFromColumns(table, names, { ...options, featureNames: names });
    return ReferenceDistribution.assemble(table.rows, built.features, [], options, () => null);
  }

  static fromRows(givenRows: readonly Row[], options: FromRowsOptions = {}): ReferenceDistribution {
    const rows = options.outputs?.includes(PROBABILITIES) ? withFlatProbabilities(givenRows) : givenRows;
    const outputNames = resolveOutputs(rows, options);
    const probabilities = outputNames.filter(isProbabilityOutput);
    // Outputs are columns like the features: one build, then set apart by name. A class's
    // probability is a number whatever its column holds.
    const { names, features } = buildFeatures(
      rows,
      outputNames.length === 0
        ? options
        : { ...options, featureNames: columnsWithOutputs(rows, options.featureNames, outputNames), numeric: [...(options.numeric ?? []), ...probabilities] },
    );
    for (const { model } of features) {
      if (model.type === 'numeric' && (probabilities as string[]).includes(model.name) && (model.summary.min < 0 || model.summary.max > 1))
        throw new InputError(`output "${model.name}": a probability must lie in [0, 1], the training rows hold ${model.summary.min < 0 ? model.summary.min : model.summary.max}`, {
          context: { feature: model.name },
        });
    }
    return ReferenceDistribution.assemble(rows.length, features, outputNames, options, (isOutput) =>
      options.multivariate ? buildMultivariate(rows, names, features, isOutput, options.multivariate) : null,
    );
  }

  /** The reference of built features (fromRows, fromColumns): outputs set apart, the calibration, the multivariate block. */
  private static assemble(
    rowCount: number,
    features: readonly BuiltFeature[],
    outputNames: readonly OutputName[],
    options: FromRowsOptions,
    multivariate: (isOutput: (f: { model: FeatureModel }) => boolean) => MultivariateModel | null,
  ): ReferenceDistribution {
    const isOutput = (f: { model: FeatureModel }) => (outputNames as string[]).includes(f.model.name);
    if (outputNames.length > 0 && features.every(isOutput)) throw new InputError(`a reference needs at least one input feature besides the outputs (${outputNames.join(', ')})`);
    const settings = options.calibration ? calibrationSettings(options.calibration === true ? {} : options.calibration) : null;
    const nullQuantiles = new Map<string, FeatureCalibration>();
    if (settings) {
      const counts = features.map(({ model }) => (model.type === 'numeric' ? model.psiCounts : Float64Array.from(model.categories.values())));
      const calibrations = (options.calibrator ?? calibrateFeatures)(counts, settings);
      features.forEach(({ model }, i) => {
        if (calibrations[i]) nullQuantiles.set(model.name, calibrations[i]!);
      });
    }
    return new ReferenceDistribution(
      options.modelVersion ?? null,
      (options.now ?? new Date()).toISOString(),
      rowCount,
      options.psiBins ?? DEFAULT_PSI_BINS,
      features.filter((f) => !isOutput(f)).map((f) => f.model),
      new Map(features.map((f) => [f.model.name, f.invalidCount])),
      settings,
      nullQuantiles,
      outputNames.map((name) => features.find((f) => f.model.name === name)!.model),
      multivariate(isOutput),
    );
  }

  /** Validates a parsed reference file; `source` names it in errors. */
  static fromJSON(data: unknown, source = 'reference'): ReferenceDistribution {
    // The fast schema first; a file it refuses is read again by the exact one, which names what is wrong.
    const fast = fastReferenceFileSchema.safeParse(data);
    const parsed = fast.success ? fast : referenceFileSchema.safeParse(data);
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
    const outputNames = file.output_names ?? [];
    const entries: [string, FeatureEntry][] = [
      ...file.feature_names.map((name) => [name, file.features[name]] as [string, FeatureEntry]),
      ...outputNames.map((name) => [name, file.outputs![name]] as [string, FeatureEntry]),
    ];
    return new ReferenceDistribution(
      file.model_version,
      file.created_at,
      file.row_count,
      file.psi_bins,
      features,
      new Map(entries.map(([name, entry]) => [name, entry.invalid_count])),
      file.calibration ?? null,
      new Map(entries.flatMap(([name, entry]) => (entry.null_quantiles ? [[name, entry.null_quantiles] as const] : []))),
      outputNames.map((name) => modelFromEntry(name, file.outputs![name])),
      file.multivariate ? MultivariateModel.fromEntry(file.multivariate) : null,
    );
  }

  toJSON(): ReferenceFile {
    const features: Record<string, FeatureEntry> = {};
    for (const f of this.features) features[f.name] = this.entryOf(f);
    const outputs: Record<string, FeatureEntry> = {};
    for (const f of this.outputs) outputs[f.name] = this.entryOf(f);
    return {
      schema_version: REFERENCE_SCHEMA_VERSION,
      model_version: this.modelVersion,
      created_at: this.createdAt,
      row_count: this.rowCount,
      psi_bins: this.psiBins,
      feature_names: this.featureNames,
      features,
      ...(this.outputs.length > 0 ? { output_names: this.outputNames, outputs } : {}),
      ...(this.calibration ? { calibration: this.calibration } : {}),
      ...(this.multivariate ? { multivariate: this.multivariate.toJSON() } : {}),
    };
  }

  private entryOf(f: FeatureModel): FeatureEntry {
    const invalid_count = this.invalidCounts.get(f.name) ?? 0;
    return f.type === 'numeric'
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
          ...this.nullQuantilesEntry(f.name),
        }
      : {
          type: 'categorical',
          count: f.count,
          missing_count: f.missingCount,
          invalid_count,
          categories: Object.fromEntries(f.categories),
          ...this.nullQuantilesEntry(f.name),
        };
  }

  private nullQuantilesEntry(name: string): { null_quantiles?: FeatureCalibration } {
    const q = this.nullQuantiles.get(name);
    return q && this.calibration ? { null_quantiles: q } : {};
  }
}

/** The multivariate block on the numeric input features (docs/multivariate.md). */
function buildMultivariate(
  rows: readonly Row[],
  names: readonly string[],
  features: readonly { model: FeatureModel }[],
  isOutput: (f: { model: FeatureModel }) => boolean,
  options: MultivariateOptions | true,
): MultivariateModel {
  const columns = features.flatMap((f, index) => (f.model.type === 'numeric' && !isOutput(f) ? [{ name: names[index], index }] : []));
  if (columns.length === 0) throw new InputError('multivariate drift needs at least one numeric input feature; the reference has none');
  return MultivariateModel.build(rows, columns, options === true ? {} : options);
}

/**
 * The outputs named in the options, checked: known names, each once, present in the rows;
 * `probabilities` expanded to the `probability_<class>` columns, in the order the rows give them.
 */
function resolveOutputs(rows: readonly Row[], options: FromRowsOptions): OutputName[] {
  const given = options.outputs ?? [];
  given.forEach((name, i) => {
    if (name !== PROBABILITIES && !isOutputName(name))
      throw new InputError(`unknown output "${name}"; outputs are ${OUTPUT_NAMES.join(', ')}, ${PROBABILITIES} or probability_<class>`, { context: { feature: name } });
    if (given.indexOf(name) !== i) throw new InputError(`output "${name}" is named twice`, { context: { feature: name } });
  });
  const names = given.flatMap((name) => (name === PROBABILITIES ? probabilityColumns(rows, options.featureNames).filter((c) => !given.includes(c)) : [name]));
  if (given.includes(PROBABILITIES) && !names.some(isProbabilityOutput))
    throw new InputError(`--outputs ${PROBABILITIES}: the reference rows give no class probabilities (columns probability_<class>, or a "${PROBABILITIES}" object per row)`, {
      context: { feature: PROBABILITIES },
    });
  if (names.length === 0 || rows.length === 0) return names as OutputName[];
  if (Array.isArray(rows[0])) {
    const absent = names.find((name) => !options.featureNames?.includes(name));
    if (absent) throw new InputError(`output "${absent}" is not among the columns of the rows (${(options.featureNames ?? []).join(', ')})`, { context: { feature: absent } });
  } else {
    const absent = names.find((name) => !rows.some((row) => Object.hasOwn(row as object, name)));
    if (absent) throw new InputError(`output "${absent}" is absent from every reference row (give the model's ${absent} on the training rows)`, { context: { feature: absent } });
  }
  return names as OutputName[];
}

/** The `probability_<class>` columns of the rows (array rows: of `featureNames`), in order of first appearance. */
function probabilityColumns(rows: readonly Row[], featureNames: readonly string[] | undefined): string[] {
  if (rows.length > 0 && Array.isArray(rows[0])) return (featureNames ?? []).filter(isProbabilityOutput);
  const seen = new Set<string>();
  for (const row of rows) for (const key of Object.keys(row)) if (isProbabilityOutput(key)) seen.add(key);
  return [...seen];
}

/**
 * Object rows with a `probabilities` object given as `probability_<class>` keys instead (other
 * rows as they are). A `probabilities` value that is not such an object is an error naming the row.
 */
function withFlatProbabilities(rows: readonly Row[]): readonly Row[] {
  return rows.map((row, i) => {
    if (Array.isArray(row) || !Object.hasOwn(row, PROBABILITIES)) return row;
    const { [PROBABILITIES]: value, ...rest } = row as Record<string, unknown>;
    if (value === null || value === undefined) return rest;
    const flat = flattenProbabilities(value);
    if (flat === null)
      throw new InputError(`reference row ${i + 1}: "${PROBABILITIES}" must be an object of class → probability, got ${Array.isArray(value) ? 'an array' : typeof value}`, {
        context: { line: i + 1, feature: PROBABILITIES },
      });
    return { ...rest, ...flat };
  });
}

/** The columns to build: the given names (or the first row's keys), with every output among them. */
function columnsWithOutputs(rows: readonly Row[], given: readonly string[] | undefined, outputs: readonly string[]): string[] {
  const names = given && given.length > 0 ? [...given] : Array.isArray(rows[0]) ? [] : Object.keys(rows[0] as object);
  for (const name of outputs) if (!names.includes(name)) names.push(name);
  return names;
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
