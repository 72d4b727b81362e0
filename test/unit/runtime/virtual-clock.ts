// Virtual time for code that takes an RxJS scheduler (runtime/ports.ts, "clock / scheduler"):
// tests drive the time instead of sleeping.
import { VirtualTimeScheduler } from 'rxjs';

/** Lets every pending promise chain run (one turn of the event loop; no time passes). */
export function settle(): Promise<void> {
  return new Promise((resolve) => setImmediate(resolve));
}

export interface VirtualClock {
  scheduler: VirtualTimeScheduler;
  now(): number;
  /** Moves virtual time forward by `ms`, running every action due by then. */
  advance(ms: number): void;
  /**
   * Settles `work` on virtual time: lets promise chains run, and while `work` is still pending
   * jumps to the next scheduled action (an attempt's time limit, a backoff wait, a deadline).
   */
  run<T>(work: Promise<T>): Promise<T>;
}

/** An RxJS VirtualTimeScheduler starting at `startMs`, for code that takes a `scheduler`. */
export function virtualClock(startMs = 0): VirtualClock {
  const scheduler = new VirtualTimeScheduler();
  scheduler.frame = startMs;
  const runUntil = (ms: number) => {
    scheduler.maxFrames = ms;
    scheduler.flush();
    scheduler.frame = Math.max(scheduler.frame, ms);
  };
  return {
    scheduler,
    now: () => scheduler.now(),
    advance: (ms) => runUntil(scheduler.frame + ms),
    async run<T>(work: Promise<T>): Promise<T> {
      let settled = false;
      work.then(
        () => (settled = true),
        () => (settled = true),
      );
      for (let step = 0; step < 100_000; step++) {
        await settle();
        if (settled) return work;
        const next = scheduler.actions[0];
        if (!next) throw new Error(`work still pending at virtual time ${scheduler.frame} with nothing scheduled`);
        runUntil(next.delay);
      }
      throw new Error('work still pending after 100000 virtual steps');
    },
  };
}

/**
 * Lets promise chains (and any real I/O they wait on, such as reading a reference file) run
 * until `condition` holds: a wait on a condition, not on a fixed time; rejects only after
 * `timeoutMs` of wall time without it.
 */
export async function settleUntil(condition: () => boolean, what: string, timeoutMs = 5000): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > deadline) throw new Error(`still waiting for ${what} after ${timeoutMs} ms`);
    await settle();
  }
}
