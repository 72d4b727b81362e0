import { quoteIdentifier } from './source.js';
import { probabilityOutput } from '../../core/event/probabilities.js';

/**
 * The integration guide's step 2 for Node model servers: store a prediction's features in
 * exactly the schema `driftwatch job` reads (docs/feature-stores.md). Each helper takes the
 * client you already have (node-postgres, node-redis, or any with the same methods).
 */

export type FeatureVector = readonly (number | null)[];
/** Features keyed by name (categorical values as strings), for jsonb columns, JSON entries and the wide InfluxDB form. */
export type FeatureObject = Readonly<Record<string, number | string | null>>;

/** The model's outputs stored beside the features (docs/references-and-check.md, "Model outputs"). */
export interface StoredOutputs {
  /** A numeric score, or a class label (a string: a `text` column in PostgreSQL, the wide form in InfluxDB). */
  prediction?: number | string | null;
  confidence?: number | null;
  /**
   * Per-class probabilities, class → probability: a `probabilities` jsonb column, the JSON
   * object of a Redis list entry or stream field, InfluxDB points / fields `probability_<class>`.
   */
  probabilities?: Readonly<Record<string, number | null>> | null;
}

/**
 * The guide's table, with the optional model columns, the model's outputs (`prediction`,
 * `confidence`, `double precision`) and an index for the window query, as statements separated
 * by `;\n`. A table made by an earlier version gains the output columns (`ADD COLUMN IF NOT EXISTS`).
 */
export function predictionLogsDdl(table = 'prediction_logs', vector: 'double precision[]' | 'jsonb' = 'double precision[]'): string {
  const t = quoteIdentifier(table, 'table', { qualified: true });
  const index = quoteIdentifier(`${table.replace('.', '_')}_created_at_idx`.slice(0, 63), 'index');
  return `CREATE TABLE IF NOT EXISTS ${t} (request_id text PRIMARY KEY, feature_vector ${vector} NOT NULL, created_at timestamptz NOT NULL DEFAULT now(), model text, model_version text, prediction double precision, confidence double precision, probabilities jsonb);
ALTER TABLE ${t} ADD COLUMN IF NOT EXISTS prediction double precision, ADD COLUMN IF NOT EXISTS confidence double precision, ADD COLUMN IF NOT EXISTS probabilities jsonb;
CREATE INDEX IF NOT EXISTS ${index} ON ${t} (created_at)`;
}

const OUTPUT_NAMES = ['prediction', 'confidence'] as const;
/** The outputs given (undefined ones left out), in the order prediction, confidence. */
const givenOutputs = (o: StoredOutputs) => OUTPUT_NAMES.filter((n) => o[n] !== undefined).map((n) => [n, o[n]] as const);
/** The probabilities given as `probability_<class>` entries (InfluxDB's names), in the object's order. */
const probabilityEntries = (o: StoredOutputs) => Object.entries(o.probabilities ?? {}).map(([c, p]) => [probabilityOutput(c), p] as const);

export interface PgQueryable {
  query(text: string, values?: unknown[]): Promise<unknown>;
}

/**
 * Option A: `INSERT INTO prediction_logs (request_id, feature_vector, created_at, model,
 * model_version[, prediction][, confidence])`, parameterised; the output columns only when the
 * prediction has them (the job reads the columns `prediction` / `confidence` when the table has them). `vector` is the column's type as `predictionLogsDdl` made it: a
 * `double precision[]` takes an array (node-postgres sends an array literal); a `jsonb` column
 * takes an array or an object keyed by feature name, sent as JSON text.
 */
