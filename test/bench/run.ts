/**
 * Runs the benchmark scenarios (test/bench/*.bench.ts) one after another, each in a child
 * process of its own (`node --expose-gc --import tsx`) so that heap and RSS figures start clean,
 * then prints one summary table with every figure, its baseline, target and PASS/MISS.
 *
 *   npm run bench                      every scenario
 *   npm run bench -- ingest memory     only the scenarios whose file name contains a word
 *   npm run bench -- ingest --profile  also write a CPU profile per scenario and print its top frames
 *   npm run bench -- peer              driftwatch's CLI and library against pandas + scipy (.venv)
 *
 * Figures are printed, never asserted: a MISS does not change the exit code; a scenario that
 * crashes does (exit 1 after the summary).
 */
import { execFileSync, spawn } from 'node:child_process';
import { mkdtempSync, readdirSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { basename, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { formatNumber, machineLoad, RESULT_PREFIX, targetText, verdict, type ScenarioReport } from './harness.js';
import { busyMs, printTopFrames } from './profile.js';

const here = fileURLToPath(new URL('.', import.meta.url));
/** Cheap scenarios first; the broker ones (end-to-end, stream-memory: 5 M events, about 8 min) need `npm run services:up`. */
const ORDER = ['batch-check', 'reference-build', 'sizes', 'startup', 'ingest', 'memory', 'peer', 'threads', 'end-to-end', 'stream-memory'];

const args = process.argv.slice(2);
const profile = args.includes('--profile');
const words = args.filter((a) => !a.startsWith('--'));
const nameOf = (file: string) => basename(file, '.bench.ts');
const rank = (name: string) => (ORDER.includes(name) ? ORDER.indexOf(name) : ORDER.length);
const all = readdirSync(here)
  .filter((f) => f.endsWith('.bench.ts'))
  .sort((a, b) => rank(nameOf(a)) - rank(nameOf(b)) || a.localeCompare(b));
const chosen = words.length === 0 ? all : all.filter((f) => words.some((w) => nameOf(f).includes(w)));
if (chosen.length === 0) {
  console.error(`No benchmark matches ${words.map((w) => `"${w}"`).join(', ')}. Available: ${all.map(nameOf).join(', ')}`);
  process.exit(2);
}

interface Outcome {
  name: string;
  report: ScenarioReport | null;
  exitCode: number | null;
  seconds: number;
  loadBefore: string;
}

function runScenario(file: string): Promise<Outcome> {
  const name = nameOf(file);
  const loadBefore = machineLoad();
  const profileDir = profile ? mkdtempSync(join(tmpdir(), `driftwatch-prof-${name}-`)) : null;
  const nodeArgs = ['--expose-gc', '--import', 'tsx', ...(profileDir ? ['--cpu-prof', `--cpu-prof-dir=${profileDir}`] : []), join(here, file)];
  console.log(`\n### ${name}  (before: ${loadBefore})\n    node ${nodeArgs.join(' ')}`);
  const t0 = performance.now();
  return new Promise((resolve) => {
    const child = spawn(process.execPath, nodeArgs, { stdio: ['ignore', 'pipe', 'inherit'] });
    let report: ScenarioReport | null = null;
    let pending = '';
    child.stdout.setEncoding('utf8');
    child.stdout.on('data', (chunk: string) => {
      pending += chunk;
      const lines = pending.split('\n');
      pending = lines.pop()!;
      for (const line of lines) {
        if (line.startsWith(RESULT_PREFIX)) report = JSON.parse(line.slice(RESULT_PREFIX.length)) as ScenarioReport;
        else console.log(line);
      }
    });
    child.on('close', (code) => {
      if (pending) console.log(pending);
      if (profileDir) {
        // tsx's loader thread and any child process write profiles too: show the busiest one.
        const files = readdirSync(profileDir)
          .filter((f) => f.endsWith('.cpuprofile'))
          .map((f) => join(profileDir, f));
        const busiest = files.map((f) => ({ f, ms: busyMs(f) })).sort((a, b) => b.ms - a.ms)[0];
        if (busiest) printTopFrames(busiest.f);
      }
      resolve({ name, report, exitCode: code, seconds: (performance.now() - t0) / 1000, loadBefore });
    });
  });
}

const outcomes: Outcome[] = [];
for (const file of chosen) outcomes.push(await runScenario(file));

const rows: string[][] = [];
for (const o of outcomes) {
  if (!o.report) {
    rows.push([o.name, 'ERROR', `exit ${o.exitCode}`, '', '', '', o.loadBefore]);
    continue;
  }
  for (const f of o.report.figures) {
    rows.push([
      o.name,
      f.name,
      `${formatNumber(f.value)} ${f.unit}`,
      f.baseline ? `${formatNumber(f.baseline.value)} ${f.unit} (${f.baseline.name})` : '—',
      targetText(f.target, f.unit),
      verdict(f),
      o.report.load,
    ]);
  }
}
const header = ['scenario', 'figure', 'value', 'baseline, same run', 'target', '', 'load (1, 5, 15 min)'];
const widths = header.map((h, i) => Math.max(h.length, ...rows.map((r) => r[i].length)));
const line = (cells: string[]) =>
  cells
    .map((c, i) => c.padEnd(widths[i]))
    .join('  ')
    .trimEnd();
const revision = (() => {
  try {
    return execFileSync('git', ['describe', '--always', '--dirty'], { cwd: here, encoding: 'utf8' }).trim();
  } catch {
    return 'unknown revision';
  }
})();
console.log(`\n## summary  (${revision}, node ${process.version}, ${new Date().toISOString()}, ${outcomes.reduce((s, o) => s + o.seconds, 0).toFixed(0)} s)`);
console.log(line(header));
for (const r of rows) console.log(line(r));
if (outcomes.some((o) => o.exitCode !== 0 || !o.report)) process.exit(1);
