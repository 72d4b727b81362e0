// The README is the entry point and keeps the configuration table; docs/ holds the rest. Keep
// both true to the code.
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import { dirname, join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_NAMES } from '../../../src/app/config/schema.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const read = (path: string) => readFileSync(join(root, path), 'utf8');
const readme = read('README.md');

/** The text of a `## ` section, up to the next `## ` heading. */
function section(markdown: string, heading: string): string {
  const start = markdown.indexOf(`\n## ${heading}\n`);
  if (start < 0) throw new Error(`no "## ${heading}" section`);
  const next = markdown.indexOf('\n## ', start + 1);
  return markdown.slice(start, next < 0 ? undefined : next);
}

/** GitHub's heading anchors: lower case, punctuation dropped, spaces as hyphens. */
function anchors(markdown: string): Set<string> {
  const text = markdown.replace(/```[\s\S]*?```/g, '');
  return new Set(
    [...text.matchAll(/^#{1,6} (.+)$/gm)].map((m) =>
      m[1]
        .toLowerCase()
        .replace(/[^\p{L}\p{N}\s_-]/gu, '')
        .replace(/\s/g, '-'),
    ),
  );
}

const markdownFiles = [
  'README.md',
  'CONTRIBUTING.md',
  'config/grafana/README.md',
  ...readdirSync(join(root, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

describe('README', () => {
  it('documents every environment variable driftwatch reads, in its configuration table or docs/configuration.md', () => {
    const documented = section(readme, 'Configuration') + read('docs/configuration.md');
    expect(ENV_NAMES.filter((name) => !documented.includes(`\`${name}\``))).toEqual([]);
  });

  it('starts with the two set-up commands, and .ci/run runs the same test command', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1];
    expect(firstBlock).toMatch(/^npm install && npm start\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
    const ci = read('.ci/run');
    expect(ci).toMatch(/\bnpm test\b/);
    const pkg = JSON.parse(read('package.json'));
    expect(pkg.scripts.test).toBe('vitest run --config test/vitest.config.ts');
  });

  it('names each runtime dependency with the reason it is there (docs/architecture.md)', () => {
    const pkg = JSON.parse(read('package.json'));
    const table = section(read('docs/architecture.md'), 'Dependencies and why each is there');
    const missing = Object.keys(pkg.dependencies).filter((name) => !table.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });

  it('draws the data flow from docs/data-flow.mmd, the same diagram as docs/architecture.md', () => {
    const diagram = read('docs/data-flow.mmd').trim();
    const mermaid = (markdown: string) => /```mermaid\n([\s\S]*?)```/.exec(markdown)?.[1].trim();
    expect(mermaid(readme)).toBe(diagram);
    expect(mermaid(read('docs/architecture.md'))).toBe(diagram);
  });

  it('links only to files and headings that exist', () => {
    const broken: string[] = [];
    for (const file of markdownFiles) {
      const text = read(file).replace(/```[\s\S]*?```/g, '');
      for (const [, target] of text.matchAll(/\]\(([^)\s]+)\)/g)) {
        if (/^[a-z]+:/.test(target)) continue;
        const [path, anchor] = target.split('#');
        const resolved = path === '' ? file : relative(root, join(root, dirname(file), path));
        if (!existsSync(join(root, resolved))) broken.push(`${file}: ${target} (no ${resolved})`);
        else if (anchor && resolved.endsWith('.md') && !anchors(read(resolved)).has(anchor)) broken.push(`${file}: ${target} (no heading #${anchor})`);
      }
    }
    expect(broken).toEqual([]);
  });
});
