/**
 * The integration guide's own test (seed/drift-detection-integration-guide.md, "Integration
 * Tests"): a reference from training data, a copy shifted with drift_factor = 0.5, and
 * `assert max(scores.values()) > 0.3`. Training data and the fresh sample are seeded numpy
 * draws from test/golden/generate.py (age, income, credit_score, loan_amount).
 *
 * drift_factor interpretation: every feature is shifted by drift_factor × its own (population)
 * standard deviation in the training data, x' = x + 0.5·std(x). The guide leaves
 * simulate_production_drift undefined; a shift in standard-deviation units is the one reading
 * that is scale-free across features measured in years, dollars and score points.
 */
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { integration } from '../../../golden/fixtures.js';

const data = integration();
const names = data.feature_names;

function std(column: number[]): number {
  const mean = column.reduce((a, b) => a + b, 0) / column.length;
  return Math.sqrt(column.reduce((a, b) => a + (b - mean) ** 2, 0) / column.length);
}

function simulateProductionDrift(rows: number[][], driftFactor: number): number[][] {
  const shifts = names.map((_, j) => driftFactor * std(rows.map((r) => r[j])));
  return rows.map((row) => row.map((v, j) => v + shifts[j]));
}

// Deployment step: build, save (JSON text), load — as the guide's reference.save does.
const reference = ReferenceDistribution.fromJSON(JSON.parse(JSON.stringify(ReferenceDistribution.fromRows(data.train, { featureNames: names, modelVersion: 'v1.2.0' }).toJSON())));

describe('integration guide: test_drift_detection_integration', () => {
  it('holds the guide’s four numeric features', () => {
    expect(reference.featureNames).toEqual(['age', 'income', 'credit_score', 'loan_amount']);
    expect(reference.features.every((f) => f.type === 'numeric')).toBe(true);
  });

  it('a training copy shifted by drift_factor 0.5 drifts: max_drift_score > 0.3', () => {
    const prod = simulateProductionDrift(data.train, 0.5);
    const result = new DriftDetector().detect(prod, reference);
    expect(result.metric).toBe('psi');
    expect(result.max_drift_score).toBeGreaterThan(0.3);
    expect(result.drift_detected).toBe(true);
    expect(result.status).toBe('ok');
    // Every feature moved half a standard deviation: KS sees it on each one.
    for (const name of names) expect(result.features[name].ks).toBeGreaterThan(0.1);
  });

  it('the same shift is caught as object rows keyed by feature name', () => {
    const prod = simulateProductionDrift(data.train, 0.5).map((row) => Object.fromEntries(names.map((n, j) => [n, row[j]])));
    expect(new DriftDetector().detect(prod, reference).drift_detected).toBe(true);
  });

  it('an unshifted fresh sample from the same distributions reports no drift', () => {
    const result = new DriftDetector().detect(data.fresh, reference);
    expect(result.status).toBe('ok');
    expect(result.drift_detected).toBe(false);
    expect(result.drifted_features).toEqual({});
    // With no drift, PSI on B = 10 bins has expectation ≈ (B − 1)(1/n + 1/m) = 9·(1/5000 + 1/2000)
    // ≈ 0.006; 0.1 is far above sampling noise and well under the 0.3 threshold.
    expect(result.max_drift_score).toBeLessThan(0.1);
  });

  it('drift_factor 0 reproduces the reference: every PSI is 0', () => {
    const result = new DriftDetector().detect(simulateProductionDrift(data.train, 0), reference);
    for (const name of names) expect(result.features[name].psi).toBe(0);
  });
});
