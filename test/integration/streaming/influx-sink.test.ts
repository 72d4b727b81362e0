// The InfluxDB exporter against the real server: points land with the window end as their
// time; a rewrite of the same window overwrites; failures come back as failures (regression:
// a writeFailed hook once made flush() report success for failed writes), retriable for an
// outage and not for a missing bucket.
import { describe, expect, it } from 'vitest';
import { InfluxExporter } from '../../../src/adapters/influx/exporter.js';
import type { Evaluation } from '../../../src/runtime/engine.js';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import { creditStream, featureDriftPoints, influx, referenceDir, runId } from '../helpers.js';

async function evaluation(model: string, shiftMinutes: number): Promise<Evaluation> {
  const { reference } = await referenceDir('v1');
  const rows = creditStream(0, 30, 10, shiftMinutes).map((e) => e.features);
  const check = new DriftDetector().evaluate(accumulate(rows, reference), reference);
  return {
    windowStart: new Date('2026-11-25T09:00:00Z'),
    windowEnd: new Date('2026-11-25T10:00:00Z'),
    closedAtWallMs: Date.now(),
    checks: [{ model, modelVersion: 'v1', check, change: null, state: 'ok', lateEvents: 0, invalidEvents: 0, durationMs: 1.5 }],
  };
}

describe('InfluxDB exporter', () => {
  it('writes feature_drift points at the window end; a re-evaluated window overwrites them', async () => {
    const { url, token, org, bucket } = influx();
    const model = `sink-${runId()}`;
    const exporter = new InfluxExporter({ url, token, org, bucket });
    const first = await evaluation(model, 1000);
    const again = await evaluation(model, 10); // same window, different values
    expect(await exporter.export(first)).toEqual({ ok: true });
    expect(await exporter.export(again)).toEqual({ ok: true });
    await exporter.shutdown();
    const points = await featureDriftPoints(model);
    expect(points.size).toBe(5);
    const income = points.get('2026-11-25T10:00:00.000Z|income')!;
    expect(income.psi).toBe(again.checks[0].check.features.income.psi);
    expect(income.psi).not.toBe(first.checks[0].check.features.income.psi);
  });

  it('a missing bucket is a failure that retrying cannot fix, naming the bucket', async () => {
    const { url, token, org } = influx();
    const exporter = new InfluxExporter({ url, token, org, bucket: `missing_${runId().replace(/-/g, '_')}/autogen` });
    const result = await exporter.export(await evaluation('m', 1000));
    await exporter.shutdown();
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.retriable).toBe(false);
      expect(result.error.message).toMatch(/HTTP 404 \(bucket or database "missing_.*" not found/);
    }
  });

  it('an unreachable server is a retriable failure, and the token never appears in the message', async () => {
    const exporter = new InfluxExporter({ url: 'http://user:pw-secret@127.0.0.1:1', token: 'tok-secret', org: 'o', bucket: 'b', timeoutMs: 2000 });
    const result = await exporter.export(await evaluation('m', 1000));
    await exporter.shutdown();
    expect(result.ok).toBe(false);
    if (!result.ok) {
      expect(result.error.retriable).toBe(true);
      expect(result.error.message).not.toContain('secret');
      expect(await exporter.reachable()).toBe(false);
    }
  });
});
