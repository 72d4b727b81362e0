/**
 * Issue 17, items 5 and 6 — driftwatch against the Python peers, on one machine, in one run.
 *
 * The same 100,000 × 100 numeric rows as batch-check.bench.ts (reference seed 1; current seed 2,
 * every tenth feature shifted by 1 sd) are written once to two CSV files. Then, alternating so
 * that the machine's load touches both sides alike:
 *
 * - the CLI end to end, `node dist/app/cli.js reference build` + `check` (a fresh process each,
 *   as a user runs them; peak RSS from /usr/bin/time);
 * - the Python baseline from the oracle's virtual environment (.venv, test/golden/venv.sh):
 *   pandas `read_csv` of both files, then per column scipy `ks_2samp` and a numpy decile PSI
 *   (deciles of the reference, counts by searchsorted), each phase timed inside Python.
 *
 * In process: the library's `ReferenceDistribution.fromRows` + `DriftDetector.detect` on the
 * same rows in memory, against the scipy loop's time. Last, 1,000,000 × 20 rows: `check`'s peak
 * RSS through the CLI (the reference is built in process, not timed).
 *
 * Targets (issue 17, item 6): CLI build + check ≤ 2× the Python total and ≤ 3× pandas
 * read_csv of the two files; library build + detect ≤ 1/3 of the scipy loop; detect ≤ 0.25 s;
 * 1 M × 20 check peak ≤ 400 MB. BENCH_PEER_RUNS (default 3) sets the runs per side;
 * BENCH_PEER_LARGE=0 skips the 1 M × 20 figure.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { createWriteStream, existsSync, mkdtempSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { once } from 'node:events';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DriftDetector } from '../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { saveReference } from '../../src/adapters/files/reference-file.js';
import { featureNames, numericRows } from './data.js';
import { collectGarbage, machineLoad, median, progress, report, type Figure } from './harness.js';

const ROWS = 100_000;
const FEATURES = 100;
const LARGE_ROWS = 1_000_000;
const LARGE_FEATURES = 20;
const RUNS = Number(process.env.BENCH_PEER_RUNS ?? 3);
const LARGE = process.env.BENCH_PEER_LARGE !== '0';

const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/app/cli.js');
const python = [join(root, '.venv/bin/python'), '/work/main/.venv/bin/python'].find((p) => existsSync(p));
const dir = mkdtempSync(join(tmpdir(), 'driftwatch-peer-'));
process.on('exit', () => rmSync(dir, { recursive: true, force: true }));

const range = (xs: readonly number[], digits = 2) => `${Math.min(...xs).toFixed(digits)}–${Math.max(...xs).toFixed(digits)}`;

/** Writes rows as CSV with a header; `String(x)` is the shortest text that reads back as x. */
async function writeCsv(path: string, rows: readonly (readonly number[])[], names: readonly string[]): Promise<number> {
  const out = createWriteStream(path);
  out.write(names.join(',') + '\n');
  let chunk = '';
  for (let i = 0; i < rows.length; i++) {
    chunk += rows[i].join(',') + '\n';
    if (chunk.length > 1 << 20) {
      if (!out.write(chunk)) await once(out, 'drain');
      chunk = '';
    }
  }
  out.end(chunk);
  await once(out, 'finish');
  return statSync(path).size;
}

/** One CLI command in a fresh process: wall seconds and peak RSS (MB, from /usr/bin/time). */
function runCli(args: string[]): { seconds: number; peakMb: number } {
  const t0 = performance.now();
  const run = spawnSync('/usr/bin/time', ['-f', '@@rss %M', process.execPath, cli, ...args], { encoding: 'utf8', maxBuffer: 64 << 20 });
  const seconds = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`driftwatch ${args.join(' ')} exited ${run.status}: ${run.stderr}`);
  const rss = /@@rss (\d+)/.exec(run.stderr);
  return { seconds, peakMb: rss ? Number(rss[1]) / 1024 : Number.NaN };
}

const PYTHON_BASELINE = String.raw`
import json, sys, time
import numpy as np, pandas as pd
from scipy.stats import ks_2samp
ref_path, cur_path = sys.argv[1], sys.argv[2]
t0 = time.perf_counter()
ref = pd.read_csv(ref_path)
cur = pd.read_csv(cur_path)
t1 = time.perf_counter()
c1 = time.process_time()
ks, psi = [], []
for name in ref.columns:
    r = ref[name].to_numpy(dtype=np.float64)
    c = cur[name].to_numpy(dtype=np.float64)
    ks.append(float(ks_2samp(r, c).statistic))
    edges = np.quantile(r, np.linspace(0, 1, 11)[1:-1])
    rp = np.bincount(np.searchsorted(edges, r, side='left'), minlength=10) / len(r)
    cp = np.bincount(np.searchsorted(edges, c, side='left'), minlength=10) / len(c)
    rp = np.clip(rp, 1e-4, None); cp = np.clip(cp, 1e-4, None)
    psi.append(float(np.sum((cp - rp) * np.log(cp / rp))))
t2 = time.perf_counter()
c2 = time.process_time()
print(json.dumps({"read": t1 - t0, "stats": t2 - t1, "stats_cpu": c2 - c1, "rows": len(ref) + len(cur), "columns": len(ref.columns), "ks_max": max(ks), "psi_max": max(psi)}))
`;
const pythonScript = join(dir, 'peer_baseline.py');
writeFileSync(pythonScript, PYTHON_BASELINE);

