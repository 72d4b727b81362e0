import { calibrationSettings, ReferenceDistribution, type CalibrationOptions } from '../../core/reference/index.js';
import { readRows, rowCount } from '../../adapters/files/rows.js';
import { InputError } from '../../core/errors.js';
import type { Row } from '../../core/reference/build.js';
import type { CommandOutput } from './io.js';
import type { Progress } from '../../adapters/console/progress.js';
import { saveReference } from '../../adapters/files/reference-file.js';
import { isProbabilityOutput, PROBABILITIES } from '../../core/event/probabilities.js';
import { threadedCalibrator } from '../../adapters/threads/calibration-pool.js';
import { MAX_RANDOM_FEATURES, type MultivariateOptions } from '../../core/multivariate/model.js';

export interface ReferenceBuildOptions {
  input: string;
  out: string;
  modelVersion?: string;
  categorical?: string[];
  numeric?: string[];
  features?: string[];
  /** Columns holding the model's outputs (`prediction`, `confidence`; `probabilities` for every `probability_<class>`), monitored apart from the features. */
  outputs?: string[];
  psiBins?: number;
  fineBins?: number;
  /** False skips the resampled calibration of the PSI and JS p-values (default: built). */
  calibration?: boolean;
  calibrationSizes?: number[];
  calibrationReplicates?: number;
  calibrationSeed?: number;
  /** Threads for the calibration, this one included (default: one per core, at most 4); the file is the same for any count. */
  threads?: number;
  /** Build the multivariate score (docs/multivariate.md). */
  multivariate?: boolean;
  multivariateFeatures?: number;
  multivariateSeed?: number;
}

/** The calibration options of the flags; bad values are an InputError naming the flag. */
function calibrationOptions(options: ReferenceBuildOptions): CalibrationOptions | false {
  if (options.calibration === false) return false;
  const calibration = { sizes: options.calibrationSizes, replicates: options.calibrationReplicates, seed: options.calibrationSeed };
  try {
    calibrationSettings(calibration);
  } catch (cause) {
    throw new InputError(`reference build: ${(cause as Error).message} (--calibration-sizes, --calibration-replicates, --calibration-seed)`, { cause });
  }
  return calibration;
}

/** The multivariate options of the flags; the tuning flags without --multivariate are an InputError. */
function multivariateOptions(options: ReferenceBuildOptions): { multivariate: MultivariateOptions } | null {
  const tuned = options.multivariateFeatures !== undefined || options.multivariateSeed !== undefined;
  if (!options.multivariate) {
    if (tuned) throw new InputError('reference build: --multivariate-features and --multivariate-seed need --multivariate');
    return null;
  }
  const features = options.multivariateFeatures;
  if (features !== undefined && features > MAX_RANDOM_FEATURES)
    throw new InputError(`reference build: --multivariate-features (${features}) must be at most ${MAX_RANDOM_FEATURES}`);
  if (options.multivariateSeed !== undefined && options.multivariateSeed > 0xffffffff)
    throw new InputError(`reference build: --multivariate-seed (${options.multivariateSeed}) must be below 2^32`);
  return { multivariate: { randomFeatures: features, seed: options.multivariateSeed } };
}

