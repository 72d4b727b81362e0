import { z } from 'zod';
import { durationMs } from './duration.js';

/**
 * The one environment-coercion helper. Settings come from a YAML or JSON file (numbers,
 * booleans, arrays) or from the environment (strings); each field of the configuration schemas
 * (app/config/schema.ts, the alerts section in adapters/alerts/config.ts) wraps its zod schema
 * in one of these, so a string becomes the type the schema expects, in one place:
 *
 * - a blank string (`""`, spaces) is "not set" (undefined) everywhere,
 * - `number`: `Number(text)` (so `"abc"` fails the schema as NaN, with its path),
 * - `boolean`: true/1/yes/on and false/0/no/off, any case; anything else fails,
 * - `list`: a comma list, items trimmed, empty items dropped,
 * - `duration`: milliseconds or text with a unit ("30s", "5m", "1h"), see core/duration.ts,
 * - `hoursToMs`: the integration guide's *_HOURS names, hours as text → milliseconds.
 *
 * Values that are already typed (from YAML) pass through untouched.
 */
export function blankIsUnset(value: unknown): unknown {
  return typeof value === 'string' && value.trim() === '' ? undefined : value;
}

export function text<T extends z.ZodType>(schema: T) {
  return z.preprocess(blankIsUnset, schema);
}

export function number<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    const v = blankIsUnset(value);
    return typeof v === 'string' ? Number(v) : v;
  }, schema);
}

const TRUE = /^(true|1|yes|on)$/i;
const FALSE = /^(false|0|no|off)$/i;

export function boolean<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    const v = blankIsUnset(value);
    if (typeof v !== 'string') return v;
    if (TRUE.test(v)) return true;
    if (FALSE.test(v)) return false;
    return v;
  }, schema);
}

export function list<T extends z.ZodType>(schema: T) {
  return z.preprocess((value) => {
    const v = blankIsUnset(value);
    if (typeof v !== 'string') return v;
    return v
      .split(',')
      .map((s) => s.trim())
      .filter((s) => s !== '');
  }, schema);
}

export function duration<T extends z.ZodType = typeof durationMs>(schema: T = durationMs as unknown as T) {
  return z.preprocess(blankIsUnset, schema);
}

/** Hours as text → milliseconds; other text is returned as it is, for the schema to reject. */
export function hoursToMs(raw: string): number | string {
  const h = Number(raw);
  return Number.isFinite(h) && h > 0 ? Math.round(h * 3_600_000) : raw;
}

/** The coercions by name: `fromEnv.number(z.number().positive())`. */
export const fromEnv = { text, number, boolean, list, duration } as const;
