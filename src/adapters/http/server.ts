import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Registry } from 'prom-client';
import { ConfigError } from '../../core/errors.js';

/** What the HTTP endpoints read from the running service. */
export interface StatusProvider {
  /** Each readiness condition and whether it holds. */
  readiness(): Promise<Record<string, boolean>>;
  /** Why a failing condition fails, by condition (optional; shown under `reasons`). */
  reasons?(): Record<string, string>;
  /** The integration guide's dashboard JSON, per model. */
  drift(): unknown;
}

/** The HTML pages of docs/reports.md; the server only routes to them. */
export interface PageProvider {
  /** `/`: the models with their state and last check. */
  index(): string;
  /** `/report/{model}/{version}`, or undefined when no window of that model version was evaluated. */
  report(model: string, modelVersion: string): string | undefined;
  /** The Content-Security-Policy the pages are served with. */
  readonly contentSecurityPolicy: string;
}

/**
 * /healthz (the process runs), /readyz (group joined, references loaded, sinks reachable),
 * /metrics (Prometheus text format), /drift (the guide's dashboard JSON).
 */
export async function startHttpServer(options: {
  host: string;
  port: number;
  registry: Registry;
  status: StatusProvider;
  /** The report pages (`/`, `/report/{model}/{version}`); without them those paths answer 404. */
  pages?: PageProvider;
}): Promise<{ server: Server; port: number; close(): Promise<void> }> {
  const server = createServer((req, res) => {
    handle(req, res, options).catch((error) => {
      if (!res.headersSent) res.writeHead(500, { 'content-type': 'text/plain' });
      res.end(`internal error: ${(error as Error).message}\n`);
    });
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port, options.host, () => resolve());
  }).catch((cause: NodeJS.ErrnoException) => {
    throw new ConfigError(listenProblem(options, cause), { cause, context: { port: options.port } });
  });
  const port = (server.address() as AddressInfo).port;
  return {
    server,
    port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}

/** What went wrong binding the port, with the setting to change. */
function listenProblem({ host, port }: { host: string; port: number }, cause: NodeJS.ErrnoException): string {
  const fix = 'set HTTP_PORT to a free port (0 picks one), or HTTP_ENABLED=false';
  switch (cause.code) {
    case 'EADDRINUSE':
      return `HTTP_PORT ${port} is already in use (EADDRINUSE) on ${host}: ${fix}`;
    case 'EACCES':
      return `HTTP_PORT ${port} may not be bound by this user (EACCES): ${fix}`;
    case 'EADDRNOTAVAIL':
      return `HTTP_HOST ${host} is not an address of this machine (EADDRNOTAVAIL): set HTTP_HOST, e.g. 0.0.0.0`;
    default:
      return `cannot listen on ${host}:${port} (HTTP_HOST, HTTP_PORT): ${cause.message}`;
  }
}

async function handle(req: IncomingMessage, res: ServerResponse, options: { registry: Registry; status: StatusProvider; pages?: PageProvider }): Promise<void> {
  const path = new URL(req.url ?? '/', 'http://localhost').pathname;
  if (req.method !== 'GET' && req.method !== 'HEAD') {
    res.writeHead(405, { allow: 'GET, HEAD' }).end();
    return;
  }
  switch (path) {
    case '/healthz':
      json(res, 200, { status: 'ok' });
      return;
    case '/readyz': {
      const checks = await options.status.readiness();
      const ready = Object.values(checks).every(Boolean);
      const reasons = options.status.reasons?.() ?? {};
      json(res, ready ? 200 : 503, { status: ready ? 'ready' : 'not_ready', checks, ...(Object.keys(reasons).length > 0 ? { reasons } : {}) });
      return;
    }
    case '/metrics':
      res.writeHead(200, { 'content-type': options.registry.contentType });
      res.end(await options.registry.metrics());
      return;
    case '/drift':
    case '/metrics/drift':
      json(res, 200, options.status.drift());
      return;
    default:
      if (options.pages && (path === '/' || path.startsWith('/report/'))) {
        page(res, path, options.pages);
        return;
      }
      json(res, 404, { error: `no such endpoint ${path}; try /healthz, /readyz, /metrics, /drift${options.pages ? ', /, /report/{model}/{version}' : ''}` });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, null, 1));
}

/** `/` and `/report/{model}/{version}` (segments percent-decoded); errors as plain text, which no browser runs. */
function page(res: ServerResponse, path: string, pages: PageProvider): void {
  const headers = { 'content-security-policy': pages.contentSecurityPolicy, 'x-content-type-options': 'nosniff', 'cache-control': 'no-store' };
  const text = (status: number, body: string): void => void res.writeHead(status, { ...headers, 'content-type': 'text/plain; charset=utf-8' }).end(body + '\n');
  let html: string | undefined;
  if (path === '/') html = pages.index();
  else {
    const segments = path.slice('/report/'.length).split('/');
    if (segments.length !== 2 || segments.some((s) => s === '')) return text(404, 'no such page: use /report/{model}/{version}');
    let model: string;
    let version: string;
    try {
      [model, version] = segments.map((s) => decodeURIComponent(s));
    } catch {
      return text(400, 'bad percent-encoding in the path');
    }
    html = pages.report(model, version);
    if (html === undefined) return text(404, `no evaluated window of model ${JSON.stringify(model)} version ${JSON.stringify(version)}; the models are listed at /`);
  }
  res.writeHead(200, { ...headers, 'content-type': 'text/html; charset=utf-8' }).end(html);
}
