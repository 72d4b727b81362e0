// A virtual JobClock for the scheduler's tests (unit and integration): time moves only when a
// test says so, and due timers fire in order, their promises settling in between.
import type { JobClock } from '../../../src/app/job/scheduler.js';

export class VirtualClock implements JobClock {
  private timers: { at: number; fn: () => void; id: number }[] = [];
  private nextId = 0;
  constructor(public t: number) {}
  now = () => this.t;
  setTimer(fn: () => void, delayMs: number): () => void {
    const id = this.nextId++;
    this.timers.push({ at: this.t + delayMs, fn, id });
    return () => (this.timers = this.timers.filter((x) => x.id !== id));
  }
  /** Moves time forward, firing due timers in order (and letting their promises settle). */
  async advance(ms: number): Promise<void> {
    const target = this.t + ms;
    for (;;) {
      this.timers.sort((a, b) => a.at - b.at);
      const due = this.timers[0];
      if (!due || due.at > target) break;
      this.timers.shift();
      this.t = Math.max(this.t, due.at);
      due.fn();
      await flush();
    }
    this.t = target;
    await flush();
  }
}
export const flush = async () => {
  for (let i = 0; i < 20; i++) await Promise.resolve();
};
