import { categoryNames, type FeatureModel } from '../stats/index.js';
import { decodeEvent, type DecodeResult, type EventDefaults, type FeatureRecord } from './event.js';
import type { RowArena } from './arena.js';
import { EventScanner, type Layout } from './scanner.js';
import { classOf, isProbabilityOutput } from './probabilities.js';

/**
 * Event decoding for the hot path. `JSON.parse` spends most of a prediction event's cost on
 * building an object of boxed numbers that is read once and dropped; this decoder reads the
 * bytes in one pass instead (scanner.ts) and writes the feature values, in the reference's
 * order, straight into a Float64Array (a `NumericRow` taken from a `RowArena`, arena.ts).
 *
 * It takes the common case only — a JSON object whose `features` hold, for each reference
 * feature, a number or null (numeric features) or one of the reference's categories, "" or
 * null (categorical features, stored as the category's index), with plain ASCII `model`,
 * `model_version` and `timestamp`, and for a reference with model outputs a top-level
 * `prediction` and `confidence` that are absent, null, a number (numeric output) or a known class
 * (categorical), and `probabilities` absent, null, or an object of known classes → numbers in
 * [0, 1] or null (the rules of probabilities.ts; an unknown class or a value they mark invalid
 * is the slow path's) — and validates the whole text against the JSON grammar as it goes. Anything else (invalid JSON, escapes in keys, names or categories, a new category,
 * strings or booleans as numeric values, numbers as categories, duplicate keys,
 * `feature_vector`, no reference feature at all, a feature name with a lone surrogate) is
 * handed to `decodeEvent` (JSON.parse + zod), which stays the definition: for every input the
 * fast path accepts, it yields the record `decodeEvent` would, value for value (a property
 * test holds them together). Text values (a replayed stream) are
 * encoded to UTF-8 and take the same path as bytes from Kafka.
 */
export type FeatureModelsFor = (model: string, modelVersion: string) => readonly FeatureModel[] | undefined;

/** Counts of events per path (for the benchmarks and the debug log). */
export interface DecodeCounts {
  fast: number;
  slow: number;
}

export class EventDecoder {
  readonly counts: DecodeCounts = { fast: 0, slow: 0 };
  private readonly scanner = new EventScanner();
  private readonly layouts = new WeakMap<readonly FeatureModel[], Layout | null>();
  private text = Buffer.alloc(4096);

  /**
   * `outputsFor`: how many of featuresFor's models are the reference's model outputs (the last
   * ones: docs/references-and-check.md, "Model outputs"), 0 when none. Their values are read
   * from the event's top-level `prediction` and `confidence`, on either path.
   */
  constructor(
    private readonly featuresFor: FeatureModelsFor,
    private readonly outputsFor?: (model: string, modelVersion: string) => number,
  ) {
    this.wantsOutputs =
      outputsFor &&
      ((model, modelVersion) => {
        const count = outputsFor(model, modelVersion);
        const models = count > 0 ? featuresFor(model, modelVersion) : undefined;
        if (models === undefined) return undefined;
        let names = this.outputNames.get(models);
        if (names === undefined) this.outputNames.set(models, (names = models.slice(models.length - count).map((m) => m.name)));
        return names;
      });
  }

  /** The names of the outputs the slow path reads for a reference (the last models of featuresFor's). */
  private readonly wantsOutputs?: (model: string, modelVersion: string) => readonly string[] | undefined;
  private readonly outputNames = new WeakMap<readonly FeatureModel[], readonly string[]>();

  /** Decodes one event: the fast path when it applies, else `decodeEvent`. */
  decode(value: Buffer | string | null, meta: { partition: number; offset: number; timestampMs: number }, defaults: EventDefaults, arena: RowArena): DecodeResult {
    const bytes = typeof value === 'string' ? this.encode(value) : value;
    if (bytes !== null) {
      const record = this.fast(bytes, meta, defaults, arena);
      if (record !== null) {
        this.counts.fast++;
        return { ok: true, record };
      }
    }
    this.counts.slow++;
    return decodeEvent(value, meta, defaults, this.wantsOutputs);
  }

