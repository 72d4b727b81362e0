import { addFeatureMap, addFeatureMapBlock, MAP_BLOCK_ROWS, MmdState, type RffMapSpec, type Standardisation } from './rff-mmd.js';

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

/**
 * An MmdState with the scratch row its recording uses. Standardised rows wait in a block of
 * MAP_BLOCK_ROWS and are mapped together (addFeatureMapBlock, docs/multivariate.md, "Cost");
 * reading `state` maps the rows still waiting first, so every reader sees all the rows, with the
 * same bits as mapping them one at a time.
 */
export class MultivariateRecorder {
  private readonly mmd: MmdState;
  /** The row's raw values of the map's inputs (NaN where missing), then standardised. */
  readonly raw: Float64Array;
  /** Standardised rows not yet mapped: MAP_BLOCK_ROWS rows of `dims` values. */
  private readonly pending: Float64Array;
  private waiting = 0;
  /** addFeatureMapBlock's scratch: the block's 4·D arguments of the cosine. */
  private readonly args: Float64Array;

  constructor(readonly input: MultivariateInput) {
    this.mmd = new MmdState(input.spec.features);
    this.raw = new Float64Array(input.spec.dims);
    this.pending = new Float64Array(MAP_BLOCK_ROWS * input.spec.dims);
    this.args = new Float64Array(MAP_BLOCK_ROWS * input.spec.features);
  }

  /** Σφ and the count of every committed row. */
  get state(): MmdState {
    if (this.waiting > 0) this.flush();
    return this.mmd;
  }

  /** Adds the row held in `raw` (the caller fills it). */
  commit(): void {
    const { raw, pending } = this;
    const { mean, scale } = this.input.standardisation;
    // standardise's arithmetic, written into the block in place (no view allocated per row).
    for (let j = 0, o = this.waiting * raw.length; j < raw.length; j++, o++) {
      const v = raw[j];
      pending[o] = Number.isNaN(v) ? 0 : (v - mean[j]) / scale[j];
    }
    this.waiting++;
    this.mmd.count++;
    if (this.waiting === MAP_BLOCK_ROWS) {
      addFeatureMapBlock(this.input.spec, this.pending, 0, this.mmd.sum, this.args);
      this.waiting = 0;
    }
  }

  private flush(): void {
    const dims = this.raw.length;
    for (let r = 0; r < this.waiting; r++) addFeatureMap(this.input.spec, this.pending.subarray(r * dims, (r + 1) * dims), this.mmd.sum);
    this.waiting = 0;
  }

  get byteSize(): number {
    return 8 * this.mmd.sum.length + 16;
  }
}
