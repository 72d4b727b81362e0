// Smoke test of the PostgreSQL 15 that test/setup/global-setup.ts provides (postgresUrl): a
// password login with the `pg` client, then DDL and a round trip of rows.
import { randomUUID } from 'node:crypto';
import pg from 'pg';
import { afterAll, beforeAll, describe, expect, inject, it } from 'vitest';

const url = inject('postgresUrl');
const flavor = inject('serviceFlavor');

describe.skipIf(!url)(`PostgreSQL smoke (${flavor} services)`, () => {
  const client = new pg.Client({ connectionString: url, connectionTimeoutMillis: 10_000 });
  const table = `smoke_${randomUUID().replaceAll('-', '').slice(0, 12)}`;

  beforeAll(async () => {
    await client.connect();
  });
  afterAll(async () => {
    await client.query(`DROP TABLE IF EXISTS ${table}`).catch(() => undefined);
    await client.end();
  });

  it('is PostgreSQL 15 and the user owns database driftwatch', async () => {
    const { rows } = await client.query<{ v: string; db: string }>(`SELECT current_setting('server_version_num') AS v, current_database() AS db`);
    expect(Number(rows[0]!.v)).toBeGreaterThanOrEqual(150000);
    expect(rows[0]!.db).toBe('driftwatch');
  });

  it('creates a table, inserts and selects rows', async () => {
    await client.query(`CREATE TABLE ${table} (id serial PRIMARY KEY, feature text NOT NULL, value double precision, at timestamptz NOT NULL)`);
    await client.query(`INSERT INTO ${table} (feature, value, at) VALUES ($1, $2, $3), ($4, $5, $6)`, [
      'income',
      52000.5,
      '2026-11-26T10:00:00Z',
      'age',
      null,
      '2026-11-26T10:00:01Z',
    ]);
    const { rows } = await client.query<{ feature: string; value: number | null; at: Date }>(`SELECT feature, value, at FROM ${table} ORDER BY id`);
    expect(rows).toEqual([
      { feature: 'income', value: 52000.5, at: new Date('2026-11-26T10:00:00Z') },
      { feature: 'age', value: null, at: new Date('2026-11-26T10:00:01Z') },
    ]);
  });

  it('refuses a wrong password', async () => {
    const bad = new URL(url);
    bad.password = 'not-the-password';
    const other = new pg.Client({ connectionString: bad.toString(), connectionTimeoutMillis: 10_000 });
    await expect(other.connect()).rejects.toThrow(/password authentication failed/);
    await other.end().catch(() => undefined);
  });
});
