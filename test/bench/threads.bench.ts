/**
 * Issue 17, item 2 — the reference build's calibration over worker threads
 * (src/adapters/threads/calibration-pool.ts), from the built JavaScript (dist/: `npm run build`
 * first), as the CLI runs it. Every figure beside the single-threaded path of the same run:
 *
 * 1. In process, 100,000 × 100 rows with ties (values rounded to 0.05, so that every feature's
 *    PSI counts differ and no two share a calibration): calibrateFeatures (one thread) against
 *    threadedCalibrator (the default: one thread per core), alternating; wall and CPU (every
 *    thread's); the quantiles compared for equality.
 * 2. The crossover: 2, 4, 8 and 16 distinct features, the pool forced on (minWork 0) against
 *    one thread, to place MIN_PARALLEL_WORK.
 * 3. The CLI: `reference build` of the same rows as CSV, `--threads 1` against the default,
 *    fresh processes, alternating; the two files compared (created_at aside).
 */
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Calibrator, CalibrationSettings, ReferenceDistribution as Reference } from '../../src/core/reference/index.js';
import type { CalibrationPoolOptions } from '../../src/adapters/threads/calibration-pool.js';
import { featureNames, numericRows } from './data.js';
import { collectGarbage, median, progress, report, type Figure } from './harness.js';

const ROWS = Number(process.env.BENCH_THREADS_ROWS ?? 100_000);
const FEATURES = 100;
const RUNS = Number(process.env.BENCH_THREADS_RUNS ?? 3);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/app/cli.js');
if (!existsSync(cli)) {
  console.error('dist/ is missing: run npm run build first (the worker threads run the built JavaScript)');
  process.exit(1);
}
// The built modules, so that the worker threads load JavaScript, not TypeScript through tsx.
const core = (await import(join(root, 'dist/core/reference/index.js'))) as {
  ReferenceDistribution: typeof Reference;
  calibrateFeatures: Calibrator;
  calibrationSettings: () => CalibrationSettings;
};
const pool = (await import(join(root, 'dist/adapters/threads/calibration-pool.js'))) as {
  threadedCalibrator: (options?: CalibrationPoolOptions) => Calibrator;
  defaultThreads: () => number;
};

