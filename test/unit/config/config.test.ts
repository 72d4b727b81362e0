import { describe, expect, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config/load.js';
import { ConfigError } from '../../../src/core/errors.js';
import { parseDuration } from '../../../src/core/duration.js';

const fail = (file: unknown, env: Record<string, string>) => {
  try {
    resolveConfig(file, env);
  } catch (error) {
    expect(error).toBeInstanceOf(ConfigError);
    return (error as Error).message;
  }
  throw new Error('expected a ConfigError');
};

describe('configuration', () => {
  it('defaults: 1 h windows sliding every 5 min, PSI ≥ 0.3, 100 samples, 30 s lateness', () => {
    const { config, notes } = resolveConfig({}, {});
    expect(config.window).toMatchObject({ sizeMs: 3_600_000, slideMs: 300_000, allowedLatenessMs: 30_000 });
    expect(config.drift).toMatchObject({ metric: 'psi', threshold: 0.3, minSamples: 100, missingRateThreshold: 0.1, raiseAfter: 1, clearAfter: 2 });
    expect(config.kafka.brokers).toBeUndefined();
    expect(notes).toEqual([]);
  });

  it('the environment wins over the file; lists and booleans are read from text', () => {
    const { config } = resolveConfig(
      { kafka: { brokers: ['file:9092'], topic: 'from-file' }, drift: { threshold: 0.2, features: { income: { threshold: 0.5 } } } },
      { KAFKA_BROKERS: 'a:9092, b:9092', DRIFT_THRESHOLD: '0.25', EMIT_ALL_CHECKS: 'yes', KAFKA_SSL: 'false' },
    );
    expect(config.kafka.brokers).toEqual(['a:9092', 'b:9092']);
    expect(config.kafka.topic).toBe('from-file');
    expect(config.drift.threshold).toBe(0.25);
    expect(config.drift.features.income.threshold).toBe(0.5);
    expect(config.output.emitAllChecks).toBe(true);
    expect(config.kafka.ssl).toBe(false);
  });

  it("accepts the integration guide's names in hours; the specific names win", () => {
    expect(resolveConfig({}, { DRIFT_CHECK_INTERVAL_HOURS: '2', FEATURE_RETENTION_HOURS: '24' }).config.window).toMatchObject({ slideMs: 7_200_000, sizeMs: 86_400_000 });
    expect(resolveConfig({}, { DRIFT_CHECK_INTERVAL_HOURS: '2', DRIFT_CHECK_INTERVAL: '30m' }).config.window.slideMs).toBe(1_800_000);
  });

  it('a window that is not a multiple of the slide: rejected when set, rounded up (and noted) when defaulted', () => {
    expect(fail({}, { DRIFT_WINDOW: '1h', DRIFT_CHECK_INTERVAL: '7m' })).toBe(
      'window.sizeMs (DRIFT_WINDOW, 3600000 ms) must be a positive multiple of window.slideMs (DRIFT_CHECK_INTERVAL, 420000 ms)',
    );
    const { config, notes } = resolveConfig({}, { DRIFT_CHECK_INTERVAL: '7m' });
    expect(config.window.sizeMs).toBe(3_780_000);
    expect(notes).toEqual(['default window of 3600000 ms is not a multiple of the slide (420000 ms): using 3780000 ms']);
  });

  it('reports every problem at once, each with its environment variable', () => {
    const message = fail({ http: { port: 70000 } }, { DRIFT_THRESHOLD: '-1', DRIFT_METRIC: 'psy', KAFKA_SSL: 'maybe', DRIFT_MIN_SAMPLES: '1.5', INFLUX_URL: 'not a url' });
    expect(message.split('\n')[0]).toBe('invalid configuration:');
    expect(message).toContain('✖ kafka.ssl (KAFKA_SSL): expected true or false');
    expect(message).toContain('✖ drift.metric (DRIFT_METRIC): Unknown metric "psy". Available: psi, ks, js, wasserstein');
    expect(message).toContain('✖ drift.threshold (DRIFT_THRESHOLD)');
    expect(message).toContain('✖ drift.minSamples (DRIFT_MIN_SAMPLES)');
    expect(message).toContain('✖ influx.url (INFLUX_URL)');
    expect(message).toContain('✖ http.port (HTTP_PORT)');
    expect(message.split('\n')).toHaveLength(7);
  });

  it('includes the alerts section, with its rules', () => {
    expect(fail({}, { SMTP_URL: 'smtp://user:secret@mail.example.com:587' })).toContain('alerts.alertEmails');
    expect(fail({}, { SMTP_URL: 'smtp://user:secret@mail.example.com:587' })).not.toContain('secret');
    expect(resolveConfig({}, { ALERT_COOLDOWN: '30m', RETRAIN_THRESHOLD: '0.7' }).config.alerts).toMatchObject({ cooldownMs: 1_800_000, retrainThreshold: 0.7 });
  });
});

describe('durations', () => {
  it.each([
    ['500ms', 500],
    ['30s', 30_000],
    ['5m', 300_000],
    ['1.5h', 5_400_000],
    ['2d', 172_800_000],
    ['250', 250],
    [1000, 1000],
  ] as const)('%s → %d ms', (input, ms) => expect(parseDuration(input)).toBe(ms));

  it.each(['soon', '5 minutes', '-1s', ''])('%s is not a duration', (input) => expect(parseDuration(input)).toBeNull());
});
