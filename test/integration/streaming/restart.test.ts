// Delivery semantics with the real broker: the service is killed with SIGKILL mid-stream and
// started again; every window is then reported with the values of an uninterrupted run (a
// batch recomputation over the window's events, compared whole and bit for bit), windows evaluated before the last commit are
// not evaluated again from partial panes, and re-evaluated ones repeat their event_id with
// identical content. The second life ends with SIGTERM: exit code 0 and offsets committed.
import { spawn, type ChildProcess } from 'node:child_process';
import { fileURLToPath } from 'node:url';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { DriftDetector, accumulate } from '../../../src/core/detect/detector.js';
import { driftEventFromCheck, type DriftEvent } from '../../../src/core/detect/drift-event.js';
import type { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { driftChecks, streamingSetup, creditStream, eventJson, kafkaClient, readTopic, runId, type StreamEvent } from '../helpers.js';

const MIN = 60_000;
const WINDOW_MS = 20 * MIN;
const SLIDE_MS = 5 * MIN;
const LATENESS_MS = 5_000;
const root = fileURLToPath(new URL('../../../', import.meta.url));
// Once with the prediction consumer on the main thread and once on a worker thread
// (KAFKA_CONSUMER_THREAD): the delivery semantics must not depend on it.
describe.each(['main', 'worker'] as const)('KAFKA_CONSUMER_THREAD=%s', (thread) => {
  const id = runId();
  const model = `restart-${id}`;
  const topic = `predictions-${id}`; // as streamingSetup names them
  const eventsTopic = `drift-events-${id}`;
  const start = Math.floor((Date.now() - 3 * 3_600_000) / SLIDE_MS) * SLIDE_MS;
  const events: StreamEvent[] = creditStream(start, 90, 30, 45, 1234);
  const firstPart = events.filter((e) => e.timestampMs < start + 50 * MIN);
  const secondPart = events.filter((e) => e.timestampMs >= start + 50 * MIN);
  const kafka = kafkaClient();
  let reference: ReferenceDistribution;
  let env: Record<string, string>;
  const children: ChildProcess[] = [];

  function startService(): { child: ChildProcess; exit: Promise<number | null>; stderr: () => string } {
    const child = spawn(process.execPath, ['--import', 'tsx', 'src/app/cli.ts', 'run'], { cwd: root, env: { ...process.env, ...env }, stdio: ['ignore', 'ignore', 'pipe'] });
    children.push(child);
    let stderr = '';
    child.stderr!.on('data', (chunk) => (stderr += chunk));
    const exit = new Promise<number | null>((resolve) => child.on('exit', (code) => resolve(code)));
    return { child, exit, stderr: () => stderr };
  }

  async function produce(part: StreamEvent[]): Promise<void> {
    const producer = kafka.producer();
    await producer.connect();
    // Spread over both partitions, so that each holds back the watermark (neither idles out).
    for (let i = 0; i < part.length; i += 500) {
      await producer.send(
        topic,
        part.slice(i, i + 500).map((e, j) => ({ key: model, value: eventJson(model, 'v1', e), partition: (i + j) % 2 })),
      );
    }
    await producer.disconnect();
  }

  beforeAll(async () => {
    ({ reference, env } = await streamingSetup(id, { LOG_LEVEL: 'info', INFLUX_URL: '', KAFKA_CONSUMER_THREAD: thread }));
  });

  afterAll(() => {
    for (const child of children) if (child.exitCode === null) child.kill('SIGKILL');
  });

  describe('restart after SIGKILL', () => {
    it('reports every window once more with the values of an uninterrupted run', async () => {
      await produce(firstPart);
      const first = startService();
      // Let the first life evaluate (and commit) a few windows, then kill it without warning.
      await readTopic(kafka, eventsTopic, (m) => driftChecks(m).length >= 4, 60_000).catch((error) => {
        throw new Error(`${(error as Error).message}\nservice stderr:\n${first.stderr().slice(-3000)}`);
      });
      first.child.kill('SIGKILL');
      expect(await first.exit).toBeNull();

      await produce(secondPart);
      const second = startService();
      const maxT = Math.max(...events.map((e) => e.timestampMs));
      const firstEnd = Math.floor(Math.min(...events.map((e) => e.timestampMs)) / SLIDE_MS) * SLIDE_MS + SLIDE_MS;
      const expectedEnds: string[] = [];
      for (let end = firstEnd; end <= maxT - LATENESS_MS; end += SLIDE_MS) expectedEnds.push(new Date(end).toISOString());

      const messages = await readTopic(kafka, eventsTopic, (m) => new Set(driftChecks(m).map((e) => e.window.end)).size >= expectedEnds.length, 90_000);
      const checks = driftChecks(messages);
      const byEnd = new Map<string, DriftEvent[]>();
      for (const c of checks) byEnd.set(c.window.end, [...(byEnd.get(c.window.end) ?? []), c]);
      expect([...byEnd.keys()].sort()).toEqual(expectedEnds);

      const detector = new DriftDetector({ now: () => new Date(0), criticalThreshold: 0.5 }); // the service rates critical at RETRAIN_THRESHOLD (default 0.5)
      let repeated = 0;
      for (const [end, copies] of byEnd) {
        const endMs = Date.parse(end);
        const rows = events.filter((e) => e.timestampMs >= endMs - WINDOW_MS && e.timestampMs < endMs).map((e) => e.features);
        const batch = detector.evaluate(accumulate(rows, reference), reference);
        if (copies.length > 1) repeated++;
        // The whole event as an uninterrupted run would publish it (JSON round trip: NaN → null).
        const expected = JSON.parse(
          JSON.stringify(driftEventFromCheck('drift_check', model, 'v1', { start: new Date(endMs - WINDOW_MS), end: new Date(endMs) }, batch)),
        ) as DriftEvent;
        for (const copy of copies) {
          // Each copy, including a re-evaluation after the restart, equals the uninterrupted
          // result bit for bit: every statistic of every feature, wasserstein included.
          expect({ ...copy, timestamp: expected.timestamp }, end).toEqual(expected);
          expect(copy.event_id).toBe(copies[0].event_id);
        }
      }
      // Only windows evaluated after the first life's last commit can come twice (at most one slide's worth per batch).
      expect(repeated).toBeLessThanOrEqual(2);

      // The drift state survived the kill: exactly one drift_detected over both lives.
      const detected = messages.map((m) => JSON.parse(m.value!.toString()) as DriftEvent).filter((e) => e.type === 'drift_detected');
      expect(new Set(detected.map((e) => e.event_id)).size).toBe(1);

      // SIGTERM: finish, commit, exit 0.
      second.child.kill('SIGTERM');
      expect(await second.exit).toBe(0);
      expect(second.stderr()).toContain('SIGTERM received');
      const consumer = kafka.consumer({ groupId: `driftwatch-${id}`, topics: [topic] });
      const committed = await consumer.committed(topic);
      expect(committed).toHaveLength(2);
      for (const c of committed) {
        expect(Number(c.offset)).toBeGreaterThan(0);
        expect(JSON.parse(c.metadata!)).toMatchObject({ v: 2, e: Date.parse(expectedEnds[expectedEnds.length - 1]), c: 1 });
      }
    });
  });
});
