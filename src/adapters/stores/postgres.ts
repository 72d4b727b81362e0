import pg from 'pg';
import Cursor from 'pg-cursor';
import { to as copyTo } from 'pg-copy-streams';
import { BinaryCopyDecoder, type CopyColumnKind } from './pg-copy-binary.js';
import { describeCause, quoteIdentifier, StoreError, type FeatureSource, type ReadSummary, type StoreRow, type TimeWindow } from './source.js';

export interface PostgresSourceOptions {
  /** postgres://user:password@host:port/db (FEATURE_STORE_URL). */
  url: string;
  /** The guide's `prediction_logs` (FEATURE_STORE_TABLE); `schema.table` allowed. */
  table?: string;
  /** `double precision[]` in the reference's order, or `jsonb` (array or object) (FEATURE_STORE_VECTOR_COLUMN). */
  vectorColumn?: string;
  /** `timestamptz` of the prediction (FEATURE_STORE_TIME_COLUMN). */
  timeColumn?: string;
  /**
   * Model and version columns (FEATURE_STORE_MODEL_COLUMN, FEATURE_STORE_VERSION_COLUMN).
   * Unset: `model` / `model_version` when the table has them, else none (MODEL_NAME / MODEL_VERSION apply).
   */
  modelColumn?: string;
  versionColumn?: string;
  /**
   * The model's outputs beside the vector (FEATURE_STORE_PREDICTION_COLUMN,
   * FEATURE_STORE_CONFIDENCE_COLUMN): columns of any type, read as text (a number or a class
   * label). Unset: `prediction` / `confidence` when the table has them, else none (the outputs
   * count as missing).
   */
  predictionColumn?: string;
  confidenceColumn?: string;
  /**
   * The model's per-class probabilities (FEATURE_STORE_PROBABILITIES_COLUMN): a `jsonb` / `json`
   * (or JSON text) object class → probability, read as text and parsed. Unset: `probabilities`
   * when the table has it, else none.
   */
  probabilitiesColumn?: string;
  /**
   * The user's own query instead (FEATURE_STORE_QUERY): `$1` and `$2` are the window bounds
   * (timestamptz, start inclusive, end exclusive); it returns `feature_vector` and optionally
   * `model`, `model_version`, `prediction`, `confidence` and `probabilities`.
   */
  query?: string;
  /** Rows fetched per cursor read. */
  fetchRows?: number;
  connectTimeoutMs?: number;
}

const STORE = 'postgresql';

/** What `inspect` found of the configured table. */
interface TableShape {
  /** The optional columns present, in the select list's order after the vector. */
  optional: OptionalColumn[];
  /** Set when the vector column's type has a binary decoder (double precision[], jsonb, json). */
  vectorKind?: CopyColumnKind;
  /** The window's query with $1/$2 (the cursor's). */
  select: string;
  /** The same query with the bounds from `current_setting` (the COPY's). */
  copySelect: string;
}

/** Prepared SQL of a PostgresSource, built once at start (names validated and quoted there). */
interface Plan {
  table: string;
  vector: string;
  /** The vector column's name unquoted, as pg_attribute holds it. */
  vectorName: string;
  time: string;
  /** Configured names of the optional columns, quoted. */
  columns: Partial<Record<OptionalColumn, string>>;
}

/** The optional columns after the vector, each under its own name in the select list (and the cursor's rows). */
const OPTIONAL = ['model', 'model_version', 'prediction', 'confidence', 'probabilities'] as const;
type OptionalColumn = (typeof OPTIONAL)[number];
const SETTING: Record<OptionalColumn, string> = {
  model: 'FEATURE_STORE_MODEL_COLUMN',
  model_version: 'FEATURE_STORE_VERSION_COLUMN',
  prediction: 'FEATURE_STORE_PREDICTION_COLUMN',
  confidence: 'FEATURE_STORE_CONFIDENCE_COLUMN',
  probabilities: 'FEATURE_STORE_PROBABILITIES_COLUMN',
};

/** A row from the vector and the optional columns' values (text or null), by name. */
function storeRow(features: unknown, value: (column: OptionalColumn) => unknown): StoreRow {
  const row: StoreRow = { features, model: asText(value('model')), modelVersion: asText(value('model_version')) };
  const prediction = value('prediction');
  const confidence = value('confidence');
  if (prediction !== undefined || confidence !== undefined) row.outputs = { prediction: prediction ?? null, confidence: confidence ?? null };
  // JSON text, parsed by the job with the events' rules (app/job/accumulate.ts).
  const probabilities = value('probabilities');
  if (probabilities !== undefined) (row.outputs ??= {}).probabilities = probabilities;
  return row;
}

