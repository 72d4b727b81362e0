// The fault suite (issue 16, item 7; docs/testing.md, "Fault suite"). A seeded multi-model
// stream is run once without interruption (the baseline), then again under faults: repeated
// SIGKILLs of the service, the broker stopped and restarted on its data directory, InfluxDB
// down for a while, thousands of malformed events of many kinds, and hundreds of drifting
// models killed mid-stream. Every run's windows (every drift_check event, every statistic, bit
// for bit), state events (drift_detected / drift_resolved) and InfluxDB points are compared with
// the baseline's, and the counts are printed: identical, differing, missing, extra, duplicated.
//
// FAULTS=full (npm run test:faults) runs the long version; the default is the short one CI runs.
// The servers are the suite's own (test/faults/setup.ts), never the shared ones.
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { mkdir, writeFile } from 'node:fs/promises';
import { join } from 'node:path';
import { rng } from '../fixtures/random.js';
import {
  MIN,
  SLIDE_MS,
  asProduced,
  collect,
  committedEnds,
  compareEvents,
  comparePoints,
  createDatabase,
  ctl,
  eventValue,
  expectedWindows,
  formatCounts,
  gaugeMax,
  httpStatus,
  kafkaClient,
  killAllLives,
  lastWindowEnd,
  log,
  makeStream,
  produce,
  referenceDir,
  root,
  runId,
  sleep,
  startLife,
  waitFor,
  watchReadiness,
  type Counts,
  type Life,
  type Produced,
  type RunOutput,
  type StreamEvent,
  type StreamSpec,
} from './lib.js';

const FULL = process.env.FAULTS === 'full';
const P = {
  models: 4,
  versions: FULL ? 5 : 2,
  minutes: FULL ? 240 : 120,
  perMinute: FULL ? 30 : 10,
  kills: FULL ? 20 : 4,
  brokerOutageMs: (FULL ? 90 : 15) * 1000,
  influxOutageMs: (FULL ? 180 : 20) * 1000,
  malformedPerKind: FULL ? 1000 : 250,
  oversized: FULL ? { mb1: 6, mb5: 4 } : { mb1: 2, mb5: 1 },
  manyModels: FULL ? 400 : 200,
};
const PARTITIONS = 3;

const brokers = inject('faultKafkaBrokers');
const influxUrl = inject('faultInfluxUrl');
const servicesEnv = inject('faultServicesEnv');
const kafka = kafkaClient(brokers);
const startMs = Math.floor((Date.now() - 6 * 3_600_000) / SLIDE_MS) * SLIDE_MS;
const models = Array.from({ length: P.models }, (_, i) => `fm${i}`);
const versions = Array.from({ length: P.versions }, (_, i) => `v${i + 1}`);
const spec: StreamSpec = {
  seed: 16,
  models,
  versions,
  partitions: PARTITIONS,
  startMs,
  minutes: P.minutes,
  perMinute: P.perMinute,
  driftFrom: (_, i) => (i % 2 === 0 ? P.minutes / 2 : undefined),
};
const stream = makeStream(spec);
const expected = expectedWindows(stream, PARTITIONS);
const lastEnd = lastWindowEnd(stream, PARTITIONS);
let refs: string;
/** A killed member holds its partitions until its session times out: 10 s instead of 30 s. */
let configFile: string;
let baseline: RunOutput;
const report: Record<string, unknown>[] = [];

interface Run {
  id: string;
  topic: string;
  events: string;
  dlq: string;
  group: string;
  db: string;
  env: Record<string, string>;
}

