#!/usr/bin/env node
// Bundles the CLI (issue 17, item 3: start-up; docs/benchmarks.md, "Start-up").
//
//   node config/build/bundle-cli.mjs [distDir]      (default dist; run by `npm run build` after tsc)
//
// tsc's output stays the library (dist/index.js and every module beside it). This replaces
// only dist/app/cli.js, the program, with an esbuild bundle of src/app/cli.ts: the project's
// own modules, zod and commander in a few files instead of about 140, each command's code in
// a chunk loaded when that command runs (cli.ts imports them dynamically). Every other package
// stays external and is loaded from node_modules as before, so the server clients behave
// exactly as they do under tsc's output.
//
// All chunks are written beside cli.js, in dist/app/ (named cli.*.js), and each module's
// `import.meta.url` is rewritten to the URL its tsc twin has (dist/<path>.js), so paths a
// module builds from its own URL — the package root, config/examples, the calibration worker
// (dist/adapters/threads/calibration-worker.js, tsc's output, run in its own thread) — are
// the same in the bundle.
import { mkdir, readdir, readFile, rm } from 'node:fs/promises';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { fileURLToPath } from 'node:url';
import { build } from 'esbuild';

const root = resolve(dirname(fileURLToPath(import.meta.url)), '../..');
const src = join(root, 'src');
const dist = resolve(root, process.argv[2] ?? 'dist');
const outdir = join(dist, 'app');

/** Packages built into the bundle: those `--version`, `check` and `reference` load. */
const BUNDLED = new Set(['zod', 'commander']);

/** The package a bare specifier names (`@scope/name/sub` → `@scope/name`), or null. */
function packageOf(specifier) {
  if (specifier.startsWith('.') || specifier.startsWith('/') || specifier.startsWith('node:')) return null;
  const parts = specifier.split('/');
  return specifier.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
}

/** @type {import('esbuild').Plugin} */
const layout = {
  name: 'driftwatch-layout',
  setup(b) {
    b.onResolve({ filter: /.*/ }, (args) => {
      const pkg = packageOf(args.path);
      if (pkg === null || BUNDLED.has(pkg) || args.kind === 'entry-point') return undefined;
      return { path: args.path, external: true };
    });
    b.onLoad({ filter: /\.ts$/ }, async (args) => {
      if (!args.path.startsWith(src + sep)) return undefined;
      let contents = await readFile(args.path, 'utf8');
      if (contents.includes('import.meta.url')) {
        // The URL this module has in tsc's layout, relative to the bundle's directory.
        const twin = relative(outdir, join(dist, relative(src, args.path)))
          .replace(/\.ts$/, '.js')
          .split(sep)
          .join('/');
        contents = contents.replaceAll('import.meta.url', `new URL(${JSON.stringify(twin)}, import.meta.url).href`);
      }
      // `import { z }` is zod's namespace object, so a bundler keeps every export of zod (the
      // locales too, 750 kB); imported as `import * as z`, the same names, it keeps only those
      // used (250 kB, about 10 ms less to load).
      contents = contents.replace(/^import \{ z \} from 'zod';$/m, "import * as z from 'zod';");
      return { contents, loader: 'ts' };
    });
  },
};

await mkdir(outdir, { recursive: true });

const result = await build({
  metafile: true,
  entryPoints: { cli: join(src, 'app/cli.ts') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  chunkNames: 'cli.[name]-[hash]',
  sourcemap: true,
  legalComments: 'eof',
  // commander is CommonJS: its require() of node's modules needs a real require in ESM.
  banner: { js: "import { createRequire as __driftwatchRequire } from 'node:module';\nconst require = __driftwatchRequire(import.meta.url);" },
  plugins: [layout],
  logLevel: 'warning',
});

// Chunks of an earlier bundle (their names carry a content hash) are removed only after the new
// ones are written: a process starting the CLI while another build runs (the integration and
// fault suites build before starting theirs) never finds a chunk missing.
const written = new Set(Object.keys(result.metafile.outputs).map((path) => resolve(path)));
for (const name of await readdir(outdir)) {
  if (/^cli\..+-[A-Z0-9]{8}\.js(\.map)?$/.test(name) && !written.has(resolve(outdir, name))) await rm(join(outdir, name));
}
