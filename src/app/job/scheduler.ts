import { Cron } from 'croner';
import { ConfigError } from '../../core/errors.js';

/**
 * The scheduled job's timing (docs/feature-stores.md, "Scheduling"), keeping the promises of
 * the guide's APScheduler job: `max_instances=1` (a tick while a run is in progress is skipped
 * and counted), `misfire_grace_time` (a tick handled later than the grace after its scheduled
 * time is skipped and counted), and a window that ends at the scheduled time, so a rerun of a
 * tick reads the same window. Time comes from an injected clock, so tests drive it.
 */

/** When the job fires: the first scheduled time strictly after `afterMs`. */
export interface Trigger {
  readonly description: string;
  next(afterMs: number): number;
}

/** Every `intervalMs`, on multiples of it since the epoch (restarts keep the same ticks). */
export function intervalTrigger(intervalMs: number): Trigger {
  if (!(intervalMs > 0)) throw new ConfigError(`the check interval (DRIFT_CHECK_INTERVAL) must be positive, got ${intervalMs} ms`);
  return { description: `every ${intervalMs} ms`, next: (afterMs) => (Math.floor(afterMs / intervalMs) + 1) * intervalMs };
}

/** A cron expression (croner: 5 or 6 fields, `@hourly` etc.), in UTC unless `timezone` says otherwise. */
export function cronTrigger(expression: string, timezone = 'UTC'): Trigger {
  let cron: Cron;
  try {
    cron = new Cron(expression, { paused: true, timezone });
  } catch (cause) {
    throw new ConfigError(`DRIFT_CHECK_CRON ${JSON.stringify(expression)} is not a cron expression: ${(cause as Error).message}`, { cause });
  }
  return {
    description: `cron "${expression}" (${timezone})`,
    next(afterMs) {
      const next = cron.nextRun(new Date(afterMs));
      if (!next) throw new ConfigError(`DRIFT_CHECK_CRON ${JSON.stringify(expression)} has no time after ${new Date(afterMs).toISOString()}`);
      return next.getTime();
    },
  };
}

/** Wall time and timers; tests pass a virtual one. */
export interface JobClock {
  now(): number;
  /** Calls `fn` after `delayMs`; returns a function that cancels it. */
  setTimer(fn: () => void, delayMs: number): () => void;
}

export const WALL_CLOCK: JobClock = {
  now: () => Date.now(),
  setTimer(fn, delayMs) {
    // setTimeout holds at most 2^31−1 ms (~24.8 days): longer waits are re-armed in steps.
    const target = Date.now() + delayMs;
    let handle: NodeJS.Timeout;
    const arm = () => {
      const left = target - Date.now();
      handle = setTimeout(left > 2_147_483_647 ? arm : fn, Math.min(Math.max(0, left), 2_147_483_647));
    };
    arm();
    return () => clearTimeout(handle);
  },
};

export type RunOutcome = 'ok' | 'drift' | 'failed' | 'skipped_overlap' | 'missed';

export interface TickReport {
  outcome: RunOutcome;
  scheduledMs: number;
  /** How late the tick was handled (ms after its scheduled time). */
  lateMs: number;
  error?: Error;
}

export interface JobSchedulerOptions {
  trigger: Trigger;
  clock?: JobClock;
  misfireGraceMs: number;
  /** One run for the tick scheduled at `scheduledMs`; resolves to whether drift was found. */
  run(scheduledMs: number): Promise<'ok' | 'drift'>;
  onTick?(report: TickReport): void;
}

export class JobScheduler {
  private readonly clock: JobClock;
  private cancel: (() => void) | null = null;
  private last: number | null = null;
  private running: Promise<void> | null = null;
  private stopped = true;

  constructor(private readonly options: JobSchedulerOptions) {
    this.clock = options.clock ?? WALL_CLOCK;
  }

  /** The next tick's scheduled time, or null when stopped. */
  nextTickMs: number | null = null;

  start(): void {
    if (!this.stopped) return;
    this.stopped = false;
    this.arm(this.clock.now());
  }

  /** Resolves when no run is in progress (at once when none is). */
  async whenIdle(): Promise<void> {
    await this.running;
  }

  /** Stops ticking and waits for the run in progress, if any. */
  async stop(): Promise<void> {
    this.stopped = true;
    this.cancel?.();
    this.cancel = null;
    this.nextTickMs = null;
    await this.running;
  }

  private arm(afterMs: number): void {
    if (this.stopped) return;
    const next = this.options.trigger.next(afterMs);
    this.nextTickMs = next;
    this.cancel = this.clock.setTimer(() => this.fire(next), Math.max(0, next - this.clock.now()));
  }

  private fire(scheduledMs: number): void {
    if (this.stopped) return;
    this.last = scheduledMs;
    // The next tick is armed before this one runs: a long run meets it (and skips it) instead
    // of shifting the schedule.
    this.arm(this.last);
    const lateMs = this.clock.now() - scheduledMs;
    const report = (outcome: RunOutcome, error?: Error) => this.options.onTick?.({ outcome, scheduledMs, lateMs, error });
    if (lateMs > this.options.misfireGraceMs) return report('missed');
    if (this.running) return report('skipped_overlap');
    this.running = this.options
      .run(scheduledMs)
      .then(
        (outcome) => report(outcome),
        (error: unknown) => report('failed', error instanceof Error ? error : new Error(String(error))),
      )
      .finally(() => {
        this.running = null;
      });
  }
}
