// The README is the configuration reference and the entry point: keep it true to the code.
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { ENV_NAMES } from '../../../src/app/config/schema.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(`${root}README.md`, 'utf8');

describe('README', () => {
  it('documents every environment variable driftwatch reads', () => {
    expect(ENV_NAMES.filter((name) => !readme.includes(`\`${name}\``))).toEqual([]);
  });

  it('starts with the two set-up commands, and .ci/run runs the same test command', () => {
    const firstBlock = /```sh\n([\s\S]*?)```/.exec(readme)![1];
    expect(firstBlock).toMatch(/^npm install && npm start\b/m);
    expect(firstBlock).toMatch(/^npm test\b/m);
    const ci = readFileSync(`${root}.ci/run`, 'utf8');
    expect(ci).toMatch(/\bnpm test\b/);
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    expect(pkg.scripts.test).toBe('vitest run --config test/vitest.config.ts');
  });

  it('names each runtime dependency with the reason it is there', () => {
    const pkg = JSON.parse(readFileSync(`${root}package.json`, 'utf8'));
    const missing = Object.keys(pkg.dependencies).filter((name) => !readme.includes(`| \`${name}\` |`));
    expect(missing).toEqual([]);
  });
});
