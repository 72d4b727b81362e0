import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'x-driftwatch-signature';
export const TIMESTAMP_HEADER = 'x-driftwatch-timestamp';

/** `sha256=<hex HMAC-SHA256(secret, body)>`, over the exact bytes sent. */
export function signBody(secret: string, body: string | Buffer): string {
  return `sha256=${createHmac('sha256', secret).update(body).digest('hex')}`;
}

/**
 * The signing headers: X-Driftwatch-Signature (of the body only) and X-Driftwatch-Timestamp
 * (Unix seconds when it was sent, for receivers that reject stale deliveries). Without a secret
 * only the timestamp is sent.
 */
export function signatureHeaders(secret: string | undefined, body: string, nowMs: number): Record<string, string> {
  const headers: Record<string, string> = { [TIMESTAMP_HEADER]: String(Math.floor(nowMs / 1000)) };
  if (secret) headers[SIGNATURE_HEADER] = signBody(secret, body);
  return headers;
}

/** For receivers (and tests): constant-time check of a signature header against the raw body. */
export function verifySignature(secret: string, rawBody: string | Buffer, header: string | undefined | null): boolean {
  if (!header) return false;
  const expected = Buffer.from(signBody(secret, rawBody));
  const actual = Buffer.from(header);
  return expected.length === actual.length && timingSafeEqual(expected, actual);
}
