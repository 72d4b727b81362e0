import { createTransport } from 'nodemailer';
import type { Alert } from '../alert.js';
import { formatScore, formatWindow, sortedDriftedFeatures } from '../alert.js';
import { raceAbort } from '../../../runtime/retry.js';
import { AlertDeliveryError } from '../errors.js';
import { abortReason } from '../http.js';
import { redactUrl, sanitizeError, type Redactor } from '../redact.js';
import { renderTemplate, type TemplateContext } from '../template.js';
import { loadEmailTemplates, type EmailTemplateFile } from '../templates.js';
import type { AlertChannel } from './types.js';

/** The part of a nodemailer transport the channel uses (a fake one can stand in for it). */
export interface MailTransport {
  sendMail(message: { from: string; to: string[]; subject: string; text: string; html: string; headers?: Record<string, string> }): Promise<unknown>;
  close(): void;
}

export interface EmailChannelOptions {
  smtpUrl: string;
  to: string[];
  /** Default driftwatch@<SMTP host>. */
  from?: string;
  templatesDir: string;
  /** Connection, greeting and socket timeouts of the SMTP client. */
  timeoutMs: number;
  redactor: Redactor;
  transport?: MailTransport;
}

/** Subject as in the guide (`Data Drift Alert - 0.790`) plus model, version and severity. */
export function emailSubject(alert: Alert): string {
  const e = alert.event;
  if (alert.kind === 'resolved') return `Data Drift Resolved - ${e.model} ${e.model_version}`;
  const prefix = alert.escalation ? 'Data Drift Escalated' : 'Data Drift Alert';
  return `${prefix} - ${formatScore(e.max_drift_score)} - ${e.model} ${e.model_version} [${alert.severity}]`;
}

/** The values the templates may use (README lists them). */
export function emailContext(alert: Alert): TemplateContext {
  const e = alert.event;
  const drifted = sortedDriftedFeatures(e);
  return {
    subject: emailSubject(alert),
    headline:
      alert.kind === 'resolved'
        ? `Data drift resolved for ${e.model} ${e.model_version}`
        : alert.escalation
          ? `Data drift escalated to ${alert.severity} for ${e.model} ${e.model_version}`
          : `Data drift detected for ${e.model} ${e.model_version}`,
    model: e.model,
    model_version: e.model_version,
    severity: alert.kind === 'resolved' ? 'resolved' : alert.severity,
    severity_upper: (alert.kind === 'resolved' ? 'resolved' : alert.severity).toUpperCase(),
    max_drift_score: formatScore(e.max_drift_score),
    metric: e.metric,
    threshold: e.threshold,
    retrain_threshold: alert.retrainThreshold,
    sample_count: e.sample_count,
    timestamp: e.timestamp,
    window: formatWindow(e),
    window_start: e.window.start,
    window_end: e.window.end,
    event_id: e.event_id,
    drifted_count: drifted.length,
    affected_features: drifted.length === 0 ? 'none' : drifted.map((f) => f.name).join(', '),
    drifted_features: drifted,
    dashboard_url: alert.dashboardUrl ?? '',
    dashboard: alert.dashboardUrl ? [{ url: alert.dashboardUrl }] : [],
  };
}

type Rendered = { subject: string; text: string; html: string };

export function createEmailChannel(options: EmailChannelOptions): AlertChannel {
  const { redactor } = options;
  const target = `${redactUrl(options.smtpUrl)} → ${options.to.length} recipient(s)`;
  const templates = loadEmailTemplates(options.templatesDir);
  const render = (alert: Alert): Rendered => {
    const base = alert.kind === 'resolved' ? 'drift-resolved' : 'drift-alert';
    const context = emailContext(alert);
    const html = templates[`${base}.html` as EmailTemplateFile];
    const text = templates[`${base}.txt` as EmailTemplateFile];
    return {
      subject: String(context.subject),
      html: renderTemplate(html.source, context, { html: true, name: html.path }),
      text: renderTemplate(text.source, context, { html: false, name: text.path }),
    };
  };
  // Fail at startup, not at the first drift, when a template names an unknown placeholder.
  for (const kind of ['drift', 'resolved'] as const) render(sampleAlert(kind));

  const from = options.from ?? `driftwatch@${smtpHost(options.smtpUrl)}`;
  const transport: MailTransport =
    options.transport ??
    (createTransport({
      url: options.smtpUrl,
      connectionTimeout: options.timeoutMs,
      greetingTimeout: options.timeoutMs,
      socketTimeout: options.timeoutMs,
      // Never let nodemailer log the SMTP dialogue (it contains AUTH).
      logger: false,
      debug: false,
    }) as unknown as MailTransport);

  return {
    name: 'email',
    target,
    kinds: ['drift', 'resolved'],
    async send(alert, signal) {
      const message = render(alert);
      const sending = transport.sendMail({
        from,
        to: options.to,
        subject: message.subject,
        text: message.text,
        html: message.html,
        headers: { 'X-Driftwatch-Event-Id': alert.event.event_id },
      });
      try {
        await raceAbort(sending, signal);
      } catch (error) {
        if (signal.aborted) {
          throw new AlertDeliveryError(`email: sending via ${target} failed: ${abortReason(signal)}`, {
            retriable: true,
            context: { channel: 'email', target },
          });
        }
        throw smtpError(error, target, redactor);
      }
    },
    async close() {
      transport.close();
    },
  };
}

/** SMTP 4xx replies and connection problems are worth retrying; 5xx replies and bad credentials are not. */
function smtpError(error: unknown, target: string, redactor: Redactor): AlertDeliveryError {
  const e = error as { responseCode?: unknown; code?: unknown };
  const responseCode = typeof e.responseCode === 'number' ? e.responseCode : undefined;
  const code = typeof e.code === 'string' ? e.code : undefined;
  const retriable = responseCode !== undefined ? responseCode < 500 : code !== 'EAUTH' && code !== 'EENVELOPE' && code !== 'EMESSAGE';
  const clean = sanitizeError(error, redactor);
  return new AlertDeliveryError(`email: sending via ${target} failed${responseCode ? ` (SMTP ${responseCode})` : code ? ` (${code})` : ''}: ${clean.message}`, {
    retriable,
    cause: clean,
    context: { channel: 'email', target, ...(responseCode !== undefined ? { status: responseCode } : {}) },
  });
}

function smtpHost(url: string): string {
  try {
    return new URL(url).hostname || 'localhost';
  } catch {
    return 'localhost';
  }
}

function sampleAlert(kind: 'drift' | 'resolved'): Alert {
  return {
    kind,
    severity: 'critical',
    escalation: false,
    dashboardUrl: 'http://dashboard.invalid/',
    retrainThreshold: 0.5,
    createdAt: '1970-01-01T00:00:00.000Z',
    event: {
      event_id: 'sample',
      type: kind === 'resolved' ? 'drift_resolved' : 'drift_detected',
      model: 'sample',
      model_version: 'v0',
      window: { start: '1970-01-01T00:00:00.000Z', end: '1970-01-01T01:00:00.000Z' },
      drift_detected: kind === 'drift',
      status: 'ok',
      metric: 'psi',
      threshold: 0.3,
      drifted_features: { sample: 0.9 },
      max_drift_score: 0.9,
      sample_count: 1,
      features: {},
      timestamp: '1970-01-01T01:00:00.000Z',
    },
  };
}
