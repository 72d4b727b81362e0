// The InfluxDB write-failure classification (src/adapters/influx/errors.ts) on the answers
// InfluxDB 1.8.10 and 2.7.12 give (bodies as measured there; the integration test
// test/integration/streaming/influx-sink.test.ts sends the real requests).
import { HttpError } from '@influxdata/influxdb-client';
import { describe, expect, it } from 'vitest';
import { writeFailure, type WriteTarget } from '../../../../src/adapters/influx/errors.js';

const v2: WriteTarget = { url: 'http://127.0.0.1:8087', token: 'tok', org: 'driftwatch', bucket: 'driftwatch' };
const v1: WriteTarget = { url: 'http://127.0.0.1:8086', token: 'u:p', org: 'driftwatch', bucket: 'driftwatch/autogen' };
const end = new Date('2026-11-25T10:00:00Z');
const json = (status: number, body: object) => new HttpError(status, 'x', JSON.stringify(body), null, 'application/json; charset=utf-8');

describe('InfluxDB write failures', () => {
  it('a partial write stores the rest: the dropped count is reported and it is not retried (2.x 422, 1.8 400)', () => {
    for (const [target, cause] of [
      [v2, json(422, { code: 'unprocessable entity', message: 'failure writing points to database: partial write: points beyond retention policy dropped=2' })],
      [v1, json(400, { error: 'partial write: points beyond retention policy dropped=2' })],
    ] as const) {
      const f = writeFailure(cause, target, 6, end);
      expect(f.droppedPoints).toBe(2);
      expect(f.error.retriable).toBe(false);
      expect(f.error.message).toContain("2 of 6 points lie outside the bucket's retention and were dropped by InfluxDB, the other 4 are stored; not retried");
    }
  });

  it('401, 403, 404 and a missing org name the setting to fix', () => {
    const cases: Array<[WriteTarget, HttpError, string]> = [
      [v2, json(401, { code: 'unauthorized', message: 'unauthorized access' }), 'INFLUX_TOKEN'],
      [v2, json(403, { code: 'forbidden', message: 'insufficient permissions for write' }), 'INFLUX_TOKEN'],
      [v2, json(404, { code: 'not found', message: 'organization name "nope" not found' }), 'INFLUX_ORG'],
      [v2, json(400, { code: 'invalid', message: 'Please provide either orgID or org' }), 'INFLUX_ORG'],
      [v2, json(404, { code: 'not found', message: 'bucket "nope" not found' }), 'INFLUX_BUCKET'],
      [v1, json(404, { error: 'database not found: "nope"' }), 'INFLUX_BUCKET'],
      [v1, json(500, { error: 'retention policy not found: nope' }), 'INFLUX_BUCKET'],
    ];
    for (const [target, cause, setting] of cases) {
      const f = writeFailure(cause, target, 6, end);
      expect(f.error.retriable, cause.message).toBe(false);
      expect(f.error.message).toContain(`check ${setting}:`);
      expect(f.error.context.setting).toBe(setting);
      expect(f.droppedPoints).toBe(0);
    }
  });

  it('outages are retriable: network errors, 5xx, 429, 408; another 4xx is not', () => {
    expect(writeFailure(new Error('connect ECONNREFUSED'), v2, 6, end).error.retriable).toBe(true);
    for (const status of [500, 503, 429, 408]) expect(writeFailure(json(status, { message: 'busy' }), v2, 6, end).error.retriable).toBe(true);
    expect(writeFailure(json(400, { message: 'unable to parse' }), v2, 6, end).error.retriable).toBe(false);
  });
});