export async function storePredictionPostgres(
  client: PgQueryable,
  prediction: { requestId: string; features: FeatureVector | Readonly<Record<string, unknown>>; createdAt?: Date; model?: string; modelVersion?: string } & StoredOutputs,
  options: { table?: string; vector?: 'double precision[]' | 'jsonb' } = {},
): Promise<void> {
  const t = quoteIdentifier(options.table ?? 'prediction_logs', 'table', { qualified: true });
  const jsonb = options.vector === 'jsonb';
  if (!jsonb && !Array.isArray(prediction.features)) {
    throw new RangeError(
      `features of ${prediction.requestId}: a double precision[] column takes an array in the reference's order; an object keyed by feature name needs vector: 'jsonb'`,
    );
  }
  const outputs: (readonly [string, unknown])[] = givenOutputs(prediction);
  if (prediction.probabilities !== undefined) outputs.push(['probabilities', prediction.probabilities === null ? null : JSON.stringify(prediction.probabilities)]);
  const columns = ['request_id', 'feature_vector', 'created_at', 'model', 'model_version', ...outputs.map(([n]) => n)];
  await client.query(`INSERT INTO ${t} (${columns.join(', ')}) VALUES (${columns.map((_, i) => `$${i + 1}`).join(', ')})`, [
    prediction.requestId,
    jsonb ? JSON.stringify(prediction.features) : prediction.features,
    prediction.createdAt ?? new Date(),
    prediction.model ?? null,
    prediction.modelVersion ?? null,
    ...outputs.map(([, v]) => v),
  ]);
}

export interface RedisWritable {
  lPush(key: string, value: string): Promise<unknown>;
  lTrim(key: string, start: number, stop: number): Promise<unknown>;
  expire(key: string, seconds: number): Promise<unknown>;
  xAdd(key: string, id: string, message: Record<string, string>): Promise<unknown>;
}

/**
 * Option B: the guide's list (`LPUSH` a JSON array, `LTRIM` to the last `maxLength`, `EXPIRE`).
 * With `model` / `model_version` or the model's outputs the entry is a JSON object
 * `{feature_vector, model, model_version, prediction, confidence, probabilities}` (the given ones), which the job reads as well.
 */
export async function storeFeaturesRedis(
  client: RedisWritable,
  features: FeatureVector | FeatureObject,
  options: { key?: string; maxLength?: number; ttlSeconds?: number; model?: string; modelVersion?: string } & StoredOutputs = {},
): Promise<void> {
  const key = options.key ?? 'recent_features';
  const outputs: (readonly [string, unknown])[] = givenOutputs(options);
  if (options.probabilities !== undefined) outputs.push(['probabilities', options.probabilities]);
  const entry =
    options.model || options.modelVersion || outputs.length > 0
      ? {
          feature_vector: features,
          ...(options.model ? { model: options.model } : {}),
          ...(options.modelVersion ? { model_version: options.modelVersion } : {}),
          ...Object.fromEntries(outputs),
        }
      : features;
  await client.lPush(key, JSON.stringify(entry));
  await client.lTrim(key, 0, (options.maxLength ?? 10_000) - 1);
  await client.expire(key, options.ttlSeconds ?? 86_400);
}

/**
 * Option B for windows in time: `XADD key <ms>-* feature_vector <json> [model …] [model_version …]
 * [prediction …] [confidence …] [probabilities <json>]`, the outputs as text (a number as JavaScript prints it, which
 * reads back as the same double; a label as it is; null left out).
 */
export async function storeFeaturesRedisStream(
  client: RedisWritable,
  features: FeatureVector | FeatureObject,
  options: { key?: string; at?: Date; model?: string; modelVersion?: string } & StoredOutputs = {},
): Promise<void> {
  const message: Record<string, string> = { feature_vector: JSON.stringify(features) };
  if (options.model) message.model = options.model;
  if (options.modelVersion) message.model_version = options.modelVersion;
  for (const [name, value] of givenOutputs(options)) if (value !== null) message[name] = String(value);
  if (options.probabilities) message.probabilities = JSON.stringify(options.probabilities);
  await client.xAdd(options.key ?? 'recent_features', options.at ? `${options.at.getTime()}-*` : '*', message);
}

const escapeTag = (s: string) => s.replace(/[,= \\]/g, (c) => `\\${c}`);

