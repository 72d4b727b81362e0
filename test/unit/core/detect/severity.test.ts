/**
 * Severity on the result (issue 10, item 5): per feature and per check, carried by check --json,
 * the drift event and InfluxDB. Rule (docs/statistics.md, "Severity"): a drifted feature is
 * `critical` when its score ≥ the critical threshold (criticalThreshold, e.g. RETRAIN_THRESHOLD;
 * default 2 × threshold; never below the threshold), under `auto` when p ≤ level/10, or when its
 * missing-rate excess ≥ min(2 × MISSING_RATE_THRESHOLD, 1); else `warning`; `none` when not
 * drifted. The check takes its worst drifted feature, and is `none` unless drift_detected.
 * Data from the golden fixtures (seeded numpy samples).
 */
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import { driftEventFromCheck, driftEventSchema } from '../../../../src/core/detect/drift-event.js';
import type { Evaluation } from '../../../../src/core/detect/evaluation.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { pointsOf } from '../../../../src/adapters/influx/exporter.js';
import { distributions, type CategoricalCase, type NumericCase } from '../../../golden/fixtures.js';

const cases = distributions().cases;
const shifted = cases.find((c) => c.name === 'normal_shifted') as NumericCase; // PSI ≈ 0.26
const stable = cases.find((c) => c.name === 'normal_unshifted') as NumericCase; // PSI ≈ 0.007
const categories = cases.find((c) => c.name === 'categorical_unseen') as CategoricalCase; // PSI ≈ 1.43

const reference = ReferenceDistribution.fromRows(shifted.reference.map((x, i) => ({ shifted: x, stable: stable.reference[i] })));
const current = shifted.current.map((x, i) => ({ shifted: x, stable: stable.current[i] }));
const psiShifted = shifted.expected.psi;

describe('severity of a fixed threshold', () => {
  it('precondition: the shifted feature’s PSI sits between 0.2 and 0.3', () => {
    expect(psiShifted).toBeGreaterThan(0.2);
    expect(psiShifted).toBeLessThan(0.3);
  });

  it('warning when drifted below 2 × threshold; none when not drifted; the check takes the worst', () => {
    const r = new DriftDetector({ threshold: 0.2 }).detect(current, reference);
    expect(r.features.shifted).toMatchObject({ drifted: true, severity: 'warning', threshold: 0.2, critical_threshold: 0.4 });
    expect(r.features.stable).toMatchObject({ drifted: false, severity: 'none' });
    expect(r).toMatchObject({ drift_detected: true, severity: 'warning' });
  });

  it('critical at 2 × threshold by default', () => {
    const r = new DriftDetector({ threshold: psiShifted / 2 }).detect(current, reference);
    expect(r.features.shifted).toMatchObject({ severity: 'critical', critical_threshold: psiShifted });
    expect(r.severity).toBe('critical');
  });

  it('criticalThreshold (RETRAIN_THRESHOLD in the service) replaces 2 × threshold', () => {
    const r = new DriftDetector({ threshold: 0.2, criticalThreshold: 0.25 }).detect(current, reference);
    expect(r.features.shifted).toMatchObject({ severity: 'critical', critical_threshold: 0.25 });
    expect(r.severity).toBe('critical');
  });

  it('a criticalThreshold below the threshold is raised to it: every drift is then critical', () => {
    const f = new DriftDetector({ threshold: 0.2, criticalThreshold: 0.1 }).detect(current, reference).features.shifted;
    expect(f).toMatchObject({ severity: 'critical', critical_threshold: 0.2 });
  });

  it('per-feature thresholds get their own critical threshold', () => {
    const r = new DriftDetector({ threshold: 0.2, featureThresholds: { shifted: psiShifted / 2 } }).detect(current, reference);
    expect(r.features.shifted).toMatchObject({ severity: 'critical', critical_threshold: psiShifted });
  });

  it('a feature that falls back to psi ignores criticalThreshold (it is in the configured metric’s units)', () => {
    const ref = ReferenceDistribution.fromRows(categories.reference.map((x) => ({ c: x })));
    const f = new DriftDetector({ metric: 'ks', criticalThreshold: 0.15 }).detect(
      categories.current.map((x) => ({ c: x })),
      ref,
    ).features.c;
    expect(f).toMatchObject({ metric: 'psi', threshold: 0.3, critical_threshold: 0.6, severity: 'critical' });
  });

  it('rejects a criticalThreshold that is not a positive number', () => {
    expect(() => new DriftDetector({ criticalThreshold: 0 })).toThrow('criticalThreshold (0) must be a positive number');
  });

  it('insufficient samples: severity none', () => {
    const r = new DriftDetector({ threshold: 0.01 }).detect(current.slice(0, 50), reference);
    expect(r.status).toBe('insufficient_samples');
    expect(r.severity).toBe('none');
    expect(Object.values(r.features).map((f) => f.severity)).toEqual(['none', 'none']);
  });
});

