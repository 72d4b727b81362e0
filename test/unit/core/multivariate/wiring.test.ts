// The multivariate score wired through the reference, the pane state and the detector
// (docs/multivariate.md): the block round-trips through the file, every record path of
// FeatureSetAccumulator records the same state, panes merge and subtract it, and the detector
// flags a correlation flip with unchanged marginals while leaving stationary windows alone.
import { describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { Random } from '../../../../src/core/reference/random.js';
import { FeatureSetAccumulator, NumericRow } from '../../../../src/core/stats/feature-set.js';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import { driftEventFromCheck, driftEventSchema } from '../../../../src/core/detect/drift-event.js';

/** Rows {a, b, c, kind}: a, b standard normal with correlation rho, c independent, kind categorical. */
function rows(n: number, rho: number, seed: number): Record<string, unknown>[] {
  const r = new Random(seed);
  const out: Record<string, unknown>[] = [];
  for (let i = 0; i < n; i++) {
    const x = r.normal();
    const y = rho * x + Math.sqrt(1 - rho * rho) * r.normal();
    out.push({ a: x, b: y, c: r.normal(), kind: r.uniform() < 0.5 ? 'p' : 'q' });
  }
  return out;
}

const reference = ReferenceDistribution.fromRows(rows(4000, 0.8, 1), {
  now: new Date('2026-12-02T00:00:00Z'),
  multivariate: { replicates: 400, sizes: [100, 500, 2000], randomFeatures: 64 },
});
const detector = new DriftDetector({ now: () => new Date('2026-12-02T00:00:00Z') });

describe('the multivariate block of a reference', () => {
  it('holds the numeric input features only, and round-trips through JSON unchanged', () => {
    const json = reference.toJSON();
    expect(json.multivariate?.features).toEqual(['a', 'b', 'c']);
    expect(json.multivariate?.reference_mean).toHaveLength(64);
    const again = ReferenceDistribution.fromJSON(JSON.parse(JSON.stringify(json)));
    expect(again.toJSON()).toEqual(json);
    // The map is drawn again from the seed: the same ω and b.
    expect(Array.from(again.multivariate!.spec.omega)).toEqual(Array.from(reference.multivariate!.spec.omega));
    const current = rows(300, -0.8, 9);
    expect(detector.detect(current, again).multivariate).toEqual(detector.detect(current, reference).multivariate);
  });

  it('is absent when not built, and an old reference reads unchanged', () => {
    const plain = ReferenceDistribution.fromRows(rows(500, 0.8, 2), { now: new Date(0) });
    expect(plain.toJSON()).not.toHaveProperty('multivariate');
    expect(plain.multivariate).toBeNull();
    const result = detector.detect(rows(200, 0.8, 3), plain);
    expect(result).not.toHaveProperty('multivariate');
    expect(new FeatureSetAccumulator(plain.signals).mmd).toBeNull();
  });

  it('rejects a block that names a categorical feature or has the wrong shape, naming where', () => {
    const json = JSON.parse(JSON.stringify(reference.toJSON()));
    json.multivariate.features[1] = 'kind';
    expect(() => ReferenceDistribution.fromJSON(json, 'ref.json')).toThrow(/ref\.json.*multivariate\.features\.1.*"kind" is not a numeric input feature/s);
    const short = JSON.parse(JSON.stringify(reference.toJSON()));
    short.multivariate.reference_mean.pop();
    expect(() => ReferenceDistribution.fromJSON(short, 'ref.json')).toThrow(/multivariate\.reference_mean.*needs random_features = 64 values, has 63/s);
  });

  it('refuses to build on a reference without numeric input features', () => {
    const cats = Array.from({ length: 50 }, (_, i) => ({ kind: i % 2 ? 'p' : 'q' }));
    expect(() => ReferenceDistribution.fromRows(cats, { multivariate: true })).toThrow(/multivariate drift needs at least one numeric input feature/);
  });
});

describe('the MMD state of FeatureSetAccumulator', () => {
  const data = rows(300, -0.5, 4);
  // A missing value, a numeric string and an invalid value: each record path reads them the same.
  data[5] = { ...data[5], a: undefined };
  data[6] = { ...data[6], b: '0.25' };
  data[7] = { ...data[7], c: 'n/a' };
  const names = reference.signals.map((s) => s.name);
  const arrays = data.map((row) => names.map((n) => row[n]));

  it('is the same from objects, arrays, one array at a time and decoded rows', () => {
    const byObject = new FeatureSetAccumulator(reference.signals);
    for (const row of data) byObject.recordObject(row);
    const byArrays = new FeatureSetAccumulator(reference.signals);
    byArrays.recordArrays(arrays);
    const byArray = new FeatureSetAccumulator(reference.signals);
    for (const row of arrays) byArray.recordArray(row);
    const byRow = new FeatureSetAccumulator(reference.signals);
    const kinds = ['p', 'q'];
    const buffer = new Float64Array(names.length);
    for (const row of data) {
      names.forEach((n, i) => {
        const v = row[n];
        buffer[i] = n === 'kind' ? kinds.indexOf(v as string) : typeof v === 'number' ? v : v === '0.25' ? 0.25 : Number.NaN;
      });
      byRow.recordRow(new NumericRow(reference.signals, buffer, 0));
    }
    const expected = Array.from(byObject.mmd!.sum);
    expect(byObject.mmd!.count).toBe(300);
    for (const other of [byArrays, byArray, byRow]) {
      expect(other.mmd!.count).toBe(300);
      other.mmd!.sum.forEach((v, i) => expect(v).toBeCloseTo(expected[i], 12));
    }
  });

  it('merges, subtracts and resets with the histograms, and counts in byteSize', () => {
    const whole = new FeatureSetAccumulator(reference.signals);
    whole.recordArrays(arrays);
    const first = new FeatureSetAccumulator(reference.signals);
    first.recordArrays(arrays.slice(0, 100));
    const rest = new FeatureSetAccumulator(reference.signals);
    rest.recordArrays(arrays.slice(100));
    const sum = new FeatureSetAccumulator(reference.signals);
    sum.merge(first);
    sum.merge(rest);
    sum.mmd!.sum.forEach((v, i) => expect(v).toBeCloseTo(whole.mmd!.sum[i], 12));
    sum.subtract(first);
    expect(sum.mmd!.count).toBe(200);
    sum.mmd!.sum.forEach((v, i) => expect(v).toBeCloseTo(rest.mmd!.sum[i], 12));
    expect(new FeatureSetAccumulator(reference.signals).byteSize - new FeatureSetAccumulator(reference.signals, null).byteSize).toBe(64 * 8 + 16);
    sum.reset();
    expect(sum.mmd!.count).toBe(0);
    expect(Array.from(sum.mmd!.sum).every((v) => v === 0)).toBe(true);
  });

  it('refuses to merge values without a multivariate state into values with one', () => {
    const withState = new FeatureSetAccumulator(reference.signals);
    const without = new FeatureSetAccumulator(reference.signals, null);
    expect(() => withState.merge(without)).toThrow(/without a multivariate state/);
  });
});

describe('the multivariate score of a check', () => {
  it('flags a correlation flip with unchanged marginals, which no univariate score sees', () => {
    const result = detector.detect(rows(500, -0.8, 5), reference);
    expect(result.multivariate).toMatchObject({ method: 'rff-mmd', status: 'ok', drifted: true, reasons: ['multivariate'], sample_count: 500, dims: 3, random_features: 64 });
    expect(result.multivariate!.p_value!).toBeLessThan(0.001);
    expect(result.multivariate!.score!).toBeGreaterThan(result.multivariate!.threshold);
    expect(result.drifted_features).toEqual({});
    expect(result.drift_detected).toBe(true);
  });

  it('leaves a stationary window alone, with a threshold that falls as the window grows', () => {
    const small = detector.detect(rows(100, 0.8, 6), reference).multivariate!;
    const large = detector.detect(rows(2000, 0.8, 7), reference).multivariate!;
    expect(small.drifted).toBe(false);
    expect(large.drifted).toBe(false);
    expect(small.p_value!).toBeGreaterThan(0.01);
    expect(large.threshold).toBeLessThan(small.threshold / 10);
  });

  it('makes no decision below minSamples, and none at all when switched off', () => {
    const few = detector.detect(rows(50, -0.8, 8), reference);
    expect(few.multivariate).toMatchObject({ status: 'insufficient_samples', drifted: false });
    expect(few.drift_detected).toBe(false);
    expect(new DriftDetector({ multivariate: false }).detect(rows(500, -0.8, 5), reference)).not.toHaveProperty('multivariate');
  });

  it('refuses values whose rows the multivariate state does not cover', () => {
    const decoded = new FeatureSetAccumulator(reference.signals);
    decoded.recordArrays(rows(200, 0.8, 10).map((r) => [r.a, r.b, r.c, r.kind]));
    // Rows added by hand: the histograms' rows set, the MMD state left behind.
    decoded.rows += 300;
    expect(() => detector.evaluate(decoded, reference)).toThrow(
      /the multivariate state covers 200 of the window's 500 rows: every part of the window must be recorded or merged on reference.signals/,
    );
    // Skipped for these values alone, the rest of the check stands.
    expect(detector.evaluate(decoded, reference, { multivariate: false })).not.toHaveProperty('multivariate');
  });

  it('is carried by the drift event', () => {
    const check = detector.detect(rows(500, -0.8, 5), reference);
    const event = driftEventFromCheck('drift_detected', 'm', '1', { start: new Date(0), end: new Date(1000) }, check);
    expect(event.multivariate).toEqual({
      score: check.multivariate!.score,
      p_value: check.multivariate!.p_value,
      threshold: check.multivariate!.threshold,
      drifted: true,
      severity: check.multivariate!.severity,
      sample_count: 500,
    });
    expect(driftEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });
});

describe('the form of the map', () => {
  it('a block without `map` (built before it) reads as the phase map; a cos-sin block round-trips, and an odd D is refused naming the field', () => {
    const json = JSON.parse(JSON.stringify(reference.toJSON()));
    expect(json.multivariate.map).toBe('phase');
    delete json.multivariate.map;
    const old = ReferenceDistribution.fromJSON(json, 'old.json');
    expect(old.multivariate!.spec.kind).toBe('phase');
    expect(Array.from(old.multivariate!.spec.omega)).toEqual(Array.from(reference.multivariate!.spec.omega));
    const current = rows(300, -0.8, 9);
    expect(detector.detect(current, old).multivariate).toEqual(detector.detect(current, reference).multivariate);

    const pairs = ReferenceDistribution.fromRows(rows(4000, 0.8, 1), {
      now: new Date('2026-12-02T00:00:00Z'),
      multivariate: { replicates: 400, sizes: [100, 500, 2000], randomFeatures: 64, map: 'cos-sin' },
    });
    const pairJson = JSON.parse(JSON.stringify(pairs.toJSON()));
    expect(pairJson.multivariate.map).toBe('cos-sin');
    const again = ReferenceDistribution.fromJSON(pairJson);
    expect(again.multivariate!.spec.omega).toHaveLength(32 * 3);
    expect(detector.detect(current, again).multivariate).toEqual(detector.detect(current, pairs).multivariate);
    expect(detector.detect(current, pairs).multivariate!.drifted).toBe(true);
    expect(detector.detect(rows(300, 0.8, 10), pairs).multivariate!.drifted).toBe(false);

    const odd = JSON.parse(JSON.stringify(pairJson));
    odd.multivariate.random_features = 63;
    odd.multivariate.reference_mean.pop();
    expect(() => ReferenceDistribution.fromJSON(odd, 'ref.json')).toThrow(/multivariate\.random_features.*must be even for the cos-sin map/s);
    expect(() => ReferenceDistribution.fromRows(rows(500, 0.8, 2), { multivariate: { randomFeatures: 63, map: 'cos-sin' } })).toThrow(/randomFeatures \(63\) must be even/);
  });
});
