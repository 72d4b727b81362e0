// Direct unit tests of the watermark (src/core/window/watermark.ts), against a brute-force
// oracle written from its definition in docs/windows-and-delivery.md: per partition, progress is
// the C-th largest event time seen (the smallest while fewer than C were seen); the watermark is
// the minimum progress over the partitions that are not idle, less the allowed lateness; when
// every partition is idle it moves on with the wall clock; it never goes backwards.
import { describe, expect, it } from 'vitest';
import { WatermarkTracker } from '../../../../src/core/window/watermark.js';
import { rng } from '../../../fixtures/random.js';

const LATENESS = 30_000;
const IDLE = 10_000;

/** The definition, recomputed from every event seen (sorting all of them each time). */
class Oracle {
  private readonly times = new Map<number, number[]>();
  private readonly lastSeen = new Map<number, number>();
  private lastAny = -Infinity;
  private best = -Infinity;
  private highest = -Infinity;
  constructor(private readonly c: number) {}
  observe(p: number, t: number, wall: number) {
    this.times.set(p, [...(this.times.get(p) ?? []), t]);
    this.lastSeen.set(p, wall);
    this.lastAny = wall;
  }
  progress(p: number) {
    const sorted = [...(this.times.get(p) ?? [])].sort((a, b) => b - a);
    if (sorted.length === 0) return -Infinity;
    return sorted[Math.min(this.c, sorted.length) - 1]!;
  }
  current(wall: number) {
    const progress = [...this.times.keys()].map((p) => this.progress(p));
    this.highest = Math.max(this.highest, ...progress);
    const active = [...this.times.keys()].filter((p) => wall - this.lastSeen.get(p)! <= IDLE);
    const candidate = active.length > 0 ? Math.min(...active.map((p) => this.progress(p))) - LATENESS : this.highest - LATENESS + Math.max(0, wall - this.lastAny - IDLE);
    this.best = Math.max(this.best, candidate);
    return this.best;
  }
}

describe('WatermarkTracker', () => {
  for (const confirmations of [1, 2, 3]) {
    it(`equals the definition on 3,000 random steps over 4 partitions (C = ${confirmations}), and never goes backwards`, () => {
      const g = rng(100 + confirmations);
      const tracker = new WatermarkTracker({ allowedLatenessMs: LATENESS, idleTimeoutMs: IDLE, confirmations });
      const oracle = new Oracle(confirmations);
      let wall = 1_000_000;
      const head = [0, 0, 0, 0];
      let previous = -Infinity;
      for (let step = 0; step < 3_000; step++) {
        wall += Math.floor(g.uniform() * (g.uniform() < 0.01 ? 30_000 : 300)); // now and then a silence
        // Partition 3 stops after a while (idles out); the others run out of order, with outliers.
        const p = step > 1_800 ? Math.floor(g.uniform() * 3) : Math.floor(g.uniform() * 4);
        head[p]! += Math.floor(g.uniform() * 1000);
        const t = head[p]! - Math.floor(g.uniform() * 20_000) + (g.uniform() < 0.002 ? 3_600_000 : 0);
        tracker.observe(p, t, wall);
        oracle.observe(p, t, wall);
        if (step % 7 === 0) {
          const w = tracker.current(wall);
          expect(w).toBe(oracle.current(wall));
          expect(w).toBeGreaterThanOrEqual(previous);
          previous = w;
          expect(tracker.progressOf(p)).toBe(oracle.progress(p));
        }
      }
    });
  }

  it('is held back by the slowest active partition, and by an assigned partition not yet read until it idles out', () => {
    const t = new WatermarkTracker({ allowedLatenessMs: LATENESS, idleTimeoutMs: IDLE, confirmations: 1 });
    t.assign([0, 1, 2], 0);
    t.observe(0, 500_000, 5_000);
    t.observe(1, 200_000, 5_000);
    expect(t.current(IDLE)).toBe(-Infinity); // partition 2 assigned, silent, not yet idle
    expect(t.current(IDLE + 1)).toBe(200_000 - LATENESS); // 2 idled out; 1 is the slowest
    t.observe(1, 400_000, IDLE + 1);
    expect(t.current(IDLE + 2)).toBe(400_000 - LATENESS);
  });

  it('a partition with records waiting on the broker never idles out', () => {
    const t = new WatermarkTracker({ allowedLatenessMs: LATENESS, idleTimeoutMs: IDLE, confirmations: 1 });
    t.observe(0, 500_000, 0);
    t.observe(1, 100_000, 0);
    t.setLag(1, 42);
    expect(t.current(10 * IDLE)).toBe(100_000 - LATENESS);
    // Without the lag both are idle: the quiet-stream rule, from the highest progress on.
    t.setLag(1, 0);
    expect(t.current(10 * IDLE)).toBe(500_000 - LATENESS + (10 * IDLE - IDLE));
  });

  it('moves on with the wall clock once every partition is quiet, except while held (a sink outage)', () => {
    const t = new WatermarkTracker({ allowedLatenessMs: LATENESS, idleTimeoutMs: IDLE, confirmations: 1 });
    t.observe(0, 100_000, 0);
    expect(t.current(IDLE + 5_000)).toBe(100_000 - LATENESS + 5_000);
    t.hold(IDLE + 5_000);
    expect(t.current(IDLE + 60_000)).toBe(100_000 - LATENESS + 5_000); // nothing moves while held
    t.release(IDLE + 60_000);
    expect(t.current(IDLE + 60_000)).toBe(100_000 - LATENESS + 5_000);
    expect(t.current(IDLE + 61_000)).toBe(100_000 - LATENESS + 6_000);
  });

  it('counts an event time only up to the clock plus maxAheadOfClockMs, and advanceTo only moves it forward', () => {
    const t = new WatermarkTracker({ allowedLatenessMs: 0, idleTimeoutMs: IDLE, confirmations: 1, maxAheadOfClockMs: 60_000 });
    t.observe(0, 10_000_000, 1_000_000);
    expect(t.current(1_000_000)).toBe(1_060_000);
    t.advanceTo(2_000_000);
    t.advanceTo(1_500_000);
    expect(t.current(1_000_000)).toBe(2_000_000);
    t.reset();
    expect(t.current(1_000_000)).toBe(-Infinity);
  });
});
