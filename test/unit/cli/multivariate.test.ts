/**
 * The multivariate score through every entry point (docs/multivariate.md): `reference build
 * --multivariate`, `check` (table and --json), `replay` (the streaming runtime: every window's
 * score equals the batch check of that window's events, from panes added and subtracted), and
 * the scheduled job's accumulation. A correlation flip with unchanged marginals is what they
 * must catch, and no univariate score does.
 */
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/app/cli.js';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { WindowAccumulation } from '../../../src/app/job/accumulate.js';
import { rowFromJson } from '../../../src/adapters/stores/source.js';
import { rng } from '../../../src/app/demo/credit.js';
import { memoryIo } from './io.js';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo({ env: { LOG_LEVEL: 'silent', ...env } });
  const code = await main(['node', 'driftwatch', ...args], io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

type Row = { a: number; b: number; c: number; segment: string };

/** Seeded rows: a and b standard normal with correlation rho (0.8, or −0.8 flipped), c independent. */
function rows(n: number, seed: number, rho = 0.8): Row[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const a = r.normal(0, 1);
    const b = rho * a + Math.sqrt(1 - rho * rho) * r.normal(0, 1);
    return { a, b, c: r.normal(0, 1), segment: r.choice(['retail', 'business'], [3, 1]) };
  });
}

const csv = (items: Row[]) => ['a,b,c,segment', ...items.map((x) => `${x.a},${x.b},${x.c},${x.segment}`)].join('\n') + '\n';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);

let dir: string;
let referencePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-multivariate-'));
  await writeFile(join(dir, 'training.csv'), csv(rows(3000, 1)));
  await writeFile(join(dir, 'flipped.csv'), csv(rows(500, 2, -0.8)));
  await writeFile(join(dir, 'same.csv'), csv(rows(500, 3)));
  await mkdir(join(dir, 'refs', 'v1'), { recursive: true });
  referencePath = join(dir, 'refs', 'v1', 'reference_distribution.json');
});

describe('reference build --multivariate and check', () => {
  it('builds a multivariate block on the numeric features, and none without the flag', async () => {
    const plain = join(dir, 'plain.json');
    expect((await cli(['reference', 'build', '--input', join(dir, 'training.csv'), '--out', plain, '--no-calibration'])).code).toBe(0);
    expect(JSON.parse(await readFile(plain, 'utf8'))).not.toHaveProperty('multivariate');
    const { code, stdout, stderr } = await cli(['reference', 'build', '--input', join(dir, 'training.csv'), '--out', referencePath, '--no-calibration', '--multivariate']);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('multivariate: 128 random features on 3 numeric features');
    const file = JSON.parse(await readFile(referencePath, 'utf8'));
    expect(file.multivariate).toMatchObject({ method: 'rff-mmd', features: ['a', 'b', 'c'], random_features: 128, seed: 20261212, reference_count: 3000 });
  });

  it('--multivariate-features and --multivariate-seed are saved, and need --multivariate', async () => {
    const out = join(dir, 'tuned.json');
    const training = join(dir, 'training.csv');
    const tuned = await cli([
      'reference',
      'build',
      '--input',
      training,
      '--out',
      out,
      '--no-calibration',
      '--multivariate',
      '--multivariate-features',
      '32',
      '--multivariate-seed',
      '7',
    ]);
    expect(tuned.code, tuned.stderr).toBe(0);
    expect(JSON.parse(await readFile(out, 'utf8')).multivariate).toMatchObject({ random_features: 32, seed: 7 });
    const alone = await cli(['reference', 'build', '--input', training, '--out', out, '--multivariate-features', '32']);
    expect(alone.code).not.toBe(0);
    expect(alone.stderr).toContain('--multivariate-features and --multivariate-seed need --multivariate');
    const big = await cli(['reference', 'build', '--input', training, '--out', out, '--multivariate', '--multivariate-features', '100000']);
    expect(big.stderr).toContain('--multivariate-features (100000) must be at most 65536');
  });

  it('check --json flags a correlation flip under multivariate, reason multivariate, with no feature drifted', async () => {
    const { code, stdout } = await cli(['check', '--reference', referencePath, '--input', join(dir, 'flipped.csv'), '--json']);
    expect(code).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.drifted_features).toEqual({});
    expect(result.drift_detected).toBe(true);
    expect(result.multivariate).toMatchObject({ method: 'rff-mmd', drifted: true, reasons: ['multivariate'], sample_count: 500, dims: 3 });
    const same = JSON.parse((await cli(['check', '--reference', referencePath, '--input', join(dir, 'same.csv'), '--json'])).stdout);
    expect(same.multivariate.drifted).toBe(false);
    expect(same.drift_detected).toBe(false);
  });

  it('check prints the multivariate line and names it in the verdict', async () => {
    const { stdout } = await cli(['check', '--reference', referencePath, '--input', join(dir, 'flipped.csv')]);
    expect(stdout).toMatch(/^multivariate \(rff-mmd on 3 numeric features, 128 random features\): MMD² [0-9.]+, p [0-9.e-]+, threshold [0-9.]+, DRIFTED \(critical\)$/m);
    expect(stdout).toMatch(/DRIFT DETECTED in the joint distribution of the features only; multivariate drifted: MMD² [0-9.]+ ≥ [0-9.]+ \(p [0-9.e-]+\); inputs: max psi/);
  });
});

