import { z } from 'zod';

const UNITS_MS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/**
 * Parses a duration: a number of milliseconds, or text such as "500ms", "30s", "5m", "1h",
 * "1.5h", "2d". Returns null when the text is not a duration.
 */
export function parseDuration(input: string | number): number | null {
  if (typeof input === 'number') return Number.isFinite(input) && input >= 0 ? input : null;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h|d)?\s*$/i.exec(input);
  if (!match) return null;
  const value = Number(match[1]) * UNITS_MS[(match[2] ?? 'ms').toLowerCase()];
  return Number.isFinite(value) ? Math.round(value) : null;
}

/** A zod field accepting a duration as milliseconds or text ("30s", "5m", "1h"); yields ms. */
export const durationMs = z.union([z.number(), z.string()]).transform((input, ctx) => {
  const ms = parseDuration(input);
  if (ms === null) {
    ctx.addIssue({ code: 'custom', message: `"${input}" is not a duration: use milliseconds or a number with ms, s, m, h or d, e.g. "30s", "1h"`, input });
    return z.NEVER;
  }
  return ms;
});
