// Start a throwaway Prometheus from a test: a generated config scraping the given targets every
// second, a temp TSDB, 127.0.0.1:<port>. The process is the test's child and dies with stop().
//
//   const prom = await startPrometheus({ binary: inject('prometheusBinary'), port: inject('prometheusPort'),
//                                        targets: ['127.0.0.1:9464'] });
//   const v = await prom.waitForValue('driftwatch_up', 10_000);
//   await prom.stop();
//
// The binaries come from test/services/up.sh (prometheus/build.sh, no web UI assets: the HTTP API
// and /-/ready work without them).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface PrometheusOptions {
  binary: string;
  /** Listen port on 127.0.0.1 (default 9090). */
  port?: number;
  /** `host:port` scrape targets. */
  targets: string[];
  metricsPath?: string;
  /** Scrape interval (default `1s`). */
  scrapeInterval?: string;
  /** How long to wait for /-/ready (default 30 s). */
  readyTimeoutMs?: number;
}

export interface PromSample {
  metric: Record<string, string>;
  value: [number, string];
}

export interface RunningPrometheus {
  url: string;
  /** Instant query through /api/v1/query; throws unless the answer is `status: success`. */
  query(expr: string): Promise<PromSample[]>;
  /** Polls `expr` until it returns a sample (bounded by timeoutMs); returns the first sample's value. */
  waitForValue(expr: string, timeoutMs: number): Promise<number>;
  /** Prometheus's log so far (stdout + stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startPrometheus(options: PrometheusOptions): Promise<RunningPrometheus> {
  const port = options.port ?? 9090;
  const url = `http://127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-prometheus-'));
  const config = [
    'global:',
    `  scrape_interval: ${options.scrapeInterval ?? '1s'}`,
    `  scrape_timeout: ${options.scrapeInterval ?? '1s'}`,
    `  evaluation_interval: ${options.scrapeInterval ?? '1s'}`,
    'scrape_configs:',
    '  - job_name: driftwatch',
    `    metrics_path: ${JSON.stringify(options.metricsPath ?? '/metrics')}`,
    '    static_configs:',
    `      - targets: ${JSON.stringify(options.targets)}`,
    '',
  ].join('\n');
  await writeFile(join(dir, 'prometheus.yml'), config);

  let log = '';
  const child: ChildProcess = spawn(
    options.binary,
    [`--config.file=${join(dir, 'prometheus.yml')}`, `--storage.tsdb.path=${join(dir, 'tsdb')}`, `--web.listen-address=127.0.0.1:${port}`, '--log.level=warn'],
    { stdio: ['ignore', 'pipe', 'pipe'] },
  );
  child.stdout?.setEncoding('utf8').on('data', (c: string) => (log += c));
  child.stderr?.setEncoding('utf8').on('data', (c: string) => (log += c));
  let exited: string | undefined;
  const exit = new Promise<void>((resolve) => {
    child.once('exit', (code, signal) => {
      exited = `exited (code ${code}, signal ${signal})`;
      resolve();
    });
    child.once('error', (err) => {
      exited = `could not start: ${err.message}`;
      resolve();
    });
  });

  const stop = async (): Promise<void> => {
    if (!exited) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exit;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 30_000);
  for (;;) {
    if (exited) {
      await stop();
      throw new Error(`prometheus ${exited} before /-/ready on ${url}:\n${log}`);
    }
    const ok = await fetch(`${url}/-/ready`).then(
      (r) => r.status === 200,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`prometheus not ready on ${url} within ${options.readyTimeoutMs ?? 30_000} ms:\n${log}`);
    }
    await new Promise((r) => setTimeout(r, 100));
  }

  const query = async (expr: string): Promise<PromSample[]> => {
    const res = await fetch(`${url}/api/v1/query?query=${encodeURIComponent(expr)}`);
    const body = (await res.json()) as { status: string; error?: string; data?: { resultType: string; result: PromSample[] } };
    if (body.status !== 'success' || !body.data) throw new Error(`/api/v1/query ${expr}: ${res.status} ${body.error ?? JSON.stringify(body)}`);
    return body.data.result;
  };

  return {
    url,
    query,
    async waitForValue(expr, timeoutMs) {
      const until = Date.now() + timeoutMs;
      for (;;) {
        const result = await query(expr);
        if (result.length > 0) return Number(result[0]!.value[1]);
        if (Date.now() > until) throw new Error(`no sample for ${expr} within ${timeoutMs} ms (targets ${options.targets.join(', ')}):\n${log}`);
        await new Promise((r) => setTimeout(r, 200));
      }
    },
    output: () => log,
    stop,
  };
}
