/**
 * The reference build's calibration over worker threads (src/adapters/threads/): the reference
 * file is byte for byte the single-threaded one, whichever thread drew which feature.
 */
import { describe, expect, it } from 'vitest';
import { calibrateFeatures, calibrationSettings, ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { threadedCalibrator } from '../../../../src/adapters/threads/calibration-pool.js';

/** A seeded LCG, so that the rows are the same in every run. */
function uniform(seed: number): () => number {
  let s = seed >>> 0;
  return () => {
    s = (Math.imul(s, 1664525) + 1013904223) >>> 0;
    return s / 2 ** 32;
  };
}

/** Rows of varied features: continuous, skewed, discrete, categorical, two with the same counts, one constant (no calibration). */
function rows(n: number): Record<string, unknown>[] {
  const u = uniform(17);
  return Array.from({ length: n }, (_, i) => ({
    a: u(),
    b: -Math.log(1 - u()),
    c: Math.floor(u() * 4),
    d: Math.floor(u() * 4),
    e: u() ** 3,
    f: ['x', 'y', 'z'][Math.floor(u() * u() * 3)],
    g: 5,
    h: i % 7,
    k: Math.floor(u() * 12) / 3,
  }));
}

const calibration = { sizes: [50, 200, 1000], replicates: 300 };
const NOW = new Date('2026-12-02T00:00:00Z');
const fileOf = (reference: ReferenceDistribution) => JSON.stringify(reference.toJSON());

describe('threadedCalibrator', () => {
  const data = rows(3000);
  const single = fileOf(ReferenceDistribution.fromRows(data, { calibration, now: NOW }));

  it('gives the single-threaded reference file when the workers draw every feature', () => {
    const reference = ReferenceDistribution.fromRows(data, { calibration, now: NOW, calibrator: threadedCalibrator({ threads: 3, minWork: 0, mainThreadDraws: false }) });
    expect(fileOf(reference)).toBe(single);
    // The constant feature has no calibration; the others have one per size and level.
    expect(reference.nullQuantilesOf('g')).toBeUndefined();
    expect(reference.nullQuantilesOf('a')!.psi).toHaveLength(3);
  });

  it('gives it when the main thread and a worker share the features', () => {
    const reference = ReferenceDistribution.fromRows(data, { calibration, now: NOW, calibrator: threadedCalibrator({ threads: 2, minWork: 0 }) });
    expect(fileOf(reference)).toBe(single);
  });

  it('gives it single-threaded (one thread, or work below the threshold)', () => {
    expect(fileOf(ReferenceDistribution.fromRows(data, { calibration, now: NOW, calibrator: threadedCalibrator({ threads: 1 }) }))).toBe(single);
    expect(fileOf(ReferenceDistribution.fromRows(data, { calibration, now: NOW, calibrator: threadedCalibrator({ threads: 2, minWork: Infinity }) }))).toBe(single);
  });

  it('hands each feature its own copy, as calibrateFeatures does', () => {
    const settings = calibrationSettings(calibration);
    const counts = [Float64Array.of(30, 20, 10), Float64Array.of(10, 30, 20), Float64Array.of(7), Float64Array.of(5, 5, 5, 5)];
    const threaded = threadedCalibrator({ threads: 2, minWork: 0, mainThreadDraws: false })(counts, settings);
    expect(threaded).toEqual(calibrateFeatures(counts, settings));
    expect(threaded[2]).toBeNull();
    // The same counts in another order share one calibration, not one array.
    expect(threaded[0]).toEqual(threaded[1]);
    expect(threaded[0]!.psi).not.toBe(threaded[1]!.psi);
  });

  it('names a bad thread count', () => {
    expect(() => threadedCalibrator({ threads: 0 })).toThrow(/threads \(0\) must be an integer ≥ 1/);
    expect(() => threadedCalibrator({ threads: 1.5 })).toThrow(/threads \(1.5\)/);
  });
});
