// The service's real /metrics against the real Prometheus tools (v0.316.0 = Prometheus 3.16.0,
// built by test/services/up.sh): the whole service replays a seeded recorded stream with its
// HTTP server on; `promtool check metrics` accepts what /metrics serves (names, types, help,
// suffixes), and a Prometheus scraping the service answers the guide's dashboard query
// `feature_drift_score` through /api/v1/query with the scores of the last window, equal to the
// service's own /drift and to a batch recomputation of that window. The documented metric
// table (docs/http.md) names every metric family served.
import { spawn } from 'node:child_process';
import { readFile, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { resolveConfig } from '../../../src/app/config/load.js';
import { startService, type RunningService } from '../../../src/app/service.js';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import type { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { startPrometheus, type RunningPrometheus } from '../../services/prometheus.js';
import { creditStream, eventJson, quietLogger, referenceDir, runId, tempDir, type StreamEvent } from '../helpers.js';

const prometheusBinary = inject('prometheusBinary');
const promtoolBinary = inject('promtoolBinary');
const prometheusPort = inject('prometheusPort');

const MIN = 60_000;
const WINDOW_MS = 20 * MIN;
const SLIDE_MS = 5 * MIN;
const model = `credit-risk-prom-${runId()}`;
const start = Math.floor((Date.now() - 3 * 3_600_000) / SLIDE_MS) * SLIDE_MS;
// Drift from minute 40 of 80: the last window is drifted in income and employment_type.
const events: StreamEvent[] = creditStream(start, 80, 20, 40, 7);

let service: RunningService | undefined;
let prom: RunningPrometheus | undefined;
let reference: ReferenceDistribution;
let base = '';

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

interface DriftView {
  models: Record<
    string,
    { model_version: string; window_end: string; feature_scores: Record<string, number>; versions: Record<string, { feature_scores: Record<string, number> }> }
  >;
}

describe.skipIf(!prometheusBinary)('Prometheus against the running service', () => {
  beforeAll(async () => {
    const refs = await referenceDir('v1');
    reference = refs.reference;
    const dir = await tempDir('driftwatch-prom-');
    const stream = join(dir, 'events.jsonl');
    await writeFile(stream, events.map((e) => eventJson(model, 'v1', e)).join('\n') + '\n');
    const { config } = resolveConfig(
      {},
      {
        REFERENCE_DIR: refs.dir,
        DRIFT_WINDOW: '20m',
        DRIFT_CHECK_INTERVAL: '5m',
        ALLOWED_LATENESS: '5s',
        HTTP_ENABLED: 'true',
        HTTP_PORT: '0',
        HTTP_HOST: '127.0.0.1',
      },
    );
    service = await startService(config, { logger: quietLogger, write: () => undefined }, stream);
    await service.done;
    base = `http://127.0.0.1:${service.httpPort}`;
  });

  afterAll(async () => {
    await prom?.stop();
    await service?.stop();
  });

  it('promtool check metrics accepts the service /metrics as served (no lint findings)', async () => {
    const res = await fetch(`${base}/metrics`);
    expect(res.status).toBe(200);
    const text = await res.text();
    expect(text).toContain(`feature_drift_score{model="${model}",model_version="v1",feature="income"}`);
    const { code, output } = await promtool(['check', 'metrics'], text);
    expect(output).toBe('');
    expect(code).toBe(0);
    // The doubled prefix is gone: prom-client's process_* and nodejs_* under driftwatch_.
    expect(text).not.toMatch(/driftwatch_process_process_/);
    expect(text).toContain('# TYPE driftwatch_process_cpu_seconds_total counter');
    expect(text).toContain('# TYPE driftwatch_nodejs_eventloop_lag_seconds gauge');
  });

  it('docs/http.md names every metric family /metrics serves', async () => {
    const text = await (await fetch(`${base}/metrics`)).text();
    const families = [...text.matchAll(/^# TYPE (\S+) /gm)].map((m) => m[1]);
    const doc = await readFile(new URL('../../../docs/http.md', import.meta.url), 'utf8');
    const documented = [...doc.matchAll(/^\| `([a-z_*]+)`(?:, `([a-z_*]+)`)*/gm)].flatMap((m) => [...m[0].matchAll(/`([a-z_*]+)`/g)].map((n) => n[1]));
    const covered = (name: string) => documented.some((d) => (d.endsWith('*') ? name.startsWith(d.slice(0, -1)) : d === name));
    expect(families.filter((f) => !covered(f))).toEqual([]);
  });

  it("a Prometheus scraping the service answers feature_drift_score with the last window's scores, as /drift and a batch recomputation say", async () => {
    prom = await startPrometheus({ binary: prometheusBinary, port: prometheusPort, targets: [`127.0.0.1:${service!.httpPort}`] });
    await prom.waitForValue(`feature_drift_score{model="${model}"}`, 30_000);
    const samples = await prom.query('feature_drift_score');
    const ours = samples.filter((s) => s.metric.model === model);
    const drift = ((await (await fetch(`${base}/drift`)).json()) as DriftView).models[model]!;
    expect(drift.model_version).toBe('v1');
    const byFeature = Object.fromEntries(ours.map((s) => [s.metric.feature, Number(s.value[1])]));
    expect(Object.keys(byFeature).sort()).toEqual(Object.keys(drift.feature_scores).sort());
    for (const s of ours) {
      expect(s.metric).toMatchObject({ __name__: 'feature_drift_score', job: 'driftwatch', model_version: 'v1' });
      // Prometheus keeps float64; the text format carries the shortest round-trip representation.
      expect(Number(s.value[1]), s.metric.feature).toBe(drift.feature_scores[s.metric.feature!]);
    }
    const end = Date.parse(drift.window_end);
    const rows = events.filter((e) => e.timestampMs >= end - WINDOW_MS && e.timestampMs < end).map((e) => e.features);
    const batch = new DriftDetector({ now: () => new Date(0) }).evaluate(accumulate(rows, reference), reference);
    for (const [feature, f] of Object.entries(batch.features)) if (f.score !== null) expect(byFeature[feature], feature).toBe(f.score);
    expect(byFeature.income).toBeGreaterThan(0.3);
    const detected = await prom.query(`drift_detected{model="${model}"}`);
    expect(detected.map((s) => s.value[1])).toEqual(['1']);
  });
});
