/**
 * Model outputs through every entry point (docs/references-and-check.md, "Model outputs"):
 * `reference build --outputs`, `check` (table and --json), `replay` (the streaming runtime:
 * every window's outputs equal the batch check of that window's events), and the scheduled
 * job's accumulation. A confidence drop with unchanged inputs is what they must catch.
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
import { FileSource } from '../../../src/adapters/stores/file.js';
import { rng } from '../../../src/app/demo/credit.js';
import { memoryIo } from './io.js';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo({ env: { LOG_LEVEL: 'silent', ...env } });
  const code = await main(['node', 'driftwatch', ...args], io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

// A type alias, not an interface, so rows pass where Record<string, unknown> rows are expected.
type Row = {
  age: number;
  segment: string;
  prediction: string;
  confidence: number;
};

/** Seeded rows; `drop` lowers the model's confidence and leaves the inputs' distribution as it was. */
function rows(n: number, seed: number, drop = 0): Row[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const age = Math.round(r.normal(40, 10));
    const segment = r.choice(['retail', 'business', 'private'], [5, 3, 2]);
    return { age, segment, prediction: r.uniform() < 0.3 ? 'deny' : 'approve', confidence: Math.min(1, 0.55 + 0.4 * r.uniform() - drop) };
  });
}

const csv = (items: Row[]) => ['age,segment,prediction,confidence', ...items.map((x) => `${x.age},${x.segment},${x.prediction},${x.confidence}`)].join('\n') + '\n';

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);

let dir: string;
let referencePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-outputs-'));
  await writeFile(join(dir, 'training.csv'), csv(rows(3000, 1)));
  await mkdir(join(dir, 'refs', 'v1'), { recursive: true });
  referencePath = join(dir, 'refs', 'v1', 'reference_distribution.json');
});

