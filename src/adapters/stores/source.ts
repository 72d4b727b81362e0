import { DriftwatchError } from '../../core/errors.js';
import { isProbabilityOutput } from '../../core/event/probabilities.js';

/**
 * The feature-store side of the scheduled job (docs/feature-stores.md): a source reads the
 * prediction rows of one time window and hands them over one at a time, so that the job
 * accumulates them as they arrive and memory stays flat in the number of rows.
 */

/** A half-open window of record time, `startMs <= t < endMs` (epoch ms). */
export interface TimeWindow {
  startMs: number;
  endMs: number;
}

/** One stored prediction, as the store holds it. */
export interface StoreRow {
  /** Absent or null: the job's MODEL_NAME. */
  model?: string | null;
  /** Absent or null: the job's MODEL_VERSION. */
  modelVersion?: string | null;
  /**
   * The guide's `feature_vector`: an array in the reference's feature order, or an object keyed
   * by feature name. Anything else (null, a string that is not JSON, a number) is rejected by the
   * job with a counted reason, never dropped silently.
   */
  features: unknown;
  /**
   * The model's outputs stored beside the features, when the row has them: `prediction`,
   * `confidence`, and per-class probabilities either as one `probabilities` object
   * (`{class: p}`, or JSON text of one) or as `probability_<class>` entries. The job applies
   * the prediction events' rules to them (core/event/probabilities.ts).
   */
  outputs?: Record<string, unknown>;
}

/** What a read saw besides the rows. */
export interface ReadSummary {
  /** Rows handed over. */
  rows: number;
  /** Rows the source could not decode at all (not JSON, say), by reason. */
  undecodable?: Record<string, number>;
}

export interface FeatureSource {
  /** The store's name as FEATURE_STORE_TYPE spells it (`postgresql`, `redis`, `influxdb`, `file`). */
  readonly name: string;
  /**
   * Reads every row of the window, calling `onRow` for each, in order of arrival, and
   * `onUndecodable` with the raw text of each row it could not decode (also counted in the summary).
   */
  read(window: TimeWindow, onRow: (row: StoreRow) => void, onUndecodable?: (raw: string) => void): Promise<ReadSummary>;
  close(): Promise<void>;
}

/** A rejected row as the dead-letter table or key keeps it (FEATURE_STORE_DEAD_LETTER). */
export interface DeadLetterEntry {
  reason: string;
  model: string | null;
  modelVersion: string | null;
  /** The stored vector as read (array, object, other value), or an undecodable row's raw text. */
  row: unknown;
  window: TimeWindow;
}

/** Where rejected rows go when FEATURE_STORE_DEAD_LETTER is set: a PostgreSQL table or a Redis stream. */
export interface DeadLetterSink {
  readonly name: string;
  write(entries: readonly DeadLetterEntry[]): Promise<void>;
  close(): Promise<void>;
}

/**
 * A store that cannot be read: down, refusing the credentials, a missing table. Retriable by
 * default (the next scheduled run tries again); the message names the store and the setting.
 */
export class StoreError extends DriftwatchError {
  constructor(store: string, setting: string, message: string, options: { retriable?: boolean; cause?: unknown } = {}) {
    super(`${store} (${setting}): ${message}`, { retriable: options.retriable ?? true, cause: options.cause, context: { store, setting } });
  }
}

/** A configured name that is not a plain identifier, refused at start. */
export class IdentifierError extends DriftwatchError {}

const IDENTIFIER = /^[A-Za-z_][A-Za-z0-9_]{0,62}$/;

/**
 * Validates a table or column name from configuration and quotes it for SQL. Only plain
 * identifiers pass (`schema.table` is two of them); anything else is refused with the setting
 * that holds it, so no configured value ever reaches the SQL text unquoted.
 */
export function quoteIdentifier(value: string, setting: string, options: { qualified?: boolean } = {}): string {
  const parts = options.qualified ? value.split('.') : [value];
  if (parts.length > 2 || parts.some((p) => !IDENTIFIER.test(p))) {
    throw new IdentifierError(
      `${setting} must be a plain identifier (letters, digits and _, not starting with a digit, at most 63 characters${options.qualified ? '; schema.table allowed' : ''}), got ${JSON.stringify(value)}`,
      { context: { setting } },
    );
  }
  return parts.map((p) => `"${p}"`).join('.');
}

/** Parses a stored feature vector held as text (Redis values, a JSON column read as text). */
export function parseVectorText(text: string): { ok: true; value: unknown } | { ok: false } {
  try {
    return { ok: true, value: JSON.parse(text) };
  } catch {
    return { ok: false };
  }
}

/** A connection error's own words, without the URL's password. */
export function describeCause(cause: unknown): string {
  const e = cause as { message?: string; code?: string; errors?: { message?: string }[] };
  const message = e?.message || e?.errors?.map((x) => x.message).join('; ') || String(cause);
  const code = e?.code && !message.includes(e.code) ? ` (${e.code})` : '';
  return (message + code).replace(/\/\/([^:@/]*):[^@/]*@/g, '//$1:***@');
}

/** The fields of a stored prediction that hold the model's outputs (docs/references-and-check.md, "Model outputs"). */
export const OUTPUT_FIELDS = ['prediction', 'confidence', 'probabilities'] as const;

/** Turns one stored value (a JSON array, or an object with `feature_vector`/`features` and the model) into a row. */
export function rowFromJson(value: unknown, fields: { model?: string | null; modelVersion?: string | null } = {}): StoreRow {
  if (value !== null && typeof value === 'object' && !Array.isArray(value)) {
    const o = value as Record<string, unknown>;
    if ('feature_vector' in o || 'features' in o) {
      const row: StoreRow = { features: o.feature_vector ?? o.features ?? null, model: text(o.model) ?? fields.model, modelVersion: text(o.model_version) ?? fields.modelVersion };
      // A stored prediction event's outputs (docs/references-and-check.md, "Model outputs").
      for (const output of Object.keys(o)) if ((OUTPUT_FIELDS as readonly string[]).includes(output) || isProbabilityOutput(output)) (row.outputs ??= {})[output] = o[output];
      return row;
    }
  }
  return { features: value, ...fields };
}

const text = (v: unknown) => (typeof v === 'string' && v !== '' ? v : undefined);