  /** The record, or null when the event is not the common case (nothing is half-done then). */
  private fast(b: Uint8Array, meta: { partition: number; offset: number; timestampMs: number }, defaults: EventDefaults, arena: RowArena): FeatureRecord | null {
    const { scanner } = this;
    if (!scanner.scan(b, meta.timestampMs, defaults)) return null;
    const models = this.featuresFor(scanner.model, scanner.modelVersion);
    if (models === undefined) return null;
    const layout = models === this.lastModels ? this.lastLayout : this.layoutOf(models, this.outputsFor?.(scanner.model, scanner.modelVersion) ?? 0);
    if (layout === null) return null;
    const row = arena.take(models);
    if (
      !scanner.fill(b, layout, row.data, row.offset) ||
      (layout.outputs.length > 0 && (!scanner.fillOutputs(b, layout, row.data, row.offset) || !scanner.fillProbabilities(b, layout, row.data, row.offset)))
    ) {
      arena.giveBack(row);
      return null;
    }
    return { model: scanner.model, modelVersion: scanner.modelVersion, eventTimeMs: scanner.eventTimeMs, values: row, partition: meta.partition, offset: meta.offset };
  }

  /**
   * The UTF-8 bytes of a text value (a replayed line), in a buffer reused from call to call (the
   * scanner copies what it keeps); null when the text holds a lone surrogate, which UTF-8
   * cannot carry (it would become U+FFFD): such text goes to `decodeEvent` as it is.
   */
  private encode(text: string): Uint8Array | null {
    if (LONE_SURROGATE.test(text)) return null;
    // At most 3 bytes per UTF-16 unit: a buffer that large holds the whole text.
    if (text.length * 3 > this.text.length) this.text = Buffer.alloc(Math.max(text.length * 3, this.text.length * 2));
    return this.text.subarray(0, this.text.write(text, 0, 'utf8'));
  }

  /**
   * The layout of a reference's models (the last `outputs` of them its model outputs), or null
   * when the fast path cannot serve it (no features, or a name with a lone surrogate).
   */
  layoutOf(models: readonly FeatureModel[], outputs = 0): Layout | null {
    let layout = this.layouts.get(models);
    if (layout === undefined) {
      layout = compileLayout(models, outputs);
      this.layouts.set(models, layout);
    }
    this.lastModels = models;
    this.lastLayout = layout;
    return layout;
  }

  /** The layout looked up last (events of one model version tend to come together). */
  private lastModels: readonly FeatureModel[] | undefined;
  private lastLayout: Layout | null = null;
}

/** A half of a surrogate pair on its own (u: a whole pair is one code point and does not match). */
const LONE_SURROGATE = /[\uD800-\uDFFF]/u;

/** How a reference's features are found in event bytes; null when a name needs the slow path. */
function compileLayout(all: readonly FeatureModel[], outputCount: number): Layout | null {
  const models = all.slice(0, all.length - outputCount);
  const outputs = all.slice(all.length - outputCount);
  // A lone surrogate would not survive the trip through UTF-8 bytes: such names take the slow path.
  const texts = all.flatMap((m) => [m.name, ...(m.type === 'categorical' ? categoryNames(m) : [])]);
  if (models.length === 0 || texts.some((t) => LONE_SURROGATE.test(t))) return null;
  const categoriesOf = (m: FeatureModel) => (m.type === 'categorical' ? categoryNames(m).map((c) => Buffer.from(c, 'utf8')) : null);
  return {
    names: models.map((m) => Buffer.from(m.name, 'utf8')),
    categories: models.map(categoriesOf),
    index: new Map(models.map((m, i) => [m.name, i])),
    seen: new Float64Array(models.length),
    // A class's probability (which 2) is filled from the event's `probabilities` (fillProbabilities).
    outputs: outputs.map((m, j) => ({ slot: models.length + j, which: m.name === 'prediction' ? 0 : m.name === 'confidence' ? 1 : 2, categories: categoriesOf(m) })),
    classes: outputs.filter((m) => isProbabilityOutput(m.name)).map((m) => Buffer.from(classOf(m.name), 'utf8')),
    classSlots: outputs.flatMap((m, j) => (isProbabilityOutput(m.name) ? [models.length + j] : [])),
    confidenceSlot: outputs.findIndex((m) => m.name === 'confidence') < 0 ? -1 : models.length + outputs.findIndex((m) => m.name === 'confidence'),
    classSeen: new Float64Array(outputs.length),
  };
}