async function newRun(name: string, overrides: Record<string, string> = {}, partitions = PARTITIONS): Promise<Run> {
  const id = `${name}-${runId()}`;
  const run = { id, topic: `predictions-${id}`, events: `drift-events-${id}`, dlq: `dlq-${id}`, group: `driftwatch-${id}`, db: `faults_${id.replace(/-/g, '_')}` };
  const admin = await kafka.admin();
  // The input topic takes 6 MB events; the dead-letter topic keeps the broker's default (~1 MB).
  await admin.ensureTopics([{ topic: run.topic, partitions, config: { 'max.message.bytes': String(6 * 1024 * 1024) } }]);
  await admin.disconnect();
  await createDatabase(influxUrl, run.db);
  const env = {
    KAFKA_BROKERS: brokers,
    KAFKA_TOPIC: run.topic,
    KAFKA_GROUP_ID: run.group,
    DRIFT_EVENTS_TOPIC: run.events,
    DEAD_LETTER_TOPIC: run.dlq,
    REFERENCE_DIR: refs,
    INFLUX_URL: influxUrl,
    INFLUX_TOKEN: 'driftwatch:driftwatch',
    INFLUX_ORG: 'driftwatch',
    INFLUX_BUCKET: `${run.db}/autogen`,
    DRIFT_WINDOW: '20m',
    DRIFT_CHECK_INTERVAL: '5m',
    ALLOWED_LATENESS: '5s',
    // Windows close on event time only, as in an uninterrupted run.
    PARTITION_IDLE_TIMEOUT: '1h',
    EMIT_ALL_CHECKS: 'true',
    LOG_LEVEL: 'info',
    ...overrides,
  };
  return { ...run, env };
}

/** Waits until every partition's commit records the last window as evaluated. */
async function waitDone(run: Run, last: number, life: () => Life, timeoutMs = FULL ? 900_000 : 240_000): Promise<void> {
  await waitFor(
    `the last window ${new Date(last).toISOString()} committed`,
    timeoutMs,
    async () => {
      if (life().child.exitCode !== null) throw new Error(`the service exited ${life().child.exitCode}:\n${life().stderr().slice(-3000)}`);
      return (await committedEnds(kafka, run.group, run.topic)).every((e) => e >= last);
    },
    1_000,
  ).catch((error: Error) => {
    throw new Error(`${error.message}\nservice stderr:\n${life().stderr().slice(-3000)}`);
  });
}

async function sigterm(life: Life): Promise<void> {
  life.child.kill('SIGTERM');
  const code = await life.exit;
  if (code !== 0) throw new Error(`SIGTERM: exit ${code}\n${life.stderr().slice(-3000)}`);
}

async function waitReady(life: Life, timeoutMs = 120_000): Promise<void> {
  await waitFor('/readyz 200', timeoutMs, async () => {
    if (life.child.exitCode !== null) throw new Error(`the service exited ${life.child.exitCode}:\n${life.stderr().slice(-3000)}`);
    return (await httpStatus(life, '/readyz')).status === 200;
  });
}

/** The comparison of a run with the baseline, printed and recorded; returns the counts. */
function compare(name: string, run: RunOutput, base: RunOutput, t0: number, extra: Record<string, unknown> = {}): { windows: Counts; states: Counts; points: Counts } {
  const windows = compareEvents(base.checks, run.checks);
  const states = compareEvents(base.states, run.states);
  const points = comparePoints(base.points, run.points);
  const seconds = (Date.now() - t0) / 1000;
  log(`${name} (${seconds.toFixed(0)} s)`);
  log(`  ${formatCounts('windows', windows)}`);
  log(`  ${formatCounts('state events', states)}`);
  log(`  ${formatCounts('influx points', points)}`);
  for (const e of [...windows.examples, ...states.examples, ...points.examples]) log(`    ${e}`);
  for (const [k, v] of Object.entries(extra)) log(`  ${k}: ${JSON.stringify(v)}`);
  const strip = ({ examples: _, ...c }: Counts & { examples?: string[] }) => c;
  report.push({ case: name, seconds, windows: strip(windows), states: strip(states), points: strip(points), ...extra });
  return { windows, states, points };
}

