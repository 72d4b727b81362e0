// The scheduler's promises on virtual time: ticks on the interval, the window end at the
// scheduled time, no overlap (a tick during a run is skipped and counted), the misfire grace,
// and a failed run followed by a good one on the next tick.
import { describe, expect, it } from 'vitest';
import { cronTrigger, intervalTrigger, JobScheduler, type TickReport } from '../../../src/app/job/scheduler.js';
import { flush, VirtualClock } from './virtual-clock.js';

const HOUR = 3_600_000;
const T0 = Date.parse('2026-12-01T00:00:00Z');

function deferred() {
  let resolve!: () => void;
  const promise = new Promise<void>((r) => (resolve = r));
  return { promise, resolve };
}

describe('JobScheduler', () => {
  it('ticks on multiples of the interval and runs with the scheduled time as the window end', async () => {
    const clock = new VirtualClock(T0 + 10 * 60_000);
    const runs: number[] = [];
    const reports: TickReport[] = [];
    const s = new JobScheduler({ trigger: intervalTrigger(HOUR), clock, misfireGraceMs: 300_000, run: async (at) => (runs.push(at), 'ok'), onTick: (r) => reports.push(r) });
    s.start();
    expect(s.nextTickMs).toBe(T0 + HOUR);
    await clock.advance(3 * HOUR);
    expect(runs).toEqual([T0 + HOUR, T0 + 2 * HOUR, T0 + 3 * HOUR]);
    expect(reports.map((r) => r.outcome)).toEqual(['ok', 'ok', 'ok']);
    await s.stop();
  });

  it('never runs twice at once: a tick during a run is skipped and counted (max_instances=1)', async () => {
    const clock = new VirtualClock(T0);
    const slow = deferred();
    const outcomes: string[] = [];
    let active = 0;
    let maxActive = 0;
    const s = new JobScheduler({
      trigger: intervalTrigger(HOUR),
      clock,
      misfireGraceMs: 300_000,
      run: async () => {
        maxActive = Math.max(maxActive, ++active);
        await slow.promise;
        active--;
        return 'drift';
      },
      onTick: (r) => outcomes.push(r.outcome),
    });
    s.start();
    await clock.advance(HOUR); // first run starts, and hangs
    await clock.advance(2 * HOUR); // two ticks meet it
    expect(outcomes).toEqual(['skipped_overlap', 'skipped_overlap']);
    slow.resolve();
    await flush();
    expect(outcomes).toEqual(['skipped_overlap', 'skipped_overlap', 'drift']);
    expect(maxActive).toBe(1);
    await s.stop();
  });

  it('a tick handled within the misfire grace runs (same window end); later than the grace it is skipped', async () => {
    const clock = new VirtualClock(T0);
    const runs: number[] = [];
    const reports: TickReport[] = [];
    const s = new JobScheduler({ trigger: intervalTrigger(HOUR), clock, misfireGraceMs: 300_000, run: async (at) => (runs.push(at), 'ok'), onTick: (r) => reports.push(r) });
    s.start();
    // The process is frozen: the timer of T0+1h fires only at T0+1h+4min (within the grace) ...
    clock.t = T0 + HOUR + 4 * 60_000;
    await clock.advance(0);
    expect(runs).toEqual([T0 + HOUR]);
    expect(reports.at(-1)).toMatchObject({ outcome: 'ok', lateMs: 240_000 });
    // ... and the one of T0+2h only at T0+2h+6min: missed, counted, not run.
    clock.t = T0 + 2 * HOUR + 6 * 60_000;
    await clock.advance(0);
    expect(runs).toEqual([T0 + HOUR]);
    expect(reports.at(-1)).toMatchObject({ outcome: 'missed', scheduledMs: T0 + 2 * HOUR, lateMs: 360_000 });
    await clock.advance(HOUR);
    expect(runs).toEqual([T0 + HOUR, T0 + 3 * HOUR]);
    await s.stop();
  });

  it('after a long pause every missed tick is counted once, and the schedule goes on from the first tick within the grace', async () => {
    const clock = new VirtualClock(T0);
    const runs: number[] = [];
    const reports: TickReport[] = [];
    const s = new JobScheduler({ trigger: intervalTrigger(HOUR), clock, misfireGraceMs: 300_000, run: async (at) => (runs.push(at), 'ok'), onTick: (r) => reports.push(r) });
    s.start();
    // Frozen from T0 until T0+5h+2min: the ticks of 1h..4h are missed; the one of 5h is 2 min late, within the grace.
    clock.t = T0 + 5 * HOUR + 120_000;
    await clock.advance(0);
    expect(reports.map((r) => [r.outcome, (r.scheduledMs - T0) / HOUR])).toEqual([
      ['missed', 1],
      ['missed', 2],
      ['missed', 3],
      ['missed', 4],
      ['ok', 5],
    ]);
    expect(runs).toEqual([T0 + 5 * HOUR]);
    expect(s.nextTickMs).toBe(T0 + 6 * HOUR);
    await s.stop();
  });

  it('stop() waits for the run in progress and no tick fires after it', async () => {
    const clock = new VirtualClock(T0);
    const slow = deferred();
    let finished = false;
    let calls = 0;
    const s = new JobScheduler({
      trigger: intervalTrigger(HOUR),
      clock,
      misfireGraceMs: 300_000,
      run: async () => {
        calls++;
        await slow.promise;
        finished = true;
        return 'ok';
      },
    });
    s.start();
    await clock.advance(HOUR);
    const stopped = s.stop();
    await flush();
    expect(finished).toBe(false);
    slow.resolve();
    await stopped;
    expect(finished).toBe(true);
    await clock.advance(5 * HOUR);
    expect(calls).toBe(1);
    expect(s.nextTickMs).toBeNull();
  });

  it('a failed run is reported with its error and the next tick tries again', async () => {
    const clock = new VirtualClock(T0);
    let calls = 0;
    const reports: TickReport[] = [];
    const s = new JobScheduler({
      trigger: intervalTrigger(HOUR),
      clock,
      misfireGraceMs: 300_000,
      run: async () => {
        if (calls++ === 0) throw new Error('postgresql (FEATURE_STORE_URL): cannot connect');
        return 'ok';
      },
      onTick: (r) => reports.push(r),
    });
    s.start();
    await clock.advance(2 * HOUR);
    expect(reports.map((r) => r.outcome)).toEqual(['failed', 'ok']);
    expect(reports[0]!.error?.message).toMatch(/FEATURE_STORE_URL/);
    await s.stop();
  });

  it('cron: the next time after a given one, in UTC; a bad expression names DRIFT_CHECK_CRON', () => {
    const t = cronTrigger('0 */2 * * *');
    expect(new Date(t.next(T0 + 1)).toISOString()).toBe('2026-12-01T02:00:00.000Z');
    expect(new Date(t.next(T0 + 2 * HOUR)).toISOString()).toBe('2026-12-01T04:00:00.000Z');
    expect(() => cronTrigger('every two hours')).toThrow(/DRIFT_CHECK_CRON "every two hours" is not a cron expression/);
  });
});