describe('severity of auto thresholds: critical when p ≤ level / 10', () => {
  it.each(['psi', 'ks', 'js'] as const)('%s: critical exactly when the drifted feature’s p-value ≤ feature_alpha / 10', (metric) => {
    for (const alpha of [0.01, 1e-6, 1e-12, 1e-20]) {
      const r = new DriftDetector({ metric, threshold: 'auto', alpha, correction: 'none', minEffect: 0 }).detect(current, reference);
      const f = r.features.shifted;
      expect(f.critical_threshold).toBeGreaterThanOrEqual(f.threshold);
      if (!f.drifted) expect(f.severity).toBe('none');
      else expect(f.severity).toBe(f.p_value! <= r.feature_alpha! / 10 ? 'critical' : 'warning');
    }
  });

  it('both sides are reached on this data', () => {
    const severities = [0.01, 1e-60].map((alpha) => new DriftDetector({ metric: 'ks', threshold: 'auto', alpha }).detect(current, reference).features.shifted.severity);
    expect(severities).toEqual(['critical', 'none']);
    const p = new DriftDetector({ metric: 'ks', threshold: 'auto' }).detect(current, reference).features.shifted.p_value!;
    // Between p·2 and p·10 as the per-feature level (bonferroni over 2 features: α/2): warning.
    const warning = new DriftDetector({ metric: 'ks', threshold: 'auto', alpha: p * 2 * 5 }).detect(current, reference);
    expect(warning.features.shifted.severity).toBe('warning');
    expect(warning.severity).toBe('warning');
  });
});

describe('severity of the missing-rate rule', () => {
  const rows = (missingShare: number) => current.map((row, i) => ({ ...row, stable: i < missingShare * current.length ? null : row.stable }));

  it('warning for an excess between the threshold and twice it, critical from twice it (a feature gone missing)', () => {
    const detector = new DriftDetector({ threshold: 10 });
    expect(detector.detect(rows(0.15), reference).features.stable).toMatchObject({ reasons: ['missing_rate'], severity: 'warning' });
    expect(detector.detect(rows(0.2), reference).features.stable).toMatchObject({ reasons: ['missing_rate'], severity: 'critical' });
    const gone = detector.detect(rows(1), reference);
    expect(gone.features.stable).toMatchObject({ status: 'insufficient_samples', reasons: ['missing_rate'], severity: 'critical' });
    expect(gone.severity).toBe('critical');
  });
});

describe('severity carried by the drift event and InfluxDB', () => {
  const check = new DriftDetector({ threshold: 0.2, criticalThreshold: 0.25 }).detect(current, reference);
  const window = { start: new Date('2026-11-26T09:00:00Z'), end: new Date('2026-11-26T10:00:00Z') };

  it('the drift event has the check’s severity and each feature’s, and round-trips through its schema', () => {
    const event = driftEventFromCheck('drift_detected', 'm', 'v1', window, check);
    expect(event.severity).toBe('critical');
    expect(event.features.shifted.severity).toBe('critical');
    expect(event.features.stable.severity).toBe('none');
    const parsed = driftEventSchema.parse(JSON.parse(JSON.stringify(event)));
    expect(parsed.severity).toBe('critical');
    expect(parsed.features.shifted.severity).toBe('critical');
  });

  it('an event of an earlier version, without severity, still parses (severity absent)', () => {
    const event = JSON.parse(JSON.stringify(driftEventFromCheck('drift_detected', 'm', 'v1', window, check)));
    delete event.severity;
    for (const f of Object.values(event.features) as Record<string, unknown>[]) delete f.severity;
    const parsed = driftEventSchema.parse(event);
    expect(parsed.severity).toBeUndefined();
    expect(parsed.features.shifted.severity).toBeUndefined();
  });

  it('an unknown severity is rejected by the schema', () => {
    const event = { ...driftEventFromCheck('drift_detected', 'm', 'v1', window, check), severity: 'major' };
    expect(driftEventSchema.safeParse(event).success).toBe(false);
  });

  it('InfluxDB: a string field severity on feature_drift and drift_check', () => {
    const evaluation: Evaluation = {
      windowStart: window.start,
      windowEnd: window.end,
      closedAtWallMs: 0,
      checks: [{ model: 'm', modelVersion: 'v1', check, change: 'drift_detected', state: 'drifting', lateEvents: 0, invalidEvents: 0, durationMs: 1 }],
    };
    const lines = pointsOf(evaluation).map((p) => p.toLineProtocol()!);
    const line = (prefix: string) => lines.find((l) => l.startsWith(prefix))!;
    expect(line('feature_drift,feature=shifted')).toContain('severity="critical"');
    expect(line('feature_drift,feature=stable')).toContain('severity="none"');
    expect(line('drift_check,')).toContain('severity="critical"');
  });
});