function expectClean(c: { windows: Counts; states: Counts; points: Counts }): void {
  for (const what of ['windows', 'states', 'points'] as const) {
    expect({ what, differing: c[what].differing, missing: c[what].missing, extra: c[what].extra }).toEqual({ what, differing: 0, missing: 0, extra: 0 });
  }
}

/** Readiness since a server was stopped: answers by status, and when the first 503 came. */
function readinessSummary(samples: readonly { atMs: number; status: number }[], sinceMs: number): { ready: number; notReady: number; first503AfterS: number | null } {
  const after = samples.filter((s) => s.atMs >= sinceMs);
  const first = after.find((s) => s.status === 503);
  return {
    ready: after.filter((s) => s.status === 200).length,
    notReady: after.filter((s) => s.status === 503).length,
    first503AfterS: first ? (first.atMs - sinceMs) / 1000 : null,
  };
}

function chunks<T>(items: readonly T[], n: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < n; i++) out.push(items.slice(Math.floor((i * items.length) / n), Math.floor(((i + 1) * items.length) / n)));
  return out;
}

beforeAll(async () => {
  refs = await referenceDir([...versions, 'solo']);
  configFile = join(refs, 'driftwatch.yaml');
  await writeFile(configFile, 'kafka:\n  sessionTimeoutMs: 10s\n');
  log(
    `${FULL ? 'full' : 'short'} suite: ${stream.length} events, ${models.length} models × ${versions.length} versions, ${P.minutes} min of event time, ${expected.size} windows expected (last ends ${new Date(lastEnd).toISOString()})`,
  );
});

afterAll(async () => {
  killAllLives();
  await mkdir(join(root, 'test-results'), { recursive: true });
  await writeFile(join(root, 'test-results', `faults-${FULL ? 'full' : 'short'}.json`), JSON.stringify(report, null, 2));
});

