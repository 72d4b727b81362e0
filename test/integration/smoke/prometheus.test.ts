// Smoke test of the Prometheus binaries that test/setup/global-setup.ts provides
// (prometheusBinary, promtoolBinary): promtool lints an exposition from stdin, and a Prometheus
// started by test/services/prometheus.ts scrapes a tiny HTTP server and answers /api/v1/query.
import { spawn } from 'node:child_process';
import { createServer, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import { afterAll, describe, expect, inject, it } from 'vitest';
import { startPrometheus, type RunningPrometheus } from '../../services/prometheus.js';

const prometheusBinary = inject('prometheusBinary');
const promtoolBinary = inject('promtoolBinary');
const prometheusPort = inject('prometheusPort');
const flavor = inject('serviceFlavor');

function promtool(args: string[], stdin: string): Promise<{ code: number | null; output: string }> {
  return new Promise((resolve, reject) => {
    const child = spawn(promtoolBinary, args, { stdio: ['pipe', 'pipe', 'pipe'] });
    let output = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.stderr.setEncoding('utf8').on('data', (c: string) => (output += c));
    child.on('error', reject);
    child.on('close', (code) => resolve({ code, output }));
    child.stdin.end(stdin);
  });
}

const GOOD = ['# HELP driftwatch_smoke_value A gauge for the smoke test.', '# TYPE driftwatch_smoke_value gauge', 'driftwatch_smoke_value{model="credit-risk"} 42.5', ''].join(
  '\n',
);

describe.skipIf(!prometheusBinary)(`Prometheus smoke (${flavor} services)`, () => {
  let server: Server | undefined;
  let prom: RunningPrometheus | undefined;
  afterAll(async () => {
    await prom?.stop();
    await new Promise<void>((r) => (server ? server.close(() => r()) : r()));
  });

  it('promtool check metrics accepts a valid exposition from stdin', async () => {
    const { code, output } = await promtool(['check', 'metrics'], GOOD);
    expect(code, output).toBe(0);
  });

  it('promtool check metrics rejects a malformed one', async () => {
    const { code, output } = await promtool(['check', 'metrics'], 'driftwatch_smoke_value{model="x" 1\n');
    expect(code, output).not.toBe(0);
    expect(output).toMatch(/error/i);
  });

  it('a Prometheus scrapes an HTTP target and /api/v1/query returns its gauge', async () => {
    server = createServer((req, res) => {
      if (req.url === '/metrics') {
        res.writeHead(200, { 'Content-Type': 'text/plain; version=0.0.4' }).end(GOOD);
      } else {
        res.writeHead(404).end();
      }
    });
    await new Promise<void>((r) => server!.listen(0, '127.0.0.1', () => r()));
    const { port } = server.address() as AddressInfo;
    prom = await startPrometheus({ binary: prometheusBinary, port: prometheusPort, targets: [`127.0.0.1:${port}`] });
    const value = await prom.waitForValue('driftwatch_smoke_value{model="credit-risk",job="driftwatch"}', 30_000);
    expect(value).toBe(42.5);
    const up = await prom.query('up{job="driftwatch"}');
    expect(up.map((s) => s.value[1])).toEqual(['1']);
  });
});
