/**
 * Issue 2, 8b — reference build time: `ReferenceDistribution.fromRows` over 100,000 rows × 100
 * numeric features given as arrays. Baseline in the same run: the least any quantile-based
 * reference needs, i.e. extract each column, sort it (Float64Array) and read its deciles.
 * The issue sets no target for this figure.
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
]);
