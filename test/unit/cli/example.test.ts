// Regression: the bundled example reference could not be rebuilt from config/examples/training.csv
// (its fine edges differed from what `driftwatch reference build` makes of that file).
import { mkdir, mkdtemp, readFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { EXAMPLE_DIR, EXAMPLE_FILES, generateExample } from '../../fixtures/generate-example.js';
import { main } from '../../../src/app/cli.js';
import { memoryIo } from './io.js';

describe('the bundled example (config/examples)', () => {
  it('is what `npm run example:generate` writes, byte for byte', async () => {
    const out = await mkdtemp(join(tmpdir(), 'driftwatch-example-'));
    await generateExample(out);
    for (const file of EXAMPLE_FILES) {
      expect((await readFile(join(out, file), 'utf8')) === (await readFile(join(EXAMPLE_DIR, file), 'utf8')), `${file} differs: run npm run example:generate`).toBe(true);
    }
  });

  it('has the reference `driftwatch reference build` makes of training.csv (but for created_at)', async () => {
    const out = join(await mkdtemp(join(tmpdir(), 'driftwatch-example-')), 'v1.2.0');
    await mkdir(out);
    const io = memoryIo();
    const code = await main(
      ['node', 'driftwatch', 'reference', 'build', '--input', join(EXAMPLE_DIR, 'training.csv'), '--out', join(out, 'reference_distribution.json'), '--model-version', 'v1.2.0'],
      io,
    );
    expect(code, io.stderrText()).toBe(0);
    const built = JSON.parse(await readFile(join(out, 'reference_distribution.json'), 'utf8'));
    const bundled = JSON.parse(await readFile(join(EXAMPLE_DIR, 'model_artifacts/v1.2.0/reference_distribution.json'), 'utf8'));
    expect({ ...built, created_at: bundled.created_at }).toEqual(bundled);
  });
});
