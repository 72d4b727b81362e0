// The email channel against a real SMTP server (smtp-server) on 127.0.0.1.
import { Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { alertsConfigSchema, type AlertsConfigInput } from '../../../../src/adapters/alerts/config.js';
import { createAlertDispatcher } from '../../../../src/adapters/alerts/create.js';
import { TemplateError } from '../../../../src/adapters/alerts/errors.js';
import { createEmailChannel } from '../../../../src/adapters/alerts/channels/email.js';
import { Redactor } from '../../../../src/adapters/alerts/redact.js';
import { captureLogger, driftEvent, HOUR_MS, metricValue, mimeHeaders, mimeParts, recordingSleep, startSmtpServer, type TestSmtpServer } from './helpers.js';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

const PASSWORD = 'smtp-pa55-Wq8zR';
const RECIPIENTS = 'admin@company.com,ml-team@company.com';
const T0 = Date.parse('2026-11-26T10:00:00.000Z');

let smtp: TestSmtpServer | undefined;
afterEach(async () => {
  await smtp?.close();
  smtp = undefined;
});

function build(port: number, input: AlertsConfigInput = {}) {
  const registry = new Registry();
  const log = captureLogger();
  const config = alertsConfigSchema.parse({
    smtpUrl: `smtp://alerts:${PASSWORD}@127.0.0.1:${port}`,
    alertEmails: RECIPIENTS,
    alertEmailFrom: 'driftwatch@company.com',
    dashboardUrlTemplate: 'http://grafana:3000/d/driftwatch?var-model={model}&from={window_start_ms}&to={window_end_ms}',
    backoffBaseMs: 10,
    timeoutMs: 5000,
    ...input,
  });
  const dispatcher = createAlertDispatcher(config, { registry, logger: log.logger, sleep: recordingSleep().sleep, now: () => T0 });
  return { dispatcher, registry, log };
}

describe('email channel', () => {
  it('sends the drift alert to every recipient with the guide subject and text + HTML bodies', async () => {
    smtp = await startSmtpServer({ password: PASSWORD, allowInsecureAuth: true });
    const { dispatcher, registry } = build(smtp.port);
    dispatcher.dispatch(driftEvent({ endMs: T0, scores: { income: 0.79, age: 0.412, tenure: 0.1 } }));
    await dispatcher.flush();
    await dispatcher.shutdown();

    expect(smtp.mails).toHaveLength(1);
    const [mail] = smtp.mails;
    expect(mail.user).toBe('alerts');
    expect(mail.from).toBe('driftwatch@company.com');
    expect(mail.rcptTo).toEqual(['admin@company.com', 'ml-team@company.com']);
    const headers = mimeHeaders(mail.raw);
    expect(headers.subject).toBe('Data Drift Alert - 0.790 - credit-risk v1.2.0 [critical]');
    expect(headers.to).toBe('admin@company.com, ml-team@company.com');
    expect(headers['content-type']).toMatch(/^multipart\/alternative/);

    const parts = mimeParts(mail.raw);
    expect(parts.map((p) => p.contentType)).toEqual(['text/plain', 'text/html']);
    const [text, html] = parts.map((p) => p.body);
    expect(text).toContain('Data drift detected for credit-risk v1.2.0');
    expect(text).toContain('Max drift score: 0.790 (psi, threshold 0.3; retraining above 0.5)');
    expect(text).toContain('  - income: 0.790\n  - age: 0.412');
    expect(text).not.toContain('tenure');
    expect(text).toContain('Sample count:    5000');
    expect(text).toContain(`Dashboard: http://grafana:3000/d/driftwatch?var-model=credit-risk&from=${T0 - HOUR_MS}&to=${T0}`);
    expect(html).toContain('<h2 style="margin-bottom: 4px;">Data drift detected for credit-risk v1.2.0</h2>');
    expect(html).toContain('<tr><td>income</td><td align="right">0.790</td></tr>');
    expect(html).toContain(`<a href="http://grafana:3000/d/driftwatch?var-model=credit-risk&amp;from=${T0 - HOUR_MS}&amp;to=${T0}">`);
    expect(html).toContain('<strong>CRITICAL</strong>');
    expect(await metricValue(registry, 'alerts_sent_total', { channel: 'email' })).toBe(1);
  });

  it('sends a distinct resolved message', async () => {
    smtp = await startSmtpServer({ password: PASSWORD, allowInsecureAuth: true });
    const { dispatcher } = build(smtp.port);
    dispatcher.dispatch(driftEvent({ endMs: T0 }));
    dispatcher.dispatch(driftEvent({ type: 'drift_resolved', endMs: T0 + HOUR_MS }));
    await dispatcher.shutdown();
    expect(smtp.mails.map((m) => mimeHeaders(m.raw).subject)).toEqual(['Data Drift Alert - 0.790 - credit-risk v1.2.0 [critical]', 'Data Drift Resolved - credit-risk v1.2.0']);
    const [text, html] = mimeParts(smtp.mails[1].raw).map((p) => p.body);
    expect(text).toContain('The inputs of credit-risk v1.2.0 look like the reference again.');
    expect(html).toContain('Data drift resolved for credit-risk v1.2.0');
  });

  it('HTML-escapes values in the HTML body only', async () => {
    smtp = await startSmtpServer();
    const { dispatcher } = build(smtp.port, { smtpUrl: `smtp://127.0.0.1:${smtp.port}` });
    dispatcher.dispatch(driftEvent({ model: '<script>x</script>', scores: { 'a&b': 0.4 } }));
    await dispatcher.shutdown();
    const [text, html] = mimeParts(smtp.mails[0].raw).map((p) => p.body);
    expect(html).toContain('&lt;script&gt;x&lt;/script&gt;');
    expect(html).toContain('<td>a&amp;b</td>');
    expect(html).not.toContain('<script>');
    expect(text).toContain('Data drift detected for <script>x</script> v1.2.0');
  });

  it('an SMTP refusal (550) is not retried: counted as failed, logged without the password', async () => {
    let attempts = 0;
    smtp = await startSmtpServer({
      password: PASSWORD,
      allowInsecureAuth: true,
      onRcptTo(address, _session, callback) {
        attempts++;
        callback(Object.assign(new Error(`Mailbox ${address.address} unavailable`), { responseCode: 550 }));
      },
    });
    const { dispatcher, registry, log } = build(smtp.port);
    dispatcher.dispatch(driftEvent());
    await dispatcher.shutdown();
    expect(smtp.mails).toHaveLength(0);
    expect(attempts).toBeGreaterThanOrEqual(1);
    expect(await metricValue(registry, 'alerts_retries_total', { channel: 'email' })).toBe(0);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'email' })).toBe(1);
    const text = log.text();
    expect(text).toMatch(/email: sending via smtp:\/\/alerts:\*\*\*@127\.0\.0\.1:\d+ → 2 recipient\(s\) failed \(SMTP 550\)/);
    expect(text).toContain('(not retriable)');
    expect(text).not.toContain(PASSWORD);
  });

  it('a transient SMTP error (451) is retried and then delivered', async () => {
    let calls = 0;
    smtp = await startSmtpServer({
      onMailFrom(_address, _session, callback) {
        calls++;
        if (calls === 1) return callback(Object.assign(new Error('Try again later'), { responseCode: 451 }));
        callback();
      },
    });
    const { dispatcher, registry } = build(smtp.port, { smtpUrl: `smtp://127.0.0.1:${smtp.port}` });
    dispatcher.dispatch(driftEvent());
    await dispatcher.shutdown();
    expect(smtp.mails).toHaveLength(1);
    expect(await metricValue(registry, 'alerts_retries_total', { channel: 'email' })).toBe(1);
    expect(await metricValue(registry, 'alerts_sent_total', { channel: 'email' })).toBe(1);
  });

  it('bad credentials fail without retry and without the password in logs', async () => {
    smtp = await startSmtpServer({ password: 'the-right-one', allowInsecureAuth: true, authOptional: false });
    const { dispatcher, registry, log } = build(smtp.port);
    dispatcher.dispatch(driftEvent());
    await dispatcher.shutdown();
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'email' })).toBe(1);
    expect(await metricValue(registry, 'alerts_retries_total', { channel: 'email' })).toBe(0);
    expect(log.text()).toContain('failed (SMTP 535): Invalid login');
    expect(log.text()).not.toContain(PASSWORD);
  });

  it('an SMTP server that is down is retried, then counted', async () => {
    const probe = await startSmtpServer();
    const port = probe.port;
    await probe.close();
    const { dispatcher, registry, log } = build(port, { maxAttempts: 2 });
    dispatcher.dispatch(driftEvent());
    await dispatcher.shutdown();
    expect(await metricValue(registry, 'alerts_retries_total', { channel: 'email' })).toBe(1);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'email' })).toBe(1);
    expect(log.text()).toContain('ECONNREFUSED');
    expect(log.text()).not.toContain(PASSWORD);
  });

  it('refuses at startup a template with an unknown placeholder, naming it and the choices', () => {
    const dir = mkdtempSync(join(tmpdir(), 'driftwatch-templates-'));
    for (const f of ['drift-alert.html', 'drift-alert.txt', 'drift-resolved.html', 'drift-resolved.txt']) writeFileSync(join(dir, f), 'ok {{model}}');
    writeFileSync(join(dir, 'drift-alert.txt'), 'score {{max_score}}');
    const create = () => createEmailChannel({ smtpUrl: 'smtp://127.0.0.1:1', to: ['a@b.io'], templatesDir: dir, timeoutMs: 1000, redactor: new Redactor() });
    expect(create).toThrow(TemplateError);
    expect(create).toThrow(/drift-alert\.txt: placeholder \{\{max_score\}\} has no value\. Available: .*max_drift_score/);
  });
});
