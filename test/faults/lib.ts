// The fault suite's tools (docs/testing.md, "Fault suite"): a seeded multi-model stream, the
// service under test as a child process (`node dist/app/cli.js run`), complete reads of its
// output topics and InfluxDB database, and the comparison of a run with its baseline.
import { spawn, type ChildProcess } from 'node:child_process';
import { randomUUID } from 'node:crypto';
import { mkdtemp } from 'node:fs/promises';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { pino } from 'pino';
import { createKafkajsClient, type InboundMessage, type KafkaClient } from '../../src/adapters/kafka/index.js';
import { DLQ_HEADERS } from '../../src/adapters/kafka/dead-letter.js';
import { saveReference } from '../../src/adapters/files/reference-file.js';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import type { DriftEvent } from '../../src/core/detect/drift-event.js';
import { creditRow, rng, EMPLOYMENT } from '../fixtures/random.js';

export const root = fileURLToPath(new URL('../..', import.meta.url));
export const MIN = 60_000;
export const WINDOW_MS = 20 * MIN;
export const SLIDE_MS = 5 * MIN;
export const LATENESS_MS = 5_000;
const quiet = pino({ level: process.env.TEST_LOG_LEVEL ?? 'silent' });

export function runId(): string {
  return `${Date.now().toString(36)}-${randomUUID().slice(0, 6)}`;
}

export function log(line: string): void {
  process.stdout.write(`[faults] ${line}\n`);
}

export const sleep = (ms: number) => new Promise((r) => setTimeout(r, ms));

export async function waitFor<T>(what: string, timeoutMs: number, probe: () => Promise<T | undefined | null | false> | T | undefined | null | false, everyMs = 500): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    let value: T | undefined | null | false;
    try {
      value = await probe();
    } catch {
      value = undefined; // a server down for the fault: ask again
    }
    if (value) return value;
    if (Date.now() > deadline) throw new Error(`timed out after ${timeoutMs} ms waiting for ${what}`);
    await sleep(everyMs);
  }
}

// ---------------------------------------------------------------------------------------------
// The stream
// ---------------------------------------------------------------------------------------------

export interface StreamSpec {
  seed: number;
  models: string[];
  versions: string[];
  partitions: number;
  startMs: number;
  minutes: number;
  /** Events a minute per (model, version). */
  perMinute: number;
  /** Minute from which a model's events drift (income and employment_type); absent: never. */
  driftFrom: (model: string, modelIndex: number) => number | undefined;
}

export interface StreamEvent {
  model: string;
  version: string;
  partition: number;
  timestampMs: number;
  value: string;
}

/** The seeded stream, in event-time order; a model's events all go to partition index % partitions. */
export function makeStream(spec: StreamSpec): StreamEvent[] {
  const r = rng(spec.seed);
  const events: StreamEvent[] = [];
  const step = MIN / spec.perMinute;
  const endMs = spec.startMs + spec.minutes * MIN;
  spec.models.forEach((model, mi) => {
    const driftAt = spec.driftFrom(model, mi);
    for (const version of spec.versions) {
      const offset = r.uniform() * step;
      for (let i = 0; i < spec.minutes * spec.perMinute; i++) {
        // Up to 5 s out of order, never past the last pane.
        const timestampMs = Math.min(endMs - 1, Math.round(spec.startMs + offset + i * step + r.uniform() * 5_000));
        const drifted = driftAt !== undefined && timestampMs >= spec.startMs + driftAt * MIN;
        const features: Record<string, unknown> = { ...creditRow(r, drifted) };
        if (drifted) features.employment_type = r.choice(EMPLOYMENT, [0.3, 0.55, 0.1, 0.05]);
        events.push({ model, version, partition: mi % spec.partitions, timestampMs, value: eventValue(model, version, timestampMs, features) });
      }
    }
  });
  // Event-time order, ties by a stable key, so the seed alone fixes the stream.
  return events.sort((a, b) => a.timestampMs - b.timestampMs || (a.model < b.model ? -1 : a.model > b.model ? 1 : a.version < b.version ? -1 : 1));
}

export function eventValue(model: string, version: string, timestampMs: number, features: Record<string, unknown>): string {
  return JSON.stringify({ model, model_version: version, timestamp: new Date(timestampMs).toISOString(), features, prediction: 0.5 });
}

/**
 * The end of the last window an uninterrupted run evaluates: the watermark after the whole
 * stream is the smallest partition progress (its second-largest event time, the outlier rule of
 * docs/windows-and-delivery.md) minus the lateness.
 */
