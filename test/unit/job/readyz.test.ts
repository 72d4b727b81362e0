// The scheduled job's /readyz tells the truth about its last run (docs/http.md): before any run
// has finished there is no `last_run_ok` (nothing succeeded or failed yet), after a failed run it
// is false with the reason, after a good one true. Time moves on a virtual clock; the store is
// an in-memory source that fails when told to.
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startJob } from '../../../src/app/commands/job.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { saveReference } from '../../../src/adapters/files/reference-file.js';
import type { FeatureSource } from '../../../src/adapters/stores/source.js';
import { VirtualClock } from './virtual-clock.js';

const HOUR = 3_600_000;
const END = Date.parse('2026-12-01T12:00:00Z');
const silent = { info() {}, warn() {}, error() {}, debug() {}, trace() {}, fatal() {}, child: () => silent, level: 'silent' };

describe('driftwatch job /readyz: last_run_ok', () => {
  let dir: string;
  beforeAll(async () => {
    dir = await mkdtemp(join(tmpdir(), 'driftwatch-readyz-'));
    const rows = Array.from({ length: 200 }, (_, i) => [i % 17, (i * 7) % 13]);
    await saveReference(ReferenceDistribution.fromRows(rows, { featureNames: ['a', 'b'], modelVersion: 'v1' }), join(dir, 'v1', 'reference_distribution.json'));
  });
  afterAll(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it('is absent before the first run, false after a failed run, true after a good one', async () => {
    let fail = true;
    const source: FeatureSource = {
      name: 'memory',
      async read(_window, onRow) {
        if (fail) throw new Error('store down');
        for (let i = 0; i < 50; i++) onRow({ features: [i % 17, (i * 7) % 13] });
        return { rows: 50 };
      },
      async close() {},
    };
    const clock = new VirtualClock(END - HOUR - 60_000);
    const env = {
      REFERENCE_DIR: dir,
      MODEL_NAME: 'm',
      MODEL_VERSION: 'v1',
      DRIFT_WINDOW: '1h',
      DRIFT_CHECK_INTERVAL: '1h',
      FEATURE_STORE_TYPE: 'file',
      FEATURE_STORE_PATHS: join(dir, 'none.jsonl'),
      HTTP_ENABLED: 'true',
      HTTP_HOST: '127.0.0.1',
      HTTP_PORT: '0',
      OUTPUT_CONSOLE: 'false',
      LOG_LEVEL: 'silent',
    };
    const job = await startJob({}, { env, clock, logger: silent as never, exporters: [], source });
    const ready = async () => {
      const r = await fetch(`http://127.0.0.1:${job.httpPort}/readyz`);
      return { status: r.status, body: (await r.json()) as { status: string; checks: Record<string, boolean>; reasons?: Record<string, string> } };
    };
    const tick = async (to: number) => {
      await clock.advance(to - clock.t);
      await job.scheduler.whenIdle();
    };
    try {
      // Nothing has run: ready on the references alone, and no claim about a last run.
      let r = await ready();
      expect(r).toEqual({ status: 200, body: { status: 'ready', checks: { references_loaded: true } } });

      await tick(END - HOUR);
      r = await ready();
      expect(r.status).toBe(503);
      expect(r.body.checks).toEqual({ references_loaded: true, last_run_ok: false });
      expect(r.body.reasons?.last_run_ok).toMatch(/^run scheduled at 2026-12-01T11:00:00\.000Z failed: .*store down/);

      fail = false;
      await tick(END);
      r = await ready();
      expect(r).toEqual({ status: 200, body: { status: 'ready', checks: { references_loaded: true, last_run_ok: true } } });
    } finally {
      await job.stop();
    }
  });
});
