/**
 * Per-class probabilities through every entry point (docs/references-and-check.md, "Per-class
 * probabilities"): `reference build --outputs probabilities` (CSV columns probability_<class>
 * or a JSON row's `probabilities` object), `check` (CSV columns, JSON Lines events), `replay`
 * (every window's outputs equal the batch check of that window's events) and the scheduled job's
 * file source (CSV columns). A model that grows less sure of `deny` while its inputs stay put is
 * what they must catch.
 */
import { mkdtemp, mkdir, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { beforeAll, describe, expect, it } from 'vitest';
import { main } from '../../../src/app/cli.js';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { resolveOutputs } from '../../../src/core/event/probabilities.js';
import { WindowAccumulation } from '../../../src/app/job/accumulate.js';
import { FileSource } from '../../../src/adapters/stores/file.js';
import { rng } from '../../../src/app/demo/credit.js';
import { memoryIo } from './io.js';

async function cli(args: string[], env: Record<string, string> = {}): Promise<{ code: number; stdout: string; stderr: string }> {
  const io = memoryIo({ env: { LOG_LEVEL: 'silent', ...env } });
  const code = await main(['node', 'driftwatch', ...args], io);
  return { code, stdout: io.stdoutText(), stderr: io.stderrText() };
}

type Row = { age: number; segment: string; prediction: string; confidence: number; approve: number; deny: number };

/** Seeded rows; `shift` moves probability from `deny` to `approve` with the inputs' distribution unchanged. */
function rows(n: number, seed: number, shift = 0): Row[] {
  const r = rng(seed);
  return Array.from({ length: n }, () => {
    const age = Math.round(r.normal(40, 10));
    const segment = r.choice(['retail', 'business', 'private'], [5, 3, 2]);
    const deny = Math.max(0, Math.min(1, 0.1 + 0.6 * r.uniform() - shift));
    return { age, segment, prediction: deny > 0.5 ? 'deny' : 'approve', confidence: Math.max(deny, 1 - deny), approve: 1 - deny, deny };
  });
}

const HEADER = 'age,segment,prediction,confidence,probability_approve,probability_deny';
const csv = (items: Row[]) => [HEADER, ...items.map((x) => `${x.age},${x.segment},${x.prediction},${x.confidence},${x.approve},${x.deny}`)].join('\n') + '\n';
/** The detector's view of a row: what check reads from the CSV columns. */
const flat = (x: Row) => ({ age: x.age, segment: x.segment, prediction: x.prediction, confidence: x.confidence, probability_approve: x.approve, probability_deny: x.deny });

const HOUR = 3_600_000;
const T0 = Date.UTC(2026, 10, 26, 0, 0, 0);

let dir: string;
let referencePath: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'driftwatch-probabilities-'));
  await writeFile(join(dir, 'training.csv'), csv(rows(3000, 1)));
  await mkdir(join(dir, 'refs', 'v1'), { recursive: true });
  referencePath = join(dir, 'refs', 'v1', 'reference_distribution.json');
});

