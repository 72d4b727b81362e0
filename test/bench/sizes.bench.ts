/**
 * Issue 2, 8c — bytes of one reference and of one window's histograms, per feature.
 *
 * - Reference: the length of reference_distribution.json (`JSON.stringify(toJSON())`) at 100
 *   numeric features built from 100,000 rows, and per feature. Baseline: the raw reference
 *   sample the straightforward approach keeps (8 B per value).
 * - Window: one pane's `FeatureSetAccumulator.byteSize` per feature, checked against the heap
 *   actually held by 1,000 such panes; and the whole state of a 1 h / 5 min window, 12 panes
 *   plus the running sum = 13 accumulators. Baseline: raw float64 values, 8 B per event and
 *   feature, so the note gives the events per window above which histograms are smaller.
 */
import { FeatureSetAccumulator } from '../../src/core/stats/index.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { featureNames, numericRows } from './data.js';
import { collectGarbage, progress, report } from './harness.js';

const ROWS = 100_000;
const FEATURES = 100;
const PANES = 1_000;
const WINDOW_ACCUMULATORS = 13; // 1 h / 5 min: 12 panes + the running sum

progress(`building a reference from ${ROWS.toLocaleString()} × ${FEATURES} rows`);
const rows = numericRows(ROWS, FEATURES, 1);
const reference = ReferenceDistribution.fromRows(rows, { featureNames: featureNames(FEATURES) });
rows.length = 0;

const json = JSON.stringify(reference.toJSON());
const referenceBytes = Buffer.byteLength(json);
// save() writes JSON.stringify(data, null, 1) + '\n' (src/adapters/files/reference-file.ts).
const asSaved = Buffer.byteLength(JSON.stringify(reference.toJSON(), null, 1)) + 1;

const pane = new FeatureSetAccumulator(reference.features);
// A pane with values in it: the byte size of typed arrays does not depend on the counts.
for (const row of numericRows(1_000, FEATURES, 3)) pane.recordArray(row);
const paneBytes = pane.byteSize;

progress(`measuring the heap held by ${PANES} panes`);
collectGarbage();
const before = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const held: FeatureSetAccumulator[] = [];
for (let i = 0; i < PANES; i++) held.push(new FeatureSetAccumulator(reference.features));
collectGarbage();
const after = process.memoryUsage().heapUsed + process.memoryUsage().arrayBuffers;
const measuredPerPane = (after - before) / held.length;

const rawPerValue = 8;
const windowPerFeature = (WINDOW_ACCUMULATORS * paneBytes) / FEATURES;
report('sizes (issue 2, 8c)', [
  {
    name: `reference JSON, ${FEATURES} features`,
    value: referenceBytes,
    unit: 'B',
    baseline: { name: `raw sample, ${ROWS / 1000}k × 8 B × ${FEATURES}`, value: ROWS * rawPerValue * FEATURES },
    note: `as save() writes it (1-space indent) ${asSaved.toLocaleString()} B`,
  },
  {
    name: 'reference JSON per feature',
    value: referenceBytes / FEATURES,
    unit: 'B',
    baseline: { name: `raw sample, ${ROWS / 1000}k × 8 B`, value: ROWS * rawPerValue },
  },
  {
    name: 'pane histograms per feature (byteSize)',
    value: paneBytes / FEATURES,
    unit: 'B',
    baseline: { name: 'raw values: 8 B × events per pane', value: rawPerValue },
    note: `heap measured over ${PANES} panes: ${(measuredPerPane / FEATURES).toFixed(0)} B per feature (byteSize ${(paneBytes / FEATURES).toFixed(0)}); histograms are smaller than raw values above ${Math.ceil(paneBytes / FEATURES / rawPerValue)} events per pane`,
  },
  {
    name: `window state per feature (1 h / 5 min, ${WINDOW_ACCUMULATORS} accumulators)`,
    value: windowPerFeature,
    unit: 'B',
    baseline: { name: 'raw values: 8 B × events per window', value: rawPerValue },
    note: `whole window of ${FEATURES} features ${(WINDOW_ACCUMULATORS * paneBytes).toLocaleString()} B (measured ${Math.round(WINDOW_ACCUMULATORS * measuredPerPane).toLocaleString()} B); raw values take more above ${Math.ceil(windowPerFeature / rawPerValue).toLocaleString()} events per window (${(windowPerFeature / rawPerValue / 3600).toFixed(1)} events/s)`,
  },
]);
