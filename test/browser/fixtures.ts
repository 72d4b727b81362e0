// Seeded inputs for the browser tests and the report benchmark, written as the files a user
// would hand the CLI (training CSV, current CSV, a recorded stream), and the CLI itself, run
// from the sources with tsx as `npx driftwatch` would run the built one.
import { spawn } from 'node:child_process';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { rng, type Rng } from '../fixtures/random.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));

/** A category value that is user data and must render as text (docs/reports.md, "Self-contained"). */
export const EVIL = '<script>alert(1)</script>';
export const CATEGORIES = ['alpha', 'beta', 'gamma'] as const;
export const PSI_BINS = 10;

/** Feature names: `kind` (categorical) and `numericFeatures` numeric ones, the first two drifting. */
export function featureNames(numericFeatures: number): string[] {
  return [...Array.from({ length: numericFeatures }, (_, i) => `x${String(i).padStart(3, '0')}`), 'kind'];
}

/**
 * One row. Numeric features are continuous (no ties, so each gets exactly PSI_BINS PSI bins);
 * with `drift`, x000 and x001 shift by one and two standard deviations and `kind` takes the
 * unseen category EVIL a third of the time (and never `gamma`).
 */
function row(r: Rng, numericFeatures: number, drift: boolean): Record<string, number | string> {
  const out: Record<string, number | string> = {};
  for (let i = 0; i < numericFeatures; i++) {
    const shift = drift && i < 2 ? i + 1 : 0;
    out[`x${String(i).padStart(3, '0')}`] = Math.round(r.normal(10 * (i + 1) + shift * 5, 5) * 1e6) / 1e6;
  }
  out.kind = drift ? r.choice(['alpha', 'beta', EVIL], [1, 1, 1]) : r.choice(CATEGORIES, [3, 2, 1]);
  return out;
}

function csvCell(v: number | string): string {
  const s = String(v);
  return /[",\n<>]/.test(s) ? `"${s.replace(/"/g, '""')}"` : s;
}

async function writeCsv(path: string, rows: Record<string, number | string>[]): Promise<void> {
  const names = Object.keys(rows[0]);
  await writeFile(path, [names.join(','), ...rows.map((r) => names.map((n) => csvCell(r[n])).join(','))].join('\n') + '\n');
}

export interface CheckFixture {
  dir: string;
  training: string;
  current: string;
  reference: string;
  features: string[];
}

/** Training and current CSV files in `dir`, and the paths the reference goes to. */
export async function writeCheckFixture(dir: string, numericFeatures: number, options: { trainingRows?: number; currentRows?: number; seed?: number } = {}): Promise<CheckFixture> {
  const r = rng(options.seed ?? 20261202);
  await mkdir(dir, { recursive: true });
  const training = join(dir, 'training.csv');
  const current = join(dir, 'current.csv');
  await writeCsv(
    training,
    Array.from({ length: options.trainingRows ?? 2000 }, () => row(r, numericFeatures, false)),
  );
  await writeCsv(
    current,
    Array.from({ length: options.currentRows ?? 600 }, () => row(r, numericFeatures, true)),
  );
  return { dir, training, current, reference: join(dir, 'v1', 'reference_distribution.json'), features: featureNames(numericFeatures) };
}

const MIN = 60_000;

/**
 * A recorded stream of `minutes` minutes at `perMinute` events a minute from `startMs`, drifting
 * (as the current CSV) from `driftAtMinute`: prediction events as JSON, one string each.
 */
export function streamEvents(model: string, numericFeatures: number, startMs: number, minutes: number, perMinute: number, driftAtMinute: number): string[] {
  const r = rng(7);
  const lines: string[] = [];
  for (let i = 0; i < minutes * perMinute; i++) {
    const t = startMs + Math.floor((i * MIN) / perMinute);
    const features = row(r, numericFeatures, t >= startMs + driftAtMinute * MIN);
    lines.push(JSON.stringify({ model, model_version: 'v1', timestamp: new Date(t).toISOString(), features, prediction: 0.5 }));
  }
  return lines;
}

/** The same stream as a JSON Lines file (`replay --input`). */
export async function writeStream(path: string, ...args: Parameters<typeof streamEvents>): Promise<void> {
  await writeFile(path, streamEvents(...args).join('\n') + '\n');
}

/** Runs `driftwatch ARGS` from the sources; resolves with its exit code and output. */
export function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number | null; stdout: string; stderr: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/cli.ts', ...args], {
      cwd: root,
      env: { ...process.env, LOG_LEVEL: 'warn', ...env },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let stdout = '';
    let stderr = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (stdout += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (stderr += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, stdout, stderr }));
  });
}

/** `reference build` of the fixture's training rows (no calibration: the tests do not need it). */
export async function buildReference(f: CheckFixture): Promise<void> {
  const r = await cli([
    'reference',
    'build',
    '--input',
    f.training,
    '--out',
    f.reference,
    '--categorical',
    'kind',
    '--psi-bins',
    String(PSI_BINS),
    '--no-calibration',
    '--model-version',
    'v1',
  ]);
  if (r.code !== 0) throw new Error(`reference build failed (exit ${r.code}): ${r.stderr}`);
}