describe('replay and the job with the multivariate score', () => {
  /** Six hours of events, six a minute; the correlation of a and b flips from 03:00, the marginals do not change. */
  function events(): { t: number; row: Row }[] {
    return [...rows(18 * 60, 4), ...rows(18 * 60, 5, -0.8)].map((row, i) => ({ t: T0 + i * 10_000, row }));
  }
  const line = ({ t, row }: { t: number; row: Row }) =>
    JSON.stringify({ model: 'credit', model_version: 'v1', timestamp: new Date(t).toISOString(), features: { a: row.a, b: row.b, c: row.c, segment: row.segment } });

  it('replay: every window carries the score of the batch check of its events, and the flip is caught from 03:00', async () => {
    const stream = events();
    await writeFile(join(dir, 'events.jsonl'), stream.map(line).join('\n') + '\n');
    const out = join(dir, 'checks.jsonl');
    const { code, stderr } = await cli(['replay', '--input', join(dir, 'events.jsonl'), '--reference-dir', join(dir, 'refs'), '--out', out], {
      DRIFT_WINDOW: '1h',
      DRIFT_CHECK_INTERVAL: '30m',
    });
    expect(code, stderr).toBe(0);
    const checks = (await readFile(out, 'utf8'))
      .trim()
      .split('\n')
      .map((l) => JSON.parse(l));
    expect(checks.length).toBeGreaterThanOrEqual(10);
    const reference = ReferenceDistribution.fromJSON(JSON.parse(await readFile(referencePath, 'utf8')), referencePath);
    const detector = new DriftDetector();
    for (const c of checks) {
      const start = Date.parse(c.window.start);
      const end = Date.parse(c.window.end);
      const batch = detector.detect(
        stream.filter((e) => e.t >= start && e.t < end).map((e) => e.row),
        reference,
      ).multivariate!;
      // Panes added and subtracted sum in another order than one batch: equal to rounding.
      expect(c.multivariate.sample_count).toBe(batch.sample_count);
      expect(c.multivariate.score).toBeCloseTo(batch.score!, 12);
      expect(c.multivariate.p_value).toBeCloseTo(batch.p_value!, 9);
      expect(c.multivariate.threshold).toBe(batch.threshold);
      expect(c.multivariate.drifted).toBe(batch.drifted);
      expect(Object.keys(c.drifted_features)).toEqual([]);
      if (end <= T0 + 3 * HOUR) expect(c.drift_detected, c.window.end).toBe(false);
      if (start >= T0 + 3 * HOUR) expect(c.multivariate.drifted, c.window.end).toBe(true);
    }
    expect(checks.some((c) => Date.parse(c.window.start) >= T0 + 3 * HOUR)).toBe(true);
  });

  it('the job accumulates stored events, objects and feature vectors, exactly as check does', async () => {
    const reference = ReferenceDistribution.fromJSON(JSON.parse(await readFile(referencePath, 'utf8')), referencePath);
    const stream = events().slice(0, 2000);
    const detector = new DriftDetector({ now: () => new Date(0) });
    const expected = detector.evaluate(
      accumulate(
        stream.map((e) => e.row),
        reference,
      ),
      reference,
    );
    const objects = new WindowAccumulation({ referenceFor: () => reference, defaults: {} });
    for (const e of stream) objects.add(rowFromJson(JSON.parse(line(e))));
    expect(detector.evaluate([...objects.groups.values()][0].accumulator, reference)).toEqual(expected);
    const vectors = new WindowAccumulation({ referenceFor: () => reference, defaults: {} });
    for (const e of stream) vectors.add(rowFromJson({ model_version: 'v1', feature_vector: [e.row.a, e.row.b, e.row.c, e.row.segment] }));
    expect(detector.evaluate([...vectors.groups.values()][0].accumulator, reference)).toEqual(expected);
    expect(expected.multivariate!.drifted).toBe(true);
  });
});
