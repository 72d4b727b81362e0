import { createReadStream } from 'node:fs';
import { readdir } from 'node:fs/promises';
import { basename, dirname, extname, join } from 'node:path';
import { createInterface } from 'node:readline';
import { asyncBufferFromFile, parquetReadObjects } from 'hyparquet';
import { readRows } from '../files/rows.js';
import { isProbabilityOutput } from '../../core/event/probabilities.js';
import { OUTPUT_FIELDS, parseVectorText, rowFromJson, StoreError, type FeatureSource, type ReadSummary, type StoreRow, type TimeWindow } from './source.js';

export interface FileSourceOptions {
  /** CSV, JSON Lines or Parquet files (FEATURE_STORE_PATHS); `*` and `?` match within a file name. */
  paths: string[];
}

const STORE = 'file';
const TIME_FIELDS = ['timestamp', 'created_at'] as const;
const META = new Set(['model', 'model_version', 'request_id', ...TIME_FIELDS]);

/**
 * Files handed over by offline feature stores and notebooks: Parquet (hyparquet), CSV or JSON
 * Lines. A row with a `timestamp` or `created_at` is kept when it falls in the window; a row
 * without one is always kept (a file is then its own window). Rows are either a
 * `feature_vector` (array, or JSON text of one) or a column per feature, with optional `model`
 * and `model_version`.
 */
export class FileSource implements FeatureSource {
  readonly name = STORE;

  constructor(private readonly options: FileSourceOptions) {}

  async read(window: TimeWindow, onRow: (row: StoreRow) => void, onUndecodable?: (raw: string) => void): Promise<ReadSummary> {
    let rows = 0;
    const undecodable: Record<string, number> = {};
    const take = (record: Record<string, unknown>) => {
      const t = timeOf(record);
      if (t !== null && (t < window.startMs || t >= window.endMs)) return;
      rows++;
      onRow(rowOfRecord(record));
    };
    for (const path of await expand(this.options.paths)) {
      const ext = extname(path).toLowerCase();
      try {
        if (ext === '.parquet') {
          const file = await asyncBufferFromFile(path);
          for (const record of (await parquetReadObjects({ file })) as Record<string, unknown>[]) take(record);
        } else if (ext === '.csv') {
          for (const record of (await readRows(path, 'csv')).rows as Record<string, unknown>[]) take(record);
        } else {
          const lines = createInterface({ input: createReadStream(path, 'utf8'), crlfDelay: Infinity });
          for await (const line of lines) {
            if (line.trim() === '') continue;
            const parsed = parseVectorText(line);
            if (!parsed.ok) {
              undecodable.undecodable = (undecodable.undecodable ?? 0) + 1;
              onUndecodable?.(line);
              continue;
            }
            const v = parsed.value;
            if (v !== null && typeof v === 'object' && !Array.isArray(v)) take(v as Record<string, unknown>);
            else take({ feature_vector: v });
          }
        }
      } catch (cause) {
        throw new StoreError(STORE, 'FEATURE_STORE_PATHS', `${path}: ${(cause as Error).message}`, { cause, retriable: (cause as NodeJS.ErrnoException).code === 'ENOENT' });
      }
    }
    return { rows, undecodable };
  }

  async close(): Promise<void> {}
}

function rowOfRecord(record: Record<string, unknown>): StoreRow {
  const model = typeof record.model === 'string' ? record.model : undefined;
  const modelVersion = typeof record.model_version === 'string' ? record.model_version : undefined;
  if ('feature_vector' in record || 'features' in record) {
    let vector: unknown = record.feature_vector ?? record.features ?? null;
    if (typeof vector === 'string') {
      const parsed = parseVectorText(vector);
      vector = parsed.ok ? parsed.value : vector;
    }
    // A stored prediction event's outputs ride along (docs/references-and-check.md, "Model outputs").
    // Per-class probabilities as a `probabilities` object or as `probability_<class>` columns (CSV, Parquet).
    const outputs = Object.fromEntries(
      Object.keys(record)
        .filter((k) => (OUTPUT_FIELDS as readonly string[]).includes(k) || isProbabilityOutput(k))
        .map((k) => [k, record[k]]),
    );
    return rowFromJson({ feature_vector: vector, ...outputs }, { model, modelVersion });
  }
  const features = Object.create(null) as Record<string, unknown>;
  for (const [k, v] of Object.entries(record)) if (!META.has(k)) features[k] = typeof v === 'bigint' ? Number(v) : v;
  return { features, model, modelVersion };
}

function timeOf(record: Record<string, unknown>): number | null {
  for (const field of TIME_FIELDS) {
    const v = record[field];
    if (v === undefined || v === null || v === '') continue;
    if (v instanceof Date) return v.getTime();
    if (typeof v === 'number' || typeof v === 'bigint') return Number(v);
    const t = Date.parse(String(v));
    if (Number.isFinite(t)) return t;
  }
  return null;
}

/** Expands `*` and `?` in the file-name part of each path; the result is sorted per pattern. */
async function expand(patterns: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const pattern of patterns) {
    const name = basename(pattern);
    if (!/[*?]/.test(name)) {
      out.push(pattern);
      continue;
    }
    const re = new RegExp(
      `^${name
        .replace(/[.+^${}()|[\]\\]/g, '\\$&')
        .replace(/\*/g, '.*')
        .replace(/\?/g, '.')}$`,
    );
    const dir = dirname(pattern);
    const entries = await readdir(dir).catch((cause) => {
      throw new StoreError(STORE, 'FEATURE_STORE_PATHS', `${dir}: cannot list it (${(cause as NodeJS.ErrnoException).code ?? cause})`, { cause });
    });
    out.push(
      ...entries
        .filter((e) => re.test(e))
        .sort()
        .map((e) => join(dir, e)),
    );
  }
  return out;
}
