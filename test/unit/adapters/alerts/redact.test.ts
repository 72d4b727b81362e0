import { describe, expect, it } from 'vitest';
import { Redactor, redactUrl, safeErrorInfo, sanitizeError } from '../../../../src/adapters/alerts/redact.js';

describe('redactUrl', () => {
  it('keeps scheme and host of a Slack webhook and hides its path (the token)', () => {
    expect(redactUrl('https://hooks.slack.com/services/T000/B000/XXXXSECRET')).toBe('https://hooks.slack.com/***');
  });

  it('hides the query of a webhook and keeps the port', () => {
    expect(redactUrl('http://127.0.0.1:8080/hook?token=abc')).toBe('http://127.0.0.1:8080/***');
  });

  it('leaves a bare origin as it is', () => {
    expect(redactUrl('https://example.com')).toBe('https://example.com');
    expect(redactUrl('https://example.com/')).toBe('https://example.com');
  });

  it('masks the SMTP password but keeps user, host and port', () => {
    expect(redactUrl('smtp://alerts:s3cr%40t@mail.example.com:587')).toBe('smtp://alerts:***@mail.example.com:587');
    expect(redactUrl('smtps://mail.example.com')).toBe('smtps://mail.example.com');
    expect(redactUrl('smtp://u:p@mail.example.com:25/?pool=true')).toBe('smtp://u:***@mail.example.com:25?***');
  });

  it('masks HTTP user info entirely (a token can sit in the user name)', () => {
    expect(redactUrl('https://tok3n@example.com/x')).toBe('https://***@example.com/***');
  });

  it('returns *** for text that is not a URL, and empty for nothing', () => {
    expect(redactUrl('not a url with s3cret')).toBe('***');
    expect(redactUrl(undefined)).toBe('');
  });
});

describe('Redactor', () => {
  const slack = 'https://hooks.slack.com/services/T000/B000/XXXXSECRET';
  const smtp = 'smtp://alerts:pa%24%24word-42@mail.example.com:587';
  const redactor = new Redactor({ urls: [slack, smtp], values: ['hmac-key-123'] });

  it('replaces whole URLs by their redacted form', () => {
    expect(redactor.scrub(`POST ${slack} failed`)).toBe('POST https://hooks.slack.com/*** failed');
  });

  it('replaces fragments: path, encoded and decoded password, other secrets', () => {
    const text = `path /services/T000/B000/XXXXSECRET pw pa%24%24word-42 / pa$$word-42, key hmac-key-123`;
    const out = redactor.scrub(text);
    for (const secret of ['XXXXSECRET', 'pa%24%24word-42', 'pa$$word-42', 'hmac-key-123']) expect(out).not.toContain(secret);
  });

  it('keeps an SMTP user name (shown by redactUrl too) but hides an HTTP one', () => {
    const r = new Redactor({ urls: ['smtp://alerts:pw-123456@mail.example.com', 'https://tok3n-abc@example.com/x'] });
    expect(r.scrub('sending alerts as alerts failed')).toBe('sending alerts as alerts failed');
    expect(r.scrub('user tok3n-abc')).toBe('user ***');
  });

  it('does not mangle text without secrets', () => {
    expect(redactor.scrub('connect ECONNREFUSED 127.0.0.1:25')).toBe('connect ECONNREFUSED 127.0.0.1:25');
  });
});

describe('safeErrorInfo / sanitizeError', () => {
  const url = 'http://127.0.0.1:9/hook/very-secret-path';
  const redactor = new Redactor({ urls: [url] });

  it('scrubs the message and folds in the cause (fetch puts the reason there), keeping the code', () => {
    const cause = Object.assign(new Error(`connect ECONNREFUSED for ${url}`), { code: 'ECONNREFUSED' });
    const error = new TypeError('fetch failed', { cause });
    const info = safeErrorInfo(error, redactor);
    expect(info.message).toBe('fetch failed: connect ECONNREFUSED for http://127.0.0.1:9/***');
    expect(info.code).toBe('ECONNREFUSED');
    expect(JSON.stringify(info)).not.toContain('very-secret-path');
  });

  it('gives a fresh error without the original cause chain', () => {
    const clean = sanitizeError(new Error(`bad ${url}`, { cause: new Error(`at ${url}`) }), redactor);
    expect(clean.message).toBe('bad http://127.0.0.1:9/***: at http://127.0.0.1:9/***');
    expect(clean.cause).toBeUndefined();
    expect(clean.stack ?? '').not.toContain('very-secret-path');
  });
});