/**
 * The guide's option A: `prediction_logs(request_id, feature_vector, created_at)`, read for the
 * window and accumulated as rows arrive, so memory stays flat and nothing is cut off. A
 * `double precision[]`, `jsonb` or `json` vector column is read with a binary COPY
 * (pg-copy-streams, decoded by ./pg-copy-binary.ts); any other column type and the user's own
 * query go through a server-side cursor (pg-cursor). Only parameterised SQL: the bounds are
 * parameters, and the configured names are validated and quoted identifiers (an unplain name is
 * refused at start).
 */
export class PostgresSource implements FeatureSource {
  readonly name = STORE;
  private readonly plan: Plan | null;
  private readonly fetchRows: number;

  constructor(private readonly options: PostgresSourceOptions) {
    this.fetchRows = options.fetchRows ?? 5000;
    if (options.query) {
      if (!/\$1\b/.test(options.query) || !/\$2\b/.test(options.query)) {
        throw new StoreError(STORE, 'FEATURE_STORE_QUERY', 'the query must use $1 and $2 as the window bounds (start inclusive, end exclusive)', { retriable: false });
      }
      this.plan = null;
      return;
    }
    this.plan = {
      table: quoteIdentifier(options.table ?? 'prediction_logs', 'FEATURE_STORE_TABLE', { qualified: true }),
      vector: quoteIdentifier(options.vectorColumn ?? 'feature_vector', 'FEATURE_STORE_VECTOR_COLUMN'),
      vectorName: options.vectorColumn ?? 'feature_vector',
      time: quoteIdentifier(options.timeColumn ?? 'created_at', 'FEATURE_STORE_TIME_COLUMN'),
      columns: {},
    };
    const configured: Record<OptionalColumn, string | undefined> = {
      model: options.modelColumn,
      model_version: options.versionColumn,
      prediction: options.predictionColumn,
      confidence: options.confidenceColumn,
      probabilities: options.probabilitiesColumn,
    };
    for (const c of OPTIONAL) {
      const name = configured[c];
      if (name) this.plan.columns[c] = quoteIdentifier(name, SETTING[c]);
    }
  }

