/**
 * Corrupt reference files: every problem is a ReferenceFileError whose message names the file
 * and, for a schema problem, the field (as a dotted path) — the exact text is asserted.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { ReferenceDistribution, type ReferenceFile } from '../../../../src/core/reference/index.js';
import { DriftwatchError, ReferenceFileError } from '../../../../src/core/errors.js';
import { loadReference, saveReference } from '../../../../src/adapters/files/reference-file.js';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-reference-'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

const valid = (): ReferenceFile =>
  JSON.parse(
    JSON.stringify(
      ReferenceDistribution.fromRows(
        Array.from({ length: 300 }, (_, i) => ({ x: Math.sin(i) * 100 + i / 7, c: ['a', 'b'][i % 2] })),
        { modelVersion: 'v1', now: new Date('2026-01-01T00:00:00Z') },
      ).toJSON(),
    ),
  ) as ReferenceFile;

async function write(name: string, content: unknown): Promise<string> {
  const path = join(dir, name);
  await writeFile(path, typeof content === 'string' ? content : JSON.stringify(content));
  return path;
}

async function loadError(path: string): Promise<ReferenceFileError> {
  const error = await loadReference(path).then(
    () => null,
    (e: unknown) => e,
  );
  expect(error).toBeInstanceOf(ReferenceFileError);
  expect(error).toBeInstanceOf(DriftwatchError);
  const e = error as ReferenceFileError;
  expect(e.retriable).toBe(false);
  expect(e.context.path).toBe(path);
  expect(e.message.startsWith(`${path}: `)).toBe(true);
  return e;
}

const firstLine = (e: Error): string => e.message.split('\n')[0];

describe('ReferenceDistribution.load of a corrupt file', () => {
  it('loads a valid file written by save()', async () => {
    const path = join(dir, 'saved', 'reference_distribution.json');
    const ref = ReferenceDistribution.fromJSON(valid());
    await saveReference(ref, path);
    expect((await loadReference(path)).toJSON()).toEqual(ref.toJSON());
  });

  it('missing file', async () => {
    const path = join(dir, 'does-not-exist.json');
    const e = await loadError(path);
    expect(e.message).toBe(`${path}: cannot read the reference distribution (ENOENT)`);
  });

  it('invalid JSON', async () => {
    const path = await write('truncated.json', JSON.stringify(valid()).slice(0, 40));
    const e = await loadError(path);
    expect(e.message.startsWith(`${path}: the reference distribution is not valid JSON (`)).toBe(true);
    expect(e.cause).toBeInstanceOf(SyntaxError);
  });

  it('wrong schema_version', async () => {
    const path = await write('v3.json', { ...valid(), schema_version: 3 });
    const e = await loadError(path);
    expect(e.context.field).toBe('schema_version');
    expect(firstLine(e)).toBe(`${path}: invalid reference distribution at schema_version: unsupported schema_version 3; this driftwatch reads versions 1 and 2`);
  });

  it('fine_counts of the wrong length', async () => {
    const file = valid();
    const x = file.features.x;
    if (x.type !== 'numeric') throw new Error('x should be numeric');
    const edges = x.fine_edges.length;
    // Drop the last entry: the (max, +∞) bin, always 0 in a reference, so the sum still matches.
    x.fine_counts = x.fine_counts.slice(0, -1);
    const path = await write('short-counts.json', file);
    const e = await loadError(path);
    expect(e.context.field).toBe('features.x.fine_counts');
    expect(firstLine(e)).toBe(`${path}: invalid reference distribution at features.x.fine_counts: needs fine_edges.length + 1 = ${edges + 1} entries, has ${edges}`);
  });

  it('non-increasing fine edges', async () => {
    const file = valid();
    const x = file.features.x;
    if (x.type !== 'numeric') throw new Error('x should be numeric');
    // Swap two fine edges that are not PSI edges, so the only problem is the order.
    const psi = new Set(x.psi_edges);
    const i = x.fine_edges.findIndex((e, k) => k > 0 && !psi.has(e) && !psi.has(x.fine_edges[k + 1]));
    [x.fine_edges[i], x.fine_edges[i + 1]] = [x.fine_edges[i + 1], x.fine_edges[i]];
    const path = await write('unsorted-edges.json', file);
    const e = await loadError(path);
    expect(e.context.field).toBe(`features.x.fine_edges.${i + 1}`);
    expect(firstLine(e)).toBe(`${path}: invalid reference distribution at features.x.fine_edges.${i + 1}: edges must be strictly increasing`);
  });

  it('non-increasing PSI edges', async () => {
    const file = valid();
    const x = file.features.x;
    if (x.type !== 'numeric') throw new Error('x should be numeric');
    x.psi_edges[3] = x.psi_edges[2];
    const path = await write('unsorted-psi-edges.json', file);
    const e = await loadError(path);
    expect(e.context.field).toBe('features.x.psi_edges.3');
    expect(firstLine(e)).toBe(`${path}: invalid reference distribution at features.x.psi_edges.3: edges must be strictly increasing`);
  });

  it('a feature listed in feature_names without an entry', async () => {
    const file = valid();
    file.feature_names.push('ghost');
    const path = await write('ghost.json', file);
    const e = await loadError(path);
    expect(e.context.field).toBe('features.ghost');
    expect(firstLine(e)).toBe(`${path}: invalid reference distribution at features.ghost: feature "ghost" is listed in feature_names but has no entry`);
  });

  it('fromJSON names its source and the field', () => {
    const file = valid() as unknown as Record<string, unknown>;
    delete file.row_count;
    expect(() => ReferenceDistribution.fromJSON(file, 'model_artifacts/v1/reference_distribution.json')).toThrow(
      /^model_artifacts\/v1\/reference_distribution\.json: invalid reference distribution at row_count: /,
    );
  });
});