describe('reference build --outputs probabilities and check', () => {
  it('builds one numeric output per class after the named outputs', async () => {
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
      'prediction,confidence,probabilities',
      '--calibration-replicates',
      '400',
    ]);
    expect(code, stderr).toBe(0);
    expect(stdout).toContain(
      '2 features: age (numeric), segment (categorical); outputs: prediction (categorical), confidence (numeric), probability_approve (numeric), probability_deny (numeric)',
    );
    const file = JSON.parse(await readFile(referencePath, 'utf8'));
    expect(file.feature_names).toEqual(['age', 'segment']);
    expect(file.output_names).toEqual(['prediction', 'confidence', 'probability_approve', 'probability_deny']);
    expect(file.outputs.probability_deny.null_quantiles).toBeDefined();
  });

  it('JSON rows with a probabilities object build the same reference; --features names the inputs', async () => {
    const training = rows(3000, 1);
    const jsonl = training.map((x) =>
      JSON.stringify({ age: x.age, segment: x.segment, prediction: x.prediction, confidence: x.confidence, probabilities: { approve: x.approve, deny: x.deny } }),
    );
    await writeFile(join(dir, 'training.jsonl'), jsonl.join('\n') + '\n');
    const out = join(dir, 'from-json.json');
    const built = await cli([
      'reference',
      'build',
      '--input',
      join(dir, 'training.jsonl'),
      '--out',
      out,
      '--model-version',
      'v1',
      '--outputs',
      'prediction,confidence,probabilities',
      '--calibration-replicates',
      '400',
    ]);
    expect(built.code, built.stderr).toBe(0);
    const { created_at: _a, ...fromJson } = JSON.parse(await readFile(out, 'utf8'));
    const { created_at: _b, ...fromCsv } = JSON.parse(await readFile(referencePath, 'utf8'));
    expect(fromJson).toEqual(fromCsv);

    const only = join(dir, 'only-age.json');
    const chosen = await cli(['reference', 'build', '--input', join(dir, 'training.csv'), '--out', only, '--features', 'age', '--outputs', 'probabilities', '--no-calibration']);
    expect(chosen.code, chosen.stderr).toBe(0);
    const file = JSON.parse(await readFile(only, 'utf8'));
    expect(file.feature_names).toEqual(['age']);
    expect(file.output_names).toEqual(['probability_approve', 'probability_deny']);
    // The same class built among other columns: the same entry, without the calibration.
    const { null_quantiles: _q, ...uncalibrated } = fromCsv.outputs.probability_deny;
    expect(file.outputs.probability_deny).toEqual(uncalibrated);
  });

  it('training rows without class probabilities are named', async () => {
    await writeFile(join(dir, 'no-probabilities.csv'), 'age,segment\n1,a\n2,b\n');
    const { code, stderr } = await cli(['reference', 'build', '--input', join(dir, 'no-probabilities.csv'), '--out', join(dir, 'x.json'), '--outputs', 'probabilities']);
    expect(code).toBe(2);
    expect(stderr).toContain('--outputs names "probabilities", absent from the input (columns: age, segment); probabilities are columns probability_<class> (CSV)');
  });

  it('check --json reports a shifted class probability under outputs, reason probability_drift', async () => {
    await writeFile(join(dir, 'current.csv'), csv(rows(1000, 2, 0.1)));
    const { code, stdout, stderr } = await cli(['check', '--reference', referencePath, '--input', join(dir, 'current.csv'), '--json']);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.drifted_features).toEqual({});
    expect(result.outputs.probability_deny).toMatchObject({ type: 'numeric', drifted: true, reasons: ['probability_drift'] });
    expect(result.outputs.probability_approve.reasons).toEqual(['probability_drift']);
    expect(Object.keys(result.drifted_outputs)).toContain('probability_deny');
    const table = await cli(['check', '--reference', referencePath, '--input', join(dir, 'current.csv')]);
    expect(table.stdout.split('\n').some((l) => /^probability_deny\s+numeric\s.*YES\s+probability_drift$/.test(l))).toBe(true);
  });

  it('check of events: confidence defaults to the largest probability, an unknown class is counted and named', async () => {
    const current = rows(600, 5);
    const events = current.map((x, i) =>
      JSON.stringify({
        features: { age: x.age, segment: x.segment },
        prediction: x.prediction,
        probabilities: i % 100 === 7 ? { approve: x.approve * 0.5, deny: x.deny, review: x.approve * 0.5 } : { approve: x.approve, deny: x.deny },
      }),
    );
    await writeFile(join(dir, 'events.jsonl'), events.join('\n') + '\n');
    const { code, stdout, stderr } = await cli(['check', '--reference', referencePath, '--input', join(dir, 'events.jsonl'), '--json']);
    expect(code, stderr).toBe(0);
    expect(stderr).toContain('note: 6 row(s) give the probability of a class the reference does not know ("review"): their class probabilities count as invalid');
    const result = JSON.parse(stdout);
    expect(result.outputs.probability_deny).toMatchObject({ invalid_values: 6, sample_count: 594 });
    expect(result.outputs.confidence).toMatchObject({ invalid_values: 0, sample_count: 600 });
    // The same as check of the CSV whose confidence column is the largest probability.
    const reference = ReferenceDistribution.fromJSON(JSON.parse(await readFile(referencePath, 'utf8')), referencePath);
    const expected = new DriftDetector({ now: () => new Date(0) }).detect(
      current.map((x, i) => ({
        ...flat(x),
        confidence: i % 100 === 7 ? Math.max(x.approve * 0.5, x.deny) : x.confidence,
        ...(i % 100 === 7 ? { probability_approve: 'x', probability_deny: 'x' } : {}),
      })),
      reference,
    );
    expect(result.outputs).toEqual(JSON.parse(JSON.stringify(expected.outputs)));
  });

  it('a CSV class probability outside [0, 1] is invalid, as in an event', async () => {
    const current = rows(200, 7);
    await writeFile(join(dir, 'range.csv'), csv(current.map((x, i) => (i % 40 === 0 ? { ...x, deny: 1.5 } : x))));
    const { code, stdout, stderr } = await cli(['check', '--reference', referencePath, '--input', join(dir, 'range.csv'), '--json']);
    expect(code, stderr).toBe(0);
    const result = JSON.parse(stdout);
    expect(result.outputs.probability_deny).toMatchObject({ invalid_values: 5, sample_count: 195 });
    expect(result.outputs.probability_approve).toMatchObject({ invalid_values: 0, sample_count: 200 });
    expect(stderr).toContain('note: output "probability_deny": 5 value(s) are no probability (a number in [0, 1]) of a class set the reference knows, and count as missing');
  });

  it('a CSV column for an unknown class is an error naming it', async () => {
    const withReview = csv(rows(50, 6)).replace(HEADER, `${HEADER},probability_review`).split('\n');
    const lines = withReview.map((l, i) => (i === 0 || l === '' ? l : `${l},0`));
    await writeFile(join(dir, 'review.csv'), lines.join('\n'));
    const { code, stderr } = await cli(['check', '--reference', referencePath, '--input', join(dir, 'review.csv')]);
    expect(code).toBe(2);
    expect(stderr).toContain('column "probability_review": the probability of a class the reference does not know (its classes: approve, deny)');
  });
});

