// The multivariate score with SCALE_MODE=partitioned against the real broker (issue 12 on top of
// issue 15): a reference built with a multivariate block, one model's events spread over 6
// partitions by request id, read by 2 instances of the built CLI (`node dist/app/cli.js run`,
// separate processes) whose partial panes carry the MMD state (wire format version 2). Oracles:
// the batch recomputation of every window over the same events, and a SCALE_MODE=single run of
// the same stream. The univariate scores are equal exactly; the multivariate score, p-value and
// threshold to 1e-12 relative (Σφ is summed in another order: docs/multivariate.md, "Scale-out").
//
// As in partitioned.test.ts (the helpers both share are in harness.ts): a
// short stream ending near the wall clock (12 minutes of event time, 2 min windows sliding by
// 30 s), produced as a backlog before the instances start, MAX_EVENT_AGE above its span.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { saveReference } from '../../../src/adapters/files/reference-file.js';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import type { DriftEvent } from '../../../src/core/detect/drift-event.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { killAllLives, startLife, type Life } from '../../faults/lib.js';
import { creditRow, rng } from '../../fixtures/random.js';
import { eventJson, kafkaClient, readTopic, runId, tempDir } from '../helpers.js';

import {
  PARTITIONS,
  WINDOW_MS,
  buildCli,
  ensureTopics,
  expectedEnds,
  keyedStream,
  parseDriftEvents as parse,
  scaleEnv,
  stopLife as stop,
  streamStart,
  type Keyed,
} from './harness.js';
const MODEL = 'credit-scale-mv';
const id = runId();
const start = streamStart();
/** 12 minutes, 150 events a minute, drifting from minute 6; each event keyed by its request id. */
const events: Keyed[] = keyedStream(start, 1212);
const ENDS = expectedEnds(events);

const kafka = kafkaClient();
let reference: ReferenceDistribution;
let refs: string;
let configFile: string;
const lives: Life[] = [];

/** The credit reference with a multivariate block (D = 128, a small bootstrap: the score's null is not under test here). */
async function multivariateReference(): Promise<void> {
  refs = await tempDir('driftwatch-refs-mv-');
  const r = rng(20261212);
  reference = ReferenceDistribution.fromRows(
    Array.from({ length: 5000 }, () => creditRow(r)),
    { modelVersion: 'v1', multivariate: { replicates: 200, sizes: [100, 300, 1000] } },
  );
  await saveReference(reference, join(refs, 'v1', 'reference_distribution.json'));
}

beforeAll(async () => {
  await Promise.all([multivariateReference(), buildCli()]);
  configFile = join(await tempDir('driftwatch-scale-mv-'), 'driftwatch.yaml');
  await writeFile(configFile, 'kafka:\n  sessionTimeoutMs: 10s\n');
});

afterAll(() => killAllLives());

/** A run's own topics and group. */
async function setup(name: string, mode: 'single' | 'partitioned') {
  const topic = `scale-mv-${name}-${id}`;
  const eventsTopic = `scale-mv-${name}-events-${id}`;
  await ensureTopics(kafka, [{ topic, partitions: PARTITIONS }, { topic: eventsTopic }]);
  const env = scaleEnv(`scale-mv-${name}`, id, refs, mode);
  const producer = kafka.producer();
  await producer.connect();
  for (let i = 0; i < events.length; i += 500) {
    await producer.send(
      topic,
      events.slice(i, i + 500).map((e) => ({ key: e.key, value: eventJson(MODEL, 'v1', e), partition: e.partition })),
    );
  }
  await producer.disconnect();
  const life = async () => {
    const l = await startLife(env, configFile);
    lives.push(l);
    return l;
  };
  /** The drift events, once a drift_check of every expected window is there. */
  const output = () =>
    readTopic(
      kafka,
      eventsTopic,
      (m) =>
        new Set(
          parse(m)
            .filter((e) => e.type === 'drift_check')
            .map((e) => e.window.end),
        ).size >= ENDS.length,
      // Seconds at rest; 111 s for the whole test, build included, at load 23.
      180_000,
    ).then(parse);
  return { life, output };
}

