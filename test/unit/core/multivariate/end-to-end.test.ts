// The multivariate score end to end against numpy/scipy (test/golden/generate_multivariate.py):
// a reference built from the fixture's rows with D = 1,024, saved as JSON and read back, draws
// its own features from its seed; the check's MMD²_rff of each case is held to the exact
// Gaussian-kernel MMD² (at the numpy bandwidth, which the reference must reproduce) within the
// Bernstein bound of docs/multivariate.md at δ = 1e-6, and within the 99th percentile of the
// error numpy measured over 200 draws of the features.
import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { DriftDetector } from '../../../../src/core/detect/detector.js';
import { rffErrorBound } from '../../../../src/core/multivariate/rff-mmd.js';

interface Fixture {
  dims: number;
  features: number;
  reference: number[][];
  mean: number[];
  scale: number[];
  bandwidth_all_rows: number;
  cases: { name: string; current: number[][]; exact_mmd2_all_rows: number; error_q99_all_rows: number }[];
}
const fixture = JSON.parse(readFileSync(new URL('../../../golden/fixtures/multivariate.json', import.meta.url), 'utf8')) as Fixture;
const featureNames = Array.from({ length: fixture.dims }, (_, j) => `x${j}`);
const built = ReferenceDistribution.fromRows(fixture.reference, {
  featureNames,
  now: new Date('2026-12-02T00:00:00Z'),
  multivariate: { randomFeatures: fixture.features, replicates: 400, sizes: [100, 300, 1000] },
});
const reference = ReferenceDistribution.fromJSON(JSON.parse(JSON.stringify(built.toJSON())), 'fixture reference');
const block = reference.toJSON().multivariate!;
const detector = new DriftDetector({ minSamples: 100 });
const close = (actual: number, expected: number, rel: number) => expect(Math.abs(actual - expected)).toBeLessThanOrEqual(rel * Math.abs(expected));

describe('the multivariate score through a saved reference, against numpy', () => {
  it('stores numpy’s standardisation and median-heuristic bandwidth', () => {
    fixture.mean.forEach((m, j) => close(block.mean[j], m, 1e-12));
    fixture.scale.forEach((s, j) => close(block.scale[j], s, 1e-12));
    close(block.bandwidth, fixture.bandwidth_all_rows, 1e-12);
    expect(block.random_features).toBe(1024);
  });

  for (const c of fixture.cases) {
    it(`${c.name}: MMD²_rff is within the documented bounds of the exact kernel MMD² (${c.exact_mmd2_all_rows.toFixed(5)})`, () => {
      const result = detector.detect(c.current, reference).multivariate!;
      const error = Math.abs(result.score! - c.exact_mmd2_all_rows);
      expect(error).toBeLessThanOrEqual(rffErrorBound(c.exact_mmd2_all_rows, 1024, 1e-6));
      expect(error).toBeLessThanOrEqual(c.error_q99_all_rows);
      expect(result.drifted).toBe(c.name === 'correlation_flip');
    });
  }
});