export function lastWindowEnd(events: readonly StreamEvent[], partitions: number): number {
  let wm = Infinity;
  for (let p = 0; p < partitions; p++) {
    const times = events.filter((e) => e.partition === p).map((e) => e.timestampMs);
    times.sort((a, b) => b - a);
    wm = Math.min(wm, (times[1] ?? times[0]) - LATENESS_MS);
  }
  return Math.floor(wm / SLIDE_MS) * SLIDE_MS;
}

/** Every (model, version, window end) an uninterrupted run must report, by the stream alone. */
export function expectedWindows(events: readonly StreamEvent[], partitions: number): Set<string> {
  const last = lastWindowEnd(events, partitions);
  const first = new Map<string, number>();
  for (const e of events) {
    const k = `${e.model}|${e.version}`;
    first.set(k, Math.min(first.get(k) ?? Infinity, e.timestampMs));
  }
  const keys = new Set<string>();
  for (const [k, t] of first) for (let end = Math.floor(t / SLIDE_MS) * SLIDE_MS + SLIDE_MS; end <= last; end += SLIDE_MS) keys.add(`${k}|${new Date(end).toISOString()}`);
  return keys;
}

/** A reference directory: the credit-risk reference, the same for every version. */
export async function referenceDir(versions: string[]): Promise<string> {
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-faults-refs-'));
  const r = rng(20261126);
  const rows = Array.from({ length: 5000 }, () => creditRow(r));
  for (const version of versions) await saveReference(ReferenceDistribution.fromRows(rows, { modelVersion: version }), join(dir, version, 'reference_distribution.json'));
  return dir;
}

// ---------------------------------------------------------------------------------------------
// Kafka
// ---------------------------------------------------------------------------------------------

export function kafkaClient(brokers: string): KafkaClient {
  return createKafkajsClient({ brokers: brokers.split(','), clientId: 'driftwatch-faults' }, quiet);
}

export interface Produced {
  value: string | Buffer;
  key: string;
  partition: number;
}

export async function produce(kafka: KafkaClient, topic: string, messages: readonly Produced[]): Promise<void> {
  const producer = kafka.producer();
  await producer.connect();
  try {
    // Batches of at most ~4 MB, a big message alone.
    let batch: Produced[] = [];
    let bytes = 0;
    const flush = async () => {
      if (batch.length) await producer.send(topic, batch);
      batch = [];
      bytes = 0;
    };
    for (const m of messages) {
      const size = typeof m.value === 'string' ? m.value.length : m.value.length;
      if (bytes + size > 4_000_000 || batch.length >= 1000) await flush();
      batch.push(m);
      bytes += size;
    }
    await flush();
  } finally {
    await producer.disconnect();
  }
}

export const asProduced = (events: readonly StreamEvent[]): Produced[] => events.map((e) => ({ key: e.model, value: e.value, partition: e.partition }));

/** Every message of a topic, up to its high watermarks at the time of the call. */
export async function readAll(kafka: KafkaClient, topic: string, timeoutMs = 120_000): Promise<InboundMessage[]> {
  const admin = await kafka.admin();
  let high: { partition: number; high: string }[];
  try {
    if (!(await admin.listTopics()).includes(topic)) return [];
    high = await admin.topicOffsets(topic);
  } finally {
    await admin.disconnect();
  }
  const want = new Map(high.map((h) => [h.partition, Number(h.high)]));
  const total = [...want.values()].reduce((s, n) => s + n, 0);
  if (total === 0) return [];
  const consumer = kafka.consumer({ groupId: `faults-reader-${runId()}`, topics: [topic], fromBeginning: true, maxBytesPerPartition: 8 * 1024 * 1024 });
  const messages: InboundMessage[] = [];
  const seen = new Map<number, number>();
  await consumer.start({
    onBatch: async (batch, context) => {
      for (const m of batch.messages) {
        if (Number(m.offset) < (want.get(batch.partition) ?? 0)) messages.push(m);
        seen.set(batch.partition, Math.max(seen.get(batch.partition) ?? 0, Number(m.offset) + 1));
        context.resolveOffset(m.offset);
      }
    },
  });
  try {
    await waitFor(`all ${total} messages of ${topic} (have ${messages.length})`, timeoutMs, () => [...want].every(([p, n]) => (seen.get(p) ?? 0) >= n));
    return messages;
  } finally {
    await consumer.stop();
  }
}

