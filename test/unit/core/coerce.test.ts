import { describe, expect, it } from 'vitest';
import { z } from 'zod';
import { fromEnv, hoursToMs } from '../../../src/core/coerce.js';

describe('fromEnv: environment strings to typed settings, in one place', () => {
  it('a blank string is "not set" for every kind', () => {
    expect(fromEnv.text(z.string().default('d')).parse('  ')).toBe('d');
    expect(fromEnv.number(z.number().default(7)).parse('')).toBe(7);
    expect(fromEnv.boolean(z.boolean().default(true)).parse('')).toBe(true);
    expect(fromEnv.list(z.array(z.string()).default([])).parse(' ')).toEqual([]);
    expect(fromEnv.duration(z.number().optional()).parse('')).toBeUndefined();
  });

  it('numbers, booleans, lists and durations from text; typed values pass through', () => {
    expect(fromEnv.number(z.number()).parse('0.25')).toBe(0.25);
    expect(fromEnv.number(z.number()).parse(3)).toBe(3);
    expect(fromEnv.number(z.number()).safeParse('abc').success).toBe(false);
    for (const yes of ['true', 'TRUE', '1', 'yes', 'on']) expect(fromEnv.boolean(z.boolean()).parse(yes), yes).toBe(true);
    for (const no of ['false', '0', 'No', 'off']) expect(fromEnv.boolean(z.boolean()).parse(no), no).toBe(false);
    expect(fromEnv.boolean(z.boolean()).safeParse('maybe').success).toBe(false);
    expect(fromEnv.list(z.array(z.string())).parse('a:9092, b:9092,')).toEqual(['a:9092', 'b:9092']);
    expect(fromEnv.list(z.array(z.string())).parse(['x'])).toEqual(['x']);
    expect(fromEnv.duration().parse('5m')).toBe(300_000);
    expect(fromEnv.duration().parse(1500)).toBe(1500);
  });

  it("hours (the guide's *_HOURS names) to milliseconds; anything else is left for the schema to reject", () => {
    expect(hoursToMs('2')).toBe(7_200_000);
    expect(hoursToMs('0.5')).toBe(1_800_000);
    expect(hoursToMs('-1')).toBe('-1');
    expect(hoursToMs('soon')).toBe('soon');
  });
});
