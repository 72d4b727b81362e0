import type { HysteresisSnapshot } from '../../core/detect/hysteresis.js';
import type { Logger } from '../ports.js';

/**
 * Where the durable per-(model, version) state lives beyond the commit metadata: a compacted
 * changelog keyed by model\0version, as Kafka Streams keeps its state stores
 * (docs/windows-and-delivery.md, "Durable state"). The Kafka adapter implements it on a topic.
 */
export interface ChangelogStore {
  /** The latest value of every key (tombstoned keys absent), read to the end of the log. */
  readAll(): Promise<Map<string, string>>;
  /** Writes records (null: a tombstone) and resolves once the log acknowledged all of them. */
  write(records: { key: string; value: string | null }[]): Promise<void>;
}

/** A changelog record's value: format version and the hysteresis snapshot. */
interface ChangelogValue {
  v: 1;
  s: HysteresisSnapshot;
}

function parseValue(text: string): HysteresisSnapshot | null {
  try {
    const value = JSON.parse(text) as ChangelogValue;
    const s = value?.v === 1 ? value.s : null;
    return Array.isArray(s) && s.length === 3 && s.every((n) => Number.isInteger(n) && n >= 0) && (s[0] === 0 || s[0] === 1) ? s : null;
  } catch {
    return null;
  }
}

/**
 * The hysteresis state of every (model, version), kept in a changelog: `load` reads it back on
 * assignment, `save` writes what changed since the last save (and tombstones for the models
 * this instance wrote and has since forgotten) before the offsets that depend on it are
 * committed. Records that do not decode are logged and ignored (that model starts `ok`).
 */
export class StateChangelog {
  /** The value each key has in the log as far as this instance knows (read or written). */
  private readonly known = new Map<string, string>();
  /** Keys this instance wrote: only those are tombstoned when they leave the state. */
  private readonly mine = new Set<string>();

  constructor(
    private readonly store: ChangelogStore,
    private readonly logger: Logger,
  ) {}

  async load(): Promise<Record<string, HysteresisSnapshot>> {
    const records = await this.store.readAll();
    const state: Record<string, HysteresisSnapshot> = {};
    let bad = 0;
    this.known.clear();
    for (const [key, text] of records) {
      this.known.set(key, text);
      const snapshot = parseValue(text);
      if (snapshot) state[key] = snapshot;
      else bad++;
    }
    if (bad > 0) this.logger.warn({ records: bad }, 'state changelog records that do not decode were ignored; those models start in the ok state');
    return state;
  }

  /** Writes the changes; resolves once they are acknowledged (then the offsets may be committed). */
  async save(hysteresis: Readonly<Record<string, HysteresisSnapshot>>): Promise<number> {
    const records: { key: string; value: string | null }[] = [];
    for (const [key, snapshot] of Object.entries(hysteresis)) {
      const value = JSON.stringify({ v: 1, s: snapshot } satisfies ChangelogValue);
      if (this.known.get(key) !== value) records.push({ key, value });
    }
    for (const key of this.mine) if (!(key in hysteresis) && this.known.has(key)) records.push({ key, value: null });
    if (records.length === 0) return 0;
    await this.store.write(records);
    for (const { key, value } of records) {
      if (value === null) {
        this.known.delete(key);
        this.mine.delete(key);
      } else {
        this.known.set(key, value);
        this.mine.add(key);
      }
    }
    return records.length;
  }
}
