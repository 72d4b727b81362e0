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

/**
 * /healthz (the process runs), /readyz (group joined, references loaded, sinks reachable),
 * /metrics (Prometheus text format), /drift (the guide's dashboard JSON).
 */
export async function startHttpServer(options: {
  host: string;
  port: number;
  registry: Registry;
  status: StatusProvider;
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

async function handle(req: IncomingMessage, res: ServerResponse, options: { registry: Registry; status: StatusProvider }): Promise<void> {
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
      json(res, 404, { error: `no such endpoint ${path}; try /healthz, /readyz, /metrics, /drift` });
  }
}

function json(res: ServerResponse, status: number, body: unknown): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify(body, null, 1));
}
