import { Registry } from 'prom-client';
import { describe, expect, it } from 'vitest';
import { AlertDispatcher, type AlertDispatcherOptions } from '../../../../src/adapters/alerts/dispatcher.js';
import { AlertDeliveryError } from '../../../../src/adapters/alerts/errors.js';
import type { DriftEvent } from '../../../../src/core/detect/drift-event.js';
import { captureLogger, driftEvent, HOUR_MS, memoryChannel, metricValue, settle, virtualClock } from './helpers.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-26T10:00:00.000Z');

/** A dispatcher on virtual time with a notification channel and a retrain channel. */
function setup(options: Partial<AlertDispatcherOptions> = {}) {
  let nowMs = T0;
  const notify = memoryChannel('notify');
  const retrain = memoryChannel('retrain', ['retrain']);
  const registry = new Registry();
  const dispatcher = new AlertDispatcher({
    channels: [notify, retrain],
    registry,
    // The policy's clock is driven by hand; the scheduler's timers never run here.
    now: () => nowMs,
    scheduler: virtualClock(T0).scheduler,
    random: () => 0.5,
    cooldownMs: HOUR_MS,
    dashboardUrlTemplate: 'http://grafana:3000/d/driftwatch?var-model={model}&from={window_start_ms}&to={window_end_ms}',
    ...options,
  });
  /** Dispatches an event whose window ends at the current virtual time. */
  const send = (type: DriftEvent['type'], scores?: Record<string, number>, extra: { model?: string; version?: string } = {}) =>
    dispatcher.dispatch(driftEvent({ type, scores, endMs: nowMs, ...extra }));
  return {
    dispatcher,
    notify,
    retrain,
    registry,
    send,
    advance: (ms: number) => void (nowMs += ms),
    delivered: async () => {
      await dispatcher.flush();
      return notify.sent.map((a) => `${a.kind}:${a.severity}${a.escalation ? ':escalation' : ''}`);
    },
    suppressed: (reason: string) => metricValue(registry, 'alerts_suppressed_total', { reason }),
  };
}