describe('reference build --outputs and check', () => {
  it('builds a reference whose outputs are apart from the features', async () => {
    const { code, stdout, stderr } = await cli([
      'reference',
      'build',
      '--input',
      join(dir, 'training.csv'),
      '--out',
      referencePath,
      '--model-version',
      'v1',
      '--outputs',
      'prediction,confidence',
      '--calibration-replicates',
      '400',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain('2 features: age (numeric), segment (categorical); outputs: prediction (categorical), confidence (numeric)');
    const file = JSON.parse(await readFile(referencePath, 'utf8'));
    expect(file.feature_names).toEqual(['age', 'segment']);
    expect(file.output_names).toEqual(['prediction', 'confidence']);
    expect(file.outputs.confidence.null_quantiles).toBeDefined();
  });

  it('--features names the inputs; the outputs are added after them', async () => {
    const out = join(dir, 'only-age.json');
    const { code, stderr } = await cli([
      'reference',
      'build',
      '--input',
      join(dir, 'training.csv'),
      '--out',
      out,
      '--features',
      'age',
      '--outputs',
      'confidence',
      '--no-calibration',
    ]);
    expect(code, stderr).toBe(0);
    const file = JSON.parse(await readFile(out, 'utf8'));
    expect(file.feature_names).toEqual(['age']);
    expect(file.output_names).toEqual(['confidence']);
  });

  it('an output absent from the training rows is named', async () => {
    await writeFile(join(dir, 'no-confidence.csv'), 'age,segment\n1,a\n2,b\n');
    const { code, stderr } = await cli(['reference', 'build', '--input', join(dir, 'no-confidence.csv'), '--out', join(dir, 'x.json'), '--outputs', 'confidence']);
    expect(code).toBe(2);
    expect(stderr).toContain('--outputs names "confidence", absent from the input (columns: age, segment)');
  });

  it('check --json reports a confidence drop with unchanged inputs under outputs, reason confidence_drift', async () => {
    await writeFile(join(dir, 'current.csv'), csv(rows(1000, 2, 0.15)));
    const { code, stdout, stderr } = await cli(['check', '--reference', referencePath, '--input', join(dir, 'current.csv'), '--json']);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.drift_detected).toBe(true);
    expect(result.drifted_features).toEqual({});
    expect(Object.keys(result.drifted_outputs)).toEqual(['confidence']);
    expect(result.outputs.confidence).toMatchObject({ type: 'numeric', drifted: true, reasons: ['confidence_drift'] });
    expect(result.outputs.prediction.drifted).toBe(false);
    expect(Object.keys(result.features)).toEqual(['age', 'segment']);
  });

  it('check prints the outputs in a table of their own and names them in the verdict', async () => {
    const { stdout } = await cli(['check', '--reference', referencePath, '--input', join(dir, 'current.csv')]);
    const lines = stdout.split('\n');
    expect(lines.some((l) => /^output\s+type\s+score \(psi\)/.test(l))).toBe(true);
    expect(lines.some((l) => /^confidence\s+numeric\s.*YES\s+confidence_drift$/.test(l))).toBe(true);
    expect(stdout).toMatch(/DRIFT DETECTED in the model's outputs only; outputs drifted: confidence \d\.\d{4}/);
  });

  it('--output-threshold holds the outputs to their own threshold', async () => {
    const { stdout } = await cli(['check', '--reference', referencePath, '--input', join(dir, 'current.csv'), '--json', '--output-threshold', '50']);
    const result = JSON.parse(stdout);
    expect(result.outputs.confidence).toMatchObject({ threshold: 50, drifted: false });
    expect(result.drift_detected).toBe(false);
  });

  it('check names an output missing from the input', async () => {
    await writeFile(join(dir, 'inputs-only.csv'), 'age,segment,prediction\n40,retail,approve\n');
    const { code, stderr } = await cli(['check', '--reference', referencePath, '--input', join(dir, 'inputs-only.csv')]);
    expect(code).toBe(2);
    expect(stderr).toContain('reference output "confidence" absent from the input (columns: age, segment, prediction)');
  });
});

describe('replay and the job with outputs', () => {
  /** Six hours of events, six a minute; the confidence drops by 0.15 from 03:00, the inputs do not change. */
  function events(): { t: number; row: Row }[] {
    const before = rows(18 * 60, 3);
    const after = rows(18 * 60, 4, 0.15);
    return [...before, ...after].map((row, i) => ({ t: T0 + i * 10_000, row }));
  }
  const line = ({ t, row }: { t: number; row: Row }) =>
    JSON.stringify({
      model: 'credit',
      model_version: 'v1',
      timestamp: new Date(t).toISOString(),
      features: { age: row.age, segment: row.segment },
      prediction: row.prediction,
      confidence: row.confidence,
    });

  it('replay: every window carries its outputs, equal to the batch check of its events, and the drop is caught from 03:00', async () => {
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
      );
      expect(Object.keys(c.outputs)).toEqual(['prediction', 'confidence']);
      for (const name of ['prediction', 'confidence'] as const) {
        const expected = batch.outputs![name] as unknown as Record<string, unknown>;
        for (const [key, value] of Object.entries(c.outputs[name])) expect(value, `${c.window.end} ${name}.${key}`).toEqual(expected[key]);
      }
      expect(c.drifted_outputs).toEqual(batch.drifted_outputs);
      expect(c.drift_detected).toBe(batch.drift_detected);
      expect(Object.keys(c.drifted_features)).toEqual([]);
      // Windows wholly before the drop are clean; the ones wholly after it flag the confidence.
      if (end <= T0 + 3 * HOUR) expect(c.drift_detected, c.window.end).toBe(false);
      if (start >= T0 + 3 * HOUR) expect(c.outputs.confidence.reasons, c.window.end).toEqual(['confidence_drift']);
    }
    expect(checks.some((c) => Date.parse(c.window.start) >= T0 + 3 * HOUR)).toBe(true);
  });

  it('the job accumulates stored events with their outputs exactly as check does', () => {
    const reference = ReferenceDistribution.fromRows(rows(3000, 1), { outputs: ['prediction', 'confidence'] });
    const stream = events().slice(0, 2000);
    const accumulation = new WindowAccumulation({ referenceFor: () => reference, defaults: {} });
    for (const e of stream) accumulation.add(rowFromJson(JSON.parse(line(e))));
    const group = [...accumulation.groups.values()][0];
    const detector = new DriftDetector({ now: () => new Date(0) });
    expect(detector.evaluate(group.accumulator, reference)).toEqual(
      detector.evaluate(
        accumulate(
          stream.map((e) => e.row),
          reference,
        ),
        reference,
      ),
    );
    // A feature_vector row carries the outputs beside it.
    const vectors = new WindowAccumulation({ referenceFor: () => reference, defaults: {} });
    for (const e of stream)
      vectors.add(rowFromJson({ model_version: 'v1', feature_vector: [e.row.age, e.row.segment], prediction: e.row.prediction, confidence: e.row.confidence }));
    expect(detector.evaluate([...vectors.groups.values()][0].accumulator, reference)).toEqual(detector.evaluate(group.accumulator, reference));
  });

  it('the job reads the outputs from its file source: JSON Lines events and CSV columns', async () => {
    const reference = ReferenceDistribution.fromJSON(JSON.parse(await readFile(referencePath, 'utf8')), referencePath);
    const stream = events().slice(0, 1500);
    const detector = new DriftDetector({ now: () => new Date(0) });
    const expected = detector.evaluate(
      accumulate(
        stream.map((e) => e.row),
        reference,
      ),
      reference,
    );
    await writeFile(join(dir, 'job-events.jsonl'), stream.map(line).join('\n') + '\n');
    await writeFile(join(dir, 'job-window.csv'), csv(stream.map((e) => e.row)));
    for (const file of ['job-events.jsonl', 'job-window.csv']) {
      const accumulation = new WindowAccumulation({ referenceFor: () => reference, defaults: { model: 'credit', modelVersion: 'v1' } });
      await new FileSource({ paths: [join(dir, file)] }).read({ startMs: 0, endMs: Number.MAX_SAFE_INTEGER }, (row) => accumulation.add(row));
      const result = detector.evaluate([...accumulation.groups.values()][0].accumulator, reference);
      expect(result.outputs, file).toEqual(expected.outputs);
      expect(result, file).toEqual(expected);
    }
  });
});
