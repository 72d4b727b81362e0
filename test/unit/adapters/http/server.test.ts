// The HTTP server over real HTTP on 127.0.0.1 (port 0): each route, its status and content type,
// 404 and 405, readiness with its reasons while something fails, the port-taken error naming
// HTTP_PORT, and a clean close.
import { createServer } from 'node:net';
import { Counter, Registry } from 'prom-client';
import { afterEach, describe, expect, it } from 'vitest';
import { startHttpServer, type StatusProvider } from '../../../../src/adapters/http/server.js';
import { ConfigError } from '../../../../src/core/errors.js';

let closers: (() => Promise<void>)[] = [];
afterEach(async () => {
  await Promise.all(closers.map((c) => c()));
  closers = [];
});

async function serve(status: Partial<StatusProvider> = {}) {
  const registry = new Registry();
  new Counter({ name: 'driftwatch_test_total', help: 'a test counter', registers: [registry] }).inc(3);
  const server = await startHttpServer({
    host: '127.0.0.1',
    port: 0,
    registry,
    status: { readiness: async () => ({ references_loaded: true }), drift: () => ({ models: [] }), ...status },
  });
  closers.push(() => server.close());
  const url = (path: string) => `http://127.0.0.1:${server.port}${path}`;
  return { server, registry, url };
}

describe('HTTP server', () => {
  it('/healthz answers 200 JSON', async () => {
    const { url } = await serve();
    const res = await fetch(url('/healthz'));
    expect([res.status, res.headers.get('content-type')]).toEqual([200, 'application/json']);
    expect(await res.json()).toEqual({ status: 'ok' });
  });

  it('/readyz is 200 when every check holds, 503 with the failing check and its reason otherwise', async () => {
    let sinks = true;
    const { url } = await serve({
      readiness: async () => ({ references_loaded: true, sinks_reachable: sinks }),
      reasons: (): Record<string, string> => (sinks ? {} : { sinks_reachable: 'influx: HTTP 503' }),
    });
    let res = await fetch(url('/readyz'));
    expect(res.status).toBe(200);
    expect(await res.json()).toEqual({ status: 'ready', checks: { references_loaded: true, sinks_reachable: true } });
    sinks = false;
    res = await fetch(url('/readyz'));
    expect([res.status, res.headers.get('content-type')]).toEqual([503, 'application/json']);
    expect(await res.json()).toEqual({
      status: 'not_ready',
      checks: { references_loaded: true, sinks_reachable: false },
      reasons: { sinks_reachable: 'influx: HTTP 503' },
    });
  });

  it('/metrics serves the registry in the Prometheus text format', async () => {
    const { url, registry } = await serve();
    const res = await fetch(url('/metrics'));
    expect([res.status, res.headers.get('content-type')]).toEqual([200, registry.contentType]);
    expect(await res.text()).toContain('driftwatch_test_total 3');
  });

  it('/drift (and /metrics/drift) serve the status JSON', async () => {
    const { url } = await serve({ drift: () => ({ models: [{ model: 'credit', drift_detected: true }] }) });
    for (const path of ['/drift', '/metrics/drift', '/drift?model=credit']) {
      const res = await fetch(url(path));
      expect([path, res.status, res.headers.get('content-type')]).toEqual([path, 200, 'application/json']);
      expect(await res.json()).toEqual({ models: [{ model: 'credit', drift_detected: true }] });
    }
  });

  it('an unknown path is 404 naming the endpoints; a method other than GET or HEAD is 405 with Allow', async () => {
    const { url } = await serve();
    const missing = await fetch(url('/nope'));
    expect(missing.status).toBe(404);
    expect(await missing.json()).toEqual({ error: 'no such endpoint /nope; try /healthz, /readyz, /metrics, /drift' });
    const post = await fetch(url('/healthz'), { method: 'POST' });
    expect([post.status, post.headers.get('allow')]).toEqual([405, 'GET, HEAD']);
    const head = await fetch(url('/healthz'), { method: 'HEAD' });
    expect(head.status).toBe(200);
  });

  it('a status provider that throws is a 500 naming the error, and the server keeps serving', async () => {
    const { url } = await serve({
      readiness: async () => {
        throw new Error('status unavailable');
      },
    });
    const res = await fetch(url('/readyz'));
    expect([res.status, await res.text()]).toEqual([500, 'internal error: status unavailable\n']);
    expect((await fetch(url('/healthz'))).status).toBe(200);
  });

  it('a port taken is a ConfigError naming HTTP_PORT and the fix', async () => {
    const taken = createServer();
    await new Promise<void>((resolve) => taken.listen(0, '127.0.0.1', resolve));
    closers.push(() => new Promise((resolve) => taken.close(() => resolve())));
    const port = (taken.address() as { port: number }).port;
    const error = await startHttpServer({ host: '127.0.0.1', port, registry: new Registry(), status: { readiness: async () => ({}), drift: () => ({}) } }).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(ConfigError);
    expect((error as Error).message).toBe(`HTTP_PORT ${port} is already in use (EADDRINUSE) on 127.0.0.1: set HTTP_PORT to a free port (0 picks one), or HTTP_ENABLED=false`);
  });

  it('close ends open keep-alive connections and frees the port', async () => {
    const { server, url } = await serve();
    expect((await fetch(url('/healthz'), { headers: { connection: 'keep-alive' } })).status).toBe(200);
    await server.close();
    closers = [];
    await expect(fetch(url('/healthz'))).rejects.toThrow();
    const again = await startHttpServer({ host: '127.0.0.1', port: server.port, registry: new Registry(), status: { readiness: async () => ({}), drift: () => ({}) } });
    await again.close();
  });
});
