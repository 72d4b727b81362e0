// Smoke test of the Redis 7 that test/setup/global-setup.ts provides (redisUrl) with node-redis:
// AUTH is required, lists (LPUSH/LRANGE) and streams (XADD/XRANGE) work.
import { randomUUID } from 'node:crypto';
import { createClient } from 'redis';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const url = inject('redisUrl');
const flavor = inject('serviceFlavor');

describe.skipIf(!url)(`Redis smoke (${flavor} services)`, () => {
  const client = createClient({ url, socket: { connectTimeout: 10_000, reconnectStrategy: false } });
  const prefix = `driftwatch:smoke:${randomUUID().slice(0, 8)}`;

  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await client.del([`${prefix}:list`, `${prefix}:stream`]).catch(() => undefined);
    await client.close();
  });

  it('is Redis 7 and needs AUTH', async () => {
    const info = await client.info('server');
    expect(info).toMatch(/redis_version:7\./);
    const noAuth = new URL(url);
    noAuth.password = '';
    noAuth.username = '';
    const anonymous = createClient({ url: noAuth.toString(), socket: { connectTimeout: 10_000, reconnectStrategy: false } });
    anonymous.on('error', () => undefined);
    // node-redis may send HELLO on connect: the refusal comes from connect() or from the PING.
    await expect(anonymous.connect().then(() => anonymous.ping())).rejects.toThrow(/NOAUTH/);
    if (anonymous.isOpen) anonymous.destroy();
  });

  it('LPUSH / LRANGE', async () => {
    expect(await client.lPush(`${prefix}:list`, ['a', 'b', 'c'])).toBe(3);
    expect(await client.lRange(`${prefix}:list`, 0, -1)).toEqual(['c', 'b', 'a']);
  });

  it('XADD / XRANGE', async () => {
    const id1 = await client.xAdd(`${prefix}:stream`, '*', { feature: 'income', value: '52000.5' });
    const id2 = await client.xAdd(`${prefix}:stream`, '*', { feature: 'age', value: '42' });
    const entries = await client.xRange(`${prefix}:stream`, '-', '+');
    expect(entries).not.toBeNull();
    expect(entries!.map((e) => e.id)).toEqual([id1, id2]);
    expect(entries!.map((e) => ({ ...e.message }))).toEqual([
      { feature: 'income', value: '52000.5' },
      { feature: 'age', value: '42' },
    ]);
  });
});
