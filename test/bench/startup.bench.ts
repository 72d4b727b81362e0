/**
 * Issue 17, item 3 — start-up: `driftwatch --version` and `driftwatch check` on a small file
 * (config/examples: 1,000 rows × 5 features against the example reference) as fresh processes,
 * beside `node -e 0` in the same run, alternating so that the machine's load touches all alike.
 * Wall time and CPU (user + system, from /usr/bin/time) per run. `dist/app/cli.js` is the
 * bundle `npm run build` writes (config/build/bundle-cli.mjs), as installed.
 *
 * The work itself: the check command's own time in one process (reading the reference and
 * the file, scoring, formatting), its modules (tsc's, unbundled) already loaded, timed on its
 * first call there.
 * Targets: `--version` ≤ 1.5× `node -e 0`; `check` ≤ 1.5× (`node -e 0` + the work).
 * BENCH_STARTUP_RUNS (default 20) sets the runs per command.
 */
import { execFileSync, spawnSync } from 'node:child_process';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { machineLoad, median, progress, report } from './harness.js';

const RUNS = Number(process.env.BENCH_STARTUP_RUNS ?? 20);
const root = fileURLToPath(new URL('../..', import.meta.url));
const cli = join(root, 'dist/app/cli.js');
const reference = join(root, 'config/examples/model_artifacts/v1.2.0/reference_distribution.json');
const input = join(root, 'config/examples/current.csv');

interface Run {
  wallMs: number;
  cpuMs: number;
}

/** One fresh process: wall time here, CPU (user + system) from /usr/bin/time. */
function run(args: string[]): Run {
  const t0 = performance.now();
  const child = spawnSync('/usr/bin/time', ['-f', '@@cpu %U %S', process.execPath, ...args], { encoding: 'utf8', maxBuffer: 16 << 20 });
  const wallMs = performance.now() - t0;
  if (child.status !== 0) throw new Error(`node ${args.join(' ')} exited ${child.status}: ${child.stderr}`);
  const cpu = /@@cpu ([\d.]+) ([\d.]+)/.exec(child.stderr);
  return { wallMs, cpuMs: cpu ? (Number(cpu[1]) + Number(cpu[2])) * 1000 : Number.NaN };
}

// In a process of its own, so that this benchmark's modules (tsx) are not counted.
const WORK = `
const { checkCommand } = await import(${JSON.stringify(join(root, 'dist/app/commands/check.js'))});
const c0 = process.cpuUsage();
const t0 = performance.now();
const out = await checkCommand({ reference: ${JSON.stringify(reference)}, input: ${JSON.stringify(input)}, json: true });
const ms = performance.now() - t0;
const c = process.cpuUsage(c0);
if (out.exitCode !== 0) throw new Error('check exited ' + out.exitCode + ': ' + out.stderr);
console.log(JSON.stringify({ ms, cpuMs: (c.user + c.system) / 1000 }));
`;

progress('building dist/ (npm run build)');
execFileSync('npm', ['run', 'build', '--silent'], { cwd: root, stdio: 'inherit' });

const commands = {
  node: ['-e', '0'],
  version: [cli, '--version'],
  check: [cli, 'check', '--reference', reference, '--input', input, '--json'],
} as const;
const runs: Record<keyof typeof commands, Run[]> = { node: [], version: [], check: [] };
const workMs: number[] = [];
const workCpuMs: number[] = [];
for (const args of Object.values(commands)) run([...args]); // warm the file cache
progress(`${RUNS} runs of each, alternating (${machineLoad()})`);
for (let i = 0; i < RUNS; i++) {
  for (const [name, args] of Object.entries(commands)) runs[name as keyof typeof commands].push(run([...args]));
  if (i % 4 === 0) {
    const work = JSON.parse(execFileSync(process.execPath, ['--input-type=module', '-e', WORK], { encoding: 'utf8' })) as { ms: number; cpuMs: number };
    workMs.push(work.ms);
    workCpuMs.push(work.cpuMs);
  }
}

const wall = (name: keyof typeof commands) => runs[name].map((r) => r.wallMs);
const cpu = (name: keyof typeof commands) => runs[name].map((r) => r.cpuMs);
const range = (xs: readonly number[]) => `${Math.min(...xs).toFixed(0)}–${Math.max(...xs).toFixed(0)}`;
const node = median(wall('node'));
const work = median(workMs);
report('startup (issue 17, item 3)', [
  {
    name: 'driftwatch --version, wall',
    value: median(wall('version')),
    unit: 'ms',
    baseline: { name: 'node -e 0', value: node },
    note: `median of ${RUNS}; ${range(wall('version'))} ms (node -e 0 ${range(wall('node'))} ms); CPU ${range(cpu('version'))} ms (node -e 0 ${range(cpu('node'))} ms)`,
  },
  { name: '--version / node -e 0 (wall)', value: median(wall('version')) / node, unit: '×', target: { kind: 'max', value: 1.5 } },
  { name: '--version / node -e 0 (CPU)', value: median(cpu('version')) / median(cpu('node')), unit: '×' },
  {
    name: 'driftwatch check, 1,000 rows × 5 features, wall',
    value: median(wall('check')),
    unit: 'ms',
    baseline: { name: 'node -e 0 + the check in process', value: node + work },
    note:
      `median of ${RUNS}; ${range(wall('check'))} ms; CPU ${range(cpu('check'))} ms; ` +
      `the check in process ${range(workMs)} ms wall, ${range(workCpuMs)} ms CPU over ${workMs.length} runs`,
  },
  { name: 'check / (node -e 0 + the work) (wall)', value: median(wall('check')) / (node + work), unit: '×', target: { kind: 'max', value: 1.5 } },
  { name: 'check / (node -e 0 + the work) (CPU)', value: median(cpu('check')) / (median(cpu('node')) + median(workCpuMs)), unit: '×' },
]);