describe(`fault suite (${FULL ? 'full' : 'short'})`, () => {
  it('baseline: an uninterrupted run reports every window once', async () => {
    const t0 = Date.now();
    const run = await newRun('baseline');
    await produce(kafka, run.topic, asProduced(stream));
    const life = await startLife(run.env, configFile);
    await waitDone(run, lastEnd, () => life);
    await sigterm(life);
    baseline = await collect(kafka, { events: run.events, dlq: run.dlq }, { url: influxUrl, db: run.db });
    const copies = [...baseline.checks.values()].filter((c) => c.length > 1).length;
    log(
      `baseline (${((Date.now() - t0) / 1000).toFixed(0)} s): ${baseline.checks.size} windows, ${baseline.states.size} state events, ${baseline.points.size} InfluxDB points, ${copies} windows reported twice`,
    );
    report.push({ case: 'baseline', seconds: (Date.now() - t0) / 1000, windows: baseline.checks.size, states: baseline.states.size, points: baseline.points.size });
    expect([...baseline.checks.keys()].sort()).toEqual([...expected].sort());
    expect(copies).toBe(0);
    expect(baseline.deadLetters.size).toBe(0);
    expect(baseline.states.size).toBeGreaterThan(0); // the drifting models announced it
  });

  it(`${P.kills} SIGKILLs: every window as in the baseline, bit for bit`, async () => {
    const t0 = Date.now();
    const run = await newRun('sigkill');
    const r = rng(1616);
    const parts = chunks(stream, P.kills + 1);
    let life!: Life;
    for (let i = 0; i < P.kills; i++) {
      await produce(kafka, run.topic, asProduced(parts[i]));
      life = await startLife(run.env, configFile);
      await waitReady(life);
      await sleep(1_000 + r.uniform() * 3_000);
      life.child.kill('SIGKILL');
      await life.exit;
    }
    await produce(kafka, run.topic, asProduced(parts[P.kills]));
    life = await startLife(run.env, configFile);
    await waitDone(run, lastEnd, () => life);
    await sigterm(life);
    const out = await collect(kafka, { events: run.events, dlq: run.dlq }, { url: influxUrl, db: run.db });
    // Re-evaluation after a kill is allowed (at-least-once, same event_id): duplicates are reported, not failed.
    expectClean(compare(`sigkill ×${P.kills}`, out, baseline, t0));
  });

  it(`broker stopped for ${P.brokerOutageMs / 1000} s and restarted on its data: every window as in the baseline`, async () => {
    const t0 = Date.now();
    const run = await newRun('broker');
    const [before, after] = [stream.slice(0, Math.floor(stream.length * 0.4)), stream.slice(Math.floor(stream.length * 0.4))];
    await produce(kafka, run.topic, asProduced(before));
    const life = await startLife(run.env, configFile);
    await waitReady(life);
    await waitFor('a first window committed', 120_000, async () => (await committedEnds(kafka, run.group, run.topic)).some((e) => e > 0));
    const ready = watchReadiness(() => life);
    const stopT = Date.now();
    await ctl(servicesEnv, 'stop', 'kafka');
    const stoppedIn = Date.now() - stopT;
    await sleep(P.brokerOutageMs);
    const lagAgeS = await gaugeMax(life, 'driftwatch_consumer_lag_age_seconds');
    const lag = await gaugeMax(life, 'driftwatch_consumer_lag');
    const duringOutage = readinessSummary(ready.samples, stopT);
    const startT = Date.now();
    await ctl(servicesEnv, 'start', 'kafka');
    const startedIn = Date.now() - startT;
    await produce(kafka, run.topic, asProduced(after));
    await waitFor('/readyz 200 again', 180_000, async () => (await httpStatus(life, '/readyz')).status === 200);
    const readyAgainS = (Date.now() - startT) / 1000;
    await waitDone(run, lastEnd, () => life);
    ready.stop();
    await sigterm(life);
    const out = await collect(kafka, { events: run.events, dlq: run.dlq }, { url: influxUrl, db: run.db });
    const c = compare(`broker down ${P.brokerOutageMs / 1000} s`, out, baseline, t0, {
      readyz: duringOutage,
      readyAgainAfterBrokerStartS: readyAgainS,
      brokerStopS: stoppedIn / 1000,
      brokerStartS: startedIn / 1000,
      atOutageEnd: { lagAgeS, lag },
    });
    // The rejoin after the outage rebuilds from the last commit: windows evaluated since may come
    // again, with the same event_id (reported as duplicated, allowed by the design).
    expectClean(c);
    expect(duringOutage.notReady, '/readyz answered 503 during the outage').toBeGreaterThan(0);
    // The lag keeps its last value and its age tells how stale it is (docs/http.md).
    expect(lag).toBeDefined();
    expect(lagAgeS).toBeGreaterThanOrEqual(P.brokerOutageMs / 1000);
  });

  it(`InfluxDB down for ${P.influxOutageMs / 1000} s: every window and every point as in the baseline`, async () => {
    const t0 = Date.now();
    const run = await newRun('influx');
    const n = stream.length;
    await produce(kafka, run.topic, asProduced(stream.slice(0, Math.floor(n * 0.3))));
    const life = await startLife(run.env, configFile);
    await waitReady(life);
    await waitFor('a first window committed', 120_000, async () => (await committedEnds(kafka, run.group, run.topic)).some((e) => e > 0));
    const ready = watchReadiness(() => life);
    const stopT = Date.now();
    await ctl(servicesEnv, 'stop', 'influxdb');
    await produce(kafka, run.topic, asProduced(stream.slice(Math.floor(n * 0.3), Math.floor(n * 0.7))));
    await sleep(P.influxOutageMs);
    const duringOutage = readinessSummary(ready.samples, stopT);
    await ctl(servicesEnv, 'start', 'influxdb');
    await produce(kafka, run.topic, asProduced(stream.slice(Math.floor(n * 0.7))));
    await waitDone(run, lastEnd, () => life);
    ready.stop();
    await sigterm(life);
    const out = await collect(kafka, { events: run.events, dlq: run.dlq }, { url: influxUrl, db: run.db });
    const c = compare(`influxdb down ${P.influxOutageMs / 1000} s`, out, baseline, t0, { readyz: duringOutage });
    expectClean(c);
    expect(c.windows.duplicated + c.states.duplicated).toBe(0);
    expect(duringOutage.notReady, '/readyz answered 503 during the outage').toBeGreaterThan(0);
  });

  it(`malformed events (${P.malformedPerKind} of each kind, oversized, far-future, far-past, late, near-future outliers): windows as in the baseline, each dead-lettered with its reason`, async () => {
    const t0 = Date.now();
    // A day of MAX_EVENT_AGE: whether a late event is also `too_old` must not depend on how far
    // ahead of it the batch that carries it reaches (ingest counts a whole batch towards progress).
    const run = await newRun('malformed', { MAX_EVENT_AGE: '24h' });
    const half = Math.floor(stream.length / 2);
    const { messages, splitAt, injected } = withMalformed(stream, half);
    await produce(kafka, run.topic, messages.slice(0, splitAt));
    const life = await startLife(run.env, configFile);
    // Late events, for certain: stamped before windows already evaluated (and committed).
    const t1 = lastWindowEnd(stream.slice(0, half), PARTITIONS);
    await waitFor(`windows to ${new Date(t1).toISOString()} committed`, 180_000, async () => (await committedEnds(kafka, run.group, run.topic)).every((e) => e >= t1));
    const r = rng(777);
    const late: Produced[] = Array.from({ length: P.malformedPerKind }, () => {
      const mi = Math.floor(r.uniform() * models.length);
      const row = { age: 40, income: 50000, credit_score: 700, loan_amount: 10000, employment_type: 'salaried' };
      return { key: models[mi], partition: mi % PARTITIONS, value: eventValue(models[mi], 'v1', t1 - 25 * MIN - Math.round(r.uniform() * 15 * MIN), row) };
    });
    injected.byReason.late = late.length;
    await produce(kafka, run.topic, [...late, ...messages.slice(splitAt)]);
    await waitDone(run, lastEnd, () => life);
    await sigterm(life);
    const out = await collect(kafka, { events: run.events, dlq: run.dlq }, { url: influxUrl, db: run.db });
    const got: Record<string, number> = {};
    let truncated = 0;
    let copies = 0;
    for (const [reason, d] of out.deadLetters) {
      got[reason] = d.distinct.size;
      truncated += d.truncated;
      copies += d.copies - d.distinct.size;
    }
    const c = compare('malformed', out, baseline, t0, {
      injected: injected.byReason,
      deadLettered: got,
      truncated,
      oversizedInjected: injected.oversized,
      repeatedDeadLetters: copies,
    });
    expectClean(c);
    expect(c.windows.duplicated + c.states.duplicated).toBe(0);
    expect(got).toEqual(injected.byReason);
    expect(truncated).toBe(injected.oversized);
    expect(copies).toBe(0);
  });

  describe(`${P.manyModels} drifting models`, () => {
    const many = Array.from({ length: P.manyModels }, (_, i) => `dm${String(i).padStart(3, '0')}`);
    // One partition: its commit metadata has to carry the state of every model (about 26 bytes
    // each), which no longer fits 4,000 bytes from about 152 models on.
    const manySpec: StreamSpec = { seed: 1600, models: many, versions: ['solo'], partitions: 1, startMs, minutes: 60, perMinute: 4, driftFrom: () => 15 };
    const manyStream = makeStream(manySpec);
    const manyLast = lastWindowEnd(manyStream, 1);
    // Fewer rows per window than the default 100 decide: each model has about 80 in a window.
    const overrides = { DRIFT_MIN_SAMPLES: '40', LOG_LEVEL: 'warn' };
    let manyBaseline: RunOutput;
    let killed: RunOutput;
    let killedCounts: { windows: Counts; states: Counts; points: Counts };

    it('baseline: every model announces drift_detected', async () => {
      const t0 = Date.now();
      const run = await newRun('many-baseline', overrides, 1);
      await produce(kafka, run.topic, asProduced(manyStream));
      const life = await startLife(run.env, configFile);
      await waitDone(run, manyLast, () => life);
      await sigterm(life);
      manyBaseline = await collect(kafka, { events: run.events, dlq: run.dlq }, { url: influxUrl, db: run.db });
      const detected = [...manyBaseline.states.keys()].filter((k) => k.startsWith('drift_detected|'));
      log(
        `many-models baseline (${((Date.now() - t0) / 1000).toFixed(0)} s): ${manyBaseline.checks.size} windows, ${detected.length} drift_detected, ${manyBaseline.states.size} state events`,
      );
      report.push({ case: 'many-models baseline', seconds: (Date.now() - t0) / 1000, windows: manyBaseline.checks.size, drift_detected: detected.length });
      expect([...manyBaseline.checks.keys()].sort()).toEqual([...expectedWindows(manyStream, 1)].sort());
      expect(new Set(detected.map((k) => k.split('|')[1])).size).toBe(P.manyModels);
    });

    it('a SIGKILL after every model drifted: every window as in the baseline', async () => {
      const t0 = Date.now();
      const run = await newRun('many-kill', overrides, 1);
      // The kill comes when every model is in drift_detected (from minute 15) and before the stream ends.
      const cut = manyStream.findIndex((e) => e.timestampMs >= startMs + 45 * MIN);
      await produce(kafka, run.topic, asProduced(manyStream.slice(0, cut)));
      let life = await startLife(run.env, configFile);
      await waitFor('windows to minute 40 committed', 180_000, async () => (await committedEnds(kafka, run.group, run.topic)).every((e) => e >= startMs + 40 * MIN));
      life.child.kill('SIGKILL');
      await life.exit;
      await produce(kafka, run.topic, asProduced(manyStream.slice(cut)));
      life = await startLife(run.env, configFile);
      await waitDone(run, manyLast, () => life);
      await sigterm(life);
      killed = await collect(kafka, { events: run.events, dlq: run.dlq }, { url: influxUrl, db: run.db });
      const repeated = [...killed.states.keys()].filter((k) => k.startsWith('drift_detected|') && !manyBaseline.states.has(k)).length;
      killedCounts = compare(`many models (${P.manyModels}), SIGKILL`, killed, manyBaseline, t0, { newDriftDetected: repeated });
      for (const what of ['windows', 'points'] as const)
        expect({ what, differing: killedCounts[what].differing, missing: killedCounts[what].missing, extra: killedCounts[what].extra }).toEqual({
          what,
          differing: 0,
          missing: 0,
          extra: 0,
        });
    });

    it('… and no model announces drift_detected again (durable state beyond the commit metadata)', () => {
      expect(killedCounts, 'the previous case ran').toBeDefined();
      const repeated = [...killed.states.keys()].filter((k) => k.startsWith('drift_detected|') && !manyBaseline.states.has(k));
      expect({
        newDriftDetected: repeated.length,
        states: { differing: killedCounts.states.differing, missing: killedCounts.states.missing, extra: killedCounts.states.extra },
      }).toEqual({
        newDriftDetected: 0,
        states: { differing: 0, missing: 0, extra: 0 },
      });
    });
  });
});

