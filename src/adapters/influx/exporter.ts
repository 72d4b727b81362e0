import { HttpError, InfluxDB, Point, setLogger, type WriteApi } from '@influxdata/influxdb-client';
import type { Evaluation } from '../../core/detect/evaluation.js';
import { SinkError } from '../../core/errors.js';
import { SUCCESS, type EvaluationExporter, type ExportResult } from '../../runtime/ports.js';

export interface InfluxOptions {
  url: string;
  token?: string;
  org: string;
  bucket: string;
  timeoutMs?: number;
}

/**
 * Writes scores to InfluxDB through /api/v2/write (InfluxDB 2.x, and 1.8+ with token
 * `user:password` and bucket `database/retention-policy`). Points are stamped with the window
 * end, so re-evaluating a window after a restart overwrites its points instead of adding some.
 *
 * - `feature_drift` (tags model, model_version, feature): score, psi, ks, ks_pvalue, js,
 *   wasserstein, chi2_pvalue, missing_rate, drifted, sample_count
 * - `drift_check` (tags model, model_version): max_drift_score, drifted_count, drift_detected,
 *   sample_count, duration_ms, late_events, invalid_events
 *
 * The client's own retry buffer is off: each export is written and flushed, and a failure is
 * returned (retriable for network errors, 5xx, 429 and 408) so that the service retries with
 * backoff and holds back consumption meanwhile. A 404 (bucket or database missing) is not
 * retried: the window is skipped for this sink and the error logged.
 */
export class InfluxExporter implements EvaluationExporter {
  readonly name = 'influx';
  private readonly writeApi: WriteApi;

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
  }

  async export(evaluation: Evaluation): Promise<ExportResult> {
    const points = pointsOf(evaluation);
    if (points.length === 0) return SUCCESS;
    try {
      this.writeApi.writePoints(points);
      await this.writeApi.flush(false);
      return SUCCESS;
    } catch (cause) {
      const status = cause instanceof HttpError ? cause.statusCode : undefined;
      // Network errors, 5xx, 429 and 408 are outages: retried (and consumption held back).
      // 404 is a missing bucket or database, a configuration problem that retrying cannot fix:
      // the window is skipped for InfluxDB (and logged) so that the other sinks carry on.
      const retriable = status === undefined || status >= 500 || status === 429 || status === 408;
      const what =
        status === undefined
          ? (cause as Error).message
          : `HTTP ${status}${status === 404 ? ` (bucket or database "${this.options.bucket}" not found: create it; on InfluxDB 1.8, CREATE DATABASE)` : ''}: ${(cause as Error).message}`;
      return { ok: false, error: new SinkError(`InfluxDB write to ${safeUrl(this.options.url)} bucket "${this.options.bucket}" failed: ${what}`, { retriable, cause }) };
    }
  }

  async forceFlush(): Promise<void> {
    await this.writeApi.flush(false).catch(() => undefined);
  }

  /** GET /ping answers 204 on InfluxDB 1.8 and 2.x alike. */
  async reachable(): Promise<boolean> {
    try {
      const response = await fetch(new URL('/ping', this.options.url), { signal: AbortSignal.timeout(2000) });
      return response.status === 204 || response.ok;
    } catch {
      return false;
    }
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
    for (const [feature, f] of Object.entries(check.features)) {
      if (f.drifted) drifted++;
      const p = new Point('feature_drift').tag('model', mc.model).tag('model_version', mc.modelVersion).tag('feature', feature).timestamp(time);
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
    points.push(p);
  }
  return points;
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
