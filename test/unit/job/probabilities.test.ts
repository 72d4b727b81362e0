// Per-class probabilities through the scheduled job (issue 12): every store's shape of them —
// a `probabilities` object, its JSON text (Redis stream fields, PostgreSQL json/jsonb read as
// text), `probability_<class>` entries (InfluxDB points and fields, CSV and Parquet columns) —
// gives the same window as `check` on the same rows, and the prediction events' rules apply:
// a number outside [0, 1] is invalid, an unknown class or a value that is no object makes the
// row's class probabilities invalid and is counted with the class named, never dropped.
import { describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { WindowAccumulation } from '../../../src/app/job/accumulate.js';
import { invalidProbabilitiesNote } from '../../../src/app/job/check-window.js';
import { rowFromJson, type StoreRow } from '../../../src/adapters/stores/source.js';
import { accumulate, DriftDetector } from '../../../src/core/detect/detector.js';
import type { FeatureSetAccumulator } from '../../../src/core/stats/index.js';
import { rng } from '../../fixtures/random.js';

const CLASSES = ['approve', 'deny', 'review'] as const;

function probabilitiesOf(x: number): Record<string, number> {
  const e = [Math.exp(x), Math.exp(-x), 0.5];
  const s = e[0]! + e[1]! + e[2]!;
  return Object.fromEntries(CLASSES.map((c, i) => [c, e[i]! / s]));
}

function training(n: number, seed: number): Record<string, unknown>[] {
  const r = rng(seed).uniform;
  return Array.from({ length: n }, () => {
    const x = r() * 4 - 2;
    return { x, y: r(), probabilities: probabilitiesOf(x) };
  });
}

const reference = ReferenceDistribution.fromRows(training(2000, 1), { outputs: ['probabilities'], modelVersion: 'v1' });

function accumulation(): WindowAccumulation {
  return new WindowAccumulation({ referenceFor: () => reference, defaults: { model: 'm', modelVersion: 'v1' } });
}

const detector = new DriftDetector({ now: () => new Date(0) });
/** What the detector makes of an accumulated window: every signal's score, counts, missing and invalid values. */
const scored = (acc: FeatureSetAccumulator) => detector.evaluate(acc, reference);

/** The counts a window recorded, scored. */
function snapshot(a: WindowAccumulation): unknown {
  return scored([...a.groups.values()][0]!.accumulator);
}

/** The batch oracle: `check`'s accumulation of flat rows (a JSONL file's `probabilities` become these columns, files/rows.ts). */
const batch = (rows: Record<string, unknown>[]) => scored(accumulate(rows, reference));

function oracle(rows: Record<string, unknown>[]): unknown {
  return batch(rows.map(({ probabilities, ...rest }) => ({ ...rest, ...Object.fromEntries(Object.entries(probabilities as object).map(([c, p]) => [`probability_${c}`, p])) })));
}

describe('per-class probabilities in the job', () => {
  const rows = training(500, 2);

  it('records the reference the classes of the training rows', () => {
    expect(reference.outputNames).toEqual(['probability_approve', 'probability_deny', 'probability_review']);
  });

  it.each([
    [
      'an object beside an array vector (file store JSONL, Redis list)',
      (r: Record<string, unknown>): StoreRow => rowFromJson({ feature_vector: [r.x, r.y], probabilities: r.probabilities }),
    ],
    [
      'JSON text of the object (Redis stream field, PostgreSQL jsonb as text)',
      (r: Record<string, unknown>): StoreRow => ({ features: [r.x, r.y], outputs: { probabilities: JSON.stringify(r.probabilities) } }),
    ],
    [
      'probability_<class> entries (InfluxDB points and fields)',
      (r: Record<string, unknown>): StoreRow => ({
        features: { x: r.x, y: r.y },
        outputs: Object.fromEntries(Object.entries(r.probabilities as object).map(([c, p]) => [`probability_${c}`, p])),
      }),
    ],
    [
      'probability_<class> columns of an object row (file store CSV, Parquet)',
      (r: Record<string, unknown>): StoreRow => ({
        features: { x: r.x, y: r.y, ...Object.fromEntries(Object.entries(r.probabilities as object).map(([c, p]) => [`probability_${c}`, p])) },
      }),
    ],
    ['an object row with a probabilities key (file store JSONL without feature_vector)', (r: Record<string, unknown>): StoreRow => ({ features: { ...r } })],
  ])('reads %s exactly as check reads the same rows', (_, toRow) => {
    const a = accumulation();
    for (const r of rows) a.add(toRow(r));
    expect(snapshot(a)).toEqual(oracle(rows));
    const g = [...a.groups.values()][0]!;
    expect(g.invalidProbabilities).toBeUndefined();
    const result = snapshot(a) as { outputs: Record<string, { sample_count: number; missing_rate: number }> };
    for (const name of reference.outputNames) expect(result.outputs[name]).toMatchObject({ sample_count: rows.length, missing_rate: 0 });
  });

  it('counts a probability outside [0, 1] as an invalid value of that class only', () => {
    const a = accumulation();
    a.add({ features: [0, 0.5], outputs: { probabilities: { approve: 1.5, deny: 0.1, review: 0.2 } } });
    a.add({ features: [0, 0.5], outputs: { probabilities: { approve: Number.NaN, deny: -0.1, review: 0.2 } } });
    expect(snapshot(a)).toEqual(
      batch([
        { x: 0, y: 0.5, probability_approve: 'invalid', probability_deny: 0.1, probability_review: 0.2 },
        { x: 0, y: 0.5, probability_approve: Number.NaN, probability_deny: 'invalid', probability_review: 0.2 },
      ]),
    );
    const outputs = (snapshot(a) as { outputs: Record<string, { invalid_values: number }> }).outputs;
    expect([outputs.probability_approve!.invalid_values, outputs.probability_deny!.invalid_values, outputs.probability_review!.invalid_values]).toEqual([1, 1, 0]);
    expect([...a.groups.values()][0]!.invalidProbabilities).toBeUndefined();
  });

  it('makes every class probability of a row with an unknown class invalid, and counts the row with the class named', () => {
    const a = accumulation();
    a.add({ features: [0, 0.5], outputs: { probabilities: { approve: 0.5, escalate: 0.5 } } });
    a.add({ features: { x: 0, y: 0.5, probability_approve: 0.5, probability_other: 0.5 } });
    a.add({ features: [0, 0.5], outputs: { probabilities: { approve: 0.2, deny: 0.3, review: 0.5 } } });
    const g = [...a.groups.values()][0]!;
    expect(g.invalidProbabilities).toEqual({ rows: 2, unknownClasses: ['escalate', 'other'], notAnObject: 0 });
    expect(invalidProbabilitiesNote(g.invalidProbabilities!)).toBe(
      '2 row(s) give the probability of a class the reference does not know ("escalate", "other"): their class probabilities count as invalid',
    );
    const inv = 'invalid';
    expect(snapshot(a)).toEqual(
      batch([
        { x: 0, y: 0.5, probability_approve: inv, probability_deny: inv, probability_review: inv },
        { x: 0, y: 0.5, probability_approve: inv, probability_deny: inv, probability_review: inv },
        { x: 0, y: 0.5, probability_approve: 0.2, probability_deny: 0.3, probability_review: 0.5 },
      ]),
    );
  });

  it('counts probabilities that are no object (an array, text that is not JSON) as invalid, and a null as missing', () => {
    const a = accumulation();
    a.add({ features: [0, 0.5], outputs: { probabilities: [0.5, 0.5] } });
    a.add({ features: [0, 0.5], outputs: { probabilities: '{"approve": 0.5,' } });
    a.add({ features: [0, 0.5], outputs: { probabilities: null } });
    const g = [...a.groups.values()][0]!;
    expect(g.invalidProbabilities).toEqual({ rows: 2, unknownClasses: [], notAnObject: 2 });
    expect(invalidProbabilitiesNote(g.invalidProbabilities!)).toBe(
      '2 row(s) have "probabilities" that is no object of class → probability: their class probabilities count as invalid',
    );
    const inv = 'invalid';
    expect(snapshot(a)).toEqual(
      batch([
        { x: 0, y: 0.5, probability_approve: inv, probability_deny: inv, probability_review: inv },
        { x: 0, y: 0.5, probability_approve: inv, probability_deny: inv, probability_review: inv },
        { x: 0, y: 0.5 },
      ]),
    );
  });
});

describe('the file store hands the probabilities over', () => {
  it('from a JSON Lines event (probabilities object) and CSV columns probability_<class>, equal to check on the same rows', async () => {
    const { mkdtemp, writeFile, rm } = await import('node:fs/promises');
    const { tmpdir } = await import('node:os');
    const { join } = await import('node:path');
    const { FileSource } = await import('../../../src/adapters/stores/file.js');
    const dir = await mkdtemp(join(tmpdir(), 'driftwatch-probabilities-files-'));
    try {
      const rows = training(300, 3);
      const jsonl = join(dir, 'events.jsonl');
      await writeFile(jsonl, rows.map((r) => JSON.stringify({ feature_vector: [r.x, r.y], probabilities: r.probabilities })).join('\n') + '\n');
      const csv = join(dir, 'rows.csv');
      const header = ['x', 'y', ...CLASSES.map((c) => `probability_${c}`)];
      await writeFile(csv, [header.join(','), ...rows.map((r) => [r.x, r.y, ...CLASSES.map((c) => (r.probabilities as Record<string, number>)[c])].join(','))].join('\n') + '\n');
      for (const path of [jsonl, csv]) {
        const a = accumulation();
        await new FileSource({ paths: [path] }).read({ startMs: 0, endMs: 1 }, (row) => a.add(row));
        expect(snapshot(a)).toEqual(oracle(rows));
      }
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });
});
