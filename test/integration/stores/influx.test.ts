// driftwatch job against a real InfluxDB, 1.8 (influxUrl) and 2.7 (influx2Url, its bucket read
// through the v1 query API's DBRP mapping): rows written with the step-2 helpers in the guide's
// long form (measurement model_features, tag feature_name, field value) and in the wide form →
// job --once → every score equal to check on the same rows written to a file, exactly.
import { join } from 'node:path';
import { describe, expect, inject, it } from 'vitest';
import { influxFeatureLines, storeFeaturesInflux } from '../../../src/index.js';
import { InfluxSource } from '../../../src/adapters/stores/influx.js';
import { StoreError } from '../../../src/adapters/stores/source.js';
import { runId } from '../helpers.js';
import { checkJson, END, expectSameCheck, FEATURES, HOUR, jobEnv, jobJson, MODEL, numericReference, vectors, VERSION } from './helpers.js';

interface Target {
  name: string;
  url: string;
  token: string;
  /** 1.8: the database; 2.7: the bucket (InfluxQL sees it as a database of that name). */
  database: string;
  /** 2.7 only: writes go to /api/v2/write with the org. */
  org?: string;
}

const targets: Target[] = [
  { name: 'InfluxDB 1.8', url: inject('influxUrl'), token: inject('influxToken'), database: inject('influxBucket').split('/')[0]! },
  { name: 'InfluxDB 2.7', url: inject('influx2Url'), token: inject('influx2Token'), database: inject('influx2Bucket'), org: inject('influx2Org') },
];

describe.each(targets)('driftwatch job over $name', (target) => {
  const id = runId().replace(/-/g, '_');
  const write = (lines: string) => storeFeaturesInflux({ url: target.url, token: target.token, database: target.database, org: target.org }, lines);
  const env = (measurement: string, layout: 'long' | 'wide', refs: string) =>
    jobEnv(refs, {
      FEATURE_STORE_TYPE: 'influxdb',
      FEATURE_STORE_URL: target.url,
      FEATURE_STORE_TOKEN: target.token,
      FEATURE_STORE_DATABASE: target.database,
      FEATURE_STORE_MEASUREMENT: measurement,
      FEATURE_STORE_LAYOUT: layout,
    });

  /** 30 rows before the window, `inside` in it (one per second), 30 at its (exclusive) end and after. */
  async function fill(measurement: string, layout: 'long' | 'wide', inside: number[][], tags: { model?: string; modelVersion?: string } = {}) {
    const lines = [
      ...vectors(30, 41).map((v, k) => influxFeatureLines(v, FEATURES, { measurement, layout, at: new Date(END - 2 * HOUR + k * 1000), ...tags })),
      ...inside.map((v, k) => influxFeatureLines(v, FEATURES, { measurement, layout, at: new Date(END - HOUR + k * 1000), ...tags })),
      ...vectors(30, 43).map((v, k) => influxFeatureLines(v, FEATURES, { measurement, layout, at: new Date(END + k * 1000), ...tags })),
    ];
    for (let i = 0; i < lines.length; i += 200) await write(lines.slice(i, i + 200).join(''));
  }

  it.skipIf(!target.url)("the guide's long form (tag feature_name, field value): equal to check on the same rows", async () => {
    const refs = await numericReference();
    const measurement = `model_features_${id}`;
    const inside = vectors(400, 51, true);
    await fill(measurement, 'long', inside);
    const { lines, exitCode } = await jobJson(env(measurement, 'long', refs.dir), { failOnDrift: true });
    expect(lines).toHaveLength(1);
    expectSameCheck(lines[0]!, await checkJson(join(refs.dir, VERSION, 'reference_distribution.json'), inside));
    expect(lines[0]).toMatchObject({ model_version: VERSION, sample_count: 400, drift_detected: true });
    expect(exitCode).toBe(3);
  });

  it.skipIf(!target.url)('the wide form (a field per feature) with model tags: equal to check, a missing value counted as missing', async () => {
    const refs = await numericReference();
    const measurement = `model_features_wide_${id}`;
    const inside: (number | null)[][] = vectors(300, 61);
    inside[5] = [inside[5]![0]!, null, inside[5]![2]!, inside[5]![3]!];
    await fill(measurement, 'wide', inside as number[][], { model: MODEL, modelVersion: VERSION });
    const { lines } = await jobJson(env(measurement, 'wide', refs.dir));
    expect(lines).toHaveLength(1);
    // The wide point of row 5 has no income field: the job reads it as absent, check as null; both count it missing.
    expectSameCheck(lines[0]!, await checkJson(join(refs.dir, VERSION, 'reference_distribution.json'), inside));
    expect((lines[0]!.features as Record<string, { missing_rate: number }>).income.missing_rate).toBeCloseTo(1 / 300, 12);
  });

  it.skipIf(!target.url)('an unknown database names FEATURE_STORE_DATABASE; a wrong token FEATURE_STORE_TOKEN (2.7)', async () => {
    const window = { startMs: END - HOUR, endMs: END };
    const missing = await new InfluxSource({ url: target.url, token: target.token, database: `no_such_db_${id}` }).read(window, () => undefined).catch((e: unknown) => e);
    expect(missing).toBeInstanceOf(StoreError);
    expect((missing as Error).message).toMatch(/^influxdb \(FEATURE_STORE_DATABASE\): /);
    if (target.org) {
      const refused = await new InfluxSource({ url: target.url, token: 'not-the-token', database: target.database }).read(window, () => undefined).catch((e: unknown) => e);
      expect((refused as Error).message).toMatch(/^influxdb \(FEATURE_STORE_TOKEN\): .* refused the credentials \(HTTP 401\)/);
      expect((refused as Error).message).not.toContain('not-the-token');
    }
  });
});
