/**
 * Keeping secrets out of logs, errors and metrics. Webhook URLs are secrets as a whole (a Slack
 * incoming-webhook URL's path is its token), SMTP URLs carry a password, and the webhook HMAC
 * key is a secret. Everything the alerts code logs or throws goes through `redactUrl` (for the
 * targets it names) and `Redactor.scrub` (for text from elsewhere: fetch, nodemailer, servers).
 */
const MASK = '***';

/**
 * `https://hooks.slack.com/services/T0/B0/XyZ` → `https://hooks.slack.com/***`,
 * `smtp://user:pa55@mail.example.com:587` → `smtp://user:***@mail.example.com:587`.
 * HTTP(S) keeps scheme, host and port; SMTP also keeps the user name. Unparsable input → `***`.
 */
export function redactUrl(url: string | null | undefined): string {
  if (!url) return '';
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return MASK;
  }
  const smtp = /^smtps?:$/i.test(parsed.protocol);
  let userinfo = '';
  if (smtp && parsed.username) userinfo = `${parsed.username}${parsed.password ? `:${MASK}` : ''}@`;
  else if (parsed.username || parsed.password) userinfo = `${MASK}@`;
  const hasRest = (parsed.pathname !== '' && parsed.pathname !== '/') || parsed.search !== '' || parsed.hash !== '';
  const rest = hasRest ? (smtp && (parsed.pathname === '' || parsed.pathname === '/') ? `?${MASK}` : `/${MASK}`) : '';
  return `${parsed.protocol}//${userinfo}${parsed.host}${rest}`;
}

/** The parts of a URL that must never be shown (password, user, path and query of webhooks). */
function secretPartsOfUrl(url: string): string[] {
  let parsed: URL;
  try {
    parsed = new URL(url);
  } catch {
    return [url];
  }
  const parts = [url, parsed.href];
  // An SMTP user name is shown (redactUrl keeps it); an HTTP one may be a token.
  const smtp = /^smtps?:$/i.test(parsed.protocol);
  for (const piece of smtp ? [parsed.password] : [parsed.password, parsed.username]) {
    if (piece) parts.push(piece, safeDecode(piece));
  }
  const tail = `${parsed.pathname}${parsed.search}`;
  if (tail.length > 1) parts.push(tail, safeDecode(tail));
  if (parsed.search.length > 1) parts.push(parsed.search.slice(1));
  return parts;
}

function safeDecode(s: string): string {
  try {
    return decodeURIComponent(s);
  } catch {
    return s;
  }
}

/** Replaces every known secret in a text: URLs by their redacted form, other secrets by `***`. */
export class Redactor {
  private readonly urls: [string, string][] = [];
  private readonly fragments: string[];

  constructor(secrets: { urls?: (string | null | undefined)[]; values?: (string | null | undefined)[] } = {}) {
    const fragments = new Set<string>();
    for (const url of secrets.urls ?? []) {
      if (!url) continue;
      this.urls.push([url, redactUrl(url)]);
      for (const part of secretPartsOfUrl(url)) fragments.add(part);
    }
    for (const value of secrets.values ?? []) if (value) fragments.add(value);
    // Very short fragments ("/", "a") would mangle ordinary text; they are not secrets anyway.
    this.fragments = [...fragments].filter((s) => s.length >= 4).sort((a, b) => b.length - a.length);
    this.urls.sort((a, b) => b[0].length - a[0].length);
  }

  scrub(text: string): string {
    let out = text;
    for (const [url, redacted] of this.urls) out = out.split(url).join(redacted);
    for (const fragment of this.fragments) out = out.split(fragment).join(MASK);
    return out;
  }
}

/** What may be logged or counted about an error: scrubbed message, name and codes, no cause chain. */
export interface SafeErrorInfo {
  name: string;
  message: string;
  code?: string;
  status?: number;
  retriable?: boolean;
}

export function safeErrorInfo(error: unknown, redactor: Redactor): SafeErrorInfo {
  if (!(error instanceof Error)) return { name: 'Error', message: redactor.scrub(String(error)) };
  const info: SafeErrorInfo = { name: error.name, message: redactor.scrub(error.message) };
  const e = error as Error & { code?: unknown; retriable?: unknown; context?: { status?: unknown }; cause?: unknown };
  if (typeof e.code === 'string') info.code = redactor.scrub(e.code);
  if (typeof e.context?.status === 'number') info.status = e.context.status;
  if (typeof e.retriable === 'boolean') info.retriable = e.retriable;
  // fetch() reports "fetch failed" and puts the reason (ECONNREFUSED, …) in cause.
  if (e.cause instanceof Error && !info.message.includes(e.cause.message)) {
    const causeCode = (e.cause as Error & { code?: unknown }).code;
    info.message += `: ${redactor.scrub(e.cause.message)}`;
    if (!info.code && typeof causeCode === 'string') info.code = causeCode;
  }
  return info;
}

/** A copy of an error safe to rethrow or keep as a cause: scrubbed message, no original cause. */
export function sanitizeError(error: unknown, redactor: Redactor): Error {
  const info = safeErrorInfo(error, redactor);
  const clean = new Error(info.message);
  clean.name = info.name;
  if (info.code) (clean as Error & { code?: string }).code = info.code;
  return clean;
}
