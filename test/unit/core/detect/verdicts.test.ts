/**
 * Issue 10's verdict rules: per-metric default thresholds, `auto` thresholds (a test at level α
 * with a correction across features and an effect floor), DRIFT_METRIC=auto. Data from the
 * golden fixtures and seeded draws; no statistic is hard-coded.
 */
import { describe, expect, it } from 'vitest';
import { autoMetric, DriftDetector } from '../../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { METRICS, SCORE_METRICS } from '../../../../src/core/stats/index.js';
import { distributions, type NumericCase } from '../../../golden/fixtures.js';

const shifted = distributions().cases.find((c) => c.name === 'normal_shifted') as NumericCase;
const reference = ReferenceDistribution.fromRows(shifted.reference.map((x) => ({ x })));
const current = shifted.current.map((x) => ({ x }));

describe('regression: per-metric default thresholds (issue 10, item 1)', () => {
  // Before: every metric was judged with 0.3 when no threshold was given, although the registry
  // gives ks, js and wasserstein 0.1.
  it.each(SCORE_METRICS)('without a threshold, %s is judged with its registered default', (metric) => {
    const detector = new DriftDetector({ metric });
    expect(detector.threshold).toBe(METRICS[metric].defaultThreshold);
    const f = detector.detect(current, reference).features.x;
    expect(f.metric).toBe(metric);
    expect(f.threshold).toBe(METRICS[metric].defaultThreshold);
    expect(f.drifted).toBe(f.score! >= METRICS[metric].defaultThreshold!);
  });

  it('the registered defaults: psi 0.3 (the integration guide), ks, js and wasserstein 0.1', () => {
    expect((['psi', 'ks', 'js', 'wasserstein'] as const).map((m) => METRICS[m].defaultThreshold)).toEqual([0.3, 0.1, 0.1, 0.1]);
  });

  it('a half-sd shift that ks flags at its own 0.1 is no longer missed by a 0.3 default', () => {
    const f = new DriftDetector({ metric: 'ks' }).detect(current, reference).features.x;
    expect(f.score!).toBeGreaterThan(0.1);
    expect(f.score!).toBeLessThan(0.3);
    expect(f.drifted).toBe(true);
  });
});

describe('auto thresholds', () => {
  it('a feature drifts when p ≤ α (corrected) and score ≥ the effect floor; the threshold is the critical value at n', () => {
    const r = new DriftDetector({ threshold: 'auto', metric: 'ks', alpha: 0.01 }).detect(current, reference);
    const f = r.features.x;
    expect(r.threshold).toBe('auto');
    expect(r).toMatchObject({ alpha: 0.01, correction: 'bonferroni', feature_alpha: 0.01 });
    expect(f.p_value).toBe(f.ks_pvalue);
    expect(f.p_value!).toBeLessThan(0.01);
    expect(f.threshold).toBeGreaterThanOrEqual(0.05);
    expect(f.drifted).toBe(true);
  });

  it('the effect floor stops a significant but small difference', () => {
    const f = new DriftDetector({ threshold: 'auto', metric: 'ks', minEffect: 0.9 }).detect(current, reference).features.x;
    expect(f.threshold).toBe(0.9);
    expect(f.drifted).toBe(false);
  });

  it('every score carries a p-value (wasserstein excepted) and auto is refused for wasserstein', () => {
    const f = new DriftDetector({ metric: 'psi' }).detect(current, reference).features.x;
    expect(f.p_value).toBe(f.psi_pvalue);
    expect(f.js_pvalue).not.toBeNull();
    expect(new DriftDetector({ metric: 'wasserstein' }).detect(current, reference).features.x.p_value).toBeNull();
    expect(() => new DriftDetector({ metric: 'wasserstein', threshold: 'auto' })).toThrow(/wasserstein has none/);
    expect(() => new DriftDetector({ correction: 'holm' })).toThrow('Unknown correction "holm". Available: none, bonferroni, bh');
  });

  it('score ≥ critical value exactly when p ≤ level', () => {
    const detector = new DriftDetector({ threshold: 'auto', metric: 'psi', minEffect: 0 });
    const r = detector.detect(current.slice(0, 300), reference);
    const f = r.features.x;
    expect(f.drifted).toBe(f.p_value! <= r.feature_alpha!);
  });

  it('bonferroni divides α by the features tested', () => {
    const ref = ReferenceDistribution.fromRows(shifted.reference.map((x, i) => ({ a: x, b: shifted.reference[(i + 7) % shifted.reference.length] })));
    const rows = shifted.current.map((x, i) => ({ a: x, b: shifted.current[(i + 3) % shifted.current.length] }));
    const r = new DriftDetector({ threshold: 'auto', alpha: 0.02 }).detect(rows, ref);
    expect(r.feature_alpha).toBe(0.01);
    expect(r.features.a.threshold).toBeCloseTo(Math.max(0.1, r.features.a.threshold), 12);
  });
});

describe('DRIFT_METRIC=auto', () => {
  it('numeric: ks up to 1,000 values, wasserstein above (ks at every n with auto thresholds); categorical: js', () => {
    expect(autoMetric('numeric', 1000, false)).toBe('ks');
    expect(autoMetric('numeric', 1001, false)).toBe('wasserstein');
    expect(autoMetric('numeric', 1_000_000, true)).toBe('ks');
    expect(autoMetric('categorical', 10, false)).toBe('js');
    const r = new DriftDetector({ metric: 'auto' }).detect(current, reference);
    expect(r.metric).toBe('auto');
    expect(r.threshold).toBe('auto');
    expect(r.features.x.metric).toBe('ks');
  });

  it('with a fixed threshold each feature says which metric judged it', () => {
    const r = new DriftDetector({ metric: 'auto', threshold: 0.1 }).detect(current, reference);
    expect(r.features.x.metric).toBe(current.length <= 1000 ? 'ks' : 'wasserstein');
  });
});
