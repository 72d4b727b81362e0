// Smoke test of the InfluxDB paths driftwatch uses, through @influxdata/influxdb-client against
// the real server that test/setup/global-setup.ts provides: line protocol through
// /api/v2/write (WriteApi, nanosecond precision) and Flux through /api/v2/query (QueryApi).
// Works on InfluxDB 1.8 (token `user:password`, bucket `db/rp`) and 2.x.
import { randomUUID } from 'node:crypto';
import { InfluxDB, Point, type WriteApi } from '@influxdata/influxdb-client';
import { describe, expect, inject, it } from 'vitest';

const url = inject('influxUrl');
const token = inject('influxToken');
const org = inject('influxOrg');
const bucket = inject('influxBucket');

const measurement = `driftwatch_smoke_${Date.now()}_${randomUUID().slice(0, 8)}`;
const influx = new InfluxDB({ url, token, timeout: 10_000 });

// Window ends with sub-millisecond parts, to check that nanoseconds survive the round trip.
const nanos = (iso: string, extraNs: bigint): string => (BigInt(Date.parse(iso)) * 1_000_000n + extraNs).toString();
const T1 = nanos('2026-11-26T00:00:00Z', 123_456_789n);
const T2 = nanos('2026-11-26T00:05:00Z', 1n);
const T1_RFC = '2026-11-26T00:00:00.123456789Z';
const T2_RFC = '2026-11-26T00:05:00.000000001Z';

function writeApi(): WriteApi {
  return influx.getWriteApi(org, bucket, 'ns', { flushInterval: 50, batchSize: 100, maxRetries: 2 });
}

interface Row {
  _time: string;
  _field: string;
  _value: unknown;
  model: string;
  model_version: string;
  feature: string;
}

async function readBack(): Promise<Row[]> {
  const flux = `
    from(bucket: "${bucket}")
      |> range(start: 2026-11-25T00:00:00Z, stop: 2026-11-27T00:00:00Z)
      |> filter(fn: (r) => r._measurement == "${measurement}")`;
  const rows = await influx.getQueryApi(org).collectRows<Row>(flux);
  return rows.sort((a, b) => `${a._time}|${a.feature}|${a._field}`.localeCompare(`${b._time}|${b.feature}|${b._field}`));
}

describe('influxdb smoke (@influxdata/influxdb-client)', () => {
  it('answers /ping', async () => {
    const res = await fetch(`${url}/ping`);
    expect(res.status).toBe(204);
  });

  it('writes points through /api/v2/write and reads values, tags and ns timestamps back with Flux', async () => {
    const w = writeApi();
    w.useDefaultTags({ model: 'credit-risk', model_version: 'v1.2.0' });
    w.writePoints([
      new Point(measurement).tag('feature', 'income').floatField('score', 0.79).booleanField('drifted', true).intField('sample_count', 5000).timestamp(T1),
      new Point(measurement).tag('feature', 'age').floatField('score', 0.02).booleanField('drifted', false).intField('sample_count', 5000).timestamp(T1),
      new Point(measurement).tag('feature', 'income').floatField('score', 0.5).booleanField('drifted', true).intField('sample_count', 4200).timestamp(T2),
    ]);
    await w.close();

    const rows = await readBack();
    const pick = (time: string, feature: string, field: string) => rows.filter((r) => r._time === time && r.feature === feature && r._field === field);

    expect(rows).toHaveLength(9);
    expect(new Set(rows.map((r) => r._time))).toEqual(new Set([T1_RFC, T2_RFC]));
    for (const r of rows) {
      expect(r.model).toBe('credit-risk');
      expect(r.model_version).toBe('v1.2.0');
    }
    expect(pick(T1_RFC, 'income', 'score').map((r) => r._value)).toEqual([0.79]);
    expect(pick(T1_RFC, 'income', 'drifted').map((r) => r._value)).toEqual([true]);
    expect(pick(T1_RFC, 'income', 'sample_count').map((r) => r._value)).toEqual([5000]);
    expect(pick(T1_RFC, 'age', 'drifted').map((r) => r._value)).toEqual([false]);
    expect(pick(T2_RFC, 'income', 'score').map((r) => r._value)).toEqual([0.5]);
    expect(pick(T2_RFC, 'income', 'sample_count').map((r) => r._value)).toEqual([4200]);
  });

  it('overwrites a field when measurement, tags and timestamp are the same (idempotent rewrite)', async () => {
    const w = writeApi();
    // Same series and time as the first point above; only `score` and `sample_count` rewritten.
    w.writePoint(
      new Point(measurement)
        .tag('model', 'credit-risk')
        .tag('model_version', 'v1.2.0')
        .tag('feature', 'income')
        .floatField('score', 0.81)
        .intField('sample_count', 5001)
        .timestamp(T1),
    );
    await w.close();

    const rows = await readBack();
    const at = rows.filter((r) => r._time === T1_RFC && r.feature === 'income');
    // One value per field: the rewrite replaced, it did not add a second point.
    expect(at.map((r) => [r._field, r._value]).sort()).toEqual([
      ['drifted', true], // not in the rewrite: kept (fields merge, so a rewrite must carry all fields)
      ['sample_count', 5001],
      ['score', 0.81],
    ]);
    expect(rows).toHaveLength(9);
  });
});
