// Start-up (issue 17, item 3): the commands that need no broker, database or mail server —
// `--version`, `check`, `reference build`, `reference inspect` — must not load the clients of
// those servers. Each command runs as a real process with a module resolve hook that writes
// down every module it resolves; the heavy packages must be absent from that list. `run`, which
// does need them, is the control that the hook sees them when they are loaded.
import { execFile } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';

const root = fileURLToPath(new URL('../../../', import.meta.url));

/** Packages only the streaming service, the alerts, the job or the demo producer need. */
const HEAVY = ['kafkajs', '@influxdata/influxdb-client', 'nodemailer', 'rxjs', 'pg', 'pg-cursor', 'redis', '@redis/client', 'prom-client', 'pino', 'croner', 'hyparquet'];

// Registered with --import: a resolve hook (in the loader's thread) appending each resolved URL.
const HOOK = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.DRIFTWATCH_TEST_LOADED, result.url + '\\n');
  return result;
}`;
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`)}`;

let dir: string;
let runs = 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  /** Packages (under node_modules) whose modules the process resolved. */
  packages: Set<string>;
  urls: string[];
}

function packageOf(url: string): string | null {
  const m = /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(url);
  return m ? m[1] : null;
}

async function driftwatch(args: string[]): Promise<Run> {
  const log = join(dir, `loaded-${runs++}.txt`);
  await writeFile(log, '');
  const { code, stdout, stderr } = await new Promise<{ code: number; stdout: string; stderr: string }>((resolve) => {
    execFile(
      process.execPath,
      ['--import', 'tsx', '--import', REGISTER, 'src/app/cli.ts', ...args],
      { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, DRIFTWATCH_TEST_LOADED: log }, timeout: 30_000 },
      (error, out, err) => resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout: out, stderr: err }),
    );
  });
  const urls = (await readFile(log, 'utf8')).split('\n').filter(Boolean);
  const packages = new Set(urls.map(packageOf).filter((p): p is string => p !== null));
  return { code, stdout, stderr, packages, urls };
}

const heavyIn = (run: Run) => HEAVY.filter((p) => run.packages.has(p));

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-startup-'));
  const rows = ['age,income,region'];
  for (let i = 0; i < 300; i++) rows.push(`${20 + (i % 50)},${1000 + i * 7.5},${['north', 'south', 'east'][i % 3]}`);
  await writeFile(join(dir, 'rows.csv'), rows.join('\n') + '\n');
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('start-up: the file commands load no server client', () => {
  it('driftwatch --version loads commander and none of the heavy packages', async () => {
    const run = await driftwatch(['--version']);
    expect(run.code).toBe(0);
    expect(run.stdout.trim()).toMatch(/^\d+\.\d+\.\d+$/);
    expect(run.packages.has('commander')).toBe(true);
    expect(heavyIn(run)).toEqual([]);
    // Nor any command module: --version needs none of them.
    expect(run.urls.filter((u) => u.includes('/src/app/commands/') && !u.endsWith('/io.ts'))).toEqual([]);
  });

  it('reference build, reference inspect and check load none of them', async () => {
    const reference = join(dir, 'reference_distribution.json');
    const build = await driftwatch(['reference', 'build', '--input', join(dir, 'rows.csv'), '--out', reference]);
    expect(build.stderr).toBe('');
    expect(build.code).toBe(0);
    expect(build.stdout).toContain('300 rows, 3 features');
    expect(heavyIn(build)).toEqual([]);

    const inspect = await driftwatch(['reference', 'inspect', reference, '--json']);
    expect(inspect.code).toBe(0);
    expect(JSON.parse(inspect.stdout)).toBeTypeOf('object');
    expect(heavyIn(inspect)).toEqual([]);

    const check = await driftwatch(['check', '--reference', reference, '--input', join(dir, 'rows.csv'), '--json']);
    expect(check.code).toBe(0);
    expect((JSON.parse(check.stdout) as { drift_detected: boolean }).drift_detected).toBe(false);
    expect(heavyIn(check)).toEqual([]);
    expect(check.urls.some((u) => u.endsWith('/src/app/commands/check.ts'))).toBe(true);
    // The HTML report's modules load only with --report.
    expect(['eta', 'd3-scale', 'd3-shape'].filter((p) => check.packages.has(p))).toEqual([]);
    const withReport = await driftwatch(['check', '--reference', reference, '--input', join(dir, 'rows.csv'), '--json', '--report', join(dir, 'report.html')]);
    expect(withReport.code).toBe(0);
    expect(withReport.packages.has('eta')).toBe(true);
  });

  it('the hook does see them where they are loaded: run (failing on a missing configuration file)', async () => {
    const run = await driftwatch(['run', '--config', join(dir, 'absent.yaml')]);
    expect(run.code).toBe(1);
    expect(run.stderr).toContain('absent.yaml');
    expect(heavyIn(run)).toEqual(expect.arrayContaining(['kafkajs', 'nodemailer', 'rxjs']));
  });
});