function runPython(refCsv: string, curCsv: string): { read: number; stats: number; stats_cpu: number; total: number; ks_max: number; columns: number } {
  if (!python) throw new Error('no Python with pandas: run bash test/golden/venv.sh');
  const t0 = performance.now();
  const out = execFileSync(python, [pythonScript, refCsv, curCsv], { encoding: 'utf8' });
  const wall = (performance.now() - t0) / 1000;
  const r = JSON.parse(out.trim().split('\n').pop()!) as { read: number; stats: number; stats_cpu: number; ks_max: number; columns: number };
  return { ...r, total: wall };
}

progress('building dist/ (npm run build)');
execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });

const names = featureNames(FEATURES);
progress(`generating ${ROWS.toLocaleString()} × ${FEATURES} reference and current rows`);
const referenceRows = numericRows(ROWS, FEATURES, 1);
const currentRows = numericRows(ROWS, FEATURES, 2, 1);
const refCsv = join(dir, 'reference.csv');
const curCsv = join(dir, 'current.csv');
const refJson = join(dir, 'reference_distribution.json');
const bytes = (await writeCsv(refCsv, referenceRows, names)) + (await writeCsv(curCsv, currentRows, names));
progress(`wrote ${(bytes / 1_048_576).toFixed(0)} MiB of CSV`);

const cliRuns: { build: number; check: number; bare: number; buildMb: number; checkMb: number; load: string }[] = [];
const pyRuns: { read: number; stats: number; stats_cpu: number; total: number; load: string }[] = [];
let ksMax = 0;
for (let run = 0; run < RUNS; run++) {
  progress(`run ${run + 1} of ${RUNS}: Python (pandas + scipy), then the CLI (${machineLoad()})`);
  const py = runPython(refCsv, curCsv);
  ksMax = py.ks_max;
  pyRuns.push({ ...py, load: machineLoad() });
  const build = runCli(['reference', 'build', '--input', refCsv, '--out', refJson]);
  const check = runCli(['check', '--reference', refJson, '--input', curCsv, '--json']);
  // The same build without the resampled calibration (issue 10): how much of the build is reading and binning.
  const bare = runCli(['reference', 'build', '--input', refCsv, '--out', join(dir, 'uncalibrated.json'), '--no-calibration']);
  cliRuns.push({ build: build.seconds, check: check.seconds, bare: bare.seconds, buildMb: build.peakMb, checkMb: check.peakMb, load: machineLoad() });
}

progress(`library: fromRows + detect on the rows in memory, 1 warm-up + ${RUNS} runs`);
const detector = new DriftDetector();
let reference = ReferenceDistribution.fromRows(referenceRows, { featureNames: names });
detector.detect(currentRows, reference);
const libBuild: number[] = [];
const libDetect: number[] = [];
const libBuildCpu: number[] = [];
const libDetectCpu: number[] = [];
const cpuSeconds = () => {
  const { user, system } = process.cpuUsage();
  return (user + system) / 1e6;
};
for (let run = 0; run < RUNS; run++) {
  collectGarbage();
  const c0 = cpuSeconds();
  const t0 = performance.now();
  reference = ReferenceDistribution.fromRows(referenceRows, { featureNames: names });
  const c1 = cpuSeconds();
  const t1 = performance.now();
  detector.detect(currentRows, reference);
  const c2 = cpuSeconds();
  const t2 = performance.now();
  libBuild.push((t1 - t0) / 1000);
  libDetect.push((t2 - t1) / 1000);
  libBuildCpu.push(c1 - c0);
  libDetectCpu.push(c2 - c1);
}