describe('AlertDispatcher hygiene', () => {
  it('ignores drift_check events', async () => {
    const t = setup();
    expect(t.send('drift_check')).toEqual({ alerts: [], ignored: 'drift_check', dropped: 0 });
    expect(await t.delivered()).toEqual([]);
  });

  it('de-duplicates by event_id (a redelivered event alerts once)', async () => {
    const t = setup();
    const event = driftEvent({ endMs: T0 });
    t.dispatcher.dispatch(event);
    const again = t.dispatcher.dispatch(structuredClone(event));
    expect(again.suppressed).toBe('duplicate');
    expect(await t.delivered()).toEqual(['drift:critical']);
    expect(await t.suppressed('duplicate')).toBe(1);
  });

  it('a persistent drift is one alert, its end one resolved message', async () => {
    const t = setup();
    t.send('drift_detected', { income: 0.4 });
    for (let i = 0; i < 5; i++) {
      t.advance(5 * MIN);
      expect(t.send('drift_detected', { income: 0.45 }).suppressed).toBe('active');
      t.send('drift_check');
    }
    t.advance(5 * MIN);
    const resolved = t.send('drift_resolved');
    expect(resolved.alerts.map((a) => a.kind)).toEqual(['resolved']);
    t.advance(5 * MIN);
    expect(t.send('drift_resolved').suppressed).toBe('not_drifting');
    expect(await t.delivered()).toEqual(['drift:warning', 'resolved:warning']);
    expect(await t.suppressed('active')).toBe(5);
    expect(await t.suppressed('not_drifting')).toBe(1);
  });

  it('a drift back within the cooldown is held and announced when the cooldown ends if still on', async () => {
    const t = setup();
    t.send('drift_detected', { income: 0.4 });
    t.advance(10 * MIN);
    t.send('drift_resolved'); // cooldown runs until T0 + 70 min
    t.advance(10 * MIN);
    expect(t.send('drift_detected', { income: 0.42 }).suppressed).toBe('cooldown');
    t.advance(30 * MIN);
    expect(t.dispatcher.tick()).toEqual([]); // T0 + 50 min: still cooling down
    expect(t.send('drift_detected', { income: 0.44 }).suppressed).toBe('cooldown');
    t.advance(20 * MIN); // T0 + 70 min: cooldown over, drift still on
    const released = t.dispatcher.tick();
    expect(released).toHaveLength(1);
    expect(released[0].event.drifted_features).toEqual({ income: 0.44 }); // the latest held event
    expect(await t.delivered()).toEqual(['drift:warning', 'resolved:warning', 'drift:warning']);
    expect(await t.suppressed('cooldown')).toBe(2);
    await t.dispatcher.shutdown();
  });

  it('the scheduler releases a held drift by itself once the cooldown has ended', async () => {
    const clock = virtualClock(T0);
    const notify = memoryChannel('notify');
    const d = new AlertDispatcher({ channels: [notify], scheduler: clock.scheduler, cooldownMs: HOUR_MS });
    const send = async (type: DriftEvent['type'], income: number) => {
      const result = d.dispatch(driftEvent({ type, scores: { income }, endMs: clock.now() }));
      await settle(); // delivered before any time passes
      return result;
    };
    await send('drift_detected', 0.4);
    clock.advance(10 * MIN);
    await send('drift_resolved', 0.1); // cooldown runs until T0 + 70 min
    clock.advance(10 * MIN);
    expect((await send('drift_detected', 0.42)).suppressed).toBe('cooldown');
    clock.advance(50 * MIN); // T0 + 70 min: the release is due 1 ms later
    await settle();
    expect(notify.sent.map((a) => a.kind)).toEqual(['drift', 'resolved']);
    clock.advance(1);
    await settle();
    expect(notify.sent.map((a) => a.kind)).toEqual(['drift', 'resolved', 'drift']);
    expect(notify.sent[2].createdAt).toBe(new Date(T0 + 70 * MIN + 1).toISOString());
    expect(d.tick()).toEqual([]);
  });

  it('a flap that ends within the cooldown sends nothing; the next drift after the cooldown alerts', async () => {
    const t = setup();
    t.send('drift_detected', { income: 0.4 });
    t.advance(5 * MIN);
    t.send('drift_resolved');
    t.advance(5 * MIN);
    expect(t.send('drift_detected', { income: 0.4 }).suppressed).toBe('cooldown');
    t.advance(5 * MIN);
    expect(t.send('drift_resolved').suppressed).toBe('cooldown');
    t.advance(HOUR_MS);
    expect(t.dispatcher.tick()).toEqual([]);
    expect(t.send('drift_detected', { income: 0.4 }).alerts).toHaveLength(1);
    expect(await t.delivered()).toEqual(['drift:warning', 'resolved:warning', 'drift:warning']);
  });

  it('severity: warning at or below retrainThreshold, critical above it', async () => {
    const t = setup();
    expect(t.send('drift_detected', { income: 0.5 }, { model: 'a' }).alerts[0].severity).toBe('warning');
    expect(t.send('drift_detected', { income: 0.51 }, { model: 'b' }).alerts[0].severity).toBe('critical');
    const t2 = setup({ retrainThreshold: 0.8 });
    expect(t2.send('drift_detected', { income: 0.79 }).alerts[0].severity).toBe('warning');
  });

  it('a warning episode that turns critical is escalated once', async () => {
    const t = setup();
    t.send('drift_detected', { income: 0.35 });
    t.advance(5 * MIN);
    const up = t.send('drift_detected', { income: 0.7 });
    expect(up.alerts.map((a) => `${a.kind}:${a.escalation}`)).toEqual(['drift:true', 'retrain:false']);
    t.advance(5 * MIN);
    expect(t.send('drift_detected', { income: 0.9 }).suppressed).toBe('active');
    t.advance(5 * MIN);
    t.send('drift_resolved');
    expect(await t.delivered()).toEqual(['drift:warning', 'drift:critical:escalation', 'resolved:critical']);
  });

  it('retraining is triggered once per episode, only above retrainThreshold, and only on the retrain channel', async () => {
    const t = setup();
    t.send('drift_detected', { income: 0.79 });
    t.advance(5 * MIN);
    t.send('drift_detected', { income: 0.95 });
    t.advance(5 * MIN);
    t.send('drift_resolved');
    t.advance(5 * MIN);
    t.send('drift_detected', { income: 0.9 }); // flap within the cooldown: same episode
    t.advance(5 * MIN);
    t.send('drift_resolved');
    t.advance(2 * HOUR_MS);
    t.send('drift_detected', { income: 0.4 }); // new episode, below the retrain threshold
    t.advance(5 * MIN);
    t.send('drift_resolved');
    t.advance(2 * HOUR_MS);
    t.send('drift_detected', { income: 0.6 }); // new episode above it
    await t.dispatcher.flush();
    expect(t.retrain.sent.map((a) => a.event.max_drift_score)).toEqual([0.79, 0.6]);
    expect(t.notify.sent.every((a) => a.kind !== 'retrain')).toBe(true);
  });

  it('keeps one state per model version: a canary does not hide or close the stable version', async () => {
    const t = setup();
    t.send('drift_detected', { income: 0.4 }, { version: 'v1' });
    t.send('drift_detected', { income: 0.4 }, { version: 'v2' });
    t.advance(5 * MIN);
    t.send('drift_resolved', undefined, { version: 'v1' });
    await t.dispatcher.flush();
    expect(t.notify.sent.map((a) => `${a.kind}:${a.event.model_version}`)).toEqual(['drift:v1', 'drift:v2', 'resolved:v1']);
  });

  it('sends a resolved message for a stream it has never seen (restart mid-episode)', () => {
    const t = setup();
    expect(t.send('drift_resolved').alerts.map((a) => a.kind)).toEqual(['resolved']);
  });

  it('builds the dashboard link from the template', () => {
    const t = setup();
    const [alert] = t.send('drift_detected', { income: 0.4 }).alerts;
    expect(alert.dashboardUrl).toBe(`http://grafana:3000/d/driftwatch?var-model=credit-risk&from=${T0 - HOUR_MS}&to=${T0}`);
  });

  it('never throws, whatever it is given', () => {
    const t = setup();
    expect(t.dispatcher.dispatch(null as unknown as DriftEvent)).toMatchObject({ ignored: 'error' });
  });
});

