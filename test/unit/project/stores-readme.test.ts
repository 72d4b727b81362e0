// The README's "Feature stores and scheduled checks" walk-through, checked against the code:
// the demo producer run with the section's own arguments for the section's own `sleep`, on a
// virtual clock, gives rows that `check` (the same statistics as `job --once`) finds drifted
// with the bundled reference. Its first version drifted only after 2 minutes while the check
// ran 30 s in, so it never showed drift.
import { readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { describe, expect, it } from 'vitest';
import { parseDuration } from '../../../src/core/duration.js';
import { runDemoProducer, type DemoEvent } from '../../../src/app/demo/producer.js';
import { checkCommand } from '../../../src/app/commands/check.js';
import { loadConfig } from '../../../src/app/config/load.js';
import { virtualClock } from '../runtime/virtual-clock.js';

const root = fileURLToPath(new URL('../../../', import.meta.url));
const readme = readFileSync(join(root, 'README.md'), 'utf8');
const start = readme.indexOf('\n## Feature stores and scheduled checks\n');
const section = readme.slice(start, readme.indexOf('\n## ', start + 1));
const shell = [...section.matchAll(/```sh\n([\s\S]*?)```/g)].map((m) => m[1]!).join('\n');

/** The value of `--flag` on the section's demo-producer line. */
function flag(name: string): string {
  const line = shell.split('\n').find((l) => l.includes('driftwatch demo-producer'));
  const value = line?.match(new RegExp(`--${name} (\\S+)`))?.[1];
  if (!value) throw new Error(`the README's demo-producer line has no --${name}`);
  return value;
}

/** Seconds between starting npx and the producer's first row (seen: 5–8 s on a loaded machine). */
const STARTUP_S = 10;

describe('README: Feature stores and scheduled checks', () => {
  it('the demo producer, as the section runs it, has drifted rows enough for the check it runs next', async () => {
    expect(start).toBeGreaterThan(0);
    const sleepS = Number(shell.match(/^sleep (\d+)$/m)?.[1]);
    expect(sleepS).toBeGreaterThan(STARTUP_S);
    const rate = Number(flag('rate'));
    const driftAfterMs = parseDuration(flag('drift-after'))!;
    const events: DemoEvent[] = [];
    const clock = virtualClock(Date.parse('2026-12-02T18:00:00Z'));
    const abort = new AbortController();
    clock.scheduler.schedule(() => abort.abort(), (sleepS - STARTUP_S) * 1000);
    const sink = { description: 'memory', open: async () => undefined, send: async (e: readonly DemoEvent[]) => void events.push(...e), close: async () => undefined };
    const result = await clock.run(
      runDemoProducer({
        sink,
        topic: 'unused',
        ratePerSecond: rate,
        driftAfterMs,
        model: 'credit-risk',
        modelVersion: 'v1.2.0',
        seed: 42,
        maxEvents: Number(flag('max-events')),
        signal: abort.signal,
        scheduler: clock.scheduler,
      }),
    );
    const { config } = await loadConfig({ env: {} });
    expect(result.drifted).toBeGreaterThanOrEqual(config.drift.minSamples);
    // The rows the check of the section reads: every one the producer wrote by then.
    const dir = await mkdtemp(join(tmpdir(), 'driftwatch-readme-stores-'));
    const input = join(dir, 'events.jsonl');
    await writeFile(input, events.map((e) => JSON.stringify(e)).join('\n') + '\n');
    const out = await checkCommand({ reference: join(root, 'config/examples/model_artifacts/v1.2.0/reference_distribution.json'), input, json: true }).finally(() =>
      rm(dir, { recursive: true, force: true }),
    );
    expect(JSON.parse(out.stdout)).toMatchObject({ drift_detected: true, sample_count: events.length });
  });

  it('npx sets itself up before the timed steps (its first run in a fresh clone took 29 s, and the check then saw 23 rows)', () => {
    const lines = shell.split('\n');
    const first = lines.findIndex((l) => /^npx driftwatch /.test(l));
    expect(lines[first]).toBe('npx driftwatch --version');
    expect(first).toBeLessThan(lines.findIndex((l) => l.includes('driftwatch demo-producer')));
  });

  it("InfluxDB is shown in the form the demo can write (wide), and the services' passwords where they are", () => {
    expect(shell).toMatch(/FEATURE_STORE_TYPE=influxdb [^\n]*FEATURE_STORE_LAYOUT=wide/);
    expect(shell).toMatch(/FEATURE_STORE_TYPE=redis FEATURE_STORE_URL=redis:\/\/:\$\(cat \.services\/run\/redis\.password\)@/);
    expect(shell).toMatch(/FEATURE_STORE_URL=postgres:\/\/driftwatch:\$\(cat \.services\/run\/postgres\.password\)@/);
  });
});
