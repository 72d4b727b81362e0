/**
 * The false-alarm rate of `auto` thresholds holds at its stated level (issue 10, item 7): a
 * CI-sized run of test/calibration/false-alarms.ts (seeded, so the counts are fixed).
 */
import { describe, expect, it } from 'vitest';
import { detectionRate } from '../../../calibration/false-alarms.js';

const WINDOWS = 400;
// Stated rate α = 0.1 here (larger than the default 0.01, so 400 windows resolve it): a bound
// of α + 3 standard errors of a binomial share at α over these windows.
const ALPHA = 0.1;
const bound = ALPHA + 3 * Math.sqrt((ALPHA * (1 - ALPHA)) / WINDOWS);

describe('false alarms per window on stationary data, auto thresholds at α = 0.1 (bonferroni)', () => {
  it.each([
    ['ks', 'numeric', 1],
    ['ks', 'numeric', 20],
    ['psi', 'numeric', 20],
    ['js', 'categorical', 20],
  ] as const)('%s, %s features, F = %i, n = 300: at most α + 3 se', (metric, kind, features) => {
    const { rate } = detectionRate({ kind, features, n: 300, windows: WINDOWS, detector: { metric, threshold: 'auto', alpha: ALPHA, minEffect: 0 } });
    expect(rate).toBeLessThanOrEqual(bound);
  });

  it('a 0.25 σ mean shift at n = 1,000 is detected in most windows (ks auto)', () => {
    const { rate } = detectionRate({ kind: 'numeric', features: 1, n: 1000, windows: 100, change: 'shift', detector: { metric: 'ks', threshold: 'auto', alpha: 0.01 } });
    expect(rate).toBeGreaterThan(0.9);
  });
});
