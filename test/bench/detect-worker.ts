/**
 * The worker of parallel-detect.bench.ts: bins the columns it is sent (Float64Arrays over
 * SharedArrayBuffers, NaN where the main thread recorded the value itself) on the features'
 * fine edges, as NumericAccumulator.recordNumber does, and answers with each feature's counts
 * (transferred) and its exact Wasserstein tail sums.
 */
import { parentPort } from 'node:worker_threads';
import { ExactSum, Histogram, type ExactSumParts } from '../../src/core/stats/histogram.js';

export interface DetectRequest {
  id: number;
  columns: Float64Array[];
  rows: number;
  edges: Float64Array[];
  min: number[];
  max: number[];
}

export interface DetectAnswer {
  id: number;
  counts: Float64Array[];
  totals: number[];
  below: ExactSumParts[];
  above: ExactSumParts[];
}

parentPort!.on('message', (request: DetectRequest) => {
  const answer: DetectAnswer = { id: request.id, counts: [], totals: [], below: [], above: [] };
  request.columns.forEach((column, j) => {
    const histogram = new Histogram(request.edges[j]);
    const below = new ExactSum();
    const above = new ExactSum();
    binColumn(column, request.rows, histogram, request.min[j], request.max[j], below, above);
    answer.counts.push(histogram.counts);
    answer.totals.push(histogram.total);
    answer.below.push(below.toParts());
    answer.above.push(above.toParts());
  });
  parentPort!.postMessage(
    answer,
    answer.counts.map((c) => c.buffer as ArrayBuffer),
  );
});

function binColumn(column: Float64Array, rows: number, histogram: Histogram, min: number, max: number, below: ExactSum, above: ExactSum): void {
  const { counts, locator } = histogram;
  let recorded = 0;
  for (let r = 0; r < rows; r++) {
    const x = column[r];
    if (x - x !== 0) continue;
    counts[locator.index(x)]++;
    recorded++;
    if (x < min) below.add(min - x);
    else if (x > max) above.add(x - max);
  }
  histogram.total += recorded;
}
