// What `driftwatch run` logs without the console output: one info line per drift state change,
// dead letters as rate-limited warnings, and kafkajs's transient broker errors as warnings.
import { describe, expect, it } from 'vitest';
import { StateChangeLogExporter } from '../../../src/adapters/console/log-exporter.js';
import { DeadLetterWarnings } from '../../../src/adapters/console/dead-letter-warnings.js';
import { isTransient } from '../../../src/adapters/kafka/kafkajs.js';
import type { Evaluation, ModelCheck } from '../../../src/core/detect/evaluation.js';
import type { CheckResult } from '../../../src/core/detect/result.js';
import type { DeadLetter, Logger } from '../../../src/runtime/ports.js';

type Line = { level: 'info' | 'warn'; fields: Record<string, unknown>; message: string };
function memoryLogger(lines: Line[]): Logger {
  const at = (level: Line['level']) => (fields: unknown, message?: string) => void lines.push({ level, fields: fields as Record<string, unknown>, message: message ?? '' });
  const logger: Logger = { error: () => undefined, warn: at('warn'), info: at('info'), debug: () => undefined, child: () => logger } as unknown as Logger;
  return logger;
}

function evaluation(changes: ModelCheck['change'][]): Evaluation {
  const check = { metric: 'psi', max_drift_score: 0.42, drifted_features: { income: 0.42 }, sample_count: 360 } as unknown as CheckResult;
  return {
    windowStart: new Date('2026-11-26T02:30:00Z'),
    windowEnd: new Date('2026-11-26T03:30:00Z'),
    closedAtWallMs: 0,
    checks: changes.map((change, i) => ({
      model: 'credit-risk',
      modelVersion: `v${i}`,
      check,
      change,
      state: change === 'drift_detected' ? 'drifting' : 'ok',
      lateEvents: 0,
      invalidEvents: 0,
      durationMs: 1,
    })),
  };
}

describe('StateChangeLogExporter', () => {
  it('logs one info line per state change, naming model, version, window and drifted features', async () => {
    const lines: Line[] = [];
    const exporter = new StateChangeLogExporter(memoryLogger(lines));
    expect(await exporter.export(evaluation([null, 'drift_detected', null, 'drift_resolved']))).toEqual({ ok: true });
    expect(lines.map((l) => [l.level, l.message])).toEqual([
      ['info', 'drift detected in income: credit-risk v1, window ending 2026-11-26T03:30:00.000Z'],
      ['info', 'drift resolved: credit-risk v3, window ending 2026-11-26T03:30:00.000Z'],
    ]);
    expect(lines[0].fields).toMatchObject({
      event: 'drift_detected',
      model: 'credit-risk',
      model_version: 'v1',
      window_start: '2026-11-26T02:30:00.000Z',
      window_end: '2026-11-26T03:30:00.000Z',
      drifted_features: { income: 0.42 },
    });
  });

  it('logs nothing for windows without a change', async () => {
    const lines: Line[] = [];
    await new StateChangeLogExporter(memoryLogger(lines)).export(evaluation([null, null]));
    expect(lines).toEqual([]);
  });
});

describe('DeadLetterWarnings', () => {
  const letter = (reason: 'invalid_json' | 'no_reference', offset: number): DeadLetter => ({
    value: 'x',
    key: null,
    headers: {},
    failure: { reason, detail: `bad ${offset}` },
    source: { topic: 'predictions', partition: 0, offset, timestampMs: 0 },
  });

  it('passes every dead letter on and warns at most once per reason per 10 s, with the count since the last warning', async () => {
    const lines: Line[] = [];
    const sent: DeadLetter[] = [];
    let now = 1_000_000;
    const sink = new DeadLetterWarnings({ send: async (items) => void sent.push(...items) }, memoryLogger(lines), { now: () => now });
    await sink.send([letter('invalid_json', 1), letter('invalid_json', 2), letter('no_reference', 3)]);
    now += 5_000;
    await sink.send([letter('invalid_json', 4)]);
    now += 5_000;
    await sink.send([letter('invalid_json', 5)]);
    expect(sent.map((d) => d.source.offset)).toEqual([1, 2, 3, 4, 5]);
    expect(lines.map((l) => [l.level, l.fields.reason, l.fields.count, l.message])).toEqual([
      ['warn', 'invalid_json', 1, '1 dead letter(s) (invalid_json); latest: bad 1'],
      ['warn', 'no_reference', 1, '1 dead letter(s) (no_reference); latest: bad 3'],
      ['warn', 'invalid_json', 3, '3 dead letter(s) (invalid_json) in the last 10 s; latest: bad 5'],
    ]);
  });

  it('warns only once the inner sink has written them (a failed write throws, nothing is logged)', async () => {
    const lines: Line[] = [];
    const sink = new DeadLetterWarnings({ send: async () => Promise.reject(new Error('outage')) }, memoryLogger(lines));
    await expect(sink.send([letter('invalid_json', 1)])).rejects.toThrow('outage');
    expect(lines).toEqual([]);
  });
});

describe('kafkajs log levels', () => {
  it.each([
    ['The group coordinator is not available'],
    ['This server does not host this topic-partition'],
    ['There is no leader for this topic-partition as we are in the middle of a leadership election'],
  ])('maps the transient "%s" to warn', (error) => {
    expect(isTransient({ message: 'Response GroupCoordinator(key: 10, version: 2)', error })).toBe(true);
    expect(isTransient({ message: `[Runner] ${error}` })).toBe(true);
  });

  it('logs the CreateTopics error of a topic another instance created first as a warning (createTopics counts it as done)', () => {
    // As kafkajs's connection logs it when instances start together (the scale-out broker test).
    expect(isTransient({ message: 'Response CreateTopics(key: 19, version: 3)', error: 'Topic creation errors' })).toBe(true);
  });

  it('keeps other errors at error level', () => {
    expect(isTransient({ message: 'Connection error: connect ECONNREFUSED 127.0.0.1:9092' })).toBe(false);
    expect(isTransient({ message: 'SASL authentication failed', error: 'Authentication failed' })).toBe(false);
  });
});
