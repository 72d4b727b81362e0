// The two InfluxDB servers the integration tests run against, from what
// test/setup/global-setup.ts provides: InfluxDB 1.8 (token `user:password`, bucket
// `database/retention-policy`) and InfluxDB 2.7 (an API token, org and bucket `driftwatch`).
//
//   describe.each(influxFlavours())('the exporter (InfluxDB $flavour)', (f) => { … f.url, f.token … })
//
// A flavour left out by DRIFTWATCH_SERVICES (outside CI only) has url '': skip on `!f.url`.
import { InfluxDB } from '@influxdata/influxdb-client';
import { inject } from 'vitest';

export type Flavour = '1.8' | '2.7';

export interface InfluxFlavour {
  flavour: Flavour;
  url: string;
  /** `user:password` on 1.8, an operator token on 2.7; sent as `Authorization: Token …`. */
  token: string;
  org: string;
  /** `driftwatch/autogen` on 1.8, `driftwatch` on 2.7. */
  bucket: string;
  /** The InfluxQL database and retention policy of the bucket (2.7: its virtual DBRP). */
  database: string;
  retentionPolicy: string;
}

export function influxFlavours(): InfluxFlavour[] {
  const v1 = { url: inject('influxUrl'), token: inject('influxToken'), org: inject('influxOrg'), bucket: inject('influxBucket') };
  const v2 = { url: inject('influx2Url'), token: inject('influx2Token'), org: inject('influx2Org'), bucket: inject('influx2Bucket') };
  const [db1, rp1] = v1.bucket.split('/');
  return [
    { flavour: '1.8', ...v1, database: db1 ?? '', retentionPolicy: rp1 ?? 'autogen' },
    { flavour: '2.7', ...v2, database: v2.bucket, retentionPolicy: 'autogen' },
  ];
}

/** The flavour of that name (for tests of one server only). */
export function influxFlavour(flavour: Flavour): InfluxFlavour {
  return influxFlavours().find((f) => f.flavour === flavour)!;
}

export async function fluxRowsIn(f: InfluxFlavour, flux: string): Promise<Record<string, unknown>[]> {
  return new InfluxDB({ url: f.url, token: f.token, timeout: 20_000 }).getQueryApi(f.org).collectRows(flux);
}

/** feature_drift rows of one model in that server, pivoted: one object per (window end, feature). */
export async function featureDriftPointsIn(f: InfluxFlavour, model: string): Promise<Map<string, Record<string, unknown>>> {
  const rows = await fluxRowsIn(
    f,
    `from(bucket: "${f.bucket}") |> range(start: 2000-01-01T00:00:00Z) |> filter(fn: (r) => r._measurement == "feature_drift" and r.model == "${model}")`,
  );
  const points = new Map<string, Record<string, unknown>>();
  for (const row of rows) {
    const time = new Date(row._time as string).toISOString();
    const key = `${time}|${row.feature}`;
    const point = points.get(key) ?? { time, feature: row.feature, model_version: row.model_version };
    point[row._field as string] = row._value;
    points.set(key, point);
  }
  return points;
}

export interface InfluxQLSeries {
  name: string;
  tags?: Record<string, string>;
  columns: string[];
  values: unknown[][];
}

/** Runs InfluxQL on `/query` (GET, `epoch=ms`), as Grafana's InfluxQL datasource does; throws on an error answer. */
export async function influxQL(f: InfluxFlavour, q: string): Promise<InfluxQLSeries[][]> {
  const params = new URLSearchParams({ db: f.database, rp: f.retentionPolicy, epoch: 'ms', q });
  const res = await fetch(`${f.url}/query?${params}`, { headers: { Authorization: `Token ${f.token}` } });
  const text = await res.text();
  if (res.status !== 200) throw new Error(`InfluxDB ${f.flavour} /query answered ${res.status}: ${text}\n${q}`);
  const body = JSON.parse(text) as { error?: string; results: Array<{ error?: string; series?: InfluxQLSeries[] }> };
  if (body.error) throw new Error(`InfluxDB ${f.flavour} /query: ${body.error}\n${q}`);
  return body.results.map((r, i) => {
    if (r.error) throw new Error(`InfluxDB ${f.flavour} /query statement ${i}: ${r.error}\n${q}`);
    return r.series ?? [];
  });
}

/** Creates a bucket (2.7) or retention policy (1.8) keeping `hours` of data; returns its bucket name and a remover. */
export async function shortRetentionBucket(f: InfluxFlavour, name: string, hours = 1): Promise<{ bucket: string; remove: () => Promise<void> }> {
  const auth = { Authorization: `Token ${f.token}` };
  if (f.flavour === '1.8') {
    const run = async (q: string) => {
      const res = await fetch(`${f.url}/query`, { method: 'POST', headers: { ...auth, 'Content-Type': 'application/x-www-form-urlencoded' }, body: new URLSearchParams({ q }) });
      if (res.status !== 200) throw new Error(`${q}: ${res.status} ${await res.text()}`);
    };
    await run(`CREATE RETENTION POLICY "${name}" ON "${f.database}" DURATION ${hours}h REPLICATION 1`);
    return { bucket: `${f.database}/${name}`, remove: () => run(`DROP RETENTION POLICY "${name}" ON "${f.database}"`) };
  }
  const orgs = (await (await fetch(`${f.url}/api/v2/orgs?${new URLSearchParams({ org: f.org })}`, { headers: auth })).json()) as { orgs: Array<{ id: string }> };
  const created = await fetch(`${f.url}/api/v2/buckets`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ orgID: orgs.orgs[0]!.id, name, retentionRules: [{ type: 'expire', everySeconds: hours * 3600 }] }),
  });
  if (created.status !== 201) throw new Error(`creating bucket ${name}: ${created.status} ${await created.text()}`);
  const { id } = (await created.json()) as { id: string };
  return {
    bucket: name,
    remove: async () => {
      await fetch(`${f.url}/api/v2/buckets/${id}`, { method: 'DELETE', headers: auth });
    },
  };
}

/** A 2.7 token with only `actions` on the flavour's bucket; returns it and a remover. */
export async function scopedToken(f: InfluxFlavour, actions: Array<'read' | 'write'>): Promise<{ token: string; remove: () => Promise<void> }> {
  const auth = { Authorization: `Token ${f.token}` };
  const orgs = (await (await fetch(`${f.url}/api/v2/orgs?${new URLSearchParams({ org: f.org })}`, { headers: auth })).json()) as { orgs: Array<{ id: string }> };
  const orgID = orgs.orgs[0]!.id;
  const buckets = (await (await fetch(`${f.url}/api/v2/buckets?${new URLSearchParams({ name: f.bucket, orgID })}`, { headers: auth })).json()) as {
    buckets: Array<{ id: string }>;
  };
  const bucketID = buckets.buckets[0]!.id;
  const res = await fetch(`${f.url}/api/v2/authorizations`, {
    method: 'POST',
    headers: { ...auth, 'Content-Type': 'application/json' },
    body: JSON.stringify({ orgID, description: 'driftwatch test', permissions: actions.map((action) => ({ action, resource: { type: 'buckets', id: bucketID, orgID } })) }),
  });
  if (res.status !== 201) throw new Error(`creating a token: ${res.status} ${await res.text()}`);
  const { id, token } = (await res.json()) as { id: string; token: string };
  return {
    token,
    remove: async () => {
      await fetch(`${f.url}/api/v2/authorizations/${id}`, { method: 'DELETE', headers: auth });
    },
  };
}
