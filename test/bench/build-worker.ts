/**
 * The worker of parallel-build.bench.ts: builds the numeric features it is sent (the values
 * transferred, not copied) with the reference build's own per-column builder, and sends the
 * model back with its typed arrays transferred.
 */
import { parentPort } from 'node:worker_threads';
import { buildNumeric } from '../../src/core/reference/build.js';

export interface BuildRequest {
  id: number;
  columns: { name: string; values: Float64Array; missing: number; invalid: number }[];
  psiBins: number;
  fineBins: number;
}

parentPort!.on('message', (request: BuildRequest) => {
  const built = request.columns.map((column) => buildNumeric(column.name, column, request.psiBins, request.fineBins));
  const transfer = built.flatMap(({ model }) => (model.type === 'numeric' ? [model.psiEdges.buffer, model.fineEdges.buffer, model.fineCounts.buffer] : []));
  parentPort!.postMessage({ id: request.id, built }, transfer as ArrayBuffer[]);
});
