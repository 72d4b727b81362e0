import { NumericRow, type FeatureModel } from '../stats/index.js';

const ARENA_CHUNK = 16_384;

/**
 * Feature values of the events of one ingest batch, in shared chunks of a Float64Array (rows
 * live as long as the batch): the fast decoder writes each event's values into a row taken
 * here instead of allocating one per event.
 */
export class RowArena {
  private chunk = new Float64Array(0);
  private used = 0;

  /** A row of `models.length` slots, all missing (NaN). */
  take(models: readonly FeatureModel[]): NumericRow {
    const n = models.length;
    if (this.used + n > this.chunk.length) {
      this.chunk = new Float64Array(Math.max(n, ARENA_CHUNK)).fill(Number.NaN);
      this.used = 0;
    }
    const row = new NumericRow(models, this.chunk, this.used);
    this.used += n;
    return row;
  }

  /** Returns the row just taken (its slots to missing): the event went to the slow path. */
  giveBack(row: NumericRow): void {
    const n = row.models.length;
    this.chunk.fill(Number.NaN, row.offset, row.offset + n);
    if (row.data === this.chunk && row.offset + n === this.used) this.used = row.offset;
  }
}
