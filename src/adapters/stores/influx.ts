import { isProbabilityOutput } from '../../core/event/probabilities.js';
import { describeCause, quoteIdentifier, StoreError, type FeatureSource, type ReadSummary, type StoreRow, type TimeWindow } from './source.js';

export interface InfluxSourceOptions {
  /** InfluxDB base URL (FEATURE_STORE_URL): 1.8, or 2.x through its v1 query API. */
  url: string;
  /** `Authorization: Token …` (FEATURE_STORE_TOKEN): a 2.x token or `user:password` on 1.8. */
  token?: string;
  /** Database (1.8) or DBRP-mapped bucket (2.x) (FEATURE_STORE_DATABASE). */
  database?: string;
  /** The guide's `model_features` (FEATURE_STORE_MEASUREMENT). */
  measurement?: string;
  /**
   * `long`: the guide's option C, one point per feature per prediction, tag `feature_name`,
   * field `value`; the points of one prediction share their timestamp (and `model` /
   * `model_version` tags when present). `wide`: one point per prediction, a field per feature.
   * The model's outputs are the points with `feature_name` `prediction` / `confidence` /
   * `probability_<class>` (long) or the fields of those names (wide), handed over as the row's
   * `outputs`.
   */
  layout?: 'long' | 'wide';
  timeoutMs?: number;
}

const STORE = 'influxdb';
/** Columns that are never features in the wide form. */
const NOT_FEATURES = new Set(['time', 'model', 'model_version', 'request_id']);
/** The model's outputs (docs/references-and-check.md, "Model outputs"): never features. */
const OUTPUT_NAMES = new Set(['prediction', 'confidence']);
/** `prediction`, `confidence`, and a class's probability `probability_<class>`. */
const isOutput = (name: string): boolean => OUTPUT_NAMES.has(name) || isProbabilityOutput(name);

/**
 * Reads the window with InfluxQL over `/query` (chunked, so rows are handed over as the
 * chunks arrive). The only values in the query text are the window bounds as integers and the
 * measurement as a validated, quoted identifier.
 */
export class InfluxSource implements FeatureSource {
  readonly name = STORE;
  private readonly measurement: string;

  constructor(private readonly options: InfluxSourceOptions) {
    this.measurement = quoteIdentifier(options.measurement ?? 'model_features', 'FEATURE_STORE_MEASUREMENT');
  }

  async read(window: TimeWindow, onRow: (row: StoreRow) => void): Promise<ReadSummary> {
    const long = (this.options.layout ?? 'long') === 'long';
    const bounds = `time >= ${Math.trunc(window.startMs)}ms AND time < ${Math.trunc(window.endMs)}ms`;
    const q = long ? `SELECT "value", "feature_name", "model", "model_version" FROM ${this.measurement} WHERE ${bounds}` : `SELECT * FROM ${this.measurement} WHERE ${bounds}`;
    const url = new URL('/query', this.options.url);
    url.search = new URLSearchParams({ db: this.options.database ?? 'driftwatch', q, epoch: 'u', chunked: 'true', chunk_size: '10000' }).toString();
    let response: Response;
    try {
      response = await fetch(url, {
        headers: this.options.token ? { authorization: `Token ${this.options.token}` } : {},
        signal: AbortSignal.timeout(this.options.timeoutMs ?? 60_000),
      });
    } catch (cause) {
      throw new StoreError(STORE, 'FEATURE_STORE_URL', `cannot reach ${url.origin}: ${describeCause(cause)}`, { cause });
    }
    if (response.status === 401 || response.status === 403) {
      throw new StoreError(STORE, 'FEATURE_STORE_TOKEN', `${url.origin} refused the credentials (HTTP ${response.status})`);
    }
    if (!response.ok || !response.body) {
      throw new StoreError(STORE, 'FEATURE_STORE_URL', `${url.origin}/query answered HTTP ${response.status}: ${(await response.text()).slice(0, 300)}`);
    }
    let rows = 0;
    // Long form: consecutive points with the same time (µs: the writer spaces predictions of one
    // millisecond by 1 µs, docs/feature-stores.md), model and version are one prediction.
    let pending: { key: string; row: StoreRow & { features: Record<string, unknown> } } | null = null;
    const flush = () => {
      if (pending) {
        onRow(pending.row);
        rows++;
      }
      pending = null;
    };
    const onSeries = (columns: string[], values: unknown[][]) => {
      const at = (name: string) => columns.indexOf(name);
      const iTime = at('time');
      if (long) {
        const [iValue, iName, iModel, iVersion] = [at('value'), at('feature_name'), at('model'), at('model_version')];
        for (const v of values) {
          const model = iModel >= 0 ? ((v[iModel] as string | null) ?? null) : null;
          const version = iVersion >= 0 ? ((v[iVersion] as string | null) ?? null) : null;
          const key = `${v[iTime]}\u0000${model}\u0000${version}`;
          if (pending?.key !== key) {
            flush();
            pending = { key, row: { features: Object.create(null) as Record<string, unknown>, model, modelVersion: version } };
          }
          const name = String(v[iName]);
          if (isOutput(name)) (pending!.row.outputs ??= {})[name] = v[iValue];
          else pending!.row.features[name] = v[iValue];
        }
      } else {
        const featureColumns = columns.map((c, i) => [c, i] as const).filter(([c]) => !NOT_FEATURES.has(c) && !isOutput(c));
        const outputColumns = columns.map((c, i) => [c, i] as const).filter(([c]) => isOutput(c));
        const [iModel, iVersion] = [at('model'), at('model_version')];
        for (const v of values) {
          const features = Object.create(null) as Record<string, unknown>;
          for (const [c, i] of featureColumns) if (v[i] !== null) features[c] = v[i];
          const row: StoreRow = {
            features,
            model: iModel >= 0 ? ((v[iModel] as string | null) ?? null) : null,
            modelVersion: iVersion >= 0 ? ((v[iVersion] as string | null) ?? null) : null,
          };
          if (outputColumns.length > 0) row.outputs = Object.fromEntries(outputColumns.map(([c, i]) => [c, v[i]]));
          onRow(row);
          rows++;
        }
      }
    };
    const decoder = new TextDecoder();
    let buffered = '';
    const onLine = (line: string) => {
      if (line.trim() === '') return;
      const chunk = JSON.parse(line) as { results?: { error?: string; series?: { columns: string[]; values: unknown[][] }[] }[]; error?: string };
      const error = chunk.error ?? chunk.results?.find((r) => r.error)?.error;
      if (error) throw new StoreError(STORE, /database not found/.test(error) ? 'FEATURE_STORE_DATABASE' : 'FEATURE_STORE_MEASUREMENT', `query failed: ${error}`);
      for (const result of chunk.results ?? []) for (const s of result.series ?? []) onSeries(s.columns, s.values);
    };
    try {
      for await (const part of response.body as unknown as AsyncIterable<Uint8Array>) {
        buffered += decoder.decode(part, { stream: true });
        let nl: number;
        while ((nl = buffered.indexOf('\n')) >= 0) {
          onLine(buffered.slice(0, nl));
          buffered = buffered.slice(nl + 1);
        }
      }
      onLine(buffered + decoder.decode());
    } catch (cause) {
      if (cause instanceof StoreError) throw cause;
      throw new StoreError(STORE, 'FEATURE_STORE_URL', `reading the answer failed: ${describeCause(cause)}`, { cause });
    }
    flush();
    return { rows };
  }

  async close(): Promise<void> {}
}
