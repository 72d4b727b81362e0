/**
 * Per-class probabilities as model outputs (docs/references-and-check.md, "Per-class
 * probabilities"). A prediction event carries them as one object keyed by class,
 * `"probabilities": {"approve": 0.8, "deny": 0.2}`; the reference records one numeric output per
 * class seen in training, named `probability_<class>` (the training rows' column of that name,
 * or the class's key of a JSON row's `probabilities` object). These rules are the definition
 * every reader applies — the slow decoder, the batch check's rows — and the fast decoder hands
 * any event with `probabilities` to the slow path (decoder.ts), so they are applied in one place.
 */

/** The `--outputs` name that stands for every class's probability, and the event field that carries them. */
export const PROBABILITIES = 'probabilities';
/** An output `probability_<class>` is the probability of `<class>`. */
export const PROBABILITY_PREFIX = 'probability_';

/** The output name of a class's probability. */
export const probabilityOutput = (cls: string): string => PROBABILITY_PREFIX + cls;

/** Whether an output name is a class's probability (`probability_<class>`, the class not empty). */
export const isProbabilityOutput = (name: string): boolean => name.length > PROBABILITY_PREFIX.length && name.startsWith(PROBABILITY_PREFIX);

/** The class of a probability output's name. */
export const classOf = (name: string): string => name.slice(PROBABILITY_PREFIX.length);

/**
 * What a probability output records for an event whose probabilities cannot be compared class
 * by class with the reference's: not a number, so it counts as an invalid value (hence missing).
 */
export const INVALID_PROBABILITIES = 'invalid probabilities';

const isPlainObject = (v: unknown): v is Record<string, unknown> => v !== null && typeof v === 'object' && !Array.isArray(v);

/**
 * The `probability_<class>` entries of an event's `probabilities` value, one per class it gives;
 * null when the value is not an object keyed by class (an array, a number…). The caller decides
 * what that means (an error in a file, invalid values in a stream).
 */
export function flattenProbabilities(probabilities: unknown): Record<string, unknown> | null {
  if (!isPlainObject(probabilities)) return null;
  const out: Record<string, unknown> = {};
  for (const cls of Object.keys(probabilities)) out[probabilityOutput(cls)] = probabilities[cls];
  return out;
}

/** The classes of an event's probabilities the reference does not know, sorted (empty when none). */
export interface ResolvedOutputs {
  outputs: Record<string, unknown>;
  unknownClasses: string[];
}

/**
 * The reference's outputs (`names`) read from `given`: an event's top-level fields
 * (`prediction`, `confidence`, `probabilities`), or with `row` a flat row (`probability_<class>`
 * keys beside the rest; `row.isFeature` names the keys that are input features, never classes). The rules:
 *
 * - a class's probability is recorded as given, but a number outside [0, 1] is invalid;
 * - an output the input lacks is absent (the caller counts it as missing, like a feature), and so
 *   is a class of the reference the event's probabilities do not give;
 * - a class the reference does not know makes every probability output of this event invalid
 *   (`INVALID_PROBABILITIES`): a probability vector over other classes is not comparable class by
 *   class. It is returned in `unknownClasses`, for the caller to report;
 * - a `probabilities` value that is not an object keyed by class is invalid the same way (null
 *   is missing);
 * - `confidence`, when the reference monitors it and the input has no `confidence` at all, is
 *   the largest finite number among the event's probabilities (the probability of the predicted
 *   class), if there is one.
 */
export function resolveOutputs(given: Readonly<Record<string, unknown>>, names: readonly string[], row?: { isFeature: (key: string) => boolean }): ResolvedOutputs {
  const outputs: Record<string, unknown> = {};
  let probabilities: Record<string, unknown> | null | undefined;
  let invalid = false;
  if (!row) {
    const value = given[PROBABILITIES];
    if (!Object.hasOwn(given, PROBABILITIES) || value === null || value === undefined) probabilities = undefined;
    else {
      probabilities = flattenProbabilities(value);
      invalid = probabilities === null;
    }
  } else {
    for (const key of Object.keys(given)) {
      if (isProbabilityOutput(key) && !row.isFeature(key)) (probabilities ??= {})[key] = given[key];
    }
  }
  const wantsProbabilities = names.some(isProbabilityOutput);
  const unknownClasses: string[] = [];
  if (wantsProbabilities && probabilities) {
    for (const key of Object.keys(probabilities)) if (!names.includes(key)) unknownClasses.push(key.length > PROBABILITY_PREFIX.length ? classOf(key) : '');
    unknownClasses.sort();
    if (unknownClasses.length > 0) invalid = true;
  }
  for (const name of names) {
    if (isProbabilityOutput(name)) {
      if (invalid) outputs[name] = INVALID_PROBABILITIES;
      else if (probabilities && Object.hasOwn(probabilities, name)) outputs[name] = inRange(probabilities[name]);
    } else if (Object.hasOwn(given, name)) outputs[name] = given[name];
    else if (name === 'confidence' && probabilities) {
      const top = largestNumber(probabilities);
      if (top !== null) outputs.confidence = top;
    }
  }
  return { outputs, unknownClasses };
}

/** A number outside [0, 1] is no probability: invalid; anything else is recorded as given. */
const inRange = (v: unknown): unknown => (typeof v === 'number' && Number.isFinite(v) && (v < 0 || v > 1) ? INVALID_PROBABILITIES : v);

function largestNumber(values: Record<string, unknown>): number | null {
  let top: number | null = null;
  for (const key in values) {
    const v = values[key];
    if (typeof v === 'number' && Number.isFinite(v) && (top === null || v > top)) top = v;
  }
  return top;
}
