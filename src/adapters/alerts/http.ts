import { AlertDeliveryError } from './errors.js';
import { sanitizeError, type Redactor } from './redact.js';

export interface PostOptions {
  channel: string;
  url: string;
  /** Redacted URL, the only form of it that may appear in errors. */
  target: string;
  body: string;
  headers?: Record<string, string>;
  signal: AbortSignal;
  redactor: Redactor;
}

const RESPONSE_EXCERPT_CHARS = 200;

/**
 * POSTs `body` with Node's fetch. Resolves on 2xx; otherwise rejects with an AlertDeliveryError
 * that says whether a retry can help (408, 429, 5xx and network errors can; other statuses not).
 */
export async function postJson(options: PostOptions): Promise<void> {
  const { channel, target, redactor } = options;
  let response: Response;
  try {
    response = await fetch(options.url, {
      method: 'POST',
      headers: { 'content-type': 'application/json; charset=utf-8', 'user-agent': 'driftwatch', ...options.headers },
      body: options.body,
      signal: options.signal,
      // A redirect could forward the signed body and headers elsewhere: treat it as a failure.
      redirect: 'manual',
    });
  } catch (error) {
    const aborted = options.signal.aborted;
    const reason = aborted ? abortReason(options.signal) : sanitizeError(error, redactor).message;
    throw new AlertDeliveryError(`${channel}: POST ${target} failed: ${reason}`, {
      retriable: true,
      cause: sanitizeError(error, redactor),
      context: { channel, target },
    });
  }
  if (response.status >= 200 && response.status < 300) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  const text = await response.text().catch(() => '');
  const excerpt = redactor.scrub(text.slice(0, RESPONSE_EXCERPT_CHARS).replace(/\s+/g, ' ').trim());
  const status = response.status;
  const retriable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  throw new AlertDeliveryError(`${channel}: POST ${target} answered ${status}${response.statusText ? ` ${response.statusText}` : ''}${excerpt ? `: ${excerpt}` : ''}`, {
    retriable,
    context: { channel, target, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
  });
}

export function abortReason(signal: AbortSignal): string {
  const reason: unknown = signal.reason;
  if (reason instanceof Error && reason.name === 'TimeoutError') return 'timed out';
  return reason instanceof Error ? reason.message : 'aborted';
}

function parseRetryAfter(value: string | null): number | undefined {
  if (!value) return undefined;
  const seconds = Number(value);
  if (Number.isFinite(seconds) && seconds >= 0) return seconds * 1000;
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, at - Date.now());
}