const dir = mkdtempSync(join(tmpdir(), 'driftwatch-threads-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
const range = (xs: readonly number[], digits = 2) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;
const cpuS = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};

progress(`generating ${ROWS.toLocaleString()} × ${FEATURES} rows with ties`);
const names = featureNames(FEATURES);
const rows = numericRows(ROWS, FEATURES, 17).map((row) => row.map((x) => Math.round(x * 20) / 20));
const built = core.ReferenceDistribution.fromRows(rows, { featureNames: names });
const counts = built.features.map((f) => (f.type === 'numeric' ? f.psiCounts : Float64Array.from(f.categories.values())));
const distinct = new Set(counts.map((c) => Array.from(c).join(','))).size;

/** One calibration of `which` counts with fresh settings (calibrateFeature memoises per settings object): wall and CPU seconds. */
function timeCalibration(calibrator: Calibrator, which: Float64Array[]): { wall: number; cpu: number; result: unknown } {
  collectGarbage();
  const settings = core.calibrationSettings();
  const c0 = cpuS();
  const t0 = performance.now();
  const result = calibrator(which, settings);
  return { wall: (performance.now() - t0) / 1000, cpu: cpuS() - c0, result };
}

const single = core.calibrateFeatures;
const threaded = pool.threadedCalibrator();
progress(`calibration of ${FEATURES} features (${distinct} distinct counts), ${pool.defaultThreads()} threads against 1: ${RUNS} runs each, alternating`);
const one: { wall: number; cpu: number }[] = [];
const many: { wall: number; cpu: number }[] = [];
let identical = true;
for (let r = 0; r < RUNS; r++) {
  const a = timeCalibration(single, counts);
  const b = timeCalibration(threaded, counts);
  identical &&= JSON.stringify(a.result) === JSON.stringify(b.result);
  one.push(a);
  many.push(b);
}
if (!identical) throw new Error('the threaded calibration differs from the single-threaded one');

progress('crossover: 2, 4, 8, 16 distinct features, the pool forced on');
const forced = pool.threadedCalibrator({ minWork: 0 });
const crossover = [2, 4, 8, 16].map((k) => {
  const which = counts.slice(0, k);
  const singles: number[] = [];
  const pooled: number[] = [];
  for (let r = 0; r < RUNS; r++) {
    singles.push(timeCalibration(single, which).wall);
    pooled.push(timeCalibration(forced, which).wall);
  }
  return { k, single: median(singles), pooled: median(pooled) };
});

progress(`CLI reference build of the same rows as CSV: --threads 1 against the default, ${RUNS} runs each, alternating`);
const csv = join(dir, 'reference.csv');
writeFileSync(csv, [names.join(','), ...rows.map((row) => row.join(','))].join('\n') + '\n');
function build(threads: number | null, out: string): number {
  const t0 = performance.now();
  const run = spawnSync(process.execPath, [cli, 'reference', 'build', '--input', csv, '--out', out, ...(threads ? ['--threads', String(threads)] : [])], { encoding: 'utf8' });
  if (run.status !== 0) throw new Error(`reference build exited ${run.status}: ${run.stderr}`);
  return (performance.now() - t0) / 1000;
}
const cliOne: number[] = [];
const cliMany: number[] = [];
for (let r = 0; r < RUNS; r++) {
  cliOne.push(build(1, join(dir, 'one.json')));
  cliMany.push(build(null, join(dir, 'many.json')));
}
const file = (path: string) => {
  const data = JSON.parse(readFileSync(path, 'utf8')) as { created_at?: string };
  delete data.created_at;
  return JSON.stringify(data);
};
const sameFile = file(join(dir, 'one.json')) === file(join(dir, 'many.json'));
if (!sameFile) throw new Error('the CLI wrote a different reference with threads');

const wall = (xs: { wall: number }[]) => xs.map((x) => x.wall);
const cpu = (xs: { cpu: number }[]) => xs.map((x) => x.cpu);
const figures: Figure[] = [
  {
    name: `calibration of ${FEATURES} features, ${pool.defaultThreads()} threads, wall`,
    value: median(wall(many)),
    unit: 's',
    baseline: { name: 'one thread, median', value: median(wall(one)) },
    note: `${distinct} distinct counts; runs ${range(wall(many))} s against ${range(wall(one))} s, ×${(median(wall(one)) / median(wall(many))).toFixed(2)} faster; quantiles identical: ${identical}`,
  },
  {
    name: `calibration of ${FEATURES} features, CPU of every thread`,
    value: median(cpu(many)),
    unit: 's',
    baseline: { name: 'one thread', value: median(cpu(one)) },
    note: `runs ${range(cpu(many))} s against ${range(cpu(one))} s (worker start-up and its module loading included)`,
  },
  ...crossover.map(({ k, single, pooled }) => ({
    name: `crossover: ${k} features, pool forced on, wall`,
    value: pooled,
    unit: 's',
    baseline: { name: 'one thread', value: single },
    note: `×${(single / pooled).toFixed(2)}, median of ${RUNS}`,
  })),
  {
    name: `CLI reference build ${ROWS / 1000}k × ${FEATURES} (ties), default threads`,
    value: median(cliMany),
    unit: 's',
    baseline: { name: '--threads 1, median', value: median(cliOne) },
    note: `runs ${range(cliMany)} s against ${range(cliOne)} s, ×${(median(cliOne) / median(cliMany)).toFixed(2)}; files identical: ${sameFile}`,
  },
];
report('threads (issue 17 item 2: calibration over worker threads)', figures);
