// The scheduled loop of `driftwatch job` on a virtual clock against a real store made
// unreachable: a private redis-server this test starts on a free port (never the shared one),
// stops and starts again. /metrics counts every outcome (driftwatch_job_runs_total), /readyz
// answers 503 with the reason while the store is down and 200 again after a good run, the next
// tick retries, nothing crashes and no two runs overlap. A rerun of a window gives the same
// drift events (event_id included).
import { spawn, type ChildProcess } from 'node:child_process';
import { createServer } from 'node:net';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { storeFeaturesRedisStream } from '../../../src/index.js';
import { jobOnce, startJob, type RunningJob } from '../../../src/app/commands/job.js';
import { driftEventsOf } from '../../../src/core/detect/drift-event.js';
import type { Evaluation } from '../../../src/core/detect/evaluation.js';
import { SUCCESS, type EvaluationExporter } from '../../../src/runtime/ports.js';
import { RedisSource } from '../../../src/adapters/stores/redis.js';
import type { FeatureSource } from '../../../src/adapters/stores/source.js';
import { VirtualClock } from '../../unit/job/virtual-clock.js';
import { quietLogger, waitFor } from '../helpers.js';
import { END, HOUR, jobEnv, numericReference, vectors } from './helpers.js';

async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

/** A throwaway redis-server (no persistence) on `port`, started and stopped by this test only. */
class PrivateRedis {
  private child: ChildProcess | null = null;
  constructor(readonly port: number) {}
  get url() {
    return `redis://127.0.0.1:${this.port}`;
  }
  async start(): Promise<void> {
    this.child = spawn('redis-server', ['--port', String(this.port), '--bind', '127.0.0.1', '--save', '', '--appendonly', 'no'], { stdio: 'ignore' });
    await waitFor(`redis-server on ${this.port}`, 20_000, async () => {
      const c = createClient({ url: this.url, socket: { reconnectStrategy: false } });
      c.on('error', () => undefined);
      try {
        await c.connect();
        return (await c.ping()) === 'PONG';
      } catch {
        return false;
      } finally {
        if (c.isOpen) c.destroy();
      }
    });
  }
  async stop(): Promise<void> {
    const child = this.child;
    if (!child || child.exitCode !== null) return;
    const exited = new Promise((r) => child.once('exit', r));
    child.kill('SIGTERM');
    await exited;
    this.child = null;
  }
}

class MemoryExporter implements EvaluationExporter {
  readonly name = 'memory';
  readonly evaluations: Evaluation[] = [];
  async export(evaluation: Evaluation) {
    this.evaluations.push(evaluation);
    return SUCCESS;
  }
  async forceFlush() {}
  async shutdown() {}
}

const KEY = 'recent_features';