/** The `e` (last evaluated window end) of each partition's committed metadata; -1 when none. */
export async function committedEnds(kafka: KafkaClient, groupId: string, topic: string): Promise<number[]> {
  const consumer = kafka.consumer({ groupId, topics: [topic] });
  const committed = await consumer.committed(topic);
  if (committed.length === 0) return [-1];
  return committed.map((c) => {
    try {
      const meta = JSON.parse(c.metadata ?? '') as { e?: number };
      return typeof meta.e === 'number' ? meta.e : -1;
    } catch {
      return -1;
    }
  });
}

// ---------------------------------------------------------------------------------------------
// The service under test
// ---------------------------------------------------------------------------------------------

/**
 * A port free at the time of the call. Only for a server that binds it at once: a port handed to a
 * child process may be taken by another process before the child binds it (the kernel picks
 * port-0 binds from a pool of ~7,000 ports shared by every process), so startLife lets the child
 * bind port 0 instead.
 */
export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.on('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const { port } = server.address() as { port: number };
      server.close(() => resolve(port));
    });
  });
}

export interface Life {
  child: ChildProcess;
  exit: Promise<number | null>;
  stderr(): string;
  /** The HTTP server's port; 0 until the child has bound it (httpStatus then finds no answer). */
  readonly port: number;
  /** The port once the child's HTTP server listens; rejects, with describe(), if the child exits first. */
  listening: Promise<number>;
  /** How the child stands, for a failure message: running or its exit code/signal, its port, the last lines of its standard error. */
  describe(lines?: number): string;
}

const lives: ChildProcess[] = [];
const reportListening = pathToFileURL(join(root, 'test/faults/report-listening.mjs')).href;

/**
 * One life of `node dist/app/cli.js run`. Standard error is kept (its last 400 kB). Unless env sets
 * HTTP_PORT, the child binds port 0 and reports the port it got (test/faults/report-listening.mjs).
 */
export async function startLife(env: Record<string, string>, configFile?: string): Promise<Life> {
  const child = spawn(process.execPath, ['--import', reportListening, 'dist/app/cli.js', 'run', ...(configFile ? ['--config', configFile] : [])], {
    cwd: root,
    env: { ...process.env, HTTP_PORT: '0', ...env, HTTP_HOST: '127.0.0.1' },
    stdio: ['ignore', 'ignore', 'pipe', 'ipc'],
  });
  lives.push(child);
  let stderr = '';
  child.stderr!.on('data', (chunk: Buffer) => {
    stderr += chunk.toString();
    if (stderr.length > 800_000) stderr = stderr.slice(-400_000);
  });
  let port = env.HTTP_PORT !== undefined ? Number(env.HTTP_PORT) : 0;
  const startedAt = Date.now();
  const describe = (lines = 20) => {
    const state = child.exitCode !== null ? `exited with code ${child.exitCode}` : child.signalCode !== null ? `killed by ${child.signalCode}` : `running (pid ${child.pid})`;
    const tail = stderr.trimEnd().split('\n').slice(-lines).join('\n');
    return `child ${state} after ${Date.now() - startedAt} ms, HTTP port ${port || 'not bound yet'}; last ${lines} lines of its stderr:\n${tail || '(empty)'}`;
  };
  // On 'close' rather than 'exit': its standard error is then complete, for describe().
  const exit = new Promise<number | null>((resolve) => child.on('close', (code) => resolve(code)));
  const listening = new Promise<number>((resolve, reject) => {
    child.on('message', (message: { listening?: unknown }) => {
      if (typeof message?.listening !== 'number') return;
      port = message.listening;
      resolve(port);
    });
    // Stderr may still be arriving when the child exits: describe it once it is closed.
    child.on('close', () => reject(new Error(`the service stopped before its HTTP server listened: ${describe()}`)));
  });
  listening.catch(() => undefined);
  return {
    child,
    exit,
    stderr: () => stderr,
    get port() {
      return port;
    },
    listening,
    describe,
  };
}

export function killAllLives(): void {
  for (const child of lives) if (child.exitCode === null && child.signalCode === null) child.kill('SIGKILL');
}

/** GET on the life's HTTP server: status, or 0 when it does not answer. */
export async function httpStatus(life: Life, path: string): Promise<{ status: number; body: string }> {
  if (life.port === 0) return { status: 0, body: '' };
  try {
    const res = await fetch(`http://127.0.0.1:${life.port}${path}`, { signal: AbortSignal.timeout(3_000) });
    return { status: res.status, body: await res.text() };
  } catch {
    return { status: 0, body: '' };
  }
}

