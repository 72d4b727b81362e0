import pg from 'pg';
import Cursor from 'pg-cursor';
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
   * The user's own query instead (FEATURE_STORE_QUERY): `$1` and `$2` are the window bounds
   * (timestamptz, start inclusive, end exclusive); it returns `feature_vector` and optionally
   * `model` and `model_version`.
   */
  query?: string;
  /** Rows fetched per cursor read. */
  fetchRows?: number;
  connectTimeoutMs?: number;
}

const STORE = 'postgresql';

/** Prepared SQL of a PostgresSource, built once at start (names validated and quoted there). */
interface Plan {
  table?: string;
  tableName?: string;
  vector: string;
  time: string;
  model?: string;
  version?: string;
}

/**
 * The guide's option A: `prediction_logs(request_id, feature_vector, created_at)`, read for the
 * window with a server-side cursor (node-postgres + pg-cursor), so rows are accumulated as they
 * arrive and nothing is cut off. Only parameterised SQL: the bounds are `$1`/`$2`, and the
 * configured names are validated and quoted identifiers (an unplain name is refused at start).
 */
export class PostgresSource implements FeatureSource {
  readonly name = STORE;
  private readonly plan: Plan | null;
  private readonly fetchRows: number;

  constructor(private readonly options: PostgresSourceOptions) {
    this.fetchRows = options.fetchRows ?? 2000;
    if (options.query) {
      if (!/\$1\b/.test(options.query) || !/\$2\b/.test(options.query)) {
        throw new StoreError(STORE, 'FEATURE_STORE_QUERY', 'the query must use $1 and $2 as the window bounds (start inclusive, end exclusive)', { retriable: false });
      }
      this.plan = null;
      return;
    }
    this.plan = {
      table: quoteIdentifier(options.table ?? 'prediction_logs', 'FEATURE_STORE_TABLE', { qualified: true }),
      tableName: options.table ?? 'prediction_logs',
      vector: quoteIdentifier(options.vectorColumn ?? 'feature_vector', 'FEATURE_STORE_VECTOR_COLUMN'),
      time: quoteIdentifier(options.timeColumn ?? 'created_at', 'FEATURE_STORE_TIME_COLUMN'),
      model: options.modelColumn ? quoteIdentifier(options.modelColumn, 'FEATURE_STORE_MODEL_COLUMN') : undefined,
      version: options.versionColumn ? quoteIdentifier(options.versionColumn, 'FEATURE_STORE_VERSION_COLUMN') : undefined,
    };
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
      const sql = this.plan ? await this.tableQuery(client, this.plan) : this.options.query!;
      const setting = this.plan ? 'FEATURE_STORE_TABLE' : 'FEATURE_STORE_QUERY';
      const cursor = client.query(new Cursor<Record<string, unknown>>(sql, [new Date(window.startMs), new Date(window.endMs)]));
      let rows = 0;
      for (;;) {
        let batch: Record<string, unknown>[];
        try {
          batch = await cursor.read(this.fetchRows);
        } catch (cause) {
          throw new StoreError(STORE, setting, `query failed: ${describeCause(cause)}`, { cause, retriable: isConnectionError(cause) });
        }
        if (batch.length === 0) break;
        for (const r of batch) {
          onRow({ features: r.feature_vector, model: asText(r.model), modelVersion: asText(r.model_version) });
        }
        rows += batch.length;
      }
      await cursor.close();
      return { rows };
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  private async tableQuery(client: pg.Client, plan: Plan): Promise<string> {
    let { model, version } = plan;
    if (!model || !version) {
      // Optional columns: the guide's table has neither; a multi-model table adds them.
      const [schema, table] = plan.tableName!.includes('.') ? plan.tableName!.split('.') : [null, plan.tableName!];
      const { rows } = await client.query<{ column_name: string }>(
        `SELECT column_name FROM information_schema.columns WHERE table_name = $1 AND ($2::text IS NULL OR table_schema = $2) AND column_name IN ('model', 'model_version')`,
        [table, schema],
      );
      const names = new Set(rows.map((r) => r.column_name));
      model ??= names.has('model') ? '"model"' : undefined;
      version ??= names.has('model_version') ? '"model_version"' : undefined;
    }
    const select = [`${plan.vector} AS feature_vector`, model && `${model}::text AS model`, version && `${version}::text AS model_version`].filter(Boolean).join(', ');
    return `SELECT ${select} FROM ${plan.table} WHERE ${plan.time} >= $1 AND ${plan.time} < $2`;
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
