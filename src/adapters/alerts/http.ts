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

export interface JsonRequestOptions extends Omit<PostOptions, 'body'> {
  method: 'GET' | 'POST';
  /** Sent as JSON when given. */
  body?: string;
  /** Statuses outside 2xx answered as a result instead of an error (e.g. 404 for a lookup). */
  acceptStatuses?: readonly number[];
}

/** A JSON answer: its status and parsed body (null when empty or not JSON). */
export interface JsonResponse {
  status: number;
  json: unknown;
}

const RESPONSE_EXCERPT_CHARS = 200;

/**
 * POSTs `body` with Node's fetch. Resolves on 2xx; otherwise rejects with an AlertDeliveryError
 * that says whether a retry can help (408, 429, 5xx and network errors can; other statuses not).
 */
export async function postJson(options: PostOptions): Promise<void> {
  const response = await send({ ...options, method: 'POST' });
  if (isOk(response.status)) {
    await response.body?.cancel().catch(() => undefined);
    return;
  }
  throw await statusError(response, { ...options, method: 'POST' });
}

/**
 * One JSON request (the MLflow REST API): resolves with the parsed body on 2xx or on one of
 * `acceptStatuses`, rejects like postJson otherwise.
 */
export async function requestJson(options: JsonRequestOptions): Promise<JsonResponse> {
  const response = await send(options);
  if (!isOk(response.status) && !options.acceptStatuses?.includes(response.status)) throw await statusError(response, options);
  const text = await response.text().catch(() => '');
  let json: unknown;
  try {
    json = text === '' ? null : JSON.parse(text);
  } catch {
    json = null;
  }
  return { status: response.status, json };
}

const isOk = (status: number) => status >= 200 && status < 300;

async function send(options: JsonRequestOptions): Promise<Response> {
  const { channel, target, redactor } = options;
  try {
    return await fetch(options.url, {
      method: options.method,
      headers: {
        ...(options.body !== undefined ? { 'content-type': 'application/json; charset=utf-8' } : {}),
        accept: 'application/json',
        'user-agent': 'driftwatch',
        ...options.headers,
      },
      body: options.body,
      signal: options.signal,
      // A redirect could forward the signed body and headers elsewhere: treat it as a failure.
      redirect: 'manual',
    });
  } catch (error) {
    const aborted = options.signal.aborted;
    const reason = aborted ? abortReason(options.signal) : sanitizeError(error, redactor).message;
    throw new AlertDeliveryError(`${channel}: ${options.method} ${target} failed: ${reason}`, {
      retriable: true,
      cause: sanitizeError(error, redactor),
      context: { channel, target },
    });
  }
}

async function statusError(response: Response, options: JsonRequestOptions): Promise<AlertDeliveryError> {
  const { channel, target, redactor } = options;
  const text = await response.text().catch(() => '');
  const excerpt = redactor.scrub(text.slice(0, RESPONSE_EXCERPT_CHARS).replace(/\s+/g, ' ').trim());
  const status = response.status;
  const retriable = status === 408 || status === 429 || status >= 500;
  const retryAfterMs = parseRetryAfter(response.headers.get('retry-after'));
  return new AlertDeliveryError(
    `${channel}: ${options.method} ${target} answered ${status}${response.statusText ? ` ${response.statusText}` : ''}${excerpt ? `: ${excerpt}` : ''}`,
    {
      retriable,
      context: { channel, target, status, ...(retryAfterMs !== undefined ? { retryAfterMs } : {}) },
    },
  );
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
