// driftwatch job against a real Redis 7 (redisUrl from global-setup): the guide's list and a
// stream written with the step-2 helpers → job --once → scores equal to check on the same rows;
// undecodable entries counted; a wrong password names the store and the setting.
import { join } from 'node:path';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';
import { storeFeaturesRedis, storeFeaturesRedisStream } from '../../../src/index.js';
import { RedisSource } from '../../../src/adapters/stores/redis.js';
import { StoreError } from '../../../src/adapters/stores/source.js';
import { runId } from '../helpers.js';
import { checkJson, END, expectSameCheck, HOUR, jobEnv, jobJson, numericReference, vectors, VERSION } from './helpers.js';

const url = inject('redisUrl');

describe.skipIf(!url)('driftwatch job over Redis', () => {
  const client = createClient({ url, socket: { reconnectStrategy: false } });
  const prefix = `driftwatch:test:${runId()}`;
  let refs: Awaited<ReturnType<typeof numericReference>>;

  beforeAll(async () => {
    refs = await numericReference();
    await client.connect();
  });
  afterAll(async () => {
    await client.del([`${prefix}:list`, `${prefix}:stream`]).catch(() => undefined);
    await client.close();
  });

  it("the guide's list: the whole list is the window, equal to check on the same rows", async () => {
    const key = `${prefix}:list`;
    const rows = vectors(300, 21, true);
    for (const v of rows) await storeFeaturesRedis(client, v, { key });
    await client.lPush(key, 'not json');
    const { lines } = await jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'redis', FEATURE_STORE_URL: url, FEATURE_STORE_KEY: key }));
    // LPUSH puts the newest first: the job reads the list head to tail.
    const check = await checkJson(join(refs.dir, VERSION, 'reference_distribution.json'), [...rows].reverse());
    const scored = lines.find((l) => l.status !== 'rejected')!;
    expectSameCheck(scored, check);
    expect(scored.sample_count).toBe(300);
    expect(lines.find((l) => l.status === 'rejected')).toMatchObject({ reason: 'undecodable', rows: 1 });
    expect(await client.ttl(key)).toBeGreaterThan(86_000);
  });

  it('a stream: XRANGE over the window by entry-id time', async () => {
    const key = `${prefix}:stream`;
    const inside = vectors(250, 31);
    for (const [k, v] of vectors(20, 32).entries()) await storeFeaturesRedisStream(client, v, { key, at: new Date(END - 2 * HOUR + k) });
    for (const [k, v] of inside.entries()) await storeFeaturesRedisStream(client, v, { key, at: new Date(END - HOUR + k * 1000) });
    for (const [k, v] of vectors(20, 33).entries()) await storeFeaturesRedisStream(client, v, { key, at: new Date(END + k) });
    const { lines } = await jobJson(jobEnv(refs.dir, { FEATURE_STORE_TYPE: 'redis', FEATURE_STORE_URL: url, FEATURE_STORE_KEY: key, FEATURE_STORE_REDIS_MODE: 'stream' }));
    expect(lines).toHaveLength(1);
    expectSameCheck(lines[0]!, await checkJson(join(refs.dir, VERSION, 'reference_distribution.json'), inside));
  });

  it('a wrong password fails the run naming the store and the setting', async () => {
    const bad = new URL(url);
    bad.password = 'not-the-password';
    const error = await new RedisSource({ url: bad.toString() }).read({ startMs: 0, endMs: 1 }, () => undefined).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(StoreError);
    expect((error as Error).message).toMatch(/^redis \(FEATURE_STORE_URL\): cannot connect to 127\.0\.0\.1:\d+: .*(WRONGPASS|invalid username-password)/);
    expect((error as Error).message).not.toContain('not-the-password');
  });
});