  async read(window: TimeWindow, onRow: (row: StoreRow) => void): Promise<ReadSummary> {
    const client = new pg.Client({ connectionString: this.options.url, connectionTimeoutMillis: this.options.connectTimeoutMs ?? 10_000, types: FAST_TYPES });
    client.on('error', () => undefined);
    try {
      await client.connect();
    } catch (cause) {
      await client.end().catch(() => undefined);
      throw new StoreError(STORE, 'FEATURE_STORE_URL', `cannot connect to ${where(this.options.url)}: ${describeCause(cause)}`, { cause });
    }
    try {
      if (!this.plan) return await this.readCursor(client, this.options.query!, 'FEATURE_STORE_QUERY', window, onRow);
      const table = await this.inspect(client, this.plan);
      if (table.vectorKind) return await this.readCopy(client, table, window, onRow);
      // A vector column of another type (real[], numeric[], text…), or a table that is not there (the query says so).
      return await this.readCursor(client, table.select, 'FEATURE_STORE_TABLE', window, onRow);
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  /**
   * The table's rows through `COPY (SELECT …) TO STDOUT (FORMAT binary)` (pg-copy-streams): the
   * server sends the doubles as they are stored, with no text to print or parse, and streams
   * without a round trip per batch; the stream's backpressure keeps memory flat. COPY takes no
   * parameters, so the bounds are passed as parameters of `set_config` and read back with
   * `current_setting` in the COPY's query: no value ever enters the SQL text.
   */
  private async readCopy(client: pg.Client, table: TableShape, window: TimeWindow, onRow: (row: StoreRow) => void): Promise<ReadSummary> {
    const setting = 'FEATURE_STORE_TABLE';
    const columns: CopyColumnKind[] = [table.vectorKind!, ...table.optional.map(() => 'text' as const)];
    const at = Object.fromEntries(table.optional.map((c, i) => [c, i + 1])) as Partial<Record<OptionalColumn, number>>;
    const decoder = new BinaryCopyDecoder(columns, (v) => onRow(storeRow(v[0], (c) => (at[c] === undefined ? undefined : v[at[c]]))));
    try {
      await client.query(`SELECT set_config('driftwatch.window_start', $1, false), set_config('driftwatch.window_end', $2, false)`, [
        new Date(window.startMs).toISOString(),
        new Date(window.endMs).toISOString(),
      ]);
      const stream = client.query(copyTo(`COPY (${table.copySelect}) TO STDOUT (FORMAT binary)`));
      for await (const chunk of stream as AsyncIterable<Buffer>) decoder.push(chunk);
      decoder.end();
    } catch (cause) {
      throw new StoreError(STORE, setting, `query failed: ${describeCause(cause)}`, { cause, retriable: isConnectionError(cause) });
    }
    return { rows: decoder.rows };
  }

  /** A query with $1/$2 through a server-side cursor (pg-cursor), the next batch fetched while this one is accumulated. */
  private async readCursor(client: pg.Client, sql: string, setting: string, window: TimeWindow, onRow: (row: StoreRow) => void): Promise<ReadSummary> {
    const cursor = client.query(new Cursor<Record<string, unknown>>(sql, [new Date(window.startMs), new Date(window.endMs)]));
    const next = () =>
      cursor.read(this.fetchRows).catch((cause: unknown) => {
        throw new StoreError(STORE, setting, `query failed: ${describeCause(cause)}`, { cause, retriable: isConnectionError(cause) });
      });
    let rows = 0;
    let pending = next();
    for (;;) {
      const batch = await pending;
      if (batch.length === 0) break;
      pending = next();
      // Handled once the loop awaits it; a failure before then must not be reported as unhandled.
      pending.catch(() => undefined);
      for (const r of batch) onRow(storeRow(r.feature_vector, (c) => r[c]));
      rows += batch.length;
    }
    await cursor.close();
    return { rows };
  }

  /** The table's columns as the server resolves its name: the vector's type, and the optional model columns. */
  private async inspect(client: pg.Client, plan: Plan): Promise<TableShape> {
    const { rows } = await client.query<{ name: string; type: string }>(
      `SELECT a.attname AS name, t.typname AS type FROM pg_attribute a JOIN pg_type t ON t.oid = a.atttypid
       WHERE a.attrelid = to_regclass($1) AND a.attnum > 0 AND NOT a.attisdropped`,
      [plan.table],
    );
    const types = new Map(rows.map((r) => [r.name, r.type]));
    // Optional columns: the guide's table has none; a multi-model table adds the model's, a
    // table with the model's outputs `prediction` / `confidence` (read as text: a number or a
    // label) and `probabilities` (json/jsonb read as its JSON text).
    const optional = OPTIONAL.filter((c) => plan.columns[c] !== undefined || types.has(c));
    const select = [`${plan.vector} AS feature_vector`, ...optional.map((c) => `${plan.columns[c] ?? `"${c}"`}::text AS "${c}"`)].join(', ');
    const vectorType = types.get(plan.vectorName);
    return {
      optional,
      vectorKind: vectorType === '_float8' ? 'float8[]' : vectorType === 'jsonb' ? 'jsonb' : vectorType === 'json' ? 'json' : undefined,
      select: `SELECT ${select} FROM ${plan.table} WHERE ${plan.time} >= $1 AND ${plan.time} < $2`,
      copySelect: `SELECT ${select} FROM ${plan.table} WHERE ${plan.time} >= current_setting('driftwatch.window_start')::timestamptz AND ${plan.time} < current_setting('driftwatch.window_end')::timestamptz`,
    };
  }

  async close(): Promise<void> {}
}

const FLOAT8_ARRAY_OID = 1022;
const defaultFloat8Array = (pg.types.getTypeParser as (oid: number, format: string) => (text: string) => unknown)(FLOAT8_ARRAY_OID, 'text');
const SPECIAL: Record<string, number | null> = { NULL: null, NaN: Number.NaN, Infinity: Number.POSITIVE_INFINITY, '-Infinity': Number.NEGATIVE_INFINITY };

/**
 * `double precision[]` in its text form (`{1.5,2,NaN,NULL}`), parsed by V8's JSON.parse when
 * it is plain numbers (PostgreSQL prints float8 in the shortest form that reads back exactly,
 * so the values are the same doubles), else element by element. node-postgres's own array
 * parser walks the text a character at a time and was most of the read's cost
 * (test/bench/store-postgres.bench.ts). Nested arrays keep the default parser.
 */
export function parseFloat8Array(text: string): unknown {
  if (text.length < 2 || text.charCodeAt(1) === 123 /* { */) return defaultFloat8Array(text);
  const body = text.slice(1, -1);
  try {
    return JSON.parse(`[${body}]`) as unknown;
  } catch {
    return body.split(',').map((t) => (t in SPECIAL ? SPECIAL[t] : Number(t)));
  }
}

const FAST_TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === FLOAT8_ARRAY_OID && format !== 'binary'
      ? parseFloat8Array
      : (pg.types.getTypeParser as (oid: number, format?: string) => unknown)(oid, format)) as typeof pg.types.getTypeParser,
};

function asText(v: unknown): string | null {
  return v === undefined || v === null ? null : String(v);
}

function isConnectionError(cause: unknown): boolean {
  const code = (cause as { code?: string }).code ?? '';
  // SQLSTATE class 08 (connection exception), 57P (operator intervention), or a socket error.
  return code.startsWith('08') || code.startsWith('57P') || /^E[A-Z]+$/.test(code);
}

function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 5432}${u.pathname}`;
  } catch {
    return 'the configured URL';
  }
}
