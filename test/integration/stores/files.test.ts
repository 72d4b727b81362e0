// driftwatch job over files (FEATURE_STORE_TYPE=file): Parquet (written with hyparquet-writer),
// CSV and JSON Lines, and a glob over several files → job --once → every score equal to check
// on the same rows written to one JSON Lines file, exactly; rows outside the window left out.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { parquetWriteFile } from 'hyparquet-writer';
import { beforeAll, describe, expect, it } from 'vitest';
import { tempDir } from '../helpers.js';
import { checkJson, END, expectSameCheck, FEATURES, HOUR, jobEnv, jobJson, numericReference, vectors, VERSION } from './helpers.js';

/** Rows with times: 40 before the window, the `inside` ones in it, 40 at its end and after. */
function timed(inside: number[][]): { at: number; v: number[] }[] {
  return [
    ...vectors(40, 71).map((v, k) => ({ at: END - 2 * HOUR + k * 1000, v })),
    ...inside.map((v, k) => ({ at: END - HOUR + k * 1000, v })),
    ...vectors(40, 73).map((v, k) => ({ at: END + k * 1000, v })),
  ];
}

describe('driftwatch job over files', () => {
  let refs: Awaited<ReturnType<typeof numericReference>>;
  let dir: string;
  const referencePath = () => join(refs.dir, VERSION, 'reference_distribution.json');
  const env = (paths: string) => jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'file', FEATURE_STORE_PATHS: paths });

  beforeAll(async () => {
    refs = await numericReference();
    dir = await tempDir('driftwatch-store-files-');
  });

  it('Parquet, a column per feature and a timestamp column: equal to check on the rows in the window', async () => {
    const inside = vectors(350, 81, true);
    const rows = timed(inside);
    const path = join(dir, 'features.parquet');
    parquetWriteFile({
      filename: path,
      columnData: [
        { name: 'timestamp', data: rows.map((r) => new Date(r.at)), type: 'TIMESTAMP' },
        ...FEATURES.map((f, i) => ({ name: f, data: rows.map((r) => r.v[i]!), type: 'DOUBLE' as const })),
      ],
    });
    const { lines } = await jobJson(env(path));
    expect(lines).toHaveLength(1);
    expectSameCheck(lines[0]!, await checkJson(referencePath(), inside));
    expect(lines[0]).toMatchObject({ sample_count: 350, drift_detected: true });
  });

  it('CSV with created_at, and JSON Lines of feature_vector arrays: each equal to check', async () => {
    const inside = vectors(250, 91);
    const csv = join(dir, 'features.csv');
    await writeFile(csv, ['created_at,' + FEATURES.join(','), ...timed(inside).map((r) => `${new Date(r.at).toISOString()},${r.v.join(',')}`)].join('\n') + '\n');
    const jsonl = join(dir, 'features.jsonl');
    await writeFile(
      jsonl,
      timed(inside)
        .map((r) => JSON.stringify({ timestamp: new Date(r.at).toISOString(), feature_vector: r.v }))
        .join('\n') + '\n',
    );
    const check = await checkJson(referencePath(), inside);
    for (const path of [csv, jsonl]) {
      const { lines } = await jobJson(env(path));
      expect(lines, path).toHaveLength(1);
      expectSameCheck(lines[0]!, check);
    }
  });

  it('a glob over several JSON Lines files reads them all (sorted), an undecodable line counted', async () => {
    const parts = [vectors(120, 101), vectors(130, 102), vectors(110, 103)];
    const sub = await tempDir('driftwatch-store-glob-');
    for (const [i, part] of parts.entries()) {
      const body = part.map((v, k) => JSON.stringify({ created_at: new Date(END - HOUR + (i * 200 + k) * 1000).toISOString(), feature_vector: v })).join('\n');
      await writeFile(join(sub, `part-${i}.jsonl`), body + (i === 1 ? '\n{not json\n' : '\n'));
    }
    await writeFile(join(sub, 'other.txt'), 'not a part\n');
    const { lines } = await jobJson(env(join(sub, 'part-?.jsonl')));
    const scored = lines.find((l) => l.status !== 'rejected')!;
    expectSameCheck(scored, await checkJson(referencePath(), parts.flat()));
    expect(scored.sample_count).toBe(360);
    expect(lines.find((l) => l.status === 'rejected')).toMatchObject({ reason: 'undecodable', rows: 1 });
  });
});
