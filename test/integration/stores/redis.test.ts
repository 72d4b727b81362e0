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

  it('pages of any size give the same rows, in order: pages asked for ahead, entries read as Redis sends them', async () => {
    const stream = `${prefix}:paged-stream`;
    const list = `${prefix}:paged-list`;
    try {
      const start = END - HOUR;
      // 4 before the window, 45 in it (several per millisecond), 3 at its end (excluded).
      for (let i = 0; i < 4; i++) await client.xAdd(stream, `${start - 10 + i}-*`, { feature_vector: `[${i}]` });
      for (let i = 0; i < 45; i++) {
        const fields: Record<string, string> = i % 5 === 0 ? { features: `[${i}]`, model: 'm', model_version: 'v2' } : { feature_vector: `[${i}]` };
        await client.xAdd(stream, `${start + Math.floor(i / 3)}-*`, fields);
      }
      await client.xAdd(stream, `${start + 100}-*`, { model: 'no vector' }); // counted as undecodable
      for (let i = 0; i < 3; i++) await client.xAdd(stream, `${END}-*`, { feature_vector: '[99]' });
      for (let i = 0; i < 23; i++) await client.rPush(list, `[${i}]`);
      const read = async (mode: 'stream' | 'list', key: string, pageSize: number) => {
        const rows: unknown[] = [];
        const summary = await new RedisSource({ url, key, mode, pageSize }).read({ startMs: start, endMs: END }, (r) => rows.push(r));
        return { rows, summary };
      };
      const whole = await read('stream', stream, 1000);
      expect(whole.rows).toHaveLength(45);
      expect(whole.summary.undecodable).toEqual({ undecodable: 1 });
      expect(whole.rows[0]).toEqual({ features: [0], model: 'm', modelVersion: 'v2' });
      expect(whole.rows[1]).toEqual({ features: [1] });
      expect(whole.rows.map((r) => (r as { features: number[] }).features[0])).toEqual(Array.from({ length: 45 }, (_, i) => i));
      const wholeList = await read('list', list, 1000);
      expect(wholeList.rows.map((r) => (r as { features: number[] }).features[0])).toEqual(Array.from({ length: 23 }, (_, i) => i));
      for (const size of [1, 2, 7, 45, 46]) {
        expect(await read('stream', stream, size)).toEqual(whole);
        expect(await read('list', list, size)).toEqual(wholeList);
      }
    } finally {
      await client.del([stream, list]);
    }
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
