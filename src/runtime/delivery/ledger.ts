/**
 * The offset ledger of at-least-once delivery (docs/windows-and-delivery.md): which offsets of
 * each partition were read, and which had been handled before a restart.
 *
 * A partition's committed offset trails the oldest record still inside an open window, so a
 * restart re-reads and rebuilds exactly the live panes; records below the previous run's read
 * offset (`handledBelow`) that fall into closed panes are skipped rather than reported again.
 */
export class OffsetLedger {
  /** Per partition: offsets below this were handled before a restart (re-read, not re-reported). */
  private handledBelow = new Map<number, number>();
  /** Per partition: the next offset after the last one read. */
  private readonly nextOffsets = new Map<number, number>();

  isHandled(partition: number, offset: number): boolean {
    return this.handledBelow.size > 0 && offset < (this.handledBelow.get(partition) ?? Number.NEGATIVE_INFINITY);
  }

  /** Notes an offset as read (recorded, skipped, or its dead letter written). */
  note(partition: number, offset: number): void {
    const next = this.nextOffsets.get(partition);
    if (next === undefined || offset + 1 > next) this.nextOffsets.set(partition, offset + 1);
  }

  /** High-water mark per partition: next offset after the last one read. */
  readOffsets(): Map<number, number> {
    return new Map(this.nextOffsets);
  }

  /**
   * Offsets safe to commit per partition: the lowest offset still inside an open pane
   * (`openMin`), else the next offset after the last one read.
   */
  commitOffsets(openMin: ReadonlyMap<number, number>): Map<number, number> {
    const result = new Map<number, number>();
    for (const [partition, next] of this.nextOffsets) result.set(partition, Math.min(next, openMin.get(partition) ?? next));
    return result;
  }

  /** `handledBelow` is each partition's read offset as the previous run committed it. */
  restore(handledBelow: ReadonlyMap<number, number>): void {
    this.handledBelow = new Map(handledBelow);
  }

  reset(): void {
    this.handledBelow.clear();
    this.nextOffsets.clear();
  }
}
