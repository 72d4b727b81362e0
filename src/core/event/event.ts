import { z } from 'zod';
import type { NumericRow } from '../stats/index.js';
import { PROBABILITIES, resolveOutputs } from './probabilities.js';

/**
 * Decoding of prediction events (docs/wire-formats.md): JSON with `model`,
 * `model_version`, `timestamp`, and `features` (an object) or `feature_vector` (an array in the
 * reference's feature order). Bad events become a `DecodeFailure` with a reason code and the
 * path of the bad field, bound for the dead-letter topic; decoding never throws.
 */
export interface FeatureRecord {
  model: string;
  modelVersion: string;
  /** Event time, epoch milliseconds: the event's `timestamp`, else the Kafka record timestamp. */
  eventTimeMs: number;
  /** By name (`features`), in the reference's order (`feature_vector`), or decoded by the fast path. */
  values: Readonly<Record<string, unknown>> | readonly unknown[] | NumericRow;
  /**
   * The model's outputs the event carries (`prediction`, `confidence`, and `probability_<class>`
   * from its `probabilities`: top-level fields) by output name, as given or as the rules of
   * probabilities.ts make them; absent when it carries none. Recorded only for references with outputs.
   */
  outputs?: Readonly<Record<string, unknown>>;
  partition: number;
  offset: number;
}

export type FailureReason =
  | 'invalid_json'
  | 'invalid_event'
  | 'invalid_timestamp'
  | 'future_timestamp'
  | 'no_reference'
  | 'feature_vector_length'
  | 'no_known_features'
  | 'late'
  /** Older than its partition's progress by more than MAX_EVENT_AGE (runtime/engine.ts). */
  | 'too_old'
  /** A model or version name longer than the bound (runtime/ingest.ts). */
  | 'name_too_long';

export interface DecodeFailure {
  reason: FailureReason;
  /** Human-readable: what is wrong and where. */
  detail: string;
  /** Path of the bad field, dotted ("features.age"), when there is one. */
  path?: string;
  model?: string;
  /** The event's version (or the default), when it could be read. */
  modelVersion?: string;
}

export interface EventDefaults {
  model?: string;
  modelVersion?: string;
}

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

export const predictionEventSchema = z
  .object({
    model: z.string().min(1).optional(),
    model_version: z.string().min(1).optional(),
    timestamp: z.union([z.string(), z.number()]).optional(),
    features: z.custom<Record<string, unknown>>(isPlainObject, 'expected an object of feature values').optional(),
    feature_vector: z.array(z.unknown()).optional(),
    prediction: z.unknown().optional(),
    confidence: z.unknown().optional(),
    probabilities: z.unknown().optional(),
  })
  .refine((e) => e.features !== undefined || e.feature_vector !== undefined, {
    message: 'an event needs "features" (an object) or "feature_vector" (an array)',
    path: ['features'],
  });

type PredictionEvent = z.output<typeof predictionEventSchema>;

/** Exactly the events predictionEventSchema accepts (a unit test holds the two together). */
export function looksValid(json: unknown): json is PredictionEvent {
  if (!isPlainObject(json)) return false;
  const { model, model_version, timestamp, features, feature_vector } = json as Record<string, unknown>;
  return (
    (model === undefined || (typeof model === 'string' && model.length > 0)) &&
    (model_version === undefined || (typeof model_version === 'string' && model_version.length > 0)) &&
    (timestamp === undefined || typeof timestamp === 'string' || typeof timestamp === 'number') &&
    (features === undefined || isPlainObject(features)) &&
    (feature_vector === undefined || Array.isArray(feature_vector)) &&
    (features !== undefined || feature_vector !== undefined)
  );
}

/** Epoch milliseconds; numbers below 1e11 are taken as seconds (1e11 ms is March 1973). */
export function parseEventTime(value: string | number): number | null {
  if (typeof value === 'number') {
    if (!Number.isFinite(value) || value < 0) return null;
    return value < 1e11 ? Math.round(value * 1000) : Math.round(value);
  }
  const ms = Date.parse(value);
  return Number.isNaN(ms) ? null : ms;
}

export type DecodeResult = { ok: true; record: FeatureRecord } | { ok: false; failure: DecodeFailure };

/**
 * `wantsOutputs`: the outputs the reference of a (model, version) monitors (their names; true
 * stands for `prediction` and `confidence`), or false/undefined/none; only then does the record
 * carry the event's outputs (`outputs`).
 */
export function decodeEvent(
  bytes: Buffer | string | null,
  meta: { partition: number; offset: number; timestampMs: number },
  defaults: EventDefaults,
  wantsOutputs?: (model: string, modelVersion: string) => boolean | readonly string[] | undefined,
): DecodeResult {
  if (bytes === null || bytes.length === 0) return fail('invalid_json', 'empty message value');
  let json: unknown;
  try {
    json = JSON.parse(typeof bytes === 'string' ? bytes : bytes.toString('utf8'));
  } catch (error) {
    return fail('invalid_json', `not valid JSON: ${(error as Error).message}`);
  }
  // The common case is checked by hand (a few typeof tests); only an event that fails it goes
  // through the zod schema, which then says what is wrong and where.
  let event: PredictionEvent;
  if (looksValid(json)) event = json;
  else {
    const parsed = predictionEventSchema.safeParse(json);
    if (!parsed.success) {
      const issue = parsed.error.issues[0];
      const path = issue.path.map(String).join('.');
      return fail('invalid_event', `${path || '(root)'}: ${issue.message}`, path || undefined);
    }
    event = parsed.data;
  }
  const model = event.model ?? defaults.model;
  const modelVersion = event.model_version ?? defaults.modelVersion;
  if (!model) return fail('invalid_event', 'model: required (no "model" in the event and no default model configured)', 'model');
  if (!modelVersion) {
    return fail('invalid_event', 'model_version: required (no "model_version" in the event and no default version configured)', 'model_version', model);
  }
  let eventTimeMs = meta.timestampMs;
  if (event.timestamp !== undefined) {
    const parsedTime = parseEventTime(event.timestamp);
    if (parsedTime === null) return fail('invalid_timestamp', `timestamp: cannot read ${JSON.stringify(event.timestamp)} as a time`, 'timestamp', model, modelVersion);
    eventTimeMs = parsedTime;
  }
  if (!Number.isFinite(eventTimeMs))
    return fail('invalid_timestamp', 'timestamp: required (this source has no record timestamp to fall back on)', 'timestamp', model, modelVersion);
  const values = event.features ?? (event.feature_vector as unknown[]);
  const wanted = wantsOutputs?.(model, modelVersion);
  const outputs = wanted === true ? outputsOf(event, LEGACY_OUTPUTS) : wanted && wanted.length > 0 ? outputsOf(event, wanted) : undefined;
  return { ok: true, record: { model, modelVersion, eventTimeMs, values, ...(outputs ? { outputs } : {}), partition: meta.partition, offset: meta.offset } };
}

const LEGACY_OUTPUTS = ['prediction', 'confidence'];

/** The outputs `names` an event carries as top-level fields, or undefined when it carries none of its output fields. */
function outputsOf(event: PredictionEvent, names: readonly string[]): Record<string, unknown> | undefined {
  if (!Object.hasOwn(event, 'prediction') && !Object.hasOwn(event, 'confidence') && !Object.hasOwn(event, PROBABILITIES)) return undefined;
  return resolveOutputs(event, names).outputs;
}

function fail(reason: FailureReason, detail: string, path?: string, model?: string, modelVersion?: string): DecodeResult {
  return { ok: false, failure: { reason, detail, path, model, ...(modelVersion !== undefined ? { modelVersion } : {}) } };
}