/** The virtual time waited before each retry, from the times of the attempts. */
const waits = (attemptsAtMs: number[]) => attemptsAtMs.slice(1).map((at, i) => at - attemptsAtMs[i]);

describe('AlertDispatcher delivery', () => {
  const retriable = () => new AlertDeliveryError('boom', { retriable: true, context: { channel: 'x', target: 'memory://x' } });

  it('retries retriable failures with exponential backoff and full jitter, then delivers', async () => {
    const clock = virtualClock();
    const attemptsAtMs: number[] = [];
    const registry = new Registry();
    const flaky = memoryChannel('flaky', ['drift'], (_a, _s, attempt) => {
      attemptsAtMs.push(clock.now());
      if (attempt <= 3) throw retriable();
    });
    const d = new AlertDispatcher({ channels: [flaky], registry, scheduler: clock.scheduler, random: () => 0.5, backoffBaseMs: 100, backoffMaxMs: 1000 });
    d.dispatch(driftEvent());
    await clock.run(d.flush());
    const delays = waits(attemptsAtMs);
    expect(flaky.attempts).toBe(4);
    expect(flaky.sent).toHaveLength(1);
    expect(delays).toEqual([50, 100, 200]); // 0.5 × min(1000, 100·2^(n−1))
    expect(await metricValue(registry, 'alerts_sent_total', { channel: 'flaky' })).toBe(1);
    expect(await metricValue(registry, 'alerts_retries_total', { channel: 'flaky' })).toBe(3);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'flaky' })).toBe(0);
  });

  it('caps the backoff at backoffMaxMs and gives up after maxAttempts, counting the failure', async () => {
    const clock = virtualClock();
    const attemptsAtMs: number[] = [];
    const registry = new Registry();
    const { logger, text } = captureLogger();
    const down = memoryChannel('down', ['drift'], () => {
      attemptsAtMs.push(clock.now());
      throw retriable();
    });
    const d = new AlertDispatcher({ channels: [down], registry, logger, scheduler: clock.scheduler, random: () => 0.999, backoffBaseMs: 100, backoffMaxMs: 300, maxAttempts: 5 });
    d.dispatch(driftEvent());
    await clock.run(d.flush());
    const delays = waits(attemptsAtMs);
    expect(down.attempts).toBe(5);
    expect(delays).toEqual([99, 199, 299, 299]);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'down' })).toBe(1);
    expect(text()).toContain('drift alert to down failed after 5 attempt(s): boom');
  });

  it('does not retry errors that say retrying cannot help, nor errors that do not say', async () => {
    const registry = new Registry();
    const rejected = memoryChannel('rejected', ['drift'], () => {
      throw new AlertDeliveryError('400', { retriable: false, context: { channel: 'rejected', target: 'x' } });
    });
    const buggy = memoryChannel('buggy', ['drift'], () => {
      throw new TypeError('cannot read properties of undefined');
    });
    const clock = virtualClock();
    const d = new AlertDispatcher({ channels: [rejected, buggy], registry, scheduler: clock.scheduler });
    d.dispatch(driftEvent());
    await clock.run(d.flush());
    expect([rejected.attempts, buggy.attempts]).toEqual([1, 1]);
    expect(await metricValue(registry, 'alerts_failed_total')).toBe(2);
  });

  it('bounds an attempt by timeoutMs even when the channel ignores its signal', async () => {
    const registry = new Registry();
    const hung = memoryChannel('hung', ['drift'], () => new Promise<void>(() => {}));
    const { logger, text } = captureLogger();
    const clock = virtualClock();
    const d = new AlertDispatcher({ channels: [hung], registry, logger, timeoutMs: 30, maxAttempts: 2, scheduler: clock.scheduler });
    d.dispatch(driftEvent());
    expect(await clock.run(d.flush(5000))).toBe(true);
    expect(hung.attempts).toBe(2);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'hung' })).toBe(1);
    expect(text()).toContain('hung: no answer from memory://hung within 30 ms');
  });

  it('dispatch returns synchronously while a channel hangs; the queue is bounded and drops are counted; other channels go on', async () => {
    const registry = new Registry();
    const hung = memoryChannel('hung', ['drift'], (_a, signal) => new Promise<void>((_r, reject) => signal.addEventListener('abort', () => reject(signal.reason))));
    const fast = memoryChannel('fast', ['drift']);
    const clock = virtualClock();
    const d = new AlertDispatcher({ channels: [hung, fast], registry, queueSize: 3, timeoutMs: 60_000, scheduler: clock.scheduler });
    const results = [];
    for (let i = 0; i < 10; i++) {
      results.push(d.dispatch(driftEvent({ model: `m${i}` })));
      await settle(); // the fast channel delivers; no time passes
    }
    expect(results.some((r) => (r as unknown) instanceof Promise)).toBe(false);
    // hung: one in flight, three waiting, six dropped — and each dispatch said so at once.
    expect(results.map((r) => r.dropped)).toEqual([0, 0, 0, 0, 1, 1, 1, 1, 1, 1]);
    expect(await metricValue(registry, 'alerts_dropped_total', { channel: 'hung' })).toBe(6);
    expect(d.pending()).toEqual({ hung: 4, fast: 0 });
    expect(fast.sent).toHaveLength(10);
    expect(await metricValue(registry, 'alerts_dropped_total', { channel: 'fast' })).toBe(0);
    // Shutdown gives up on the hung channel at its deadline: in flight failed, waiting dropped.
    expect(await clock.run(d.shutdown(50))).toBe(false);
    expect(await metricValue(registry, 'alerts_failed_total', { channel: 'hung' })).toBe(1);
    expect(await metricValue(registry, 'alerts_dropped_total', { channel: 'hung' })).toBe(9);
    expect(d.dispatch(driftEvent({ model: 'late' })).ignored).toBe('closed');
  });

  it('flush resolves true once drained and shutdown closes the channels', async () => {
    let closed = 0;
    const ch = Object.assign(memoryChannel('c', ['drift']), { close: async () => void closed++ });
    const clock = virtualClock();
    const d = new AlertDispatcher({ channels: [ch], scheduler: clock.scheduler });
    d.dispatch(driftEvent());
    expect(await clock.run(d.flush(1000))).toBe(true);
    expect(await clock.run(d.shutdown(1000))).toBe(true);
    expect(closed).toBe(1);
  });

  it('registers its metrics on the given registry, reusing them for a second dispatcher', async () => {
    const registry = new Registry();
    new AlertDispatcher({ channels: [memoryChannel('a')], registry });
    new AlertDispatcher({ channels: [memoryChannel('b')], registry });
    const names = (await registry.getMetricsAsJSON()).map((m) => m.name).sort();
    expect(names).toEqual([
      'alerts_dropped_total',
      'alerts_failed_total',
      'alerts_invalid_events_total',
      'alerts_queue_depth',
      'alerts_retries_total',
      'alerts_sent_total',
      'alerts_suppressed_total',
    ]);
  });

  it('rejects two channels with the same name', () => {
    expect(() => new AlertDispatcher({ channels: [memoryChannel('x'), memoryChannel('x')] })).toThrow('two alert channels are named "x"; channel names must be unique');
  });
});
