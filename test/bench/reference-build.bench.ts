/**
 * Issue 2, 8b — reference build time: `ReferenceDistribution.fromRows` over 100,000 rows × 100
 * numeric features given as arrays. Baseline in the same run: the least any quantile-based
 * reference needs, i.e. extract each column, sort it (Float64Array) and read its deciles.
 * The issue sets no target for this figure.
 *
 * Issue 10 — the resampled calibration's cost: the same build with `calibration: true` (the
 * default of `driftwatch reference build`: 6 window sizes × 4,000 null draws per feature),
 * against the build without it, in the same run.
 */
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { column, decileEdges } from './baseline.js';
import { featureNames, numericRows } from './data.js';
import { median, progress, report, timeRuns } from './harness.js';

const ROWS = 100_000;
const FEATURES = 100;
const RUNS = 3;

progress(`generating ${ROWS.toLocaleString()} × ${FEATURES} rows`);
const rows = numericRows(ROWS, FEATURES, 1);
const names = featureNames(FEATURES);

let reference: ReferenceDistribution | undefined;
progress(`fromRows: 1 warm-up + ${RUNS} runs`);
const buildMs = await timeRuns(() => {
  reference = ReferenceDistribution.fromRows(rows, { featureNames: names });
}, RUNS);

progress(`fromRows with calibration: 1 warm-up + ${RUNS} runs`);
const calibratedMs = await timeRuns(() => {
  ReferenceDistribution.fromRows(rows, { featureNames: names, calibration: true });
}, RUNS);

let edges = 0;
progress(`baseline (extract, sort, deciles): 1 warm-up + ${RUNS} runs`);
const floorMs = await timeRuns(() => {
  edges = 0;
  for (let j = 0; j < FEATURES; j++) edges += decileEdges(column(rows, j).sort()).length;
}, RUNS);

const fine = reference!.features.reduce((s, f) => s + (f.type === 'numeric' ? f.fineEdges.length : 0), 0);
report('reference-build (issue 2, 8b)', [
  {
    name: `fromRows ${ROWS / 1000}k × ${FEATURES}`,
    value: median(buildMs) / 1000,
    unit: 's',
    baseline: { name: 'extract + sort + deciles per column', value: median(floorMs) / 1000 },
    note:
      `median of ${RUNS} after 1 warm-up; runs ${buildMs.map((t) => t.toFixed(0)).join('/')} ms, baseline ${floorMs.map((t) => t.toFixed(0)).join('/')} ms; ` +
      `×${(median(buildMs) / median(floorMs)).toFixed(1)} the floor; ${fine.toLocaleString()} fine edges in all (${(fine / FEATURES).toFixed(0)} per feature), baseline ${edges} decile edges`,
  },
  {
    name: `fromRows ${ROWS / 1000}k × ${FEATURES}, with calibration (issue 10)`,
    value: median(calibratedMs) / 1000,
    unit: 's',
    baseline: { name: 'the same build without calibration', value: median(buildMs) / 1000 },
    note:
      `median of ${RUNS} after 1 warm-up; runs ${calibratedMs.map((t) => t.toFixed(0)).join('/')} ms; ×${(median(calibratedMs) / median(buildMs)).toFixed(1)} the build without it; ` +
      `${((median(calibratedMs) - median(buildMs)) / FEATURES).toFixed(0)} ms of calibration per feature`,
  },
]);
