/**
 * Issue 2, 8a — the integration guide's load test: 100,000 current rows × 100 numeric features
 * scored against a reference built from 100,000 rows. driftwatch's `DriftDetector.detect` on
 * array rows (every statistic: PSI, KS, JS, Wasserstein, missing rate) beside the
 * straightforward baseline (sort both samples per feature, exact KS by merging, PSI on the
 * reference deciles from scratch), in the same process on the same rows.
 *
 * Target: ≤ 0.5 s for driftwatch (the guide allows 10 s).
 */
import { DriftDetector } from '../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { naiveCheck } from './baseline.js';
import { featureNames, isShifted, numericRows } from './data.js';
import { median, progress, report, timeRuns } from './harness.js';

const ROWS = 100_000;
const FEATURES = 100;
const RUNS = 5;

progress(`generating ${ROWS.toLocaleString()} × ${FEATURES} reference rows and as many current rows (every tenth feature shifted by 1 sd)`);
const referenceRows = numericRows(ROWS, FEATURES, 1);
const currentRows = numericRows(ROWS, FEATURES, 2, 1);
const names = featureNames(FEATURES);
progress('building the reference (timed in reference-build.bench.ts)');
const reference = ReferenceDistribution.fromRows(referenceRows, { featureNames: names });
const detector = new DriftDetector();

let result = detector.detect(currentRows, reference);
let naive = naiveCheck(referenceRows, currentRows, FEATURES);

progress(`driftwatch detect: 1 warm-up + ${RUNS} runs`);
const driftwatchMs = await timeRuns(() => {
  result = detector.detect(currentRows, reference);
}, RUNS);
progress(`baseline: 1 warm-up + ${RUNS} runs`);
const baselineMs = await timeRuns(() => {
  naive = naiveCheck(referenceRows, currentRows, FEATURES);
}, RUNS);

// The two must agree: PSI on the same decile bins, KS within the saved reference's 0.005 bound.
let psiGap = 0;
let ksGap = 0;
names.forEach((name, j) => {
  const f = result.features[name];
  psiGap = Math.max(psiGap, Math.abs((f.psi ?? Number.NaN) - naive.psi[j]));
  ksGap = Math.max(ksGap, Math.abs((f.ks ?? Number.NaN) - naive.ks[j]));
});
const drifted = Object.keys(result.drifted_features);
const expected = names.filter((_, j) => isShifted(j));
const driftedRight = drifted.length === expected.length && expected.every((n) => drifted.includes(n));

report('batch-check (issue 2, 8a)', [
  {
    name: `detect ${ROWS / 1000}k × ${FEATURES} vs ref ${ROWS / 1000}k`,
    value: median(driftwatchMs) / 1000,
    unit: 's',
    baseline: { name: 'sort both + exact KS + PSI from scratch', value: median(baselineMs) / 1000 },
    target: { kind: 'max', value: 0.5 },
    note:
      `median of ${RUNS} after 1 warm-up; runs ${driftwatchMs.map((t) => t.toFixed(0)).join('/')} ms, baseline ${baselineMs.map((t) => t.toFixed(0)).join('/')} ms; ` +
      `speed-up ×${(median(baselineMs) / median(driftwatchMs)).toFixed(1)}; max |ΔPSI| ${psiGap.toExponential(1)}, max |ΔKS| ${ksGap.toFixed(4)} (bound 0.005); ` +
      `drifted ${drifted.length} features${driftedRight ? ', exactly the shifted ones' : ` (expected ${expected.join(',')})`}`,
  },
]);
