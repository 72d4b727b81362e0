// SCALE_MODE=partitioned against the real broker (issue 15): one model's events spread over 6
// partitions by request id, read by 1, 2 and 3 instances of the built CLI (separate processes,
// `node dist/app/cli.js run`), one joining mid-stream, one SIGKILLed mid-stream. Oracles: the
// batch recomputation of every window over the same events, and a single-instance run with
// SCALE_MODE=single over the same stream; the drift episode is reported once.
//
// The stream is short and ends near the wall clock (12 minutes of event time, 2 min windows
// sliding by 30 s), so that a run takes seconds; it is produced as a backlog before (or while)
// the instances read it, so MAX_EVENT_AGE is raised above its span: with the default (3 windows)
// the first batch of a partition, which holds the whole backlog, would dead-letter its oldest
// events as too_old (docs/windows-and-delivery.md) and those windows would differ from the batch.
import { writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import type { DriftEvent } from '../../../src/core/detect/drift-event.js';
import type { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { gaugeMax, httpStatus, killAllLives, startLife, waitFor, type Life } from '../../faults/lib.js';
import { eventJson, kafkaClient, readTopic, referenceDir, runId, tempDir } from '../helpers.js';

import {
  MIN,
  PARTITIONS,
  STREAM_MIN,
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
const MODEL = 'credit-scale';
const id = runId();
const start = streamStart();
/** 12 minutes, 150 events a minute, drifting from minute 6; each event keyed by its request id. */
const events: Keyed[] = keyedStream(start, 1515);
const ENDS = expectedEnds(events);

const kafka = kafkaClient();
let reference: ReferenceDistribution;
let refs: string;
let configFile: string;
const lives: Life[] = [];

beforeAll(async () => {
  const [r] = await Promise.all([referenceDir('v1'), buildCli()]);
  reference = r.reference;
  refs = r.dir;
  // A short session, so that the group notices a SIGKILLed member in seconds.
  configFile = join(await tempDir('driftwatch-scale-'), 'driftwatch.yaml');
  await writeFile(configFile, 'kafka:\n  sessionTimeoutMs: 10s\n');
});

afterAll(() => killAllLives());

/** A run's own topics and group. */
async function setup(name: string, mode: 'single' | 'partitioned') {
  const topic = `scale-${name}-${id}`;
  const eventsTopic = `scale-${name}-events-${id}`;
  await ensureTopics(kafka, [{ topic, partitions: PARTITIONS }, { topic: eventsTopic }]);
  const env = scaleEnv(`scale-${name}`, id, refs, mode);
  const produce = async (fromMs: number, toMs: number) => {
    const producer = kafka.producer();
    await producer.connect();
    const part = events.filter((e) => e.timestampMs >= fromMs && e.timestampMs < toMs);
    for (let i = 0; i < part.length; i += 500) {
      await producer.send(
        topic,
        part.slice(i, i + 500).map((e) => ({ key: e.key, value: eventJson(MODEL, 'v1', e), partition: e.partition })),
      );
    }
    await producer.disconnect();
  };
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
      90_000,
    ).then(parse);
  return { produce, life, output };
}

const content = (e: DriftEvent) => JSON.stringify({ ...e, timestamp: undefined });

/** The error lines (level ≥ 50) of a life's log, shortened: none expected. */
const errors = (life: Life) =>
  life
    .stderr()
    .split('\n')
    .filter((l) => /"level":(5|6)0/.test(l))
    .map((l) => l.slice(0, 600));

/**
 * Every life's HTTP server listens and /readyz says it joined the group. A failure says, for each
 * life, whether it still runs (or its exit code), its port, its last /readyz answer and the end of
 * its standard error, so that a failure explains itself.
 */
async function ready(group: Life[], what: string): Promise<void> {
  let answers: { status: number; body: string }[] = group.map(() => ({ status: 0, body: '' }));
  // A child that stopped will never answer: fail at once, with its reason.
  const stopped = Promise.race(group.map((l, i) => l.exit.then(() => Promise.reject(new Error(`instance ${i + 1} stopped while waiting for ${what}`)))));
  stopped.catch(() => undefined);
  try {
    await Promise.race([
      waitFor(what, 60_000, async () => {
        answers = await Promise.all(group.map((l) => httpStatus(l, '/readyz')));
        return answers.every((r) => r.status === 200 && /"group_joined":\s*true/.test(r.body));
      }),
      stopped,
    ]);
  } catch (error) {
    const each = group.map((l, i) => `instance ${i + 1}: /readyz ${answers[i].status} ${answers[i].body.replace(/\s+/g, '')}; ${l.describe()}`);
    throw new Error(`${(error as Error).message}\n${each.join('\n')}`, { cause: error });
  }
}

const detector = new DriftDetector({ now: () => new Date(0) });
/** Every window equals the batch recomputation; every copy of a check is the same; one drift episode. */
function check(out: DriftEvent[], what: string): Map<string, string> {
  const checks = out.filter((e) => e.type === 'drift_check');
  expect([...new Set(checks.map((c) => c.window.end))].sort(), what).toEqual(ENDS);
  const byEnd = new Map<string, string>();
  for (const c of checks) {
    const known = byEnd.get(c.window.end);
    if (known !== undefined) expect(content(c), `${what}: a copy of ${c.window.end}`).toBe(known);
    byEnd.set(c.window.end, content(c));
    const end = Date.parse(c.window.end);
    const rows = events.filter((e) => e.timestampMs >= end - WINDOW_MS && e.timestampMs < end).map((e) => e.features);
    const batch = detector.evaluate(accumulate(rows, reference), reference);
    expect(c.sample_count, `${what} ${c.window.end}`).toBe(batch.sample_count);
    for (const f of reference.featureNames) expect(c.features[f].psi, `${what} ${c.window.end} ${f}`).toBe(batch.features[f].psi);
    expect(c.drifted_features, `${what} ${c.window.end}`).toEqual(batch.drifted_features);
  }
  const detected = new Set(out.filter((e) => e.type === 'drift_detected').map((e) => e.event_id));
  expect(detected.size, `${what}: drift episodes`).toBe(1);
  expect(
    out.filter((e) => e.type === 'drift_resolved'),
    `${what}: resolved`,
  ).toHaveLength(0);
  return byEnd;
}

describe('SCALE_MODE=partitioned on the real broker, 6 source partitions keyed by request id', () => {
  let baseline: Map<string, string>;

  it('baseline: one instance with SCALE_MODE=single', async () => {
    const run = await setup('single', 'single');
    await run.produce(start, start + (STREAM_MIN + 1) * MIN);
    const life = await run.life();
    const out = await run.output();
    await stop(life);
    baseline = check(out, 'single');
    expect(baseline.size).toBe(ENDS.length);
  }, 150_000);

  it('one instance, partitioned: the same windows as the single run', async () => {
    const run = await setup('p1', 'partitioned');
    await run.produce(start, start + (STREAM_MIN + 1) * MIN);
    const life = await run.life();
    const out = await run.output();
    // The merge stage's counts on /metrics (docs/http.md): every pane merged, none ignored.
    const { body } = await httpStatus(life, '/metrics');
    expect(Number(/^driftwatch_merge_panes_total\{outcome="merged"\} (\d+)$/m.exec(body)?.[1]), 'merged panes on /metrics').toBeGreaterThan(0);
    expect(body).toMatch(/^driftwatch_merge_panes_total\{outcome="undecodable"\} 0$/m);
    await stop(life);
    const got = check(out, 'partitioned ×1');
    for (const [end, c] of baseline) expect(got.get(end), `partitioned ×1 ${end}`).toBe(c);
    expect(errors(life)).toEqual([]);
  }, 150_000);

  it('two instances, the second joining mid-stream: the same windows', async () => {
    const run = await setup('p2', 'partitioned');
    await run.produce(start, start + (STREAM_MIN / 2) * MIN);
    const first = await run.life();
    const events = kafkaClient();
    await readTopic(events, `scale-p2-events-${id}`, (m) => parse(m).filter((e) => e.type === 'drift_check').length >= 3, 120_000);
    const second = await run.life(); // the group rebalances: 3 source partitions each
    await ready([second], 'the second instance ready');
    await run.produce(start + (STREAM_MIN / 2) * MIN, start + (STREAM_MIN + 1) * MIN);
    const out = await run.output();
    // The member that joined read source partitions of its own.
    expect((await gaugeMax(second, 'driftwatch_events_consumed_total')) ?? 0).toBeGreaterThan(0);
    await Promise.all([stop(first), stop(second)]);
    for (const l of [first, second]) expect(errors(l)).toEqual([]);
    const got = check(out, 'partitioned ×2');
    for (const [end, c] of baseline) expect(got.get(end), `partitioned ×2 ${end}`).toBe(c);
  }, 150_000);

  it('three instances, the one merging the model SIGKILLed mid-stream: the same windows, the episode once', async () => {
    const run = await setup('p3', 'partitioned');
    const lives3 = await Promise.all([run.life(), run.life(), run.life()]);
    await ready(lives3, 'three instances in the group');
    await run.produce(start, start + 5 * MIN);
    // The victim merges the model's key (it evaluated windows) and reads source partitions: both
    // stages lose a member, the merge's held panes and hysteresis come back from the broker.
    const victim = await waitFor('the instance merging the model', 60_000, async () => {
      for (const l of lives3) {
        if (((await gaugeMax(l, 'driftwatch_windows_evaluated_total')) ?? 0) >= 2 && ((await gaugeMax(l, 'driftwatch_events_consumed_total')) ?? 0) > 0) return l;
      }
      return undefined;
    }).catch((error: Error) => {
      throw new Error(`${error.message}\n${lives3.map((l, i) => `instance ${i + 1}: ${l.describe(5)}`).join('\n')}`, { cause: error });
    });
    victim.child.kill('SIGKILL');
    await victim.exit;
    await run.produce(start + 5 * MIN, start + (STREAM_MIN + 1) * MIN);
    const out = await run.output();
    const survivors = lives3.filter((l) => l !== victim);
    const evaluatedBySurvivors = await Promise.all(survivors.map(async (l) => (await gaugeMax(l, 'driftwatch_windows_evaluated_total')) ?? 0));
    await Promise.all(survivors.map(stop));
    for (const l of survivors) expect(errors(l)).toEqual([]);
    const got = check(out, 'partitioned ×3, one killed');
    for (const [end, c] of baseline) expect(got.get(end), `partitioned ×3 ${end}`).toBe(c);
    // A survivor took the merge over.
    expect(Math.max(...evaluatedBySurvivors)).toBeGreaterThan(0);
  }, 150_000);
});