/** The error lines (level ≥ 50) of a life's log, and its warnings of panes without multivariate state, shortened: none expected. */
const complaints = (life: Life) =>
  life
    .stderr()
    .split('\n')
    .filter((l) => /"level":(5|6)0/.test(l) || /without multivariate state/.test(l))
    .map((l) => l.slice(0, 600));

/** |got − want| ≤ 1e-12·|want|. */
function close(got: number | null | undefined, want: number | null | undefined, what: string): void {
  expect(typeof got, what).toBe('number');
  expect(Math.abs(got! - want!), `${what}: ${got} against ${want}`).toBeLessThanOrEqual(1e-12 * Math.abs(want!));
}

const detector = new DriftDetector({ now: () => new Date(0) });
/** Every window against the batch recomputation (one check per window end); one drift episode. */
function check(out: DriftEvent[], what: string): Map<string, DriftEvent> {
  const checks = out.filter((e) => e.type === 'drift_check');
  expect([...new Set(checks.map((c) => c.window.end))].sort(), what).toEqual(ENDS);
  const byEnd = new Map<string, DriftEvent>();
  for (const c of checks) {
    byEnd.set(c.window.end, c);
    const end = Date.parse(c.window.end);
    const rows = events.filter((e) => e.timestampMs >= end - WINDOW_MS && e.timestampMs < end).map((e) => e.features);
    const batch = detector.evaluate(accumulate(rows, reference), reference);
    const at = `${what} ${c.window.end}`;
    expect(c.sample_count, at).toBe(batch.sample_count);
    for (const f of reference.featureNames) expect(c.features[f].psi, `${at} ${f}`).toBe(batch.features[f].psi);
    expect(c.drifted_features, at).toEqual(batch.drifted_features);
    expect(c.multivariate, at).toBeDefined();
    close(c.multivariate!.score, batch.multivariate!.score, `${at} multivariate score`);
    close(c.multivariate!.p_value, batch.multivariate!.p_value, `${at} multivariate p-value`);
    close(c.multivariate!.threshold, batch.multivariate!.threshold, `${at} multivariate threshold`);
    expect([c.multivariate!.drifted, c.multivariate!.severity, c.multivariate!.sample_count], at).toEqual([
      batch.multivariate!.drifted,
      batch.multivariate!.severity,
      batch.multivariate!.sample_count,
    ]);
  }
  expect(new Set(out.filter((e) => e.type === 'drift_detected').map((e) => e.event_id)).size, `${what}: drift episodes`).toBe(1);
  return byEnd;
}

describe('the multivariate score with SCALE_MODE=partitioned on the real broker', () => {
  it('two instances over 6 partitions: every window as the batch recomputation and the single run', async () => {
    const baseline = await setup('single', 'single');
    const one = await baseline.life();
    const single = check(await baseline.output(), 'single');
    await stop(one);

    const run = await setup('p2', 'partitioned');
    const [a, b] = [await run.life(), await run.life()];
    const got = check(await run.output(), 'partitioned ×2');
    await Promise.all([stop(a), stop(b)]);
    for (const l of [one, a, b]) expect(complaints(l)).toEqual([]);
    // The stream drifts from minute 6: the multivariate score flags windows, and not the first ones.
    const flagged = ENDS.filter((end) => got.get(end)!.multivariate!.drifted);
    expect(flagged.length).toBeGreaterThan(0);
    expect(got.get(ENDS[0])!.multivariate!.drifted).toBe(false);
    for (const [end, s] of single) {
      const p = got.get(end)!;
      close(p.multivariate!.score, s.multivariate!.score, `${end} against single`);
      close(p.multivariate!.p_value, s.multivariate!.p_value, `${end} against single`);
      expect({ ...p, timestamp: undefined, multivariate: undefined }, end).toEqual({ ...s, timestamp: undefined, multivariate: undefined });
    }
  }, 420_000);
});
