/**
 * DriftDetector rules: metric choice, minimum samples, the missing-rate rule, per-feature
 * thresholds, drift share, categorical fallback and input errors. Data comes from the golden
 * fixtures (seeded numpy samples), so no statistic is hard-coded here.
 */
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { UnknownMetricError } from '../../../../src/core/stats/index.js';
import { InputError } from '../../../../src/core/errors.js';
import { distributions, type CategoricalCase, type NumericCase } from '../../../golden/fixtures.js';

const cases = distributions().cases;
const byName = <T extends NumericCase | CategoricalCase>(name: string): T => {
  const c = cases.find((x) => x.name === name);
  if (!c) throw new Error(`no golden case ${name}`);
  return c as T;
};
const shifted = byName<NumericCase>('normal_shifted'); // PSI ≈ 0.26 (oracle in the fixture)
const stable = byName<NumericCase>('normal_unshifted'); // PSI ≈ 0.007
const categories = byName<CategoricalCase>('categorical_unseen'); // PSI ≈ 1.43

/** The error `fn` throws (fails the test when it returns). */
function thrown(fn: () => unknown): Error {
  try {
    fn();
  } catch (e) {
    return e as Error;
  }
  throw new Error('expected a throw');
}

/** Rows {shifted, stable} zipped from two golden samples of equal length. */
function zip(a: (number | null)[], b: (number | null)[]): Record<string, unknown>[] {
  expect(a.length).toBe(b.length);
  return a.map((v, i) => ({ shifted: v, stable: b[i] }));
}
const reference = ReferenceDistribution.fromRows(zip(shifted.reference, stable.reference));
const current = zip(shifted.current, stable.current);

describe('metric option', () => {
  it('an unknown metric lists the available ones', () => {
    const error = thrown(() => new DriftDetector({ metric: 'psy' }));
    expect(error).toBeInstanceOf(UnknownMetricError);
    expect(error.message).toBe('Unknown metric "psy". Available: psi, ks, js, wasserstein, hellinger, linf');
  });

  it('chi2_pvalue, ks_pvalue and missing_rate are statistics, not drift scores', () => {
    for (const metric of ['chi2_pvalue', 'ks_pvalue', 'missing_rate']) {
      expect(thrown(() => new DriftDetector({ metric })).message).toBe(`Unknown metric "${metric}". Available: psi, ks, js, wasserstein, hellinger, linf`);
    }
  });

  it.each(['psi', 'ks', 'js', 'wasserstein'] as const)('score is the %s statistic', (metric) => {
    const result = new DriftDetector({ metric }).detect(current, reference);
    for (const f of Object.values(result.features)) {
      expect(f.metric).toBe(metric);
      expect(f.score).toBe(f[metric]);
    }
    expect(result.metric).toBe(metric);
  });

  it('default: psi, threshold 0.3, a feature drifts when score ≥ threshold', () => {
    const detector = new DriftDetector();
    expect(detector.metric).toBe('psi');
    expect(detector.threshold).toBe(0.3);
    const r = detector.detect(current, reference);
    expect(r.features.shifted.psi).toBeLessThan(0.3);
    expect(r.drift_detected).toBe(false);
    const atScore = new DriftDetector({ threshold: r.features.shifted.psi! }).detect(current, reference);
    expect(atScore.features.shifted.drifted).toBe(true);
    expect(atScore.features.shifted.reasons).toEqual(['score']);
    expect(atScore.drifted_features).toEqual({ shifted: r.features.shifted.psi });
    expect(atScore.max_drift_score).toBe(r.features.shifted.psi);
  });
});

describe('minimum samples', () => {
  it('below minSamples rows the check is insufficient_samples and decides nothing', () => {
    const few = current.slice(0, 99);
    const r = new DriftDetector({ threshold: 0.01 }).detect(few, reference);
    expect(r.status).toBe('insufficient_samples');
    expect(r.drift_detected).toBe(false);
    expect(r.drifted_features).toEqual({});
    for (const f of Object.values(r.features)) {
      expect(f.status).toBe('insufficient_samples');
      expect(f.drifted).toBe(false);
      expect(f.reasons).toEqual([]);
    }
    expect(r.sample_count).toBe(99);
  });

  it('at minSamples rows the check decides', () => {
    const r = new DriftDetector({ threshold: 0.01, minSamples: 100 }).detect(current.slice(0, 100), reference);
    expect(r.status).toBe('ok');
    expect(r.features.shifted.status).toBe('ok');
  });

  it('a feature with fewer than minSamples non-missing values makes no score decision', () => {
    const rows = current.map((row, i) => ({ ...row, shifted: i < 99 ? row.shifted : null }));
    const r = new DriftDetector({ threshold: 0.01, missingRateThreshold: 1 }).detect(rows, reference);
    expect(r.status).toBe('ok');
    expect(r.features.shifted.status).toBe('insufficient_samples');
    expect(r.features.shifted.sample_count).toBe(99);
    expect(r.features.shifted.reasons).not.toContain('score');
    expect(r.features.stable.status).toBe('ok');
  });
});