/** Polls /readyz every 500 ms until stopped: each answer with the time it came. */
export function watchReadiness(life: () => Life): { stop(): void; samples: { atMs: number; status: number }[] } {
  const samples: { atMs: number; status: number }[] = [];
  let running = true;
  void (async () => {
    while (running) {
      const { status } = await httpStatus(life(), '/readyz');
      samples.push({ atMs: Date.now(), status });
      await sleep(500);
    }
  })();
  return {
    samples,
    stop() {
      running = false;
    },
  };
}

/** The largest value of a gauge on the life's /metrics (undefined when absent). */
export async function gaugeMax(life: Life, name: string): Promise<number | undefined> {
  const { body } = await httpStatus(life, '/metrics');
  const values = body
    .split('\n')
    .filter((l) => l.startsWith(`${name}{`) || l.startsWith(`${name} `))
    .map((l) => Number(l.slice(l.lastIndexOf(' ') + 1)));
  return values.length ? Math.max(...values) : undefined;
}

// ---------------------------------------------------------------------------------------------
// Servers of the suite
// ---------------------------------------------------------------------------------------------

/** test/services/ctl.sh ACTION NAME with the suite's services environment. */
export function ctl(servicesEnv: Record<string, string>, action: 'stop' | 'kill' | 'start', name: 'kafka' | 'influxdb'): Promise<void> {
  return new Promise((resolve, reject) => {
    const child = spawn('bash', ['test/services/ctl.sh', action, name], { cwd: root, env: { ...process.env, ...servicesEnv }, stdio: ['ignore', 'ignore', 'pipe'] });
    let err = '';
    child.stderr.on('data', (c) => (err += c));
    child.on('exit', (code) => (code === 0 ? resolve() : reject(new Error(`ctl.sh ${action} ${name} exited ${code}: ${err.slice(-2000)}`))));
  });
}

export async function createDatabase(influxUrl: string, db: string): Promise<void> {
  const res = await fetch(`${influxUrl}/query?q=${encodeURIComponent(`CREATE DATABASE "${db}"`)}`, { method: 'POST' });
  if (!res.ok) throw new Error(`CREATE DATABASE ${db}: ${res.status} ${await res.text()}`);
}

/** Every point of a measurement, as column → value objects (InfluxQL, epoch ms). */
export async function influxPoints(influxUrl: string, db: string, measurement: string): Promise<Record<string, unknown>[]> {
  const res = await fetch(`${influxUrl}/query?db=${encodeURIComponent(db)}&epoch=ms&q=${encodeURIComponent(`SELECT * FROM "${measurement}"`)}`);
  if (!res.ok) throw new Error(`query ${measurement}: ${res.status} ${await res.text()}`);
  const body = (await res.json()) as { results: { series?: { columns: string[]; values: unknown[][] }[]; error?: string }[] };
  const result = body.results[0];
  if (result?.error) throw new Error(`query ${measurement}: ${result.error}`);
  const rows: Record<string, unknown>[] = [];
  for (const s of result?.series ?? []) for (const v of s.values) rows.push(Object.fromEntries(s.columns.map((c, i) => [c, v[i]])));
  return rows;
}

// ---------------------------------------------------------------------------------------------
// What a run produced, and its comparison with the baseline
// ---------------------------------------------------------------------------------------------

export interface RunOutput {
  /** drift_check events by model|version|window end (every copy, in topic order). */
  checks: Map<string, DriftEvent[]>;
  /** State events (drift_detected, drift_resolved) by type|model|version|window end. */
  states: Map<string, DriftEvent[]>;
  /** InfluxDB points by measurement|model|version|feature|time, without the fields that time the run. */
  points: Map<string, string>;
  /** Dead letters by reason: distinct source offsets, and copies. */
  deadLetters: Map<string, { distinct: Set<string>; copies: number; truncated: number }>;
}

/** Fields of drift_check points that measure the run rather than the window: not compared. */
const RUN_FIELDS = new Set(['duration_ms', 'late_events', 'invalid_events']);

