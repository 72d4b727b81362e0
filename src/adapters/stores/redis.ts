import { createClient } from 'redis';
import { describeCause, parseVectorText, rowFromJson, StoreError, type FeatureSource, type ReadSummary, type StoreRow, type TimeWindow } from './source.js';

export interface RedisSourceOptions {
  /** redis://:password@host:port (FEATURE_STORE_URL). */
  url: string;
  /** The list or stream key (FEATURE_STORE_KEY), the guide's `recent_features`. */
  key?: string;
  /**
   * `list`: the guide's LPUSH + LTRIM + EXPIRE list of JSON arrays, which has no times: the job
   * reads all of it (the list's trim and TTL are its window). `stream`: XADD entries whose ids
   * are their times (`<ms>-<seq>`), read for the window with XRANGE; the model's outputs are
   * the entries' `prediction` and `confidence` fields, and `probabilities` (JSON text of an
   * object class → probability). A list item that is a JSON object with `feature_vector` carries
   * them as its keys of the same names.
   */
  mode?: 'list' | 'stream';
  pageSize?: number;
  connectTimeoutMs?: number;
}

const STORE = 'redis';

/** The guide's option B (node-redis): a list of JSON arrays, or a stream read by entry-id time. */
export class RedisSource implements FeatureSource {
  readonly name = STORE;
  private readonly key: string;
  private readonly pageSize: number;

  constructor(private readonly options: RedisSourceOptions) {
    this.key = options.key ?? 'recent_features';
    this.pageSize = options.pageSize ?? 1000;
  }

  async read(window: TimeWindow, onRow: (row: StoreRow) => void, onUndecodable?: (raw: string) => void): Promise<ReadSummary> {
    const client = createClient({ url: this.options.url, socket: { connectTimeout: this.options.connectTimeoutMs ?? 10_000, reconnectStrategy: false } });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.ping();
    } catch (cause) {
      if (client.isOpen) client.destroy();
      throw new StoreError(STORE, 'FEATURE_STORE_URL', `cannot connect to ${where(this.options.url)}: ${describeCause(cause)}`, { cause });
    }
    const undecodable: Record<string, number> = {};
    let rows = 0;
    const emit = (raw: string | undefined, fields: { model?: string | null; modelVersion?: string | null }, outputs?: Record<string, unknown>) => {
      if (raw === undefined) return void (undecodable.undecodable = (undecodable.undecodable ?? 0) + 1);
      const parsed = parseVectorText(raw);
      if (!parsed.ok) {
        undecodable.undecodable = (undecodable.undecodable ?? 0) + 1;
        return onUndecodable?.(raw);
      }
      rows++;
      const row = rowFromJson(parsed.value, fields);
      if (outputs) row.outputs = { ...row.outputs, ...outputs };
      onRow(row);
    };
    try {
      // Each page is asked for before the one in hand is parsed and accumulated, so that Redis
      // and the network work while the job does (test/bench/store-redis.bench.ts).
      if ((this.options.mode ?? 'list') === 'list') {
        const page = (start: number) => client.lRange(this.key, start, start + this.pageSize - 1);
        let pending = page(0);
        for (let start = 0; ; start += this.pageSize) {
          const items = await pending;
          const more = items.length === this.pageSize;
          if (more) pending = quiet(page(start + this.pageSize));
          for (const item of items) emit(item, {});
          if (!more) break;
        }
      } else {
        // Entry ids are `<ms>-<seq>`: an id of ms alone means seq 0 as a start and the largest seq as an end.
        // XRANGE's reply as sent (RESP2: [id, [field, value, …]] per entry), without node-redis's
        // conversion of each entry to an object, which cost a fifth of the read.
        const to = String(window.endMs - 1);
        const page = (from: string) => client.sendCommand(['XRANGE', this.key, from, to, 'COUNT', String(this.pageSize)]) as Promise<StreamEntry[] | null>;
        let pending = page(String(window.startMs));
        for (;;) {
          const entries = (await pending) ?? [];
          const more = entries.length === this.pageSize;
          if (more) pending = quiet(page(`(${entries[entries.length - 1]![0]}`));
          for (const [, fields] of entries) {
            // As node-redis's object would hold them: the last of a repeated field wins.
            let vector: string | undefined;
            let features: string | undefined;
            let model: string | undefined;
            let version: string | undefined;
            // The model's outputs, as entry fields (text: a number or a class label; JSON for probabilities).
            let outputs: Record<string, string> | undefined;
            for (let i = 0; i + 1 < fields.length; i += 2) {
              const name = fields[i];
              if (name === 'feature_vector') vector = fields[i + 1];
              else if (name === 'features') features = fields[i + 1];
              else if (name === 'model') model = fields[i + 1];
              else if (name === 'model_version') version = fields[i + 1];
              else if (name === 'prediction' || name === 'confidence' || name === 'probabilities') (outputs ??= {})[name] = fields[i + 1]!;
            }
            emit(vector ?? features, { model: model || undefined, modelVersion: version || undefined }, outputs);
          }
          if (!more) break;
        }
      }
    } catch (cause) {
      throw new StoreError(STORE, 'FEATURE_STORE_KEY', `reading ${this.key} failed: ${describeCause(cause)}`, { cause });
    } finally {
      if (client.isOpen) await client.close().catch(() => client.destroy());
    }
    return { rows, undecodable };
  }

  async close(): Promise<void> {}
}

/** One XRANGE entry as Redis sends it. */
type StreamEntry = [id: string, fields: string[]];

/** A page asked for ahead: its failure is seen when it is awaited, not reported as unhandled before. */
function quiet<T>(p: Promise<T>): Promise<T> {
  p.catch(() => undefined);
  return p;
}

function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'the configured URL';
  }
}
