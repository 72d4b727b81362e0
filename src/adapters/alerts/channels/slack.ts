import type { Alert } from '../alert.js';
import { describeDriftedFeatures, formatScore, formatWindow } from '../alert.js';
import { postJson } from '../http.js';
import { redactUrl, type Redactor } from '../redact.js';
import type { AlertChannel } from './types.js';

export interface SlackChannelOptions {
  webhookUrl: string;
  redactor: Redactor;
}

/** Slack's mrkdwn control characters (https://api.slack.com/reference/surfaces/formatting#escaping). */
function escapeSlack(text: string): string {
  return text.replace(/&/g, '&amp;').replace(/</g, '&lt;').replace(/>/g, '&gt;');
}

const COLORS = { critical: 'danger', warning: 'warning', resolved: 'good' } as const;

/**
 * The incoming-webhook message: the integration guide's attachment (Affected Features, Max
 * Drift Score with 3 decimals, Sample Count, Timestamp) plus model, version, window, severity
 * and the dashboard link. Resolved messages are green and say so in the text.
 */
export function slackMessage(alert: Alert): Record<string, unknown> {
  const e = alert.event;
  const subject = `${escapeSlack(e.model)} ${escapeSlack(e.model_version)}`;
  const resolved = alert.kind === 'resolved';
  const text = resolved
    ? `✅ Data drift resolved: ${subject}`
    : alert.escalation
      ? `🚨 Data drift escalated to ${alert.severity.toUpperCase()}: ${subject}`
      : `🚨 Data Drift Detected! ${subject} (${alert.severity})`;
  const fields: { title: string; value: string; short: boolean }[] = [
    { title: 'Model', value: escapeSlack(e.model), short: true },
    { title: 'Version', value: escapeSlack(e.model_version), short: true },
    { title: 'Severity', value: resolved ? 'resolved' : alert.severity, short: true },
    { title: resolved ? 'Max Drift Score (now)' : 'Max Drift Score', value: formatScore(e.max_drift_score), short: true },
    { title: resolved ? 'Features Still Above Threshold' : 'Affected Features', value: escapeSlack(describeDriftedFeatures(e)), short: false },
    { title: 'Sample Count', value: String(e.sample_count), short: true },
    { title: 'Timestamp', value: escapeSlack(e.timestamp), short: true },
    { title: 'Window', value: escapeSlack(formatWindow(e)), short: false },
  ];
  if (alert.dashboardUrl) fields.push({ title: 'Dashboard', value: `<${alert.dashboardUrl}|Open dashboard>`, short: false });
  const attachment: Record<string, unknown> = {
    color: resolved ? COLORS.resolved : COLORS[alert.severity],
    fallback: `${text} — max drift score ${formatScore(e.max_drift_score)}`,
    fields,
    footer: `driftwatch · ${e.metric} threshold ${e.threshold} · event ${e.event_id}`,
    ts: Math.floor(Date.parse(e.timestamp) / 1000) || undefined,
  };
  if (alert.dashboardUrl) {
    attachment.title = 'Drift dashboard';
    attachment.title_link = alert.dashboardUrl;
  }
  return { text, attachments: [attachment] };
}

export function createSlackChannel(options: SlackChannelOptions): AlertChannel {
  const target = redactUrl(options.webhookUrl);
  return {
    name: 'slack',
    target,
    kinds: ['drift', 'resolved'],
    send: (alert, signal) =>
      postJson({
        channel: 'slack',
        url: options.webhookUrl,
        target,
        body: JSON.stringify(slackMessage(alert)),
        signal,
        redactor: options.redactor,
      }),
  };
}
