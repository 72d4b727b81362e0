import { asyncScheduler, catchError, defer, EMPTY, exhaustMap, interval, merge, Subject, type SchedulerLike, type Subscription } from 'rxjs';
import type { Evaluation } from '../core/detect/evaluation.js';
import type { Engine } from './engine.js';
import type { EvaluationExporter, Logger, RuntimeMetrics } from './ports.js';
import { backoffDelayMs, sleep, type BackoffOptions, DEFAULT_BACKOFF } from './retry.js';
import type { Status } from './status.js';

export interface EvaluationOptions {
  engine: Engine;
  exporters: EvaluationExporter[];
  status: Status;
  metrics: RuntimeMetrics;
  logger: Logger;
  now: () => number;
  scheduler?: SchedulerLike;
  /** How often the watermark is re-read for quiet streams. Default 250 ms. */
  tickMs?: number;
  backoff?: BackoffOptions;
  /** Called after each evaluation was exported (the Kafka source commits here). */
  onEvaluated?: (evaluation: Evaluation) => Promise<void>;
  /** Evaluation cannot go on: the service must stop and exit non-zero. */
  onFatal?: (error: Error) => void;
  /** Aborted at shutdown: export retries end. */
  signal: AbortSignal;
}

class StoppedError extends Error {}

/**
 * The evaluation stage: runs the due windows one at a time on an RxJS stream of triggers (a
 * tick for quiet streams, and a kick after every batch), exports each evaluation to every
 * exporter — a failed export is retried with backoff while the service runs, and meanwhile
 * `backlogged` tells the source to stop fetching — and records it in the status.
 *
 * A run that fails for another reason is logged, makes the service not ready
 * (`status.evaluationFailure`) and calls `onFatal`, so that a supervisor restarts the process
 * instead of it consuming without ever evaluating or committing again.
 */
export class Evaluator {
  private readonly kicks = new Subject<void>();
  private subscription: Subscription | null = null;
  private chain: Promise<void> = Promise.resolve();
  private evaluating = false;
  private stopped = false;
  private readonly scheduler: SchedulerLike;
  private readonly backoff: BackoffOptions;

  constructor(private readonly options: EvaluationOptions) {
    this.scheduler = options.scheduler ?? asyncScheduler;
    this.backoff = options.backoff ?? DEFAULT_BACKOFF;
  }

  start(): void {
    this.subscription = merge(interval(this.options.tickMs ?? 250, this.scheduler), this.kicks)
      .pipe(exhaustMap(() => defer(() => this.runGuarded()).pipe(catchError(() => EMPTY))))
      .subscribe();
  }

  /** Asks for an evaluation check now (after a batch). */
  kick(): void {
    this.kicks.next();
  }

  /**
   * One triggered run; a failure is handled here and never ends the trigger stream. The window
   * of a failed run cannot be evaluated again in place (the engine has moved past it, and its
   * offsets were not committed), so the service is made not ready and `onFatal` stops it: the
   * restart re-reads from the last commit and evaluates that window again, exactly.
   */
  private async runGuarded(): Promise<void> {
    if (this.options.status.evaluationFailure) return;
    try {
      await this.runDue();
    } catch (error) {
      const err = error instanceof Error ? error : new Error(String(error));
      this.options.status.evaluationFailure = err;
      this.options.logger.error({ err: err.message }, 'evaluation failed; not ready, stopping the service so that it restarts from the last commit');
      this.options.onFatal?.(err);
    }
  }

  /** Evaluates every due window, one at a time; never overlapping another run. */
  runDue(): Promise<void> {
    const next = this.chain.then(() => this.evaluateAllDue());
    this.chain = next.catch(() => undefined);
    return next;
  }

  private async evaluateAllDue(): Promise<void> {
    const { engine, metrics, status } = this.options;
    for (;;) {
      const evaluation = engine.evaluateDue(this.options.now());
      if (!evaluation) break;
      this.evaluating = true;
      try {
        for (const mc of evaluation.checks) metrics.windowEvaluated(mc);
        if (evaluation.checks.length > 0) {
          try {
            await this.exportWithRetry(evaluation);
          } finally {
            engine.releaseIdleClock(this.options.now());
          }
          metrics.windowExported(Math.max(0, this.options.now() - evaluation.closedAtWallMs));
          status.record(evaluation);
        }
        await this.options.onEvaluated?.(evaluation);
      } catch (error) {
        if (error instanceof StoppedError) {
          status.exportAbandoned = true;
          return;
        }
        throw error;
      } finally {
        this.evaluating = false;
      }
    }
    const wm = engine.currentWatermark(this.options.now());
    if (Number.isFinite(wm)) metrics.watermark(wm);
    metrics.stateBytes(engine.stateSize().bytes);
  }

  private async exportWithRetry(evaluation: Evaluation): Promise<void> {
    const { exporters, status, metrics, engine, logger, signal } = this.options;
    await Promise.all(
      exporters.map(async (exporter) => {
        for (let attempt = 1; ; attempt++) {
          const result = await exporter.export(evaluation);
          if (result.ok) {
            status.failingSinks.delete(exporter.name);
            return;
          }
          status.failingSinks.add(exporter.name);
          metrics.sinkWriteFailed(exporter.name);
          engine.holdIdleClock(this.options.now());
          if (!result.error.retriable) {
            logger.error(
              { sink: exporter.name, err: result.error.message, windowEnd: evaluation.windowEnd.toISOString() },
              'export failed and cannot be retried; window skipped for this sink',
            );
            return;
          }
          if (this.stopped) throw new StoppedError(result.error.message);
          const delay = backoffDelayMs(attempt, this.backoff);
          logger.warn({ sink: exporter.name, err: result.error.message, attempt, retryInMs: delay }, 'export failed; retrying (consumption waits)');
          await sleep(delay, { signal, scheduler: this.scheduler });
        }
      }),
    );
  }

  /** True while an evaluation waits on a sink and more windows are due: the source should wait. */
  backlogged(): boolean {
    return this.evaluating && this.options.engine.dueWindowEnd(this.options.now()) !== null;
  }

  /** Resolves when no evaluation is running. */
  idle(): Promise<void> {
    return this.chain;
  }

  /** Stops the trigger stream and ends retries at once (first step of a shutdown). */
  abort(): void {
    this.stopped = true;
    this.subscription?.unsubscribe();
    this.subscription = null;
  }
}
