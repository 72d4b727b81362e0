// design.md, "Layering": stats/ and reference/ are the pure core (no kafkajs, rxjs, InfluxDB,
// pino or network); window/ depends only on stats/; kafkajs is imported by src/kafka/ alone.
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';

const src = fileURLToPath(new URL('../../../src/', import.meta.url));

function files(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((e) => (e.isDirectory() ? files(join(dir, e.name)) : e.name.endsWith('.ts') ? [join(dir, e.name)] : []));
}

function imports(file: string): string[] {
  const text = readFileSync(file, 'utf8');
  return [...text.matchAll(/(?:^|\n)\s*(?:import|export)[^'"]*?from\s+['"]([^'"]+)['"]|import\(\s*['"]([^'"]+)['"]\s*\)/g)].map((m) => m[1] ?? m[2]);
}

/** Where an import lands: a src/ folder ("stats"), or the package / node: module name. */
function target(file: string, spec: string): string {
  if (!spec.startsWith('.')) return spec;
  const resolved = relative(src, join(file, '..', spec));
  return resolved.includes('/') ? resolved.split('/')[0] : resolved.replace(/\.js$/, '');
}

function violations(folder: string, allowed: (t: string) => boolean): string[] {
  return files(join(src, folder)).flatMap((file) =>
    imports(file)
      .map((spec) => ({ spec, t: target(file, spec) }))
      .filter(({ t }) => t !== folder && !allowed(t))
      .map(({ spec }) => `${relative(src, file)} imports ${spec}`),
  );
}

describe('layering', () => {
  it('stats/ imports nothing outside itself', () => {
    expect(violations('stats', () => false)).toEqual([]);
  });

  it('reference/ uses only stats/, errors, zod and the file system', () => {
    expect(violations('reference', (t) => ['stats', 'errors', 'zod', 'node:fs/promises', 'node:path'].includes(t))).toEqual([]);
  });

  it('window/ depends only on stats/', () => {
    expect(violations('window', (t) => t === 'stats')).toEqual([]);
  });

  it('monitor/ stays free of I/O clients', () => {
    expect(violations('monitor', (t) => !['kafkajs', 'rxjs', '@influxdata/influxdb-client', 'pino', 'node:http'].includes(t) && !['kafka', 'sinks', 'service', 'http', 'alerts'].includes(t))).toEqual([]);
  });

  it('kafkajs is imported by src/kafka/ alone', () => {
    const offenders = files(src).filter((f) => !relative(src, f).startsWith('kafka/') && imports(f).includes('kafkajs'));
    expect(offenders.map((f) => relative(src, f))).toEqual([]);
  });
});
