// Smoke test of the InfluxDB 2.7 that test/setup/global-setup.ts provides (influx2Url, a
// generated operator token, org and bucket `driftwatch`), over plain HTTP: line protocol in
// through /api/v2/write, out through Flux (/api/v2/query) and InfluxQL (/query, the bucket's
// virtual DBRP); token auth; retention enforcement on write.
import { randomUUID } from 'node:crypto';
import { afterAll, describe, expect, inject, it } from 'vitest';

const url = inject('influx2Url');
const token = inject('influx2Token');
const org = inject('influx2Org');
const bucket = inject('influx2Bucket');
const flavor = inject('serviceFlavor');

const auth = (tok = token) => ({ Authorization: `Token ${tok}` });
const measurement = `driftwatch_smoke2_${Date.now()}_${randomUUID().slice(0, 8)}`;
const T = BigInt(Date.parse('2026-11-26T10:00:00Z')) * 1_000_000n + 123_456_789n; // ns

async function write(body: string, toBucket = bucket, tok = token): Promise<Response> {
  const q = new URLSearchParams({ org, bucket: toBucket, precision: 'ns' });
  return fetch(`${url}/api/v2/write?${q}`, { method: 'POST', headers: { ...auth(tok), 'Content-Type': 'text/plain; charset=utf-8' }, body });
}

async function flux(query: string): Promise<string> {
  const res = await fetch(`${url}/api/v2/query?${new URLSearchParams({ org })}`, {
    method: 'POST',
    headers: { ...auth(), 'Content-Type': 'application/vnd.flux', Accept: 'application/csv' },
    body: query,
  });
  const text = await res.text();
  expect(res.status, text).toBe(200);
  return text;
}

/** The `_value` cells of Flux's CSV answer (no annotations; a blank line ends each table). */
function values(csv: string): string[] {
  const out: string[] = [];
  let header: string[] | undefined;
  for (const line of csv.split(/\r?\n/)) {
    if (line.length === 0) {
      header = undefined;
      continue;
    }
    const cells = line.split(',');
    if (!header) header = cells;
    else out.push(cells[header.indexOf('_value')]!);
  }
  return out;
}

describe.skipIf(!url)(`InfluxDB 2.7 smoke (${flavor} services)`, () => {
  const cleanup: Array<() => Promise<unknown>> = [];
  afterAll(async () => {
    await Promise.allSettled(cleanup.map((c) => c()));
  });

  it('is InfluxDB 2.7 and answers /ping', async () => {
    const res = await fetch(`${url}/ping`);
    expect(res.status).toBe(204);
    expect(res.headers.get('x-influxdb-version') ?? '').toMatch(/^v?2\.7\./);
  });

  it('writes a point with Authorization: Token and reads it back with Flux and InfluxQL', async () => {
    const res = await write(`${measurement},model=credit-risk,feature=income psi=0.79,drifted=true ${T}\n`);
    expect(res.status, await res.text()).toBe(204);

    const csv = await flux(`
      from(bucket: "${bucket}")
        |> range(start: 2026-11-26T00:00:00Z, stop: 2026-11-27T00:00:00Z)
        |> filter(fn: (r) => r._measurement == "${measurement}" and r._field == "psi")`);
    expect(values(csv)).toEqual(['0.79']);
    expect(csv).toContain('2026-11-26T10:00:00.123456789Z');

    const q = new URLSearchParams({ db: bucket, epoch: 'ns', q: `SELECT psi, drifted FROM "${measurement}" WHERE feature = 'income'` });
    const iq = await fetch(`${url}/query?${q}`, { headers: auth() });
    const body = (await iq.json()) as { results: Array<{ series?: Array<{ columns: string[]; values: unknown[][] }> }> };
    expect(iq.status).toBe(200);
    expect(body.results[0]?.series?.[0]?.columns).toEqual(['time', 'psi', 'drifted']);
    expect(body.results[0]?.series?.[0]?.values).toEqual([[Number(T), 0.79, true]]);
  });

  it('answers 400 for a Flux query without org', async () => {
    const res = await fetch(`${url}/api/v2/query`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/vnd.flux' },
      body: `buckets()`,
    });
    expect(res.status).toBe(400);
  });

  it('answers 401 for a wrong token', async () => {
    const res = await write(`${measurement},model=x v=1 ${T}\n`, bucket, 'not-the-token');
    expect(res.status).toBe(401);
    const q = await fetch(`${url}/api/v2/buckets`, { headers: auth('not-the-token') });
    expect(q.status).toBe(401);
  });

  it('rejects a point older than a short-retention bucket (422 partial write) and stores the one inside', async () => {
    const orgs = (await (await fetch(`${url}/api/v2/orgs?${new URLSearchParams({ org })}`, { headers: auth() })).json()) as { orgs: Array<{ id: string }> };
    const orgID = orgs.orgs[0]!.id;
    const name = `${measurement}_1h`;
    const created = await fetch(`${url}/api/v2/buckets`, {
      method: 'POST',
      headers: { ...auth(), 'Content-Type': 'application/json' },
      body: JSON.stringify({ orgID, name, retentionRules: [{ type: 'expire', everySeconds: 3600 }] }),
    });
    expect(created.status, await created.clone().text()).toBe(201);
    const { id } = (await created.json()) as { id: string };
    cleanup.push(() => fetch(`${url}/api/v2/buckets/${id}`, { method: 'DELETE', headers: auth() }));

    const now = BigInt(Date.now()) * 1_000_000n;
    const old = now - 2n * 3600n * 1_000_000_000n; // 2 h ago, outside the 1 h retention
    const res = await write(`${measurement},when=old v=1 ${old}\n${measurement},when=now v=2 ${now}\n`, name);
    const text = await res.text();
    expect(res.status, text).toBe(422);
    expect(text).toMatch(/partial write/i);

    const csv = await flux(`
      from(bucket: "${name}")
        |> range(start: -3h)
        |> filter(fn: (r) => r._measurement == "${measurement}")
        |> keep(columns: ["_value", "when"])`);
    expect(values(csv)).toEqual(['2']);
  });
});