export async function collect(kafka: KafkaClient, topics: { events: string; dlq: string }, influx?: { url: string; db: string }): Promise<RunOutput> {
  const [events, dead] = await Promise.all([readAll(kafka, topics.events), readAll(kafka, topics.dlq)]);
  const checks = new Map<string, DriftEvent[]>();
  const states = new Map<string, DriftEvent[]>();
  for (const m of events) {
    const e = JSON.parse(m.value!.toString()) as DriftEvent;
    const target = e.type === 'drift_check' ? checks : states;
    const k = e.type === 'drift_check' ? `${e.model}|${e.model_version}|${e.window.end}` : `${e.type}|${e.model}|${e.model_version}|${e.window.end}`;
    target.set(k, [...(target.get(k) ?? []), e]);
  }
  const deadLetters: RunOutput['deadLetters'] = new Map();
  for (const m of dead) {
    const reason = m.headers[DLQ_HEADERS.reason] ?? '(none)';
    const entry = deadLetters.get(reason) ?? { distinct: new Set<string>(), copies: 0, truncated: 0 };
    entry.distinct.add(`${m.headers[DLQ_HEADERS.partition]}/${m.headers[DLQ_HEADERS.offset]}`);
    entry.copies++;
    if (m.headers[DLQ_HEADERS.truncated] === 'true') entry.truncated++;
    deadLetters.set(reason, entry);
  }
  const points = new Map<string, string>();
  if (influx) {
    for (const measurement of ['feature_drift', 'drift_check']) {
      for (const row of await influxPoints(influx.url, influx.db, measurement)) {
        const k = `${measurement}|${row.model}|${row.model_version}|${row.feature ?? ''}|${row.time}`;
        const fields = Object.fromEntries(Object.entries(row).filter(([c]) => !RUN_FIELDS.has(c)));
        points.set(k, JSON.stringify(fields));
      }
    }
  }
  return { checks, states, points, deadLetters };
}

export interface Counts {
  baseline: number;
  identical: number;
  differing: number;
  missing: number;
  extra: number;
  /** Keys reported more than once (every copy identical or not). */
  duplicated: number;
}

/** A drift event without what times it (`timestamp`, the wall clock of publication). */
const content = (e: DriftEvent) => JSON.stringify({ ...e, timestamp: undefined });

export function compareEvents(baseline: Map<string, DriftEvent[]>, run: Map<string, DriftEvent[]>): Counts & { examples: string[] } {
  const counts = { baseline: baseline.size, identical: 0, differing: 0, missing: 0, extra: 0, duplicated: 0, examples: [] as string[] };
  for (const [k, [want]] of baseline) {
    const got = run.get(k);
    if (!got) {
      counts.missing++;
      if (counts.examples.length < 5) counts.examples.push(`missing ${k}`);
      continue;
    }
    if (got.length > 1) counts.duplicated++;
    if (got.every((g) => content(g) === content(want))) counts.identical++;
    else {
      counts.differing++;
      if (counts.examples.length < 5)
        counts.examples.push(
          `differing ${k}: ${firstDifference(
            want,
            got.find((g) => content(g) !== content(want))!,
          )}`,
        );
    }
  }
  for (const [k, got] of run) {
    if (baseline.has(k)) continue;
    counts.extra++;
    if (got.length > 1) counts.duplicated++;
    if (counts.examples.length < 5) counts.examples.push(`extra ${k}`);
  }
  return counts;
}

export function comparePoints(baseline: Map<string, string>, run: Map<string, string>): Counts & { examples: string[] } {
  const counts = { baseline: baseline.size, identical: 0, differing: 0, missing: 0, extra: 0, duplicated: 0, examples: [] as string[] };
  for (const [k, want] of baseline) {
    const got = run.get(k);
    if (got === undefined) {
      counts.missing++;
      if (counts.examples.length < 5) counts.examples.push(`missing ${k}`);
    } else if (got === want) counts.identical++;
    else {
      counts.differing++;
      if (counts.examples.length < 5) counts.examples.push(`differing ${k}: ${want} vs ${got}`);
    }
  }
  for (const k of run.keys()) {
    if (baseline.has(k)) continue;
    counts.extra++;
    if (counts.examples.length < 5) counts.examples.push(`extra ${k}`);
  }
  return counts;
}

function firstDifference(a: unknown, b: unknown, path = ''): string {
  if (typeof a !== 'object' || typeof b !== 'object' || a === null || b === null) return `${path}: ${JSON.stringify(a)} vs ${JSON.stringify(b)}`;
  for (const k of new Set([...Object.keys(a), ...Object.keys(b)])) {
    if (k === 'timestamp') continue;
    const x = (a as Record<string, unknown>)[k];
    const y = (b as Record<string, unknown>)[k];
    if (JSON.stringify(x) !== JSON.stringify(y)) return firstDifference(x, y, `${path}.${k}`);
  }
  return `${path}: equal`;
}

export function formatCounts(what: string, c: Counts): string {
  return `${what.padEnd(14)} baseline ${String(c.baseline).padStart(6)}  identical ${String(c.identical).padStart(6)}  differing ${c.differing}  missing ${c.missing}  extra ${c.extra}  duplicated ${c.duplicated}`;
}
