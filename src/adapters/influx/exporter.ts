import { HttpError, InfluxDB, Point, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { Evaluation } from '../../core/detect/evaluation.js';
import { SUCCESS, type EvaluationExporter, type ExportResult } from '../../runtime/ports.js';
import { writeFailure, type WriteTarget } from './errors.js';

export interface InfluxOptions {
  url: string;
  token?: string;
  org: string;
  bucket: string;
  timeoutMs?: number;
}

/** The answer of `check()`: whether a write to the bucket would be accepted, and why not. */
export type InfluxCheck = { ok: true } | { ok: false; reason: string };

/**
 * Writes scores to InfluxDB through /api/v2/write (InfluxDB 2.x, and 1.8+ with token
 * `user:password` and bucket `database/retention-policy`). The client sends
 * `Authorization: Token <INFLUX_TOKEN>` to both. Points are stamped with the window end, so
 * re-evaluating a window after a restart overwrites its points instead of adding some.
 *
 * - `feature_drift` (tags model, model_version, feature): score, psi, ks, ks_pvalue, js,
 *   wasserstein, chi2_pvalue, missing_rate, drifted, sample_count; for a reference with
 *   outputs, its outputs too (`feature` = prediction or confidence) and every point of that
 *   model carries a `kind` tag, `feature` or `output` (docs/wire-formats.md)
 * - `drift_check` (tags model, model_version): max_drift_score, drifted_count, drift_detected,
 *   sample_count, duration_ms, late_events, invalid_events; drifted_outputs with outputs;
 *   multivariate_score, multivariate_pvalue, multivariate_threshold and multivariate_drifted
 *   for a reference with a multivariate block (docs/multivariate.md)
 *
 * The client's own retry buffer is off: each export is written and flushed, and a failure is
 * returned (retriable for network errors, 5xx, 429 and 408) so that the service retries with
 * backoff and holds back consumption meanwhile. Configuration problems (401, 403, 404, no
 * org) come back as one non-retriable error naming INFLUX_TOKEN, INFLUX_ORG or INFLUX_BUCKET;
 * a partial write (points outside the bucket's retention: 422 on 2.x, 400 on 1.8) stores the
 * other points, so it is reported with the count dropped (also kept in `droppedPoints`) and
 * not retried (./errors.ts). A non-retriable failure skips the window for this sink (the
 * runtime logs it and counts `driftwatch_sink_write_failures_total{sink="influx"}`).
 */
export class InfluxExporter implements EvaluationExporter {
  readonly name = 'influx';
  private readonly writeApi: WriteApi;
  private readonly target: WriteTarget;
  private dropped = 0;

  constructor(private readonly options: InfluxOptions) {
    // The client would print failures to the console; they come back from flush() instead and
    // are logged (once, with context) by the pipeline.
    setLogger({ error: () => undefined, warn: () => undefined });
    const influx = new InfluxDB({ url: options.url, token: options.token, timeout: options.timeoutMs ?? 10_000 });
    this.writeApi = influx.getWriteApi(options.org, options.bucket, 'ms', {
      batchSize: 100_000,
      flushInterval: 0,
      maxRetries: 0,
      maxBufferLines: 1_000_000,
      // No writeFailed hook: a promise returned from it replaces the error, and flush() would
      // then report success for a failed write.
    });
    this.target = { url: safeUrl(options.url), token: options.token, org: options.org, bucket: options.bucket };
  }

  /** Points InfluxDB dropped from partial writes (outside the bucket's retention) so far. */
  get droppedPoints(): number {
    return this.dropped;
  }

  async export(evaluation: Evaluation): Promise<ExportResult> {
    const points = pointsOf(evaluation);
    if (points.length === 0) return SUCCESS;
    try {
      this.writeApi.writePoints(points);
      await this.writeApi.flush(false);
      return SUCCESS;
    } catch (cause) {
      const failure = writeFailure(cause, this.target, points.length, evaluation.windowEnd);
      this.dropped += failure.droppedPoints;
      return { ok: false, error: failure.error };
    }
  }

  async forceFlush(): Promise<void> {
    await this.writeApi.flush(false).catch(() => undefined);
  }

  /**
   * Whether a write would be accepted: an empty write to the bucket. On 2.x it answers 204 only
   * when the org and the bucket exist and the token may write to the bucket (401, 403, 404
   * otherwise, before the body is read); on 1.8 when the database (and retention policy) exist.
   * Nothing is stored.
   */
  async check(): Promise<InfluxCheck> {
    const query = new URLSearchParams({ org: this.options.org, bucket: this.options.bucket, precision: 'ms' });
    const headers: Record<string, string> = { 'Content-Type': 'text/plain; charset=utf-8' };
    if (this.options.token) headers.Authorization = `Token ${this.options.token}`;
    try {
      const response = await fetch(`${withoutCredentials(this.options.url)}/api/v2/write?${query}`, {
        method: 'POST',
        headers,
        body: '',
        signal: AbortSignal.timeout(Math.min(this.options.timeoutMs ?? 10_000, 5000)),
      });
      const body = await response.text();
      if (response.status === 204 || response.ok) return { ok: true };
      const error = new HttpError(response.status, response.statusText, body, null, response.headers.get('content-type'));
      return { ok: false, reason: writeFailure(error, this.target, 0, new Date(0)).error.message };
    } catch (cause) {
      return { ok: false, reason: writeFailure(cause, this.target, 0, new Date(0)).error.message };
    }
  }

  /** For /readyz: the bucket exists and the token can write to it (`check()`). */
  async reachable(): Promise<boolean> {
    return (await this.check()).ok;
  }

  async shutdown(): Promise<void> {
    await this.writeApi.close().catch(() => undefined);
  }
}

/** The InfluxDB points of one evaluation (exported for tests and the dashboard check). */
export function pointsOf(evaluation: Evaluation): Point[] {
  const time = evaluation.windowEnd;
  const points: Point[] = [];
  for (const mc of evaluation.checks) {
    const { check } = mc;
    let drifted = 0;
    let driftedOutputs = 0;
    // A model without outputs writes the series it always wrote: no `kind` tag.
    const signals = check.outputs
      ? [...Object.entries(check.features).map(([name, f]) => [name, f, 'feature'] as const), ...Object.entries(check.outputs).map(([name, f]) => [name, f, 'output'] as const)]
      : Object.entries(check.features).map(([name, f]) => [name, f, null] as const);
    for (const [feature, f, kind] of signals) {
      if (f.drifted) {
        if (kind === 'output') driftedOutputs++;
        else drifted++;
      }
      const p = new Point('feature_drift').tag('model', mc.model).tag('model_version', mc.modelVersion).tag('feature', feature).timestamp(time);
      if (kind) p.tag('kind', kind);
      for (const field of ['score', 'psi', 'ks', 'ks_pvalue', 'js', 'wasserstein', 'chi2_pvalue', 'missing_rate'] as const) {
        const value = f[field];
        if (value !== null && Number.isFinite(value)) p.floatField(field, value);
      }
      p.booleanField('drifted', f.drifted).intField('sample_count', f.sample_count).stringField('severity', f.severity);
      points.push(p);
    }
    const p = new Point('drift_check')
      .tag('model', mc.model)
      .tag('model_version', mc.modelVersion)
      .intField('drifted_count', drifted)
      .booleanField('drift_detected', check.drift_detected)
      .stringField('severity', check.severity)
      .intField('sample_count', check.sample_count)
      .floatField('duration_ms', mc.durationMs)
      .intField('late_events', mc.lateEvents)
      .intField('invalid_events', mc.invalidEvents)
      .timestamp(time);
    if (check.max_drift_score !== null) p.floatField('max_drift_score', check.max_drift_score);
    if (check.outputs) p.intField('drifted_outputs', driftedOutputs);
    const mv = check.multivariate;
    if (mv) {
      for (const [field, value] of [
        ['multivariate_score', mv.score],
        ['multivariate_pvalue', mv.p_value],
        ['multivariate_threshold', mv.threshold],
      ] as const) {
        if (value !== null && Number.isFinite(value)) p.floatField(field, value);
      }
      p.booleanField('multivariate_drifted', mv.drifted);
    }
    points.push(p);
  }
  return points;
}

/** The base URL for fetch (which refuses credentials in a URL), without a trailing slash. */
function withoutCredentials(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    return u.toString().replace(/\/+$/, '');
  } catch {
    return url.replace(/\/+$/, '');
  }
}

function safeUrl(url: string): string {
  try {
    const u = new URL(url);
    u.username = '';
    u.password = '';
    u.search = '';
    return u.toString().replace(/\/$/, '');
  } catch {
    return '(invalid url)';
  }
}
