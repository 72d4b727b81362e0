import { HttpError } from '@influxdata/influxdb-client';
import { SinkError } from '../../core/errors.js';

/**
 * What an InfluxDB write failure means, for InfluxDB 1.8 (`/api/v2/write` compatibility) and
 * 2.x alike (docs/services.md, "InfluxDB 1.8 and 2.x"). Answers measured on 1.8.10 and 2.7.12:
 *
 * | answer | 1.8 | 2.x |
 * |---|---|---|
 * | wrong or missing token | (auth disabled: ignored) | 401 `unauthorized access` (also for the 1.8 form `user:password`) |
 * | token without write permission | – | 403 `insufficient permissions for write` |
 * | unknown org | (ignored) | 404 `organization name "x" not found` |
 * | no org | (ignored) | 400 `Please provide either orgID or org` |
 * | unknown bucket | 404 `database not found: "x"`; 500 `retention policy not found: rp` | 404 `bucket "x" not found` (also for `db/rp`) |
 * | points older than the retention | 400 `partial write: points beyond retention policy dropped=N` | 422 the same text; the other points are stored |
 *
 * Configuration problems (401, 403, 404, a missing org or retention policy) are not retriable:
 * one error names the setting to fix. A partial write is not retriable either: the points
 * inside the retention are stored, writing the rest again fails the same way.
 */
export interface WriteFailure {
  error: SinkError;
  /** Points the server dropped from a partial write (0 otherwise). */
  droppedPoints: number;
}

export interface WriteTarget {
  /** The URL without credentials, for messages. */
  url: string;
  token: string | undefined;
  org: string;
  bucket: string;
}

/** The body's message: 2.x answers `{"code", "message"}`, 1.8 `{"error"}`; else the raw text. */
function serverMessage(cause: HttpError): string {
  const json = cause.json as { message?: unknown; error?: unknown } | undefined;
  if (json && typeof json.message === 'string') return json.message;
  if (json && typeof json.error === 'string') return json.error;
  if (cause.body) {
    try {
      const parsed = JSON.parse(cause.body) as { message?: unknown; error?: unknown };
      if (typeof parsed.message === 'string') return parsed.message;
      if (typeof parsed.error === 'string') return parsed.error;
    } catch {
      // not JSON
    }
    return cause.body.trim().slice(0, 300);
  }
  return cause.message;
}

/** Classifies a failed write of `points` points. */
export function writeFailure(cause: unknown, target: WriteTarget, points: number, windowEnd: Date): WriteFailure {
  const where = `InfluxDB write to ${target.url} bucket "${target.bucket}"`;
  if (!(cause instanceof HttpError)) {
    // Network errors and timeouts: an outage, retried with backoff.
    const message = cause instanceof Error ? cause.message : String(cause);
    return { error: new SinkError(`${where} failed: ${message}`, { retriable: true, cause }), droppedPoints: 0 };
  }
  const status = cause.statusCode;
  const text = serverMessage(cause);
  const http = `HTTP ${status}: ${text}`;

  const partial = /partial write[\s\S]*?dropped=(\d+)/i.exec(text);
  if ((status === 422 || status === 400) && partial) {
    const dropped = Math.min(points, Number(partial[1]));
    return {
      error: new SinkError(
        `${where}: partial write of the window ending ${windowEnd.toISOString()}: ${dropped} of ${points} points lie outside the bucket's retention and were dropped by InfluxDB, ` +
          `the other ${points - dropped} are stored; not retried (${http})`,
        { retriable: false, cause, context: { status, droppedPoints: dropped, points } },
      ),
      droppedPoints: dropped,
    };
  }

  const setting = (name: 'INFLUX_TOKEN' | 'INFLUX_ORG' | 'INFLUX_BUCKET', advice: string): WriteFailure => ({
    error: new SinkError(`${where} failed: check ${name}: ${advice} (${http})`, { retriable: false, cause, context: { status, setting: name } }),
    droppedPoints: 0,
  });

  if (status === 401) {
    if (!target.token) return setting('INFLUX_TOKEN', 'it is not set; InfluxDB 2.x needs an API token with write permission on the bucket');
    if (target.token.includes(':') && !target.bucket.includes('/')) {
      return setting('INFLUX_TOKEN', 'the token was refused; it has the InfluxDB 1.8 form user:password, but InfluxDB 2.x needs an API token (Authorization: Token <token>)');
    }
    return setting('INFLUX_TOKEN', `the token was refused by InfluxDB (not a valid token of org "${target.org}")`);
  }
  if (status === 403) return setting('INFLUX_TOKEN', `the token may not write to bucket "${target.bucket}": give it write permission on INFLUX_BUCKET`);
  if (status === 400 && /orgID or org/i.test(text)) return setting('INFLUX_ORG', 'InfluxDB 2.x needs the organisation the bucket belongs to');
  if (status === 404 && /organi[sz]ation/i.test(text)) return setting('INFLUX_ORG', `organisation "${target.org}" not found`);
  if (status === 404 || (status === 500 && /retention policy not found/i.test(text))) {
    const advice = target.bucket.includes('/')
      ? /database not found|retention policy not found/i.test(text)
        ? `database/retention policy "${target.bucket}" not found on InfluxDB 1.8: CREATE DATABASE (and the retention policy) first`
        : `bucket "${target.bucket}" not found; on InfluxDB 2.x a bucket name has no /retention-policy part (the 1.8 form database/rp)`
      : /database not found/i.test(text)
        ? `database "${target.bucket}" not found on InfluxDB 1.8: CREATE DATABASE first`
        : `bucket "${target.bucket}" not found in org "${target.org}": create it, or fix the name`;
    return setting('INFLUX_BUCKET', advice);
  }
  // 5xx, 429 and 408 are outages: retried (and consumption held back). Other 4xx: a request the
  // server will refuse again (bad line protocol, too large): not retried.
  const retriable = status >= 500 || status === 429 || status === 408;
  return { error: new SinkError(`${where} failed: ${http}`, { retriable, cause, context: { status } }), droppedPoints: 0 };
}