describe('driftwatch job: the loop against a store that goes down and comes back', () => {
  let redis: PrivateRedis;
  let refs: Awaited<ReturnType<typeof numericReference>>;

  /** 200 entries in each hour before END + 2 h: every tick of the test has a full window. */
  async function fill(): Promise<void> {
    const c = createClient({ url: redis.url, socket: { reconnectStrategy: false } });
    await c.connect();
    for (let h = -2; h < 2; h++) for (const [k, v] of vectors(200, 500 + h).entries()) await storeFeaturesRedisStream(c, v, { key: KEY, at: new Date(END + h * HOUR + k * 1000) });
    await c.close();
  }

  beforeAll(async () => {
    refs = await numericReference();
    redis = new PrivateRedis(await freePort());
    await redis.start();
    await fill();
  });
  afterAll(async () => {
    await redis.stop();
  });

  const env = () => ({
    ...jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'redis', FEATURE_STORE_URL: redis.url, FEATURE_STORE_REDIS_MODE: 'stream', FEATURE_STORE_KEY: KEY }),
    HTTP_ENABLED: 'true',
    HTTP_HOST: '127.0.0.1',
    HTTP_PORT: '0',
    OUTPUT_CONSOLE: 'false',
  });

  async function scrape(job: RunningJob): Promise<{ runs: Record<string, number>; ready: { status: number; body: Record<string, unknown> } }> {
    const base = `http://127.0.0.1:${job.httpPort}`;
    const text = await (await fetch(`${base}/metrics`)).text();
    const runs: Record<string, number> = {};
    for (const m of text.matchAll(/^driftwatch_job_runs_total\{outcome="(\w+)"\} (\d+)$/gm)) runs[m[1]!] = Number(m[2]);
    const r = await fetch(`${base}/readyz`);
    return { runs, ready: { status: r.status, body: (await r.json()) as Record<string, unknown> } };
  }

  it('counts each outcome, says why it is not ready while the store is down, retries on the next tick, and is ready again after a good run', async () => {
    // Ticks every hour at END − 1h, END, END + 1h, ...; the clock starts just before the first.
    const clock = new VirtualClock(END - HOUR - 60_000);
    const exporter = new MemoryExporter();
    // The real Redis source, wrapped to see how many reads run at once and to hold one read open.
    const redisSource = new RedisSource({ url: redis.url, key: KEY, mode: 'stream' });
    let active = 0;
    let maxActive = 0;
    let hold: Promise<void> | null = null;
    const source: FeatureSource = {
      name: redisSource.name,
      async read(window, onRow) {
        maxActive = Math.max(maxActive, ++active);
        try {
          await hold;
          return await redisSource.read(window, onRow);
        } finally {
          active--;
        }
      },
      close: () => redisSource.close(),
    };
    const job = await startJob({}, { env: env(), clock, logger: quietLogger as never, exporters: [exporter], source });
    try {
      const tick = async (to: number) => {
        await clock.advance(to - clock.t);
        await job.scheduler.whenIdle();
      };
      // 1. The store answers: ok, ready; the window ends at the scheduled time.
      await tick(END - HOUR);
      let s = await scrape(job);
      expect(s.runs).toMatchObject({ ok: 1, failed: 0, missed: 0, skipped_overlap: 0 });
      expect(s.ready.status).toBe(200);
      expect(exporter.evaluations.at(-1)).toMatchObject({ windowStart: new Date(END - 2 * HOUR), windowEnd: new Date(END - HOUR) });
      expect(exporter.evaluations.at(-1)!.checks[0]!.check.sample_count).toBe(200);

      // 2. The store goes down: the run fails, is counted, /readyz is 503 and names the store and the setting.
      await redis.stop();
      await tick(END);
      s = await scrape(job);
      expect(s.runs).toMatchObject({ ok: 1, failed: 1 });
      expect(s.ready.status).toBe(503);
      expect((s.ready.body.reasons as Record<string, string>).last_run_ok).toMatch(
        /^run scheduled at 2026-12-01T12:00:00\.000Z failed: redis \(FEATURE_STORE_URL\): cannot connect to 127\.0\.0\.1:\d+: .*ECONNREFUSED/,
      );
      expect(job.scheduler.nextTickMs).toBe(END + HOUR);

      // 3. Still down on the next tick: tried again, failed again, the loop still alive.
      await tick(END + HOUR);
      expect((await scrape(job)).runs).toMatchObject({ failed: 2 });

      // 4. Back (empty: no persistence), refilled: the next tick succeeds and readiness returns.
      await redis.start();
      await fill();
      await tick(END + 2 * HOUR);
      s = await scrape(job);
      expect(s.runs).toMatchObject({ ok: 2, failed: 2 });
      expect(s.ready).toMatchObject({ status: 200, body: { status: 'ready' } });
      expect(exporter.evaluations.at(-1)).toMatchObject({ windowStart: new Date(END + HOUR), windowEnd: new Date(END + 2 * HOUR) });

      // 5. The process is frozen past the misfire grace (300 s): the late tick is skipped and counted.
      clock.t = END + 3 * HOUR + 301_000;
      await clock.advance(0);
      await job.scheduler.whenIdle();
      s = await scrape(job);
      expect(s.runs).toMatchObject({ ok: 2, failed: 2, missed: 1 });
      expect(exporter.evaluations).toHaveLength(2);

      // 6. A run still in progress when the next tick comes: that tick is skipped and counted.
      let release!: () => void;
      hold = new Promise<void>((r) => (release = r));
      await clock.advance(END + 4 * HOUR - clock.t); // starts, and waits on `hold`
      await clock.advance(HOUR); // the END + 5h tick meets it
      expect((await scrape(job)).runs).toMatchObject({ skipped_overlap: 1 });
      release();
      await job.scheduler.whenIdle();
      s = await scrape(job);
      expect(s.runs).toMatchObject({ ok: 3, failed: 2, missed: 1, skipped_overlap: 1 });
      expect(maxActive).toBe(1);
    } finally {
      await job.stop();
    }
  });

  it('a rerun of the same window gives the same drift events, event_id included', async () => {
    const runs: DriftEventsRun[] = [];
    for (let i = 0; i < 2; i++) {
      const exporter = new MemoryExporter();
      await jobOnce({ once: true, json: true, at: new Date(END).toISOString() }, { env: { ...env(), HTTP_ENABLED: 'false' }, logger: quietLogger as never, exporters: [exporter] });
      runs.push(driftEventsOf(exporter.evaluations[0]!, true));
    }
    expect(runs[0]!.length).toBeGreaterThan(0);
    expect(runs[0]![0]!.window).toEqual({ start: new Date(END - HOUR).toISOString(), end: new Date(END).toISOString() });
    expect(runs[1]).toEqual(runs[0]);
    expect(runs[1]!.map((e) => e.event_id)).toEqual(runs[0]!.map((e) => e.event_id));
  });
});

type DriftEventsRun = ReturnType<typeof driftEventsOf>;