describe('missing-rate rule: flagged when missing_rate − reference_missing_rate ≥ 0.1', () => {
  // Reference: 20% missing. Current: the same non-missing values (identical distribution, PSI 0)
  // with more missing rows. Rates are exact ratios; 0.3 − 0.2 is 0.09999999999999998 in floats,
  // which must still count as reaching 0.1.
  const values = stable.reference.slice(0, 800);
  const ref = ReferenceDistribution.fromRows([...values, ...Array(200).fill(null)].map((x) => ({ x })));
  const withMissing = (nulls: number, kept: number) => [...values.slice(0, kept), ...Array(nulls).fill(null)].map((x) => ({ x }));

  it('reference 20% missing, current 30% missing → flagged with reason missing_rate', () => {
    const r = new DriftDetector().detect(withMissing(300, 700), ref);
    const f = r.features.x;
    expect(f.reference_missing_rate).toBe(0.2);
    expect(f.missing_rate).toBe(0.3);
    expect(f.reasons).toEqual(['missing_rate']);
    expect(f.drifted).toBe(true);
    expect(r.drift_detected).toBe(true);
    expect(Object.keys(r.drifted_features)).toEqual(['x']);
  });

  it('current 29.9% missing → not flagged', () => {
    const f = new DriftDetector().detect(withMissing(299, 701), ref).features.x;
    expect(f.reasons).toEqual([]);
    expect(f.drifted).toBe(false);
  });

  it('a feature that went entirely missing is flagged even though it has no values to score', () => {
    const r = new DriftDetector().detect(withMissing(500, 0), ref);
    expect(r.features.x.status).toBe('insufficient_samples');
    expect(r.features.x.score).toBeNull();
    expect(r.features.x.reasons).toEqual(['missing_rate']);
    expect(r.drift_detected).toBe(true);
  });

  it('missingRateThreshold is configurable', () => {
    const f = new DriftDetector({ missingRateThreshold: 0.15 }).detect(withMissing(300, 700), ref).features.x;
    expect(f.reasons).toEqual([]);
  });

  it('golden missing_values case: missing rates 5% → 20% flag the feature', () => {
    const c = byName<NumericCase>('missing_values');
    const r = new DriftDetector().detect(
      c.current.map((x) => ({ x })),
      ReferenceDistribution.fromRows(c.reference.map((x) => ({ x }))),
    );
    expect(r.features.x.reasons).toContain('missing_rate');
  });
});

describe('thresholds and drift share', () => {
  const psiShifted = new DriftDetector().detect(current, reference).features.shifted.psi!;
  const psiStable = new DriftDetector().detect(current, reference).features.stable.psi!;

  it('a per-feature threshold overrides the global one for that feature only', () => {
    const r = new DriftDetector({ threshold: 0.3, featureThresholds: { shifted: psiShifted / 2 } }).detect(current, reference);
    expect(r.features.shifted.threshold).toBe(psiShifted / 2);
    expect(r.features.shifted.drifted).toBe(true);
    expect(r.features.stable.threshold).toBe(0.3);
    expect(r.features.stable.drifted).toBe(false);
    expect(r.drift_detected).toBe(true);
    expect(r.threshold).toBe(0.3);

    const strictStable = new DriftDetector({ threshold: 0.3, featureThresholds: { stable: psiStable / 2 } }).detect(current, reference);
    expect(strictStable.features.stable.drifted).toBe(true);
    expect(strictStable.features.shifted.drifted).toBe(false);
  });

  it('driftShare: drift_detected needs that share of features drifted', () => {
    // One of the two features drifts at this threshold: share 0.5.
    const threshold = (psiShifted + psiStable) / 2;
    const half = new DriftDetector({ threshold, driftShare: 0.5 }).detect(current, reference);
    expect(Object.keys(half.drifted_features)).toEqual(['shifted']);
    expect(half.drift_detected).toBe(true);
    const most = new DriftDetector({ threshold, driftShare: 0.75 }).detect(current, reference);
    expect(most.drifted_features).toEqual(half.drifted_features);
    expect(most.drift_detected).toBe(false);
    const all = new DriftDetector({ threshold: psiStable / 2, driftShare: 1 }).detect(current, reference);
    expect(all.drift_detected).toBe(true);
  });

  it('rejects a driftShare outside (0, 1] and a non-positive threshold', () => {
    expect(() => new DriftDetector({ driftShare: 0 })).toThrow('driftShare (0) must be in (0, 1]');
    expect(() => new DriftDetector({ driftShare: 1.5 })).toThrow('driftShare (1.5) must be in (0, 1]');
    expect(() => new DriftDetector({ threshold: 0 })).toThrow('threshold (0) must be a positive number');
    expect(() => new DriftDetector({ minSamples: 0 })).toThrow('minSamples (0) must be a positive integer');
  });
});

