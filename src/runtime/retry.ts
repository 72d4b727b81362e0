import { asyncScheduler, type SchedulerLike } from 'rxjs';

/**
 * The one retry policy of driftwatch (sinks, dead letters, the Kafka source, alerts).
 *
 * Exponential backoff with full jitter (AWS Architecture Blog, "Exponential Backoff And
 * Jitter", 2015): before retry n (n = 1 after the first failed attempt) wait
 * random(0, min(maxMs, baseMs · 2^(n−1))). Waits run on an injectable RxJS scheduler, so tests
 * drive them on virtual time.
 */
export interface BackoffOptions {
  baseMs: number;
  maxMs: number;
  /** Uniform on [0, 1); injectable for tests. */
  random?: () => number;
}

export const DEFAULT_BACKOFF: BackoffOptions = { baseMs: 200, maxMs: 30_000 };

export function backoffDelayMs(retry: number, { baseMs, maxMs, random = Math.random }: BackoffOptions): number {
  const cap = Math.min(maxMs, baseMs * 2 ** Math.max(0, retry - 1));
  return Math.floor(random() * cap);
}

/** Resolves after `ms` on `scheduler`, or at once when `signal` aborts (never rejects). */
export function sleep(ms: number, options: { signal?: AbortSignal; scheduler?: SchedulerLike } = {}): Promise<void> {
  const { signal, scheduler = asyncScheduler } = options;
  return new Promise((resolve) => {
    if (signal?.aborted || ms <= 0) return resolve();
    const action = scheduler.schedule(done, ms);
    function done() {
      action.unsubscribe();
      signal?.removeEventListener('abort', done);
      resolve();
    }
    signal?.addEventListener('abort', done, { once: true });
  });
}

/**
 * Settles like `promise`, or rejects with the signal's reason as soon as it aborts: an
 * operation that ignores its signal (or a library without one) cannot hold its caller.
 */
export function raceAbort<T>(promise: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    promise.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => {
      promise.catch(() => undefined);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

/** Whether an error says retrying can help (the `retriable` flag of core/errors.ts). */
export function isRetriable(error: unknown): boolean {
  const flag = (error as { retriable?: unknown } | null)?.retriable;
  return typeof flag === 'boolean' ? flag : false;
}

export interface RetryOptions {
  backoff?: BackoffOptions;
  scheduler?: SchedulerLike;
  /** Ends the waiting at once; the pending attempt's error is then rethrown. */
  signal?: AbortSignal;
  /** Attempts in all, the first included (default: unbounded). */
  maxAttempts?: number;
  /** Whether to try again after `error` (default: `isRetriable`). */
  shouldRetry?: (error: unknown, attempt: number) => boolean;
  /** Called before each wait, with the delay about to be waited. */
  onRetry?: (error: unknown, attempt: number, delayMs: number) => void;
}

/**
 * Runs `operation` until it resolves, waiting with `backoffDelayMs` between attempts. Rethrows
 * the last error when it is not retriable, attempts are used up, or `signal` has aborted.
 */
export async function retry<T>(operation: (attempt: number) => Promise<T>, options: RetryOptions = {}): Promise<T> {
  const { backoff = DEFAULT_BACKOFF, scheduler, signal, maxAttempts = Number.POSITIVE_INFINITY, shouldRetry = isRetriable, onRetry } = options;
  for (let attempt = 1; ; attempt++) {
    try {
      return await operation(attempt);
    } catch (error) {
      if (signal?.aborted || attempt >= maxAttempts || !shouldRetry(error, attempt)) throw error;
      const delayMs = backoffDelayMs(attempt, backoff);
      onRetry?.(error, attempt, delayMs);
      await sleep(delayMs, { signal, scheduler });
      if (signal?.aborted) throw error;
    }
  }
}
