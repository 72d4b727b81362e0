import pg from 'pg';
import { createClient } from 'redis';
import { describeCause, quoteIdentifier, StoreError, type DeadLetterEntry, type DeadLetterSink } from './source.js';

/** Entries per INSERT or per pipelined batch of XADDs. */
const BATCH = 500;

/** A rejected row as JSON: the vector as read, or an undecodable row's text as a JSON string. */
const rowJson = (row: unknown) => JSON.stringify(row === undefined ? null : row);

/**
 * FEATURE_STORE_DEAD_LETTER with FEATURE_STORE_TYPE=postgresql: a table (created when missing)
 * of `(id, recorded_at, window_start, window_end, model, model_version, reason, row jsonb)`, one
 * row per rejected stored row, written with parameterised INSERTs (unnest of arrays) in
 * batches; the table name is a validated, quoted identifier.
 */
export class PostgresDeadLetter implements DeadLetterSink {
  readonly name = 'postgresql dead letter';
  private readonly table: string;
  private created = false;

  constructor(
    private readonly url: string,
    table: string,
  ) {
    this.table = quoteIdentifier(table, 'FEATURE_STORE_DEAD_LETTER', { qualified: true });
  }

  /** The table's DDL (also for users who create it themselves). */
  ddl(): string {
    return `CREATE TABLE IF NOT EXISTS ${this.table} (id bigserial PRIMARY KEY, recorded_at timestamptz NOT NULL DEFAULT now(), window_start timestamptz NOT NULL, window_end timestamptz NOT NULL, model text, model_version text, reason text NOT NULL, "row" jsonb)`;
  }

  async write(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const client = new pg.Client({ connectionString: this.url, connectionTimeoutMillis: 10_000 });
    client.on('error', () => undefined);
    try {
      await client.connect();
      if (!this.created) {
        await client.query(this.ddl());
        this.created = true;
      }
      for (let i = 0; i < entries.length; i += BATCH) {
        const batch = entries.slice(i, i + BATCH);
        await client.query(
          `INSERT INTO ${this.table} (window_start, window_end, model, model_version, reason, "row")
           SELECT * FROM unnest($1::timestamptz[], $2::timestamptz[], $3::text[], $4::text[], $5::text[], $6::jsonb[])`,
          [
            batch.map((e) => new Date(e.window.startMs)),
            batch.map((e) => new Date(e.window.endMs)),
            batch.map((e) => e.model),
            batch.map((e) => e.modelVersion),
            batch.map((e) => e.reason),
            batch.map((e) => rowJson(e.row)),
          ],
        );
      }
    } catch (cause) {
      throw new StoreError('postgresql', 'FEATURE_STORE_DEAD_LETTER', `writing ${entries.length} rejected row(s) failed: ${describeCause(cause)}`, { cause });
    } finally {
      await client.end().catch(() => undefined);
    }
  }

  async close(): Promise<void> {}
}

/**
 * FEATURE_STORE_DEAD_LETTER with FEATURE_STORE_TYPE=redis: a stream key, one entry per rejected
 * row (`XADD key * reason … model … model_version … window_start … window_end … row <json>`),
 * pipelined in batches.
 */
export class RedisDeadLetter implements DeadLetterSink {
  readonly name = 'redis dead letter';

  constructor(
    private readonly url: string,
    private readonly key: string,
  ) {
    if (key.trim() === '') throw new StoreError('redis', 'FEATURE_STORE_DEAD_LETTER', 'the dead-letter key must not be empty', { retriable: false });
  }

  async write(entries: readonly DeadLetterEntry[]): Promise<void> {
    if (entries.length === 0) return;
    const client = createClient({ url: this.url, socket: { connectTimeout: 10_000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      for (let i = 0; i < entries.length; i += BATCH) {
        await Promise.all(
          entries.slice(i, i + BATCH).map((e) =>
            client.xAdd(this.key, '*', {
              reason: e.reason,
              model: e.model ?? '',
              model_version: e.modelVersion ?? '',
              window_start: new Date(e.window.startMs).toISOString(),
              window_end: new Date(e.window.endMs).toISOString(),
              row: rowJson(e.row),
            }),
          ),
        );
      }
    } catch (cause) {
      throw new StoreError('redis', 'FEATURE_STORE_DEAD_LETTER', `writing ${entries.length} rejected row(s) to ${this.key} failed: ${describeCause(cause)}`, { cause });
    } finally {
      if (client.isOpen) await client.close().catch(() => client.destroy());
    }
  }

  async close(): Promise<void> {}
}