describe('categorical features', () => {
  const ref = ReferenceDistribution.fromRows(categories.reference.map((c, i) => ({ employment: c, shifted: shifted.reference[i] })));
  const rows = categories.current.map((c, i) => ({ employment: c, shifted: shifted.current[i] }));

  it('under metric ks a categorical feature is scored by psi with psi’s default threshold', () => {
    const r = new DriftDetector({ metric: 'ks', threshold: 0.1 }).detect(rows, ref);
    const f = r.features.employment;
    expect(f.metric).toBe('psi');
    expect(f.score).toBe(f.psi);
    expect(f.threshold).toBe(0.3);
    expect(f.ks).toBeNull();
    expect(f.wasserstein).toBeNull();
    expect(f.drifted).toBe(true);
    expect(r.features.shifted.metric).toBe('ks');
    expect(r.features.shifted.threshold).toBe(0.1);
  });

  it('under metric wasserstein too; a per-feature threshold still applies', () => {
    const f = new DriftDetector({ metric: 'wasserstein', featureThresholds: { employment: 5 } }).detect(rows, ref).features.employment;
    expect(f.metric).toBe('psi');
    expect(f.threshold).toBe(5);
    expect(f.drifted).toBe(false);
  });

  it('js applies to categorical features directly', () => {
    const f = new DriftDetector({ metric: 'js' }).detect(rows, ref).features.employment;
    expect(f.metric).toBe('js');
    expect(f.score).toBe(f.js);
  });
});

describe('input errors', () => {
  it('a reference feature absent from every object row is an InputError naming it', () => {
    const rows = current.map(({ shifted: s }) => ({ shifted: s, other: 1 }));
    const error = thrown(() => new DriftDetector().detect(rows, reference));
    expect(error).toBeInstanceOf(InputError);
    expect(error.message).toBe('reference feature "stable" absent from the input');
    expect((error as InputError).context.feature).toBe('stable');
  });

  it('several absent features are all named', () => {
    expect(thrown(() => new DriftDetector().detect([{ a: 1 }], reference)).message).toBe('reference features "shifted", "stable" absent from the input');
  });

  it('no rows at all is an InputError', () => {
    expect(() => new DriftDetector().detect([], reference)).toThrow(new InputError('no current rows to check'));
  });

  // Bug: accumulate() stops collecting keys once it has seen as many distinct keys as the
  // reference has features, counting keys that are not features (request_id, timestamp…). A
  // first row that lacks a feature but carries an extra key fills that quota, so the feature,
  // present in every later row, is reported absent.
  it('regression: extra keys in early rows do not hide a feature present in later rows', () => {
    const rows = [{ shifted: 1, request_id: 'r-0' }, ...current.map((row, i) => ({ ...row, request_id: `r-${i + 1}` }))];
    const r = new DriftDetector().detect(rows, reference);
    expect(r.features.stable.sample_count).toBe(current.length);
    expect(r.features.stable.missing_rate).toBe(1 / rows.length);
  });

  it('array rows follow the reference feature order; short rows leave the rest missing', () => {
    const arrays = current.map((row) => [row.shifted, row.stable]);
    const fromArrays = new DriftDetector().detect(arrays, reference);
    const fromObjects = new DriftDetector().detect(current, reference);
    expect(fromArrays.features).toEqual(fromObjects.features);
    const short = new DriftDetector().detect(
      current.map((row) => [row.shifted]),
      reference,
    );
    expect(short.features.stable.missing_rate).toBe(1);
  });

  it('rows mixing arrays and objects are rejected', () => {
    expect(() => new DriftDetector().detect([{ shifted: 1, stable: 2 }, [1, 2]], reference)).toThrow('rows mix arrays and objects');
  });
});