const cliTotal = cliRuns.map((r) => r.build + r.check);
const pyTotal = pyRuns.map((r) => r.total);
const pyRead = pyRuns.map((r) => r.read);
const pyStats = pyRuns.map((r) => r.stats);
const pyStatsCpu = pyRuns.map((r) => r.stats_cpu);
const libTotal = libBuild.map((b, i) => b + libDetect[i]);
const loads = [...new Set([...cliRuns, ...pyRuns].map((r) => r.load))].join(' | ');
const figures: Figure[] = [
  {
    name: `CLI reference build + check, ${ROWS / 1000}k × ${FEATURES} CSV`,
    value: median(cliTotal),
    unit: 's',
    baseline: { name: 'Python: pandas read_csv + ks_2samp + numpy PSI, wall', value: median(pyTotal) },
    note:
      `median of ${RUNS}; CLI ${range(cliTotal)} s (build ${range(cliRuns.map((r) => r.build))}, check ${range(cliRuns.map((r) => r.check))}), ` +
      `peak RSS build ${range(
        cliRuns.map((r) => r.buildMb),
        0,
      )} MB, check ${range(
        cliRuns.map((r) => r.checkMb),
        0,
      )} MB; ` +
      `build --no-calibration ${range(cliRuns.map((r) => r.bare))} s; ` +
      `Python ${range(pyTotal)} s (read_csv ${range(pyRead)}, stats ${range(pyStats)}); max KS ${ksMax.toFixed(4)}; load per run: ${loads}`,
  },
  { name: 'CLI build + check / Python total', value: median(cliTotal) / median(pyTotal), unit: '×', target: { kind: 'max', value: 2 } },
  {
    name: 'CLI build + check / pandas read_csv of both',
    value: median(cliTotal) / median(pyRead),
    unit: '×',
    baseline: { name: 'pandas read_csv of both files', value: median(pyRead) / median(pyRead) },
    target: { kind: 'max', value: 3 },
    note: `pandas read_csv ${range(pyRead)} s`,
  },
  {
    name: `library fromRows + detect, ${ROWS / 1000}k × ${FEATURES} in memory`,
    value: median(libTotal),
    unit: 's',
    baseline: { name: 'scipy ks_2samp + numpy PSI loop', value: median(pyStats) },
    note:
      `median of ${RUNS} after 1 warm-up; ${range(libTotal)} s (build ${range(libBuild)}, detect ${range(libDetect)}); ` +
      `CPU of the process: build ${range(libBuildCpu)} s, detect ${range(libDetectCpu)} s; scipy loop ${range(pyStats)} s`,
  },
  { name: 'library build + detect / scipy loop', value: median(libTotal) / median(pyStats), unit: '×', target: { kind: 'max', value: 1 / 3 } },
  {
    name: 'library build + detect / scipy loop, CPU time',
    value: median(libBuildCpu.map((b, i) => b + libDetectCpu[i])) / median(pyStatsCpu),
    unit: '×',
    note: `the same ratio in CPU seconds (less moved by the machine's load): library ${range(libBuildCpu.map((b, i) => b + libDetectCpu[i]))} s, scipy loop ${range(pyStatsCpu)} s (process_time)`,
  },
  {
    name: 'library detect alone',
    value: median(libDetect),
    unit: 's',
    baseline: { name: 'scipy ks_2samp + numpy PSI loop', value: median(pyStats) },
    target: { kind: 'max', value: 0.25 },
    note: `${range(libDetect, 3)} s wall; on a machine busier than its cores the wall time is the CPU time stretched by the wait for a core`,
  },
  {
    name: 'library detect alone, CPU time',
    value: median(libDetectCpu),
    unit: 's',
    baseline: { name: 'wall time of the same runs', value: median(libDetect) },
    note: `${range(libDetectCpu, 3)} s CPU (user + system, one thread)`,
  },
];

if (LARGE) {
  const largeNames = featureNames(LARGE_FEATURES);
  progress(`generating ${LARGE_ROWS.toLocaleString()} × ${LARGE_FEATURES} rows for the peak-memory check`);
  const largeRef = ReferenceDistribution.fromRows(numericRows(200_000, LARGE_FEATURES, 3), { featureNames: largeNames });
  const largeRefJson = join(dir, 'large_reference.json');
  await saveReference(largeRef, largeRefJson);
  const largeCsv = join(dir, 'large.csv');
  let largeBytes: number;
  {
    // Written in slices so that the generator's rows do not sit in memory all at once.
    const out = createWriteStream(largeCsv);
    out.write(largeNames.join(',') + '\n');
    for (let start = 0; start < LARGE_ROWS; start += 100_000) {
      const slice = numericRows(100_000, LARGE_FEATURES, 4 + start);
      if (!out.write(slice.map((r) => r.join(',')).join('\n') + '\n')) await once(out, 'drain');
    }
    out.end();
    await once(out, 'finish');
    largeBytes = statSync(largeCsv).size;
  }
  collectGarbage();
  progress(`check on ${(largeBytes / 1_048_576).toFixed(0)} MiB of CSV (${machineLoad()})`);
  const large = runCli(['check', '--reference', largeRefJson, '--input', largeCsv, '--json']);
  const baselineNode = runCli(['--version']);
  figures.push({
    name: `CLI check peak RSS, ${LARGE_ROWS / 1e6} M × ${LARGE_FEATURES} CSV`,
    value: large.peakMb,
    unit: 'MB',
    baseline: { name: 'driftwatch --version peak RSS', value: baselineNode.peakMb },
    target: { kind: 'max', value: 400 },
    note: `check took ${large.seconds.toFixed(1)} s on ${(largeBytes / 1_048_576).toFixed(0)} MiB; one run`,
  });
}

report('peer (issue 17, items 5 and 6)', figures);