/** `driftwatch reference build`: reads training rows and saves reference_distribution.json. */
export async function referenceBuildCommand(options: ReferenceBuildOptions, stdin?: AsyncIterable<Buffer | string>, progress?: Progress): Promise<CommandOutput> {
  // CSV as columns of the chosen features, numbers read from the bytes into Float64Arrays
  // (docs/benchmarks.md, "2026-12-03 columnar CSV"); with outputs or the multivariate block,
  // which read rows, as array rows.
  const outputs = options.outputs ?? [];
  // `probabilities` stands for the probability_<class> columns, known once the rows are read.
  const probabilities = outputs.includes(PROBABILITIES);
  // The outputs are columns like the features; --features then names the inputs only.
  const inputs = options.features?.filter((f) => !outputs.includes(f));
  const order = probabilities ? undefined : options.features && outputs.length > 0 ? [...inputs!, ...outputs] : options.features;
  const csv = { order, text: options.categorical };
  const columnar = outputs.length === 0 && !options.multivariate;
  const input = await readRows(options.input, undefined, stdin, {
    ...(columnar ? { csvColumns: csv } : { csvArrays: csv }),
    onRows: progress && ((rows) => progress.rows(rows)),
  });
  progress?.done(rowCount(input));
  if (input.columns) {
    const absent = outputs.filter((f) => (f === PROBABILITIES ? !input.columns!.some(isProbabilityOutput) : !input.columns!.includes(f)));
    if (absent.length > 0) {
      throw new InputError(
        `${options.input}: --outputs names ${absent.map((f) => `"${f}"`).join(', ')}, absent from the input (columns: ${input.columns.join(', ')})${probabilities ? `; ${PROBABILITIES} are columns probability_<class> (CSV) or a "${PROBABILITIES}" object per JSON row` : ''}`,
        {
          context: { path: options.input, feature: absent[0] },
        },
      );
    }
  }
  let featureNames = order;
  if (probabilities && input.columns) {
    // The chosen inputs, then the named outputs, then every class's probability.
    const classes = input.columns.filter((c) => isProbabilityOutput(c) && !outputs.includes(c));
    const named = outputs.filter((f) => f !== PROBABILITIES);
    featureNames = options.features ? [...inputs!, ...named, ...classes] : input.columns;
    if (input.format === 'csv' && options.features) input.rows = project(input.rows as unknown[][], input.columns, featureNames);
  }
  if (featureNames && input.columns) {
    const absent = featureNames.filter((f) => !input.columns!.includes(f));
    if (absent.length > 0) {
      throw new InputError(`${options.input}: --features names ${absent.map((f) => `"${f}"`).join(', ')}, absent from the input (columns: ${input.columns.join(', ')})`, {
        context: { path: options.input, feature: absent[0] },
      });
    }
  }
  if (!featureNames && input.columns) featureNames = input.columns;
  if (!featureNames) throw new InputError(`${options.input}: rows given as feature_vector arrays need --features a,b,c`);
  const settings = {
    featureNames,
    categorical: options.categorical,
    numeric: options.numeric,
    modelVersion: options.modelVersion ?? null,
    psiBins: options.psiBins,
    fineBins: options.fineBins,
    calibration: calibrationOptions(options),
    // Worker threads when the calibration is large enough to pay for them (docs/benchmarks.md, "Worker threads").
    calibrator: threadedCalibrator({ threads: options.threads }),
    ...(outputs.length > 0 ? { outputs } : {}),
    ...(multivariateOptions(options) ?? {}),
  };
  const reference = input.table ? ReferenceDistribution.fromColumns(input.table, featureNames, settings) : ReferenceDistribution.fromRows(input.rows as Row[], settings);
  await saveReference(reference, options.out);
  const types = reference.features.map((f) => `${f.name} (${f.type})`).join(', ');
  const outputTypes = reference.outputs.length > 0 ? `; outputs: ${reference.outputs.map((f) => `${f.name} (${f.type})`).join(', ')}` : '';
  const mv = reference.multivariate;
  const multivariate = mv ? `; multivariate: ${mv.spec.features} random features on ${mv.featureNames.length} numeric features` : '';
  return {
    stdout: `Reference distribution saved to ${options.out}: ${reference.rowCount} rows, ${reference.features.length} features: ${types}${outputTypes}${multivariate}\n`,
    stderr: '',
    exitCode: 0,
  };
}

/** CSV rows (arrays in the header's order) as arrays of the columns `names`, in that order. */
function project(rows: readonly unknown[][], header: readonly string[], names: readonly string[]): unknown[][] {
  const at = names.map((n) => header.indexOf(n));
  return rows.map((row) => at.map((i) => (i >= 0 && i < row.length ? row[i] : undefined)));
}
