// Shared by the feature-store tests: a numeric reference (the guide's four features), seeded
// rows, and the comparison of `driftwatch job --once --json` with `driftwatch check --json`
// on the same rows written to a file.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { expect } from 'vitest';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { saveReference } from '../../../src/adapters/files/reference-file.js';
import { checkCommand } from '../../../src/app/commands/check.js';
import { jobOnce } from '../../../src/app/commands/job.js';
import { creditRow, rng } from '../../fixtures/random.js';
import { quietLogger, tempDir } from '../helpers.js';

export const FEATURES = ['age', 'income', 'credit_score', 'loan_amount'] as const;
export const MODEL = 'credit-risk';
export const VERSION = 'v1.2.0';
/** Window end of the tests: 2026-12-01T12:00Z, windows of 1 h. */
export const END = Date.parse('2026-12-01T12:00:00Z');
export const HOUR = 3_600_000;

export async function numericReference(): Promise<{ dir: string; reference: ReferenceDistribution }> {
  const dir = await tempDir('driftwatch-store-refs-');
  const r = rng(20261201);
  const rows = Array.from({ length: 5000 }, () => {
    const c = creditRow(r);
    return FEATURES.map((f) => c[f] as number);
  });
  const reference = ReferenceDistribution.fromRows(rows, { featureNames: [...FEATURES], modelVersion: VERSION });
  await saveReference(reference, join(dir, VERSION, 'reference_distribution.json'));
  return { dir, reference };
}

/** `n` feature vectors in the reference's order; drifting ones shift income and credit score. */
export function vectors(n: number, seed: number, drift = false): number[][] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const c = creditRow(r, drift);
    return FEATURES.map((f) => c[f] as number);
  });
}

export function jobEnv(dir: string, store: Record<string, string>): Record<string, string> {
  return {
    REFERENCE_DIR: dir,
    MODEL_NAME: MODEL,
    MODEL_VERSION: VERSION,
    DRIFT_WINDOW: '1h',
    DRIFT_CHECK_INTERVAL: '1h',
    // The job rates severity as `run` does (critical at RETRAIN_THRESHOLD); check's default is
    // 2 × the threshold (0.6 for PSI). The same value here keeps the comparison exact.
    RETRAIN_THRESHOLD: '0.6',
    HTTP_ENABLED: 'false',
    LOG_LEVEL: 'silent',
    ...store,
  };
}

type Json = Record<string, unknown>;

/** Runs job --once --json for the window ending at END and returns its lines. */
export async function jobJson(env: Record<string, string>, extra: { failOnDrift?: boolean } = {}): Promise<{ lines: Json[]; exitCode: number }> {
  const out = await jobOnce({ once: true, json: true, at: new Date(END).toISOString(), ...extra }, { env, logger: quietLogger as never });
  return {
    lines: out.stdout
      .trim()
      .split('\n')
      .filter(Boolean)
      .map((l) => JSON.parse(l) as Json),
    exitCode: out.exitCode,
  };
}

/** check --json on the same rows, as a JSON Lines file of feature_vector arrays. */
export async function checkJson(referencePath: string, rows: readonly (readonly unknown[])[]): Promise<Json> {
  const dir = await tempDir('driftwatch-store-export-');
  const input = join(dir, 'rows.jsonl');
  await writeFile(input, rows.map((r) => JSON.stringify({ feature_vector: r })).join('\n') + '\n');
  const out = await checkCommand({ reference: referencePath, input, json: true });
  return JSON.parse(out.stdout) as Json;
}

/** Every field of check's object equal (the timestamp aside: check stamps now, the job its window end). */
export function expectSameCheck(job: Json, check: Json): void {
  const { timestamp: jt, model, window, rejected_rows, ...jobCheck } = job;
  const { timestamp: ct, ...checkCheck } = check;
  expect(jt).toBe(new Date(END).toISOString());
  expect(typeof ct).toBe('string');
  expect(model).toBe(MODEL);
  expect(window).toEqual({ start: new Date(END - HOUR).toISOString(), end: new Date(END).toISOString() });
  expect(rejected_rows).toBeTypeOf('object');
  expect(jobCheck).toEqual(checkCheck);
}
