// Shared by the alerts unit and integration tests: drift event builder, a real HTTP server and
// a real SMTP server on 127.0.0.1, a pino logger whose lines the test can read, metric reads.
import { createServer, type IncomingHttpHeaders, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { Writable } from 'node:stream';
import { pino, type Logger } from 'pino';
import type { Registry } from 'prom-client';
import { SMTPServer, type SMTPServerOptions } from 'smtp-server';
import type { Alert, AlertKind } from '../../../../src/adapters/alerts/alert.js';
import type { AlertChannel } from '../../../../src/adapters/alerts/channels/types.js';
import { driftEventId, type DriftEvent, type DriftEventType } from '../../../../src/core/detect/drift-event.js';

export { settle, virtualClock, type VirtualClock } from '../../runtime/virtual-clock.js';

export const HOUR_MS = 3_600_000;

export interface EventSpec {
  type?: DriftEventType;
  model?: string;
  version?: string;
  /** Window end, ms since the epoch (the window is the hour before). */
  endMs?: number;
  scores?: Record<string, number>;
  threshold?: number;
}

/** A drift event as the monitor publishes it; drifted features are the scores ≥ threshold. */
export function driftEvent(spec: EventSpec = {}): DriftEvent {
  const type = spec.type ?? 'drift_detected';
  const model = spec.model ?? 'credit-risk';
  const version = spec.version ?? 'v1.2.0';
  const endMs = spec.endMs ?? Date.parse('2026-11-26T10:00:00.000Z');
  const threshold = spec.threshold ?? 0.3;
  const scores = spec.scores ?? (type === 'drift_detected' ? { income: 0.79, age: 0.12 } : { income: 0.1, age: 0.05 });
  const end = new Date(endMs).toISOString();
  const drifted = Object.fromEntries(Object.entries(scores).filter(([, s]) => s >= threshold));
  const features: DriftEvent['features'] = {};
  for (const [name, score] of Object.entries(scores)) {
    features[name] = {
      psi: score,
      ks: score / 2,
      ks_pvalue: 0.01,
      js: score / 3,
      wasserstein: null,
      chi2_pvalue: null,
      missing_rate: 0,
      score,
      drifted: score >= threshold,
      reasons: score >= threshold ? ['score'] : [],
    };
  }
  return {
    event_id: driftEventId(model, version, end, type),
    type,
    model,
    model_version: version,
    window: { start: new Date(endMs - HOUR_MS).toISOString(), end },
    drift_detected: Object.keys(drifted).length > 0,
    status: 'ok',
    metric: 'psi',
    threshold,
    drifted_features: drifted,
    max_drift_score: Math.max(...Object.values(scores)),
    sample_count: 5000,
    features,
    timestamp: end,
  };
}

/** A channel that records what it is sent; `behaviour` may throw or hang. */
export function memoryChannel(
  name: string,
  kinds: AlertKind[] = ['drift', 'resolved'],
  behaviour?: (alert: Alert, signal: AbortSignal, attempt: number) => Promise<void> | void,
): AlertChannel & { sent: Alert[]; attempts: number } {
  const channel = {
    name,
    target: `memory://${name}`,
    kinds,
    sent: [] as Alert[],
    attempts: 0,
    async send(alert: Alert, signal: AbortSignal) {
      channel.attempts++;
      await behaviour?.(alert, signal, channel.attempts);
      channel.sent.push(alert);
    },
  };
  return channel;
}

export interface RecordedRequest {
  method: string;
  path: string;
  headers: IncomingHttpHeaders;
  /** Raw body bytes as received. */
  body: Buffer;
  json(): unknown;
}

export interface TestHttpServer {
  url: string;
  requests: RecordedRequest[];
  /** Decides the answer to each request (default 200 "ok"); may leave it hanging. */
  respond: (req: RecordedRequest, res: ServerResponse, index: number) => void;
  close(): Promise<void>;
}

export async function startHttpServer(): Promise<TestHttpServer> {
  const server = createServer((req: IncomingMessage, res: ServerResponse) => {
    const chunks: Buffer[] = [];
    req.on('data', (c: Buffer) => chunks.push(c));
    req.on('end', () => {
      const body = Buffer.concat(chunks);
      const recorded: RecordedRequest = {
        method: req.method ?? '',
        path: req.url ?? '',
        headers: req.headers,
        body,
        json: () => JSON.parse(body.toString('utf8')),
      };
      const index = state.requests.length;
      state.requests.push(recorded);
      state.respond(recorded, res, index);
    });
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  const state: TestHttpServer = {
    url: `http://127.0.0.1:${port}`,
    requests: [],
    respond: (_req, res) => {
      res.writeHead(200, { 'content-type': 'text/plain' }).end('ok');
    },
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
  return state;
}

export interface ReceivedMail {
  from: string;
  rcptTo: string[];
  raw: string;
  user?: string;
}

export interface TestSmtpServer {
  port: number;
  mails: ReceivedMail[];
  close(): Promise<void>;
}

/** A real SMTP server (smtp-server) on 127.0.0.1; auth optional (accepts user "alerts" / the given password). */
export async function startSmtpServer(options: Partial<SMTPServerOptions> & { password?: string } = {}): Promise<TestSmtpServer> {
  const mails: ReceivedMail[] = [];
  const { password, ...rest } = options;
  const server = new SMTPServer({
    disabledCommands: ['STARTTLS'],
    authOptional: true,
    logger: false,
    onAuth(auth, _session, callback) {
      if (auth.username === 'alerts' && auth.password === password) return callback(null, { user: auth.username });
      return callback(new Error('Invalid username or password'));
    },
    onData(stream, session, callback) {
      const chunks: Buffer[] = [];
      stream.on('data', (c: Buffer) => chunks.push(c));
      stream.on('end', () => {
        mails.push({
          from: session.envelope.mailFrom ? session.envelope.mailFrom.address : '',
          rcptTo: session.envelope.rcptTo.map((r) => r.address),
          raw: Buffer.concat(chunks).toString('utf8'),
          user: session.user as string | undefined,
        });
        callback();
      });
    },
    ...rest,
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const port = (server.server.address() as AddressInfo).port;
  return { port, mails, close: () => new Promise<void>((resolve) => server.close(() => resolve())) };
}

/** A pino logger at debug level whose output lines are kept in `lines`. */
export function captureLogger(): { logger: Logger; lines: string[]; text(): string } {
  const lines: string[] = [];
  const stream = new Writable({
    write(chunk: Buffer, _enc, cb) {
      lines.push(
        ...chunk
          .toString('utf8')
          .split('\n')
          .filter((l) => l !== ''),
      );
      cb();
    },
  });
  const logger = pino({ level: 'debug' }, stream);
  return { logger, lines, text: () => lines.join('\n') };
}

export async function metricValue(registry: Registry, name: string, labels: Record<string, string> = {}): Promise<number> {
  const metric = registry.getSingleMetric(name);
  if (!metric) return 0;
  const { values } = await metric.get();
  return values.filter((v) => Object.entries(labels).every(([k, val]) => String((v.labels as Record<string, unknown>)[k]) === val)).reduce((sum, v) => sum + v.value, 0);
}

/** Resolves when `cond` holds (polling), or rejects after `timeoutMs`. */
export async function waitFor(cond: () => boolean, timeoutMs = 5000, what = 'condition'): Promise<void> {
  const deadline = Date.now() + timeoutMs;
  while (!cond()) {
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 10));
  }
}

/** A sleep that returns at once and records the delays asked for. */
export function recordingSleep(): { sleep: (ms: number) => Promise<void>; delays: number[] } {
  const delays: number[] = [];
  return { delays, sleep: async (ms: number) => void delays.push(ms) };
}

export interface MimePart {
  contentType: string;
  body: string;
}

/** Headers of a raw message (folded lines joined), lower-case names. */
export function mimeHeaders(raw: string): Record<string, string> {
  const head = raw.split(/\r?\n\r?\n/)[0].replace(/\r?\n[ \t]+/g, ' ');
  const out: Record<string, string> = {};
  for (const line of head.split(/\r?\n/)) {
    const i = line.indexOf(':');
    if (i > 0) out[line.slice(0, i).toLowerCase()] = line.slice(i + 1).trim();
  }
  return out;
}

/** The leaf parts of a multipart message, decoded (quoted-printable or base64). */
export function mimeParts(raw: string): MimePart[] {
  const headers = mimeHeaders(raw);
  const type = headers['content-type'] ?? 'text/plain';
  const body = raw.slice(raw.search(/\r?\n\r?\n/)).replace(/^\r?\n\r?\n/, '');
  const boundary = /boundary="?([^";]+)"?/i.exec(type)?.[1];
  if (type.toLowerCase().startsWith('multipart/') && boundary) {
    return body
      .split(`--${boundary}`)
      .slice(1)
      .filter((p) => !p.startsWith('--'))
      .flatMap((p) => mimeParts(p.replace(/^\r?\n/, '')));
  }
  const encoding = (headers['content-transfer-encoding'] ?? '7bit').toLowerCase();
  let decoded = body;
  if (encoding === 'quoted-printable') {
    const bytes = Buffer.from(
      body.replace(/=\r?\n/g, '').replace(/=([0-9A-F]{2})/gi, (_m, hex: string) => String.fromCharCode(parseInt(hex, 16))),
      'latin1',
    );
    decoded = bytes.toString('utf8');
  } else if (encoding === 'base64') {
    decoded = Buffer.from(body.replace(/\s+/g, ''), 'base64').toString('utf8');
  }
  return [{ contentType: type.split(';')[0].trim().toLowerCase(), body: decoded.replace(/\r\n/g, '\n') }];
}