/**
 * Option C as line protocol: `long` writes the guide's points (measurement `model_features`,
 * tag `feature_name`, field `value`), one per feature, all at the prediction's time, so the
 * source can put them back together; `wide` one point with a field per feature, where a
 * categorical value (a string) becomes a string field. The long form's `value` is a float
 * field: a string there is refused (InfluxDB types a field once per measurement). Missing
 * values are left out. InfluxDB keeps one point per series and time: two predictions with the
 * same time overwrite each other, so give each its own (`atNs`, or distinct `at`s; the job
 * reads times to the microsecond). The model's outputs (`prediction`, `confidence`) are written
 * like features of those names: points with `feature_name=prediction` (long) or fields (wide),
 * and each class's probability as `probability_<class>`.
 */
export function influxFeatureLines(
  features: FeatureVector | readonly (number | string | null)[],
  featureNames: readonly string[],
  options: { measurement?: string; at?: Date; atNs?: bigint; model?: string; modelVersion?: string; layout?: 'long' | 'wide' } & StoredOutputs = {},
): string {
  if (features.length !== featureNames.length) throw new RangeError(`features has ${features.length} values, featureNames ${featureNames.length} names`);
  const clash = featureNames.find((n) => (OUTPUT_NAMES as readonly string[]).includes(n));
  if (clash) throw new RangeError(`feature ${clash}: the name is the model's output's; pass it as the option ${clash}`);
  const outputs = [...givenOutputs(options), ...probabilityEntries(options)];
  if (outputs.length > 0) {
    features = [...features, ...outputs.map(([, v]) => v ?? null)];
    featureNames = [...featureNames, ...outputs.map(([n]) => n)];
  }
  const measurement = (options.measurement ?? 'model_features').replace(/[, \\]/g, (c) => `\\${c}`);
  const tags = [options.model && `model=${escapeTag(options.model)}`, options.modelVersion && `model_version=${escapeTag(options.modelVersion)}`]
    .filter(Boolean)
    .map((t) => `,${t}`)
    .join('');
  const ns = `${options.atNs ?? BigInt((options.at ?? new Date()).getTime()) * 1_000_000n}`;
  const field = (v: number | string | null, name: string): string | null => {
    if (typeof v === 'string') {
      if ((options.layout ?? 'long') === 'long') {
        throw new RangeError(`feature ${name} is categorical (${JSON.stringify(v)}): the long form's field "value" is a float; write categorical features with layout 'wide'`);
      }
      return `"${v.replace(/["\\]/g, (c) => `\\${c}`)}"`;
    }
    if (v === null || !Number.isFinite(v)) return null;
    return Number.isInteger(v) ? `${v}.0` : String(v);
  };
  if ((options.layout ?? 'long') === 'wide') {
    const fields = featureNames
      .map((n, i) => [n, field(features[i] ?? null, n)] as const)
      .filter(([, f]) => f !== null)
      .map(([n, f]) => `${escapeTag(n)}=${f}`);
    return fields.length === 0 ? '' : `${measurement}${tags} ${fields.join(',')} ${ns}\n`;
  }
  return featureNames
    .map((n, i) => {
      const f = field(features[i] ?? null, n);
      return f === null ? '' : `${measurement},feature_name=${escapeTag(n)}${tags} value=${f} ${ns}\n`;
    })
    .join('');
}

/** Writes `influxFeatureLines` to InfluxDB 1.8 (`/write?db=`) or 2.x (`/api/v2/write?bucket=`). */
export async function storeFeaturesInflux(target: { url: string; token?: string; database: string; org?: string }, lines: string): Promise<void> {
  if (lines === '') return;
  const url = target.org
    ? new URL(`/api/v2/write?${new URLSearchParams({ org: target.org, bucket: target.database, precision: 'ns' })}`, target.url)
    : new URL(`/write?${new URLSearchParams({ db: target.database, precision: 'ns' })}`, target.url);
  const response = await fetch(url, { method: 'POST', body: lines, headers: target.token ? { authorization: `Token ${target.token}` } : {} });
  if (!response.ok) throw new Error(`InfluxDB write to ${url.origin} failed: HTTP ${response.status} ${(await response.text()).slice(0, 200)}`);
}
