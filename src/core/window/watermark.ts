/**
 * Event-time watermark over the assigned partitions, as Flink computes it: each partition's
 * progress minus the allowed lateness, and the minimum of those over the partitions
 * that are not idle.

 * A partition's progress is robust to outliers (docs/windows-and-delivery.md, "Outliers"):
 * it is the C-th largest event time the partition delivered (C = `confirmations`, default 2;
 * while fewer than C events were seen, the smallest of them), so an event time must be
 * confirmed by C − 1 others at or beyond it before it advances the watermark. One event
 * stamped far ahead of its partition therefore moves nothing: it waits in its own pane and is
 * scored there when the rest of the stream gets there. A partition silent for longer than `idleTimeoutMs` (wall clock) stops
 * holding the watermark back. When every partition is silent, the watermark moves on with the
 * wall clock from the last event time, so a quiet stream still closes its windows.
 * The watermark never goes backwards.
 */
export interface WatermarkOptions {
  allowedLatenessMs: number;
  idleTimeoutMs: number;
  /**
   * Event times count towards the watermark only up to the wall clock plus this much: one event
   * stamped in the future must not close the windows before it. Default: no bound (recorded
   * streams, whose event times have nothing to do with the clock).
   */
  maxAheadOfClockMs?: number;
  /** Events needed at or beyond a time before it advances a partition's progress (default 2). */
  confirmations?: number;
}

interface PartitionProgress {
  /** Robust progress: the C-th largest event time (−∞ before any event). */
  maxEventTimeMs: number;
  /** The C largest event times, descending. */
  top: number[];
  lastSeenWallMs: number;
  /** Records known to be waiting on the broker; a partition with a backlog is never idle. */
  lag: number;
}

export class WatermarkTracker {
  private readonly partitions = new Map<number, PartitionProgress>();
  /** The largest robust progress of any partition seen (the base of the quiet-stream advance). */
  private maxEventTimeMs = Number.NEGATIVE_INFINITY;
  /** The largest event time seen, outliers included (end of a recorded stream). */
  private rawMaxEventTimeMs = Number.NEGATIVE_INFINITY;
  private readonly confirmations: number;
  private lastSeenWallMs = Number.NEGATIVE_INFINITY;
  private watermarkMs = Number.NEGATIVE_INFINITY;
  /** Wall time since which the idle clock is held (a sink outage: we stopped reading), or null. */
  private heldSinceWallMs: number | null = null;

  constructor(private readonly options: WatermarkOptions) {
    this.confirmations = Math.max(1, Math.floor(options.confirmations ?? 2));
  }

  observe(partition: number, eventTimeMs: number, nowWallMs: number): void {
    eventTimeMs = Math.min(eventTimeMs, nowWallMs + (this.options.maxAheadOfClockMs ?? Number.POSITIVE_INFINITY));
    let p = this.lastId === partition ? this.lastProgress : this.partitions.get(partition);
    if (!p) {
      p = { maxEventTimeMs: Number.NEGATIVE_INFINITY, top: [], lastSeenWallMs: nowWallMs, lag: 0 };
      this.partitions.set(partition, p);
    } else p.lastSeenWallMs = nowWallMs;
    p.maxEventTimeMs = pushTop(p.top, eventTimeMs, this.confirmations);
    if (p.maxEventTimeMs > this.maxEventTimeMs) this.maxEventTimeMs = p.maxEventTimeMs;
    if (eventTimeMs > this.rawMaxEventTimeMs) this.rawMaxEventTimeMs = eventTimeMs;
    this.lastSeenWallMs = nowWallMs;
    this.lastId = partition;
    this.lastProgress = p;
  }

  /** The partition of the previous event, to skip a map lookup per event. */
  private lastId = -1;
  private lastProgress: PartitionProgress | undefined;

  /** Partitions assigned but not yet read still hold the watermark back until they idle out. */
  assign(partitions: readonly number[], nowWallMs: number): void {
    this.lastId = -1;
    this.lastProgress = undefined;
    for (const id of [...this.partitions.keys()]) if (!partitions.includes(id)) this.partitions.delete(id);
    for (const id of partitions) {
      if (!this.partitions.has(id)) this.partitions.set(id, { maxEventTimeMs: Number.NEGATIVE_INFINITY, top: [], lastSeenWallMs: nowWallMs, lag: 0 });
    }
  }

  /** Records waiting on the broker for a partition (from the fetch's high watermark). */
  setLag(partition: number, lag: number): void {
    const p = this.partitions.get(partition);
    if (p) p.lag = lag;
  }

  /**
   * Holds the idle clock: while the service does not read (a sink outage holds consumption
   * back), silence says nothing about the stream. `release` moves every partition's last-seen
   * time forward by the time held, so no partition idles out and no window closes on the wall
   * clock because of the outage.
   */
  hold(nowWallMs: number): void {
    this.heldSinceWallMs ??= nowWallMs;
  }

  release(nowWallMs: number): void {
    if (this.heldSinceWallMs === null) return;
    const heldMs = Math.max(0, nowWallMs - this.heldSinceWallMs);
    this.heldSinceWallMs = null;
    for (const p of this.partitions.values()) p.lastSeenWallMs += heldMs;
    this.lastSeenWallMs += heldMs;
  }

  /** Forgets everything (state rebuilt after a rebalance). */
  reset(): void {
    this.lastId = -1;
    this.lastProgress = undefined;
    this.partitions.clear();
    this.maxEventTimeMs = Number.NEGATIVE_INFINITY;
    this.rawMaxEventTimeMs = Number.NEGATIVE_INFINITY;
    this.lastSeenWallMs = Number.NEGATIVE_INFINITY;
    this.watermarkMs = Number.NEGATIVE_INFINITY;
    this.heldSinceWallMs = null;
  }

  /** The largest event time seen, outliers included. */
  get maxEventTime(): number {
    return this.rawMaxEventTimeMs;
  }

  /** A partition's robust progress (−∞ before its first event): the base of the `too_old` horizon. */
  progressOf(partition: number): number {
    const p = this.lastId === partition ? this.lastProgress : this.partitions.get(partition);
    return p ? p.maxEventTimeMs : Number.NEGATIVE_INFINITY;
  }

  current(nowWallMs: number): number {
    const { allowedLatenessMs, idleTimeoutMs } = this.options;
    if (this.heldSinceWallMs !== null) nowWallMs = Math.min(nowWallMs, this.heldSinceWallMs);
    let min = Number.POSITIVE_INFINITY;
    let active = 0;
    for (const p of this.partitions.values()) {
      if (p.lag === 0 && nowWallMs - p.lastSeenWallMs > idleTimeoutMs) continue;
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

/**
 * Inserts `t` into `top` (the k largest values, descending) and returns the k-th largest, or
 * the smallest while fewer than k values were seen.
 */
function pushTop(top: number[], t: number, k: number): number {
  const n = top.length;
  if (n === k && !(t > top[n - 1])) return top[n - 1];
  let i = n < k ? n : n - 1;
  if (n < k) top.push(t);
  // Shift smaller values down one place (the last one drops out when full).
  while (i > 0 && top[i - 1] < t) {
    top[i] = top[i - 1];
    i--;
  }
  top[i] = t;
  return top[top.length - 1];
}
