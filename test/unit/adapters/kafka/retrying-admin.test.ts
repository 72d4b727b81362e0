// The start-up admin calls asked again while the broker's answer is retriable
// (adapters/kafka/retrying-admin.ts): instances started together race to create the same topics,
// and a fresh topic answers "not the leader" until its leaders are elected.
import { pino } from 'pino';
import { describe, expect, it } from 'vitest';
import { retryingAdmin, type Admin } from '../../../../src/adapters/kafka/index.js';

class KafkaLikeError extends Error {
  constructor(
    message: string,
    readonly retriable: boolean,
  ) {
    super(message);
  }
}

/** An admin whose every call fails with `failures` errors first, then answers; it counts the calls. */
function flakyAdmin(failures: Error[]) {
  const calls: string[] = [];
  let left = [...failures];
  const answer = async <T>(call: string, value: T): Promise<T> => {
    calls.push(call);
    const error = left.shift();
    if (error) throw error;
    return value;
  };
  const admin: Admin = {
    ensureTopics: () => answer('ensureTopics', undefined),
    topicConfig: () => answer('topicConfig', { 'max.message.bytes': '2000000' }),
    listTopics: () => answer('listTopics', ['predictions']),
    topicOffsets: () => answer('topicOffsets', [{ partition: 0, high: '5' }]),
    disconnect: async () => void calls.push('disconnect'),
  };
  return { admin, calls, reset: (next: Error[]) => (left = [...next]) };
}

function virtualSleep() {
  const waits: number[] = [];
  return { waits, sleep: async (ms: number) => void waits.push(ms) };
}

const logged: { msg: string; call: string; attempt: number }[] = [];
const logger = pino({ level: 'warn' }, { write: (line: string) => void logged.push(JSON.parse(line)) });

describe('retryingAdmin', () => {
  it('asks every call again while the answer is retriable, waiting 300 ms more each time, and warns each time', async () => {
    const notLeader = () => new KafkaLikeError('This server is not the leader for that topic-partition', true);
    const flaky = flakyAdmin([notLeader(), notLeader()]);
    const clock = virtualSleep();
    const admin = retryingAdmin(flaky.admin, { logger, sleep: clock.sleep });
    logged.length = 0;
    expect(await admin.topicOffsets('partials')).toEqual([{ partition: 0, high: '5' }]);
    expect(flaky.calls).toEqual(['topicOffsets', 'topicOffsets', 'topicOffsets']);
    expect(clock.waits).toEqual([300, 600]);
    expect(logged.map((l) => [l.call, l.attempt])).toEqual([
      ['topicOffsets', 1],
      ['topicOffsets', 2],
    ]);
    for (const [call, run, expected] of [
      ['ensureTopics', () => admin.ensureTopics([{ topic: 't' }]), undefined],
      ['listTopics', () => admin.listTopics(), ['predictions']],
      ['topicConfig', () => admin.topicConfig!('dlq', ['max.message.bytes']), { 'max.message.bytes': '2000000' }],
    ] as const) {
      flaky.reset([notLeader()]);
      flaky.calls.length = 0;
      expect(await (run as () => Promise<unknown>)()).toEqual(expected);
      expect(flaky.calls).toEqual([call, call]);
    }
  });

  it('throws an error that is not retriable at once, and the last retriable one after the given tries', async () => {
    const denied = new KafkaLikeError('Topic authorization failed', false);
    const flaky = flakyAdmin([denied]);
    const clock = virtualSleep();
    const admin = retryingAdmin(flaky.admin, { logger, sleep: clock.sleep, attempts: 3 });
    await expect(admin.ensureTopics([{ topic: 't' }])).rejects.toBe(denied);
    expect(flaky.calls).toEqual(['ensureTopics']);
    expect(clock.waits).toEqual([]);

    const last = new KafkaLikeError('There is no leader for this topic-partition', true);
    flaky.reset([new KafkaLikeError('no leader', true), new KafkaLikeError('no leader', true), last, new KafkaLikeError('never asked', true)]);
    flaky.calls.length = 0;
    await expect(admin.listTopics()).rejects.toBe(last);
    expect(flaky.calls).toEqual(['listTopics', 'listTopics', 'listTopics']);
    expect(clock.waits).toEqual([300, 600]);
    // An error without the flag (not from kafkajs) is not retried either.
    flaky.reset([new Error('socket hang up')]);
    await expect(admin.topicOffsets('t')).rejects.toThrow('socket hang up');
  });

  it('keeps an admin without topicConfig without one, and disconnects once', async () => {
    const flaky = flakyAdmin([]);
    const { topicConfig: _, ...withoutConfig } = flaky.admin;
    const admin = retryingAdmin(withoutConfig, { logger });
    expect(admin.topicConfig).toBeUndefined();
    await admin.disconnect();
    expect(flaky.calls).toEqual(['disconnect']);
  });
});
