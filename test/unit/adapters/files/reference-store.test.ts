import { mkdtemp, writeFile, mkdir } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { ReferenceStore } from '../../../../src/adapters/files/reference-store.js';
import { saveReference } from '../../../../src/adapters/files/reference-file.js';

const logger = pino({ level: 'silent' });
const rows = (shift: number) => Array.from({ length: 200 }, (_, i) => ({ x: i + shift }));

async function dir(): Promise<string> {
  const d = await mkdtemp(join(tmpdir(), 'driftwatch-store-'));
  await saveReference(ReferenceDistribution.fromRows(rows(0), { modelVersion: 'v1' }), join(d, 'v1', 'reference_distribution.json'));
  await saveReference(ReferenceDistribution.fromRows(rows(1000), { modelVersion: 'v1' }), join(d, 'fraud', 'v1', 'reference_distribution.json'));
  return d;
}

describe('reference store', () => {
  it("reads the guide's {dir}/{version} layout and {dir}/{model}/{version}, the model's own winning", async () => {
    const store = new ReferenceStore(await dir(), logger);
    expect(await store.loadAll()).toBe(2);
    const generic = store.get('credit-risk', 'v1')!;
    const own = store.get('fraud', 'v1')!;
    expect(generic).toBeDefined();
    expect(own).toBeDefined();
    expect(own).not.toBe(generic);
    expect(store.get('credit-risk', 'v2')).toBeUndefined();
  });

  it('finds a version deployed after start, and not a path outside the directory', async () => {
    const d = await dir();
    const store = new ReferenceStore(d, logger, undefined, 0);
    await store.loadAll();
    await saveReference(ReferenceDistribution.fromRows(rows(5), { modelVersion: 'v2' }), join(d, 'v2', 'reference_distribution.json'));
    expect(store.has('credit-risk', 'v2')).toBe(false);
    await store.ensure([['credit-risk', 'v2']]);
    expect(store.has('credit-risk', 'v2')).toBe(true);
    await store.ensure([
      ['..', '..'],
      ['credit-risk', '../v1'],
    ]);
    expect(store.size).toBe(3);
  });

  it('a corrupt file is reported with its path and field, and its version treated as absent', async () => {
    const d = await dir();
    await mkdir(join(d, 'v3'));
    await writeFile(join(d, 'v3', 'reference_distribution.json'), JSON.stringify({ schema_version: 1 }));
    const store = new ReferenceStore(d, logger);
    await store.loadAll();
    expect(store.has('m', 'v3')).toBe(false);
    expect([...store.errors.values()][0]).toMatch(/v3\/reference_distribution\.json: invalid reference distribution at model_version/);
  });

  it('a fallback version that does not exist is an error at start', async () => {
    await expect(new ReferenceStore(await dir(), logger, 'v9').loadAll()).rejects.toThrow(/fallback reference version "v9" has no usable .*v9\/reference_distribution\.json/);
  });
});
