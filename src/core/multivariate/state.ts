import { MmdState, standardise, type RffMapSpec, type Standardisation } from './rff-mmd.js';

/**
 * What a window needs to record the multivariate state of its rows (docs/multivariate.md, "Pane
 * state"): the map, the standardisation, and where each of the map's inputs sits among the
 * signals a FeatureSetAccumulator records.
 */
export interface MultivariateInput {
  readonly spec: RffMapSpec;
  readonly standardisation: Standardisation;
  /** For each input dimension of the map, the index of its feature in the accumulator's models. */
  readonly indices: Int32Array;
}

/**
 * The inputs attached to a signals array: a reference with a multivariate block attaches its
 * own to its `signals`, so every accumulator built on them (a batch check's, every pane of a
 * sliding window, the job's, a kept copy) records the MMD state without being told. Keyed by the
 * array itself; an accumulator built on any other array records none.
 */
const attached = new WeakMap<readonly unknown[], MultivariateInput>();

export function attachMultivariate(models: readonly unknown[], input: MultivariateInput): void {
  attached.set(models, input);
}

export function attachedMultivariate(models: readonly unknown[]): MultivariateInput | null {
  return attached.get(models) ?? null;
}

/** An MmdState with the scratch row its recording uses. */
export class MultivariateRecorder {
  readonly state: MmdState;
  /** The row's raw values of the map's inputs (NaN where missing), then standardised. */
  readonly raw: Float64Array;
  private readonly z: Float64Array;

  constructor(readonly input: MultivariateInput) {
    this.state = new MmdState(input.spec.features);
    this.raw = new Float64Array(input.spec.dims);
    this.z = new Float64Array(input.spec.dims);
  }

  /** Adds the row held in `raw` (the caller fills it). */
  commit(): void {
    standardise(this.input.standardisation, this.raw, this.z);
    this.state.add(this.input.spec, this.z);
  }

  get byteSize(): number {
    return 8 * this.state.sum.length + 16;
  }
}
