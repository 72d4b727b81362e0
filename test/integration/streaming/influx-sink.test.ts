// The InfluxDB exporter against both real servers, InfluxDB 1.8 and 2.7 (./influx-flavours.ts):
// points land with the window end as their time; a rewrite of the same window overwrites;
// failures come back as failures (regression: a writeFailed hook once made flush() report
// success for failed writes), retriable for an outage; configuration problems as one
// non-retriable error naming INFLUX_TOKEN, INFLUX_ORG or INFLUX_BUCKET; a partial write
// (points outside the bucket's retention) counted and not retried; check()/reachable() (for
// /readyz) true only when a write to the bucket would be accepted.
import { afterAll, describe, expect, it } from 'vitest';
import { InfluxExporter } from '../../../src/adapters/influx/exporter.js';
import type { Evaluation } from '../../../src/runtime/engine.js';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import type { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { creditStream, referenceDir, runId } from '../helpers.js';
import { featureDriftPointsIn, fluxRowsIn, influxFlavours, scopedToken, shortRetentionBucket } from '../influx-flavours.js';

let reference: ReferenceDistribution | undefined;

async function evaluation(model: string, shiftMinutes: number, windowEnd = new Date('2026-11-25T10:00:00Z')): Promise<Evaluation> {
  reference ??= (await referenceDir('v1')).reference;
  const rows = creditStream(0, 30, 10, shiftMinutes).map((e) => e.features);
  const check = new DriftDetector().evaluate(accumulate(rows, reference), reference);
  return {
    windowStart: new Date(windowEnd.getTime() - 3_600_000),
    windowEnd,
    closedAtWallMs: Date.now(),
    checks: [{ model, modelVersion: 'v1', check, change: null, state: 'ok', lateEvents: 0, invalidEvents: 0, durationMs: 1.5 }],
  };
}

/** 5 feature_drift points and 1 drift_check point per evaluation. */
const POINTS = 6;

async function exportOnce(options: ConstructorParameters<typeof InfluxExporter>[0], e: Evaluation) {
  const exporter = new InfluxExporter(options);
  try {
    return { result: await exporter.export(e), exporter };
  } finally {
    await exporter.shutdown();
  }
}

function failure(result: Awaited<ReturnType<InfluxExporter['export']>>) {
  expect(result.ok).toBe(false);
  if (result.ok) throw new Error('unreachable');
  return result.error;
}

describe.each(influxFlavours())('InfluxDB exporter (InfluxDB $flavour)', (f) => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    await Promise.allSettled(cleanup.map((c) => c()));
  });
  const { url, token, org, bucket } = f;
  const tag = () => `${f.flavour.replace('.', '')}_${runId().replace(/-/g, '_')}`;

  it.skipIf(!url)(`writes feature_drift points at the window end; a re-evaluated window overwrites them (InfluxDB ${f.flavour})`, async () => {
    const model = `sink-${runId()}`;
    const exporter = new InfluxExporter({ url, token, org, bucket });
    const first = await evaluation(model, 1000);
    const again = await evaluation(model, 10); // same window, different values
    expect(await exporter.export(first)).toEqual({ ok: true });
    expect(await exporter.export(again)).toEqual({ ok: true });
    await exporter.shutdown();
    const points = await featureDriftPointsIn(f, model);
    expect(points.size).toBe(5);
    const income = points.get('2026-11-25T10:00:00.000Z|income')!;
    expect(income.psi).toBe(again.checks[0].check.features.income.psi);
    expect(income.psi).not.toBe(first.checks[0].check.features.income.psi);
  });

  it.skipIf(!url)(`check() and reachable() accept the configured bucket and token, without writing anything (InfluxDB ${f.flavour})`, async () => {
    const exporter = new InfluxExporter({ url, token, org, bucket });
    expect(await exporter.check()).toEqual({ ok: true });
    expect(await exporter.reachable()).toBe(true);
    await exporter.shutdown();
  });

  it.skipIf(!url)(`a missing bucket is a non-retriable failure naming INFLUX_BUCKET, and /readyz's check says so (InfluxDB ${f.flavour})`, async () => {
    const missing = f.flavour === '1.8' ? `missing_${tag()}/autogen` : `missing_${tag()}`;
    const { result, exporter } = await exportOnce({ url, token, org, bucket: missing }, await evaluation('m', 1000));
    const error = failure(result);
    expect(error.retriable).toBe(false);
    expect(error.message).toContain('check INFLUX_BUCKET');
    expect(error.message).toContain(`"${missing}" not found`);
    expect(error.message).toContain('HTTP 404');
    expect(error.context).toMatchObject({ status: 404, setting: 'INFLUX_BUCKET' });
    const check = await exporter.check();
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).toContain('check INFLUX_BUCKET');
    expect(await exporter.reachable()).toBe(false);
  });

  // The cases below are registered for the one server they are about (the other has no such case).
  if (f.flavour === '1.8')
    it.skipIf(!url)(`a missing retention policy (HTTP 500 on 1.8) is not retried and names INFLUX_BUCKET (InfluxDB ${f.flavour})`, async () => {
      const { result } = await exportOnce({ url, token, org, bucket: `${f.database}/missing_${tag()}` }, await evaluation('m', 1000));
      const error = failure(result);
      expect(error.retriable).toBe(false);
      expect(error.message).toMatch(/check INFLUX_BUCKET: database\/retention policy ".*" not found on InfluxDB 1\.8/);
    });

  if (f.flavour === '2.7')
    it.skipIf(!url)(`a bucket in the 1.8 form database/rp says that 2.x bucket names have no /rp (InfluxDB ${f.flavour})`, async () => {
      const { result } = await exportOnce({ url, token, org, bucket: `${bucket}/autogen` }, await evaluation('m', 1000));
      const error = failure(result);
      expect(error.retriable).toBe(false);
      expect(error.message).toContain('check INFLUX_BUCKET');
      expect(error.message).toContain('no /retention-policy part');
    });

  if (f.flavour === '2.7')
    it.skipIf(!url)(`a wrong token is one non-retriable error naming INFLUX_TOKEN, without the token (InfluxDB ${f.flavour})`, async () => {
      for (const [wrong, hint] of [
        ['not-the-token-secret', /not a valid token of org "driftwatch"/],
        ['driftwatch:secret-password', /InfluxDB 1\.8 form user:password, but InfluxDB 2\.x needs an API token/],
      ] as const) {
        const { result, exporter } = await exportOnce({ url, token: wrong, org, bucket }, await evaluation('m', 1000));
        const error = failure(result);
        expect(error.retriable).toBe(false);
        expect(error.message).toContain('check INFLUX_TOKEN');
        expect(error.message).toContain('HTTP 401');
        expect(error.message).toMatch(hint);
        expect(error.message).not.toContain('secret');
        const check = await exporter.check();
        expect(check.ok).toBe(false);
        if (!check.ok) {
          expect(check.reason).toContain('check INFLUX_TOKEN');
          expect(check.reason).not.toContain('secret');
        }
      }
      const { result } = await exportOnce({ url, org, bucket }, await evaluation('m', 1000));
      expect(failure(result).message).toMatch(/check INFLUX_TOKEN: it is not set/);
    });

  if (f.flavour === '2.7')
    it.skipIf(!url)(`a token that may only read the bucket: HTTP 403 naming INFLUX_TOKEN, and not ready (InfluxDB ${f.flavour})`, async () => {
      const readOnly = await scopedToken(f, ['read']);
      cleanup.push(readOnly.remove);
      const { result, exporter } = await exportOnce({ url, token: readOnly.token, org, bucket }, await evaluation('m', 1000));
      const error = failure(result);
      expect(error.retriable).toBe(false);
      expect(error.message).toContain('check INFLUX_TOKEN');
      expect(error.message).toContain('may not write to bucket "driftwatch"');
      expect(error.message).toContain('HTTP 403');
      expect(await exporter.reachable()).toBe(false);
      // A token that may write (and nothing else) is enough.
      const writeOnly = await scopedToken(f, ['write']);
      cleanup.push(writeOnly.remove);
      const ok = await exportOnce({ url, token: writeOnly.token, org, bucket }, await evaluation(`sink-wo-${runId()}`, 1000));
      expect(ok.result).toEqual({ ok: true });
      expect(await ok.exporter.reachable()).toBe(true);
    });

  if (f.flavour === '2.7')
    it.skipIf(!url)(`an unknown or missing org is one non-retriable error naming INFLUX_ORG (InfluxDB ${f.flavour})`, async () => {
      const { result, exporter } = await exportOnce({ url, token, org: `nope-${runId()}`, bucket }, await evaluation('m', 1000));
      const error = failure(result);
      expect(error.retriable).toBe(false);
      expect(error.message).toMatch(/check INFLUX_ORG: organisation "nope-.*" not found \(HTTP 404/);
      expect(await exporter.reachable()).toBe(false);
      const none = await exportOnce({ url, token, org: '', bucket }, await evaluation('m', 1000));
      expect(failure(none.result).message).toMatch(/check INFLUX_ORG: InfluxDB 2\.x needs the organisation/);
    });

  it.skipIf(!url)(`points outside the bucket's retention: a partial write, counted and reported, not retried; a window inside is stored (InfluxDB ${f.flavour})`, async () => {
    const short = await shortRetentionBucket(f, `dw_1h_${tag()}`, 1);
    cleanup.push(short.remove);
    const model = `sink-retention-${runId()}`;
    const exporter = new InfluxExporter({ url, token, org, bucket: short.bucket });
    cleanup.push(() => exporter.shutdown());
    const oldEnd = new Date(Date.now() - 2 * 3_600_000);
    const recentEnd = new Date(Date.now() - 60_000);
    const error = failure(await exporter.export(await evaluation(model, 1000, oldEnd)));
    expect(error.retriable).toBe(false);
    expect(error.message).toContain(`partial write of the window ending ${oldEnd.toISOString()}: ${POINTS} of ${POINTS} points lie outside the bucket's retention`);
    expect(error.message).toContain(f.flavour === '1.8' ? 'HTTP 400' : 'HTTP 422');
    expect(error.context).toMatchObject({ droppedPoints: POINTS, points: POINTS });
    expect(exporter.droppedPoints).toBe(POINTS);
    // The next window, inside the retention, is written as usual: nothing of the old one is resent.
    expect(await exporter.export(await evaluation(model, 1000, recentEnd))).toEqual({ ok: true });
    expect(exporter.droppedPoints).toBe(POINTS);
    const rows = await fluxRowsIn(f, `from(bucket: "${short.bucket}") |> range(start: -3h) |> filter(fn: (r) => r.model == "${model}" and r._field == "sample_count")`);
    expect(rows).toHaveLength(POINTS);
    expect(new Set(rows.map((r) => new Date(r._time as string).toISOString()))).toEqual(new Set([recentEnd.toISOString()]));
  });
});

describe('InfluxDB exporter without a server', () => {
  it('an unreachable server is a retriable failure, and the token never appears in the message', async () => {
    const exporter = new InfluxExporter({ url: 'http://user:pw-secret@127.0.0.1:1', token: 'tok-secret', org: 'o', bucket: 'b', timeoutMs: 2000 });
    const result = await exporter.export(await evaluation('m', 1000));
    await exporter.shutdown();
    const error = failure(result);
    expect(error.retriable).toBe(true);
    expect(error.message).not.toContain('secret');
    expect(await exporter.reachable()).toBe(false);
    const check = await exporter.check();
    expect(check.ok).toBe(false);
    if (!check.ok) expect(check.reason).not.toContain('secret');
  });
});
