/**
 * Seeded numeric data for the benchmarks: `features` normal columns f0, f1, … with their own
 * means and spreads; with `shift`, every tenth feature (f0, f10, …) moves by `shift` of its
 * standard deviation, the drift a check must find.
 */
import { rng } from '../fixtures/random.js';

export function featureNames(features: number): string[] {
  return Array.from({ length: features }, (_, j) => `f${j}`);
}

export const isShifted = (j: number) => j % 10 === 0;

function columnParams(features: number): { mean: Float64Array; sd: Float64Array } {
  const mean = new Float64Array(features);
  const sd = new Float64Array(features);
  for (let j = 0; j < features; j++) {
    mean[j] = (j % 7) * 10;
    sd[j] = 1 + (j % 3);
  }
  return { mean, sd };
}

/** Rows as arrays in feature order (the reference's order). */
export function numericRows(rows: number, features: number, seed: number, shift = 0): number[][] {
  const r = rng(seed);
  const { mean, sd } = columnParams(features);
  const out: number[][] = new Array(rows);
  for (let i = 0; i < rows; i++) {
    const row: number[] = new Array(features);
    for (let j = 0; j < features; j++) row[j] = r.normal(mean[j] + (isShifted(j) ? shift * sd[j] : 0), sd[j]);
    out[i] = row;
  }
  return out;
}

/** The same rows as objects keyed by feature name (how events carry `features`). */
export function toObject(row: readonly number[], names: readonly string[]): Record<string, number> {
  const o: Record<string, number> = {};
  for (let j = 0; j < names.length; j++) o[names[j]] = row[j];
  return o;
}
