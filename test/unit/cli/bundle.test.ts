// Start-up (issue 17, item 3): `npm run build` replaces dist/app/cli.js with an esbuild bundle
// of src/app/cli.ts (config/build/bundle-cli.mjs). The bundle is built here into a directory of its
// own and run as a real process; each command's output must be the one the sources give
// (main() in process), and a resolve hook writes down every module the process loads: zod and
// commander are inside the bundle, so `--version` and `check` load no package at all, while
// the packages left out (eta, kafkajs, …) still load from node_modules where they are needed.
import { execFile } from 'node:child_process';
import { existsSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, readFile, rm, symlink, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/app/cli.js';
import { memoryIo } from './io.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));

const HOOK = `import { appendFileSync } from 'node:fs';
export async function resolve(specifier, context, next) {
  const result = await next(specifier, context);
  appendFileSync(process.env.DRIFTWATCH_TEST_LOADED, result.url + '\\n');
  return result;
}`;
const REGISTER = `data:text/javascript,${encodeURIComponent(`import { register } from 'node:module'; register(${JSON.stringify(`data:text/javascript,${encodeURIComponent(HOOK)}`)});`)}`;

let dir: string;
let app: string;
let runs = 0;

interface Run {
  code: number;
  stdout: string;
  stderr: string;
  urls: string[];
}

function exec(file: string, args: string[], env: Record<string, string | undefined>): Promise<{ code: number; stdout: string; stderr: string }> {
  return new Promise((resolve) => {
    execFile(file, args, { cwd: root, env: { PATH: process.env.PATH, HOME: process.env.HOME, ...env }, timeout: 60_000 }, (error, stdout, stderr) =>
      resolve({ code: error ? (typeof error.code === 'number' ? error.code : 1) : 0, stdout, stderr }),
    );
  });
}

/** The bundled CLI as a fresh process, with the resolve hook. */
async function bundled(args: string[]): Promise<Run> {
  const log = join(dir, `loaded-${runs++}.txt`);
  await writeFile(log, '');
  const run = await exec(process.execPath, ['--import', REGISTER, join(app, 'cli.js'), ...args], { DRIFTWATCH_TEST_LOADED: log });
  return { ...run, urls: (await readFile(log, 'utf8')).split('\n').filter(Boolean) };
}

/** The same command through the sources, in this process. */
async function sources(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo();
  const code = await main(['node', 'driftwatch', ...args], io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

const packagesIn = (run: Run) => [...new Set(run.urls.map((u) => /\/node_modules\/((?:@[^/]+\/)?[^/]+)\//.exec(u)?.[1]).filter((p) => p !== undefined))];
/** Every file the run loaded that is not one of the bundle's. */
const outsideBundle = (run: Run) => run.urls.filter((u) => u.startsWith('file:') && !u.startsWith(pathToFileURL(app).href + '/'));
const withoutTimestamp = (json: string) => ({ ...(JSON.parse(json) as Record<string, unknown>), timestamp: null });

const reference = join(root, 'config/examples/model_artifacts/v1.2.0/reference_distribution.json');
const current = join(root, 'config/examples/current.csv');

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-bundle-'));
  app = join(dir, 'dist/app');
  await mkdir(app, { recursive: true });
  // The bundle's external packages resolve from here, as from an installed package.
  await symlink(join(root, 'node_modules'), join(dir, 'node_modules'), 'dir');
  const built = await exec(process.execPath, [join(root, 'config/build/bundle-cli.mjs'), join(dir, 'dist')], {});
  expect(built.stderr).toBe('');
  expect(built.code).toBe(0);
}, 60_000);
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('the bundled CLI (config/build/bundle-cli.mjs)', () => {
  it('--version and --help print what the sources print, and --version loads no package', async () => {
    const version = await bundled(['--version']);
    expect(version.code).toBe(0);
    const pkg = JSON.parse(await readFile(join(root, 'package.json'), 'utf8')) as { version: string };
    expect(version.stdout).toBe(`${pkg.version}\n`);
    expect(packagesIn(version)).toEqual([]);
    expect(outsideBundle(version)).toEqual([]);
    // Not one chunk of a command: --version needs none.
    expect(version.urls.filter((u) => /\/cli\.(check|reference|run|replay|alerts|job|demo)/.test(u))).toEqual([]);

    for (const args of [['--help'], ['check', '--help'], ['run', '--help']]) {
      const [b, s] = await Promise.all([bundled(args), sources(args)]);
      expect({ code: b.code, stdout: b.stdout, stderr: b.stderr }, args.join(' ')).toEqual(s);
    }
  });

  it('check gives the sources’ verdict and loads nothing outside the bundle', async () => {
    const args = ['check', '--reference', reference, '--input', current, '--json'];
    const [b, s] = await Promise.all([bundled(args), sources(args)]);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(s.code);
    expect(withoutTimestamp(b.stdout)).toEqual(withoutTimestamp(s.stdout));
    expect(packagesIn(b)).toEqual([]);
    expect(outsideBundle(b)).toEqual([]);

    // The table, and a bad input's message (file, line), are the same too.
    const table = ['check', '--reference', reference, '--input', current, '--metric', 'auto', '--threshold', 'auto'];
    const [bt, st] = await Promise.all([bundled(table), sources(table)]);
    expect(bt.code).toBe(st.code);
    expect(bt.stdout.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T')).toBe(st.stdout.replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T'));
    const bad = join(dir, 'bad.csv');
    await writeFile(bad, 'age,income\n31,40000\n32,"oops\n');
    const badArgs = ['check', '--reference', reference, '--input', bad];
    const [bb, sb] = await Promise.all([bundled(badArgs), sources(badArgs)]);
    expect(sb.code).not.toBe(0);
    expect({ code: bb.code, stdout: bb.stdout, stderr: bb.stderr }).toEqual(sb);
  });

  it('check --report loads the report writer’s packages from node_modules and writes the same report', async () => {
    const out = (name: string) => join(dir, name);
    const args = (file: string) => ['check', '--reference', reference, '--input', current, '--json', '--report', file];
    const [b, s] = await Promise.all([bundled(args(out('bundled.html'))), sources(args(out('sources.html')))]);
    expect(b.code).toBe(s.code);
    expect(packagesIn(b)).toEqual(expect.arrayContaining(['eta', 'd3-scale', 'd3-shape']));
    const html = async (file: string) => (await readFile(file, 'utf8')).replace(/\d{4}-\d\d-\d\dT[\d:.]+Z/g, 'T').replace(/\d{4}-\d\d-\d\d \d\d:\d\d(:\d\d)?( UTC)?/g, 'T');
    expect(await html(out('bundled.html'))).toBe(await html(out('sources.html')));
  });

  it('reference build and inspect write and read the same reference as the sources', async () => {
    const training = join(root, 'config/examples/training.csv');
    const build = (file: string) => ['reference', 'build', '--input', training, '--out', file, '--calibration-replicates', '200', '--threads', '1'];
    const [b, s] = await Promise.all([bundled(build(join(dir, 'b.json'))), sources(build(join(dir, 's.json')))]);
    expect(b.stderr).toBe('');
    expect(b.code).toBe(0);
    expect(s.code).toBe(0);
    const load = async (file: string) => ({ ...(JSON.parse(await readFile(file, 'utf8')) as Record<string, unknown>), created_at: null });
    expect(await load(join(dir, 'b.json'))).toEqual(await load(join(dir, 's.json')));
    expect(packagesIn(b)).toEqual([]);

    const [bi, si] = await Promise.all([bundled(['reference', 'inspect', join(dir, 'b.json')]), sources(['reference', 'inspect', join(dir, 'b.json')])]);
    expect({ code: bi.code, stdout: bi.stdout, stderr: bi.stderr }).toEqual(si);
  });

  it('run loads the server clients from node_modules (failing here on a missing configuration file)', async () => {
    const absent = join(dir, 'absent.yaml');
    const b = await bundled(['run', '--config', absent]);
    expect(b.code).toBe(1);
    expect(b.stderr).toContain('absent.yaml');
    expect(packagesIn(b)).toEqual(expect.arrayContaining(['kafkajs', 'nodemailer', 'rxjs', 'pino']));
  });

  it('every import.meta.url of the bundle names the tsc twin of a source module', async () => {
    // config/build/bundle-cli.mjs rewrites each module's import.meta.url to the URL its module has in
    // tsc's layout, so that the paths built from it (the package root, config/examples, the
    // calibration worker) are the same as from tsc's output.
    const twins = new Set<string>();
    for (const name of await readdir(app)) {
      if (!name.endsWith('.js')) continue;
      const text = await readFile(join(app, name), 'utf8');
      for (const m of text.matchAll(/new URL\("([^"]+)", import\.meta\.url\)\.href/g)) twins.add(m[1]);
    }
    expect([...twins].sort()).toEqual(expect.arrayContaining(['../adapters/alerts/templates.js', '../adapters/threads/calibration-pool.js', 'service.js']));
    for (const twin of twins) {
      const source = join(root, 'src/app', twin).replace(/\.js$/, '.ts');
      expect(existsSync(source), `${twin}: no ${source}`).toBe(true);
    }
  });
});
