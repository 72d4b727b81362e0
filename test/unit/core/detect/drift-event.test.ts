import { describe, expect, it } from 'vitest';
import { driftEventFromCheck, driftEventSchema } from '../../../../src/core/detect/drift-event.js';
import type { CheckResult, FeatureResult } from '../../../../src/core/detect/result.js';

const feature: FeatureResult = {
  type: 'numeric',
  status: 'ok',
  metric: 'psi',
  threshold: 0.3,
  score: 0.41,
  drifted: true,
  reasons: ['score'],
  psi: 0.41,
  ks: 0.2,
  ks_pvalue: 0.001,
  p_value: null,
  p_value_method: null,
  psi_pvalue: null,
  js_pvalue: null,
  severity: 'warning',
  critical_threshold: 0.6,
  js: 0.1,
  wasserstein: 0.3,
  chi2_pvalue: null,
  missing_rate: 0,
  reference_missing_rate: 0,
  invalid_values: 0,
  sample_count: 500,
  unseen_categories: null,
};

const check: CheckResult = {
  drift_detected: true,
  status: 'ok',
  severity: 'warning',
  drifted_features: { income: 0.41 },
  max_drift_score: 0.41,
  sample_count: 500,
  timestamp: '2026-11-26T10:00:00.000Z',
  metric: 'psi',
  threshold: 0.3,
  model_version: 'v1',
  features: { income: feature },
};

const window = { start: new Date('2026-11-26T09:00:00.000Z'), end: new Date('2026-11-26T10:00:00.000Z') };

describe('drift event: one shape, from its schema', () => {
  it('an event built from a check validates and reads back unchanged', () => {
    const event = driftEventFromCheck('drift_detected', 'credit-risk', 'v1', window, check);
    expect(driftEventSchema.parse(JSON.parse(JSON.stringify(event)))).toEqual(event);
  });

  it("carries exactly the schema's feature statistics, not the whole feature result", () => {
    const event = driftEventFromCheck('drift_detected', 'credit-risk', 'v1', window, check);
    expect(Object.keys(event.features.income).sort()).toEqual([
      'chi2_pvalue',
      'drifted',
      'js',
      'ks',
      'ks_pvalue',
      'missing_rate',
      'psi',
      'reasons',
      'score',
      'severity',
      'wasserstein',
    ]);
  });

  it('an event written before wasserstein, chi2_pvalue, score and reasons existed reads them as null and none', () => {
    const event = driftEventFromCheck('drift_detected', 'credit-risk', 'v1', window, check);
    const { wasserstein: _w, chi2_pvalue: _c, score: _s, reasons: _r, ...old } = event.features.income;
    const { status: _status, ...rest } = event;
    const parsed = driftEventSchema.parse({ ...rest, features: { income: old } });
    expect(parsed.status).toBe('ok');
    expect(parsed.features.income).toMatchObject({ wasserstein: null, chi2_pvalue: null, score: null, reasons: [] });
  });
});
