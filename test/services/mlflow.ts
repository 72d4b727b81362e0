// Start a throwaway MLflow tracking server from a test: a SQLite store and an artifact root in a
// temp directory, 127.0.0.1:<port>, one worker. The process is the test's child and dies with
// stop().
//
//   const mlflow = await startMlflow({ binary: inject('mlflowBinary'), port: inject('mlflowPort') });
//   ... mlflow.url ...
//   await mlflow.stop();
//
// The binary comes from test/services/up.sh (mlflow/install.sh, a virtual environment in the
// services cache).
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export interface MlflowOptions {
  binary: string;
  /** Listen port on 127.0.0.1 (default 5055). */
  port?: number;
  /** How long to wait for /health (default 90 s: the first start migrates the SQLite schema). */
  readyTimeoutMs?: number;
}

export interface RunningMlflow {
  url: string;
  /** The server's log so far (stdout + stderr), for failure messages. */
  output(): string;
  stop(): Promise<void>;
}

export async function startMlflow(options: MlflowOptions): Promise<RunningMlflow> {
  const port = options.port ?? 5055;
  const url = `http://127.0.0.1:${port}`;
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-mlflow-'));
  const args = [
    'server',
    '--host',
    '127.0.0.1',
    '--port',
    String(port),
    '--workers',
    '1',
    '--backend-store-uri',
    `sqlite:///${join(dir, 'mlflow.db')}`,
    '--default-artifact-root',
    join(dir, 'artifacts'),
  ];
  let log = '';
  const child: ChildProcess = spawn(options.binary, args, { cwd: dir, stdio: ['ignore', 'pipe', 'pipe'], env: { ...process.env, MLFLOW_TRACKING_URI: '' } });
  child.stdout?.on('data', (b: Buffer) => (log += b.toString()));
  child.stderr?.on('data', (b: Buffer) => (log += b.toString()));
  const exited = new Promise<void>((resolve) => child.once('exit', () => resolve()));
  const stop = async () => {
    if (child.exitCode === null && child.signalCode === null) {
      child.kill('SIGTERM');
      const timer = setTimeout(() => child.kill('SIGKILL'), 10_000);
      await exited;
      clearTimeout(timer);
    }
    await rm(dir, { recursive: true, force: true });
  };

  const deadline = Date.now() + (options.readyTimeoutMs ?? 90_000);
  for (;;) {
    if (child.exitCode !== null) {
      await stop();
      throw new Error(`mlflow server exited with ${child.exitCode} before answering /health:\n${log.slice(-4000)}`);
    }
    const ok = await fetch(`${url}/health`).then(
      (r) => r.ok,
      () => false,
    );
    if (ok) break;
    if (Date.now() > deadline) {
      await stop();
      throw new Error(`mlflow server on ${url} did not answer /health within ${options.readyTimeoutMs ?? 90_000} ms (port taken? DRIFTWATCH_MLFLOW_PORT):\n${log.slice(-4000)}`);
    }
    await new Promise((r) => setTimeout(r, 250));
  }
  return { url, output: () => log, stop };
}
