// The scheduled job's window rule (src/app/config/load.ts, windowRule 'job'): a run reads the
// last window from the store and keeps no panes, so the integration guide's settings are taken
// as they are; `run`'s rule (a window of whole slides) is unchanged.
import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config/load.js';
import { ConfigError } from '../../../src/core/errors.js';

const HOUR = 3_600_000;
const job = (env: Record<string, string>) => resolveConfig({}, env, { windowRule: 'job' });

describe("driftwatch job's window rule", () => {
  it("takes the guide's environment as it is: 24 h of features every 2 h", () => {
    const env = { DRIFT_THRESHOLD: '0.3', DRIFT_CHECK_INTERVAL_HOURS: '2', DRIFT_MIN_SAMPLES: '100', FEATURE_STORE_TYPE: 'postgresql', FEATURE_RETENTION_HOURS: '24' };
    const { config, notes } = job(env);
    expect(config.window).toMatchObject({ sizeMs: 24 * HOUR, slideMs: 2 * HOUR });
    expect(config.drift.minSamples).toBe(100);
    expect(notes).toEqual([]);
  });

  it("takes the guide's code as it is: 1 h read every 2 h (refused by run's rule), with a note that rows between windows are not checked", () => {
    const env = { DRIFT_CHECK_INTERVAL_HOURS: '2', FEATURE_RETENTION_HOURS: '1' };
    expect(() => resolveConfig({}, env)).toThrow(/must be a positive multiple of window.slideMs/);
    const { config, notes } = job(env);
    expect(config.window).toMatchObject({ sizeMs: HOUR, slideMs: 2 * HOUR });
    expect(notes).toEqual([`each run reads the last ${HOUR} ms (DRIFT_WINDOW) every ${2 * HOUR} ms (DRIFT_CHECK_INTERVAL): rows between two windows are not checked`]);
  });

  it('does not round a default window up to the interval, and accepts a window that is no multiple of it', () => {
    expect(job({ DRIFT_CHECK_INTERVAL_HOURS: '2' }).config.window).toMatchObject({ sizeMs: HOUR, slideMs: 2 * HOUR });
    expect(resolveConfig({}, { DRIFT_CHECK_INTERVAL_HOURS: '2' }).config.window.sizeMs).toBe(2 * HOUR);
    expect(job({ DRIFT_CHECK_INTERVAL_HOURS: '5', FEATURE_RETENTION_HOURS: '24' }).config.window).toMatchObject({ sizeMs: 24 * HOUR, slideMs: 5 * HOUR });
    expect(job({ DRIFT_CHECK_INTERVAL: '7m', DRIFT_WINDOW: '1h' }).notes).toEqual([]);
  });

  it('has no pane limit: a week read every minute', () => {
    expect(() => resolveConfig({}, { DRIFT_CHECK_INTERVAL: '30s', DRIFT_WINDOW: '7d' })).toThrow(/at most 10080 are allowed/);
    expect(job({ DRIFT_CHECK_INTERVAL: '30s', DRIFT_WINDOW: '7d' }).config.window).toMatchObject({ sizeMs: 7 * 24 * HOUR, slideMs: 30_000 });
  });

  it('with a cron expression the interval is not used, and says so when it was set', () => {
    expect(job({ DRIFT_CHECK_CRON: '0 */2 * * *', FEATURE_RETENTION_HOURS: '24' }).notes).toEqual([]);
    expect(job({ DRIFT_CHECK_CRON: '0 */2 * * *', FEATURE_RETENTION_HOURS: '1', DRIFT_CHECK_INTERVAL_HOURS: '2' }).notes).toEqual([
      `DRIFT_CHECK_CRON sets the schedule: the check interval (DRIFT_CHECK_INTERVAL, ${2 * HOUR} ms) is not used`,
    ]);
  });

  it('still refuses what means nothing: a zero or negative window or interval, naming the setting', () => {
    for (const env of [{ FEATURE_RETENTION_HOURS: '0' }, { DRIFT_WINDOW: '-1h' }, { DRIFT_CHECK_INTERVAL_HOURS: '0' }] as Record<string, string>[]) {
      expect(() => job(env)).toThrow(ConfigError);
    }
    expect(() => job({ FEATURE_RETENTION_HOURS: '0' })).toThrow(/window\.sizeMs/);
    expect(() => job({ DRIFT_CHECK_INTERVAL_HOURS: '0' })).toThrow(/window\.slideMs \(DRIFT_CHECK_INTERVAL\): must be positive/);
  });
});