describe('replay and the job with class probabilities', () => {
  /** Six hours of events, six a minute, without confidence; deny's probability falls from 03:00. */
  function stream(): { t: number; row: Row }[] {
    return [...rows(18 * 60, 3), ...rows(18 * 60, 4, 0.1)].map((row, i) => ({ t: T0 + i * 10_000, row }));
  }
  const line = ({ t, row }: { t: number; row: Row }, i: number) =>
    JSON.stringify({
      model: 'credit',
      model_version: 'v1',
      timestamp: new Date(t).toISOString(),
      features: { age: row.age, segment: row.segment },
      prediction: row.prediction,
      // Some events name a class the reference does not know, some lack a class.
      probabilities: i % 250 === 3 ? { approve: row.approve, deny: row.deny, other: 0 } : i % 250 === 9 ? { approve: row.approve } : { approve: row.approve, deny: row.deny },
    });

  it('replay: every window’s outputs equal the batch check of its events, and the shift is caught from 03:00', async () => {
    const events = stream();
    await writeFile(join(dir, 'stream.jsonl'), events.map(line).join('\n') + '\n');
    const out = join(dir, 'checks.jsonl');
    const { code, stderr } = await cli(['replay', '--input', join(dir, 'stream.jsonl'), '--reference-dir', join(dir, 'refs'), '--out', out], {
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
    // The batch check's rows: each event's outputs by the rules of probabilities.ts.
    const batchRows = events.map((e, i) => {
      const event = JSON.parse(line(e, i));
      return { ...event.features, ...resolveOutputs(event, reference.outputNames).outputs };
    });
    for (const c of checks) {
      const start = Date.parse(c.window.start);
      const end = Date.parse(c.window.end);
      const batch = detector.detect(
        batchRows.filter((_, i) => events[i].t >= start && events[i].t < end),
        reference,
      );
      expect(Object.keys(c.outputs)).toEqual(reference.outputNames);
      for (const name of reference.outputNames) {
        const expected = batch.outputs![name] as unknown as Record<string, unknown>;
        for (const [key, value] of Object.entries(c.outputs[name])) expect(value, `${c.window.end} ${name}.${key}`).toEqual(expected[key]);
      }
      expect(c.drifted_outputs).toEqual(batch.drifted_outputs);
      if (end <= T0 + 3 * HOUR) expect(c.drift_detected, c.window.end).toBe(false);
      if (start >= T0 + 3 * HOUR) expect(c.outputs.probability_deny.reasons, c.window.end).toEqual(['probability_drift']);
    }
    // The drift event carries no invalid counts: the unknown and missing classes show in the missing rate.
    expect(checks.every((c) => c.outputs.probability_deny.missing_rate > 0)).toBe(true);
    expect(detector.detect(batchRows, reference).outputs!.probability_deny.invalid_values).toBe(Math.ceil((events.length - 3) / 250));
    expect(checks.some((c) => Date.parse(c.window.start) >= T0 + 3 * HOUR)).toBe(true);
  });

  it('the job reads class probabilities from CSV columns exactly as check does', async () => {
    const reference = ReferenceDistribution.fromJSON(JSON.parse(await readFile(referencePath, 'utf8')), referencePath);
    const window = rows(1500, 8, 0.1);
    await writeFile(join(dir, 'job-window.csv'), csv(window));
    const accumulation = new WindowAccumulation({ referenceFor: () => reference, defaults: { model: 'credit', modelVersion: 'v1' } });
    await new FileSource({ paths: [join(dir, 'job-window.csv')] }).read({ startMs: 0, endMs: Number.MAX_SAFE_INTEGER }, (row) => accumulation.add(row));
    const detector = new DriftDetector({ now: () => new Date(0) });
    const expected = detector.evaluate(accumulate(window.map(flat), reference), reference);
    expect(detector.evaluate([...accumulation.groups.values()][0].accumulator, reference)).toEqual(expected);
    expect(expected.outputs!.probability_deny.reasons).toEqual(['probability_drift']);
  });
});
