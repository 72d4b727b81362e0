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
   * are their times (`<ms>-<seq>`), read for the window with XRANGE.
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
    const emit = (raw: string | undefined, fields: { model?: string | null; modelVersion?: string | null }) => {
      if (raw === undefined) return void (undecodable.undecodable = (undecodable.undecodable ?? 0) + 1);
      const parsed = parseVectorText(raw);
      if (!parsed.ok) {
        undecodable.undecodable = (undecodable.undecodable ?? 0) + 1;
        return onUndecodable?.(raw);
      }
      rows++;
      onRow(rowFromJson(parsed.value, fields));
    };
    try {
      if ((this.options.mode ?? 'list') === 'list') {
        for (let start = 0; ; start += this.pageSize) {
          const page = await client.lRange(this.key, start, start + this.pageSize - 1);
          for (const item of page) emit(item, {});
          if (page.length < this.pageSize) break;
        }
      } else {
        // Entry ids are `<ms>-<seq>`: an id of ms alone means seq 0 as a start and the largest seq as an end.
        let from = String(window.startMs);
        const to = String(window.endMs - 1);
        for (;;) {
          const page = (await client.xRange(this.key, from, to, { COUNT: this.pageSize })) ?? [];
          for (const entry of page) {
            const m = entry.message as Record<string, string>;
            emit(m.feature_vector ?? m.features, { model: m.model || undefined, modelVersion: m.model_version || undefined });
          }
          if (page.length < this.pageSize) break;
          from = `(${page[page.length - 1].id}`;
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

function where(url: string): string {
  try {
    const u = new URL(url);
    return `${u.hostname}:${u.port || 6379}`;
  } catch {
    return 'the configured URL';
  }
}
