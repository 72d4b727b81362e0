/**
 * Event-time watermark over the assigned partitions, as Flink computes it: each partition's
 * maximum event time minus the allowed lateness, and the minimum of those over the partitions
 * that are not idle. A partition silent for longer than `idleTimeoutMs` (wall clock) stops
 * holding the watermark back. When every partition is silent, the watermark moves on with the
 * wall clock from the last event time, so a quiet stream still closes its windows.
 * The watermark never goes backwards.
 */
export interface WatermarkOptions {
  allowedLatenessMs: number;
  idleTimeoutMs: number;
}

interface PartitionProgress {
  maxEventTimeMs: number;
  lastSeenWallMs: number;
}

export class WatermarkTracker {
  private readonly partitions = new Map<number, PartitionProgress>();
  private maxEventTimeMs = Number.NEGATIVE_INFINITY;
  private lastSeenWallMs = Number.NEGATIVE_INFINITY;
  private watermarkMs = Number.NEGATIVE_INFINITY;

  constructor(private readonly options: WatermarkOptions) {}

  observe(partition: number, eventTimeMs: number, nowWallMs: number): void {
    let p = this.partitions.get(partition);
    if (!p) {
      p = { maxEventTimeMs: eventTimeMs, lastSeenWallMs: nowWallMs };
      this.partitions.set(partition, p);
    } else {
      if (eventTimeMs > p.maxEventTimeMs) p.maxEventTimeMs = eventTimeMs;
      p.lastSeenWallMs = nowWallMs;
    }
    if (eventTimeMs > this.maxEventTimeMs) this.maxEventTimeMs = eventTimeMs;
    this.lastSeenWallMs = nowWallMs;
  }

  /** Partitions assigned but not yet read still hold the watermark back until they idle out. */
  assign(partitions: readonly number[], nowWallMs: number): void {
    for (const id of [...this.partitions.keys()]) if (!partitions.includes(id)) this.partitions.delete(id);
    for (const id of partitions) {
      if (!this.partitions.has(id)) this.partitions.set(id, { maxEventTimeMs: Number.NEGATIVE_INFINITY, lastSeenWallMs: nowWallMs });
    }
  }

  /** Forgets everything (state rebuilt after a rebalance). */
  reset(): void {
    this.partitions.clear();
    this.maxEventTimeMs = Number.NEGATIVE_INFINITY;
    this.lastSeenWallMs = Number.NEGATIVE_INFINITY;
    this.watermarkMs = Number.NEGATIVE_INFINITY;
  }

  get maxEventTime(): number {
    return this.maxEventTimeMs;
  }

  current(nowWallMs: number): number {
    const { allowedLatenessMs, idleTimeoutMs } = this.options;
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    for (const p of this.partitions.values()) {
      if (nowWallMs - p.lastSeenWallMs > idleTimeoutMs) continue;
      active++;
      if (p.maxEventTimeMs < min) min = p.maxEventTimeMs;
    }
    let candidate: number;
    if (active > 0) candidate = min - allowedLatenessMs;
    else {
      const quietMs = Math.max(0, nowWallMs - this.lastSeenWallMs - idleTimeoutMs);
      candidate = this.maxEventTimeMs - allowedLatenessMs + quietMs;
    }
    if (candidate > this.watermarkMs) this.watermarkMs = candidate;
    return this.watermarkMs;
  }

  /** Moves the watermark to at least `ms` (end of a recorded stream). */
  advanceTo(ms: number): void {
    if (ms > this.watermarkMs) this.watermarkMs = ms;
  }
}