/**
 * The stream with malformed events of many kinds mixed in (spread over the partitions and over
 * the stream's second to last tenth, never first in a partition), the index in it of stream
 * event `split`, and the dead letters expected by reason (the late ones are added by the case). Also one near-future outlier per partition: a valid event stamped 20 minutes past
 * the stream's end (within MAX_CLOCK_SKEW of the wall clock), which must move no watermark and
 * be no dead letter.
 */
function withMalformed(
  events: readonly StreamEvent[],
  split: number,
): { messages: Produced[]; splitAt: number; injected: { byReason: Record<string, number>; oversized: number } } {
  const r = rng(4242);
  const inserts: { at: number; m: Produced }[] = [];
  const byReason: Record<string, number> = {};
  const t = (i: number) => events[Math.min(events.length - 1, i)].timestampMs;
  const add = (reason: string | null, build: (at: number, model: string) => string | Buffer) => {
    const at = Math.floor(events.length * (0.1 + 0.8 * r.uniform()));
    const mi = Math.floor(r.uniform() * models.length);
    inserts.push({ at, m: { key: models[mi], partition: mi % PARTITIONS, value: build(at, models[mi]) } });
    if (reason) byReason[reason] = (byReason[reason] ?? 0) + 1;
  };
  const row = { age: 40, income: 50000, credit_score: 700, loan_amount: 10000, employment_type: 'salaried' };
  const kinds: [string, (at: number, model: string) => string][] = [
    ['invalid_json', (at, model) => `{"model":"${model}","model_version":"v1","timestamp":${t(at)},"features":{`],
    ['invalid_json', () => ''],
    ['invalid_event', (at, model) => JSON.stringify({ model, model_version: 'v1', timestamp: new Date(t(at)).toISOString(), features: 42 })],
    ['invalid_event', (at) => JSON.stringify({ model_version: 'v1', timestamp: new Date(t(at)).toISOString(), features: row })],
    ['invalid_timestamp', (_, model) => JSON.stringify({ model, model_version: 'v1', timestamp: 'yesterday at noon', features: row })],
    ['future_timestamp', (_, model) => eventValue(model, 'v1', Date.now() + 2 * 86_400_000 + r.uniform() * 365 * 86_400_000, row)],
    ['too_old', (_, model) => eventValue(model, 'v1', Date.UTC(1990, 0, 1) + r.uniform() * 86_400_000 * 365, row)],
    ['no_reference', (at, model) => eventValue(model, 'v-none', t(at), row)],
    ['no_known_features', (at, model) => eventValue(model, 'v1', t(at), { shoe_size: 43 })],
    ['feature_vector_length', (at, model) => JSON.stringify({ model, model_version: 'v1', timestamp: new Date(t(at)).toISOString(), feature_vector: [1, 2] })],
    ['name_too_long', (at) => eventValue('m'.repeat(10_000), 'v1', t(at), row)],
  ];
  for (const [reason, build] of kinds) for (let i = 0; i < P.malformedPerKind; i++) add(reason, build);
  // Oversized (cut to fit the dead-letter topic): ~1.1 MB that is not JSON, ~5 MB of an invalid event.
  for (let i = 0; i < P.oversized.mb1; i++) add('invalid_json', (_, model) => `{"model":"${model}","model_version":"v1","features":${'['.repeat(10)}${'x'.repeat(1_150_000)}`);
  for (let i = 0; i < P.oversized.mb5; i++)
    add('invalid_event', (at, model) => JSON.stringify({ model, model_version: 'v1', timestamp: new Date(t(at)).toISOString(), features: 'y'.repeat(5_000_000) }));
  // One near-future outlier per partition: kept, scored in a window past the stream's end.
  const end = events[events.length - 1].timestampMs;
  for (let p = 0; p < PARTITIONS; p++) {
    const at = Math.floor(events.length * (0.3 + 0.1 * p));
    inserts.push({ at, m: { key: models[p], partition: p, value: eventValue(models[p], 'v1', end + 20 * MIN, row) } });
  }
  inserts.sort((a, b) => a.at - b.at);
  const messages: Produced[] = [];
  let splitAt = 0;
  let k = 0;
  events.forEach((e, i) => {
    if (i === split) splitAt = messages.length;
    while (k < inserts.length && inserts[k].at === i) messages.push(inserts[k++].m);
    messages.push({ key: e.model, value: e.value, partition: e.partition });
  });
  return { messages, splitAt, injected: { byReason, oversized: P.oversized.mb1 + P.oversized.mb5 } };
}
