import { NumericRow, type FeatureModel } from '../stats/index.js';
import { decodeEvent, parseEventTime, type DecodeResult, type EventDefaults, type FeatureRecord } from './event.js';
import { readNumber } from './json-number.js';

/**
 * Event decoding for the hot path. `JSON.parse` spends most of a prediction event's cost on
 * building an object of boxed numbers that is read once and dropped; this decoder reads the
 * bytes in one pass instead and writes the feature values, in the reference's order, straight
 * into a Float64Array (a `NumericRow`).
 *
 * It takes the common case only — a JSON object whose `features` hold numbers or null, for a
 * reference of numeric features, with plain ASCII `model`, `model_version` and `timestamp` —
 * and validates the whole text against the JSON grammar as it goes. Anything else (invalid
 * JSON, escapes in keys or names, strings or booleans as feature values, duplicate keys,
 * `feature_vector`, categorical references, no known feature) is handed to `decodeEvent`
 * (JSON.parse + zod), which stays the definition: for every input the fast path accepts, it
 * yields the record `decodeEvent` would, value for value (a property test holds them together).
 */
export type FeatureModelsFor = (model: string, modelVersion: string) => readonly FeatureModel[] | undefined;

const QUOTE = 34;
const BACKSLASH = 92;
const COMMA = 44;
const COLON = 58;
const MINUS = 45;
const OPEN_OBJECT = 123;
const CLOSE_OBJECT = 125;
const OPEN_ARRAY = 91;
const CLOSE_ARRAY = 93;
/** Nesting deeper than this inside an event goes to JSON.parse (which has no such limit). */
const MAX_DEPTH = 64;
const ARENA_CHUNK = 16_384;

const enum TopKey {
  Other,
  Model,
  ModelVersion,
  Timestamp,
  Features,
  FeatureVector,
}

const bytesOf = (text: string) => Buffer.from(text, 'latin1');
const KEYS: readonly [Buffer, TopKey][] = [
  [bytesOf('model'), TopKey.Model],
  [bytesOf('model_version'), TopKey.ModelVersion],
  [bytesOf('timestamp'), TopKey.Timestamp],
  [bytesOf('features'), TopKey.Features],
  [bytesOf('feature_vector'), TopKey.FeatureVector],
];

/** Feature values of the events of one ingest batch, in shared chunks (rows live as long as the batch). */
export class RowArena {
  private chunk = new Float64Array(0);
  private used = 0;

  /** A row of `models.length` slots, all missing (NaN). */
  take(models: readonly FeatureModel[]): NumericRow {
    const n = models.length;
    if (this.used + n > this.chunk.length) {
      this.chunk = new Float64Array(Math.max(n, ARENA_CHUNK)).fill(Number.NaN);
      this.used = 0;
    }
    const row = new NumericRow(models, this.chunk, this.used);
    this.used += n;
    return row;
  }

  /** Returns the row just taken (its slots to missing): the event went to the slow path. */
  giveBack(row: NumericRow): void {
    const n = row.models.length;
    this.chunk.fill(Number.NaN, row.offset, row.offset + n);
    if (row.data === this.chunk && row.offset + n === this.used) this.used = row.offset;
  }
}

interface Layout {
  /** UTF-8 bytes of each feature name, in the reference's order. */
  readonly names: readonly Buffer[];
  readonly index: ReadonlyMap<string, number>;
  /** Per feature, the decode that last set it (duplicate keys go to the slow path). */
  readonly seen: Float64Array;
}

/** Counts of events per path (for the benchmarks and the debug log). */
export interface DecodeCounts {
  fast: number;
  slow: number;
}

export class EventDecoder {
  readonly counts: DecodeCounts = { fast: 0, slow: 0 };
  private readonly layouts = new WeakMap<readonly FeatureModel[], Layout | null>();
  private decodes = 0;
  // The `features` object of the event being decoded: key spans, values, and whether each value
  // is a number or null (0) or something else (1), which only matters for reference features.
  private keyStart = new Int32Array(128);
  private keyEnd = new Int32Array(128);
  private values = new Float64Array(128);
  private kinds = new Uint8Array(128);
  private count = 0;
  private readonly timestamp = new Float64Array(1);
  private readonly modelText = new TextCache();
  private readonly versionText = new TextCache();

  constructor(private readonly featuresFor: FeatureModelsFor) {}

  /** Decodes one event: the fast path when it applies, else `decodeEvent`. */
  decode(bytes: Buffer | string | null, meta: { partition: number; offset: number; timestampMs: number }, defaults: EventDefaults, arena: RowArena): DecodeResult {
    if (bytes !== null && typeof bytes !== 'string') {
      const record = this.fast(bytes, meta, defaults, arena);
      if (record !== null) {
        this.counts.fast++;
        return { ok: true, record };
      }
    }
    this.counts.slow++;
    return decodeEvent(bytes, meta, defaults);
  }

  /** The record, or null when the event is not the common case (nothing is half-done then). */
  private fast(b: Buffer, meta: { partition: number; offset: number; timestampMs: number }, defaults: EventDefaults, arena: RowArena): FeatureRecord | null {
    const end = b.length;
    let i = skipSpace(b, 0, end);
    if (i >= end || b[i] !== OPEN_OBJECT) return null;
    i = skipSpace(b, i + 1, end);
    let modelStart = -1;
    let modelEnd = -1;
    let versionStart = -1;
    let versionEnd = -1;
    let timeStart = -1;
    let timeEnd = -1;
    let timeIsNumber = false;
    let features = false;
    this.count = 0;
    for (;;) {
      if (i >= end || b[i] !== QUOTE) return null;
      const keyStart = i + 1;
      const keyEnd = plainStringEnd(b, keyStart, end);
      if (keyEnd < 0) return null;
      i = skipSpace(b, keyEnd + 1, end);
      if (i >= end || b[i] !== COLON) return null;
      i = skipSpace(b, i + 1, end);
      if (i >= end) return null;
      switch (topKey(b, keyStart, keyEnd)) {
        case TopKey.Model:
          if (modelStart >= 0 || b[i] !== QUOTE) return null;
          modelStart = i + 1;
          modelEnd = plainStringEnd(b, modelStart, end);
          if (modelEnd <= modelStart || !isAscii(b, modelStart, modelEnd)) return null;
          i = modelEnd + 1;
          break;
        case TopKey.ModelVersion:
          if (versionStart >= 0 || b[i] !== QUOTE) return null;
          versionStart = i + 1;
          versionEnd = plainStringEnd(b, versionStart, end);
          if (versionEnd <= versionStart || !isAscii(b, versionStart, versionEnd)) return null;
          i = versionEnd + 1;
          break;
        case TopKey.Timestamp:
          if (timeStart >= 0 || timeIsNumber) return null;
          if (b[i] === QUOTE) {
            timeStart = i + 1;
            timeEnd = plainStringEnd(b, timeStart, end);
            if (timeEnd < 0 || !isAscii(b, timeStart, timeEnd)) return null;
            i = timeEnd + 1;
          } else {
            i = readNumber(b, i, end, this.timestamp, 0);
            if (i < 0) return null;
            timeIsNumber = true;
          }
          break;
        case TopKey.Features:
          if (features || b[i] !== OPEN_OBJECT) return null;
          i = this.scanFeatures(b, i, end);
          if (i < 0) return null;
          features = true;
          break;
        case TopKey.FeatureVector:
          return null;
        default:
          i = skipValue(b, i, end, 1);
          if (i < 0) return null;
      }
      i = skipSpace(b, i, end);
      if (i >= end) return null;
      if (b[i] === COMMA) {
        i = skipSpace(b, i + 1, end);
        continue;
      }
      if (b[i] !== CLOSE_OBJECT || skipSpace(b, i + 1, end) !== end) return null;
      break;
    }
    if (!features) return null;

    const model = modelStart >= 0 ? this.modelText.read(b, modelStart, modelEnd) : defaults.model;
    const modelVersion = versionStart >= 0 ? this.versionText.read(b, versionStart, versionEnd) : defaults.modelVersion;
    if (!model || !modelVersion) return null;
    let eventTimeMs: number | null = meta.timestampMs;
    if (timeStart >= 0) eventTimeMs = parseEventTime(b.toString('latin1', timeStart, timeEnd));
    else if (timeIsNumber) eventTimeMs = parseEventTime(this.timestamp[0]);
    if (eventTimeMs === null || !Number.isFinite(eventTimeMs)) return null;

    const models = this.featuresFor(model, modelVersion);
    if (models === undefined) return null;
    const layout = this.layoutOf(models);
    if (layout === null) return null;
    const row = arena.take(models);
    if (!this.match(b, layout, row)) {
      arena.giveBack(row);
      return null;
    }
    return { model, modelVersion, eventTimeMs, values: row, partition: meta.partition, offset: meta.offset };
  }

  /** Reads the `features` object at `i` into the scratch arrays; the index after it, or −1. */
  private scanFeatures(b: Buffer, i: number, end: number): number {
    i = skipSpace(b, i + 1, end);
    if (i < end && b[i] === CLOSE_OBJECT) return i + 1;
    for (;;) {
      if (i >= end || b[i] !== QUOTE) return -1;
      const keyStart = i + 1;
      const keyEnd = plainStringEnd(b, keyStart, end);
      if (keyEnd < 0) return -1;
      i = skipSpace(b, keyEnd + 1, end);
      if (i >= end || b[i] !== COLON) return -1;
      i = skipSpace(b, i + 1, end);
      if (i >= end) return -1;
      const p = this.count;
      if (p === this.keyStart.length) this.grow();
      this.keyStart[p] = keyStart;
      this.keyEnd[p] = keyEnd;
      const c = b[i];
      if (c === MINUS || (c >= 48 && c <= 57)) {
        i = readNumber(b, i, end, this.values, p);
        this.kinds[p] = 0;
      } else if (c === 110 /* n */ && isLiteral(b, i, end, NULL)) {
        this.values[p] = Number.NaN;
        this.kinds[p] = 0;
        i += 4;
      } else {
        i = skipValue(b, i, end, 2);
        this.kinds[p] = 1;
      }
      if (i < 0) return -1;
      this.count = p + 1;
      i = skipSpace(b, i, end);
      if (i >= end) return -1;
      if (b[i] === COMMA) {
        i = skipSpace(b, i + 1, end);
        continue;
      }
      return b[i] === CLOSE_OBJECT ? i + 1 : -1;
    }
  }

  /** Puts the scanned values of reference features into `row`; false sends the event to the slow path. */
  private match(b: Buffer, layout: Layout, row: NumericRow): boolean {
    const { names, index, seen } = layout;
    const { data, offset } = row;
    const { keyStart, keyEnd, values, kinds } = this;
    const stamp = ++this.decodes;
    let matched = 0;
    for (let p = 0; p < this.count; p++) {
      const start = keyStart[p];
      const end = keyEnd[p];
      let at: number;
      // Events usually list their features in the reference's order.
      if (p < names.length && sameBytes(b, start, end, names[p])) at = p;
      else {
        if (!isAscii(b, start, end)) return false;
        at = index.get(b.toString('latin1', start, end)) ?? -1;
        if (at < 0) continue; // not a reference feature: ignored, whatever its value
      }
      if (seen[at] === stamp || kinds[p] !== 0) return false;
      seen[at] = stamp;
      data[offset + at] = values[p];
      matched++;
    }
    return matched > 0;
  }

  private layoutOf(models: readonly FeatureModel[]): Layout | null {
    let layout = this.layouts.get(models);
    if (layout === undefined) {
      const usable = models.length > 0 && models.every((m) => m.type === 'numeric' && !/[\uD800-\uDFFF]/.test(m.name));
      layout = usable
        ? { names: models.map((m) => Buffer.from(m.name, 'utf8')), index: new Map(models.map((m, i) => [m.name, i])), seen: new Float64Array(models.length) }
        : null;
      this.layouts.set(models, layout);
    }
    return layout;
  }

  private grow(): void {
    const n = this.keyStart.length * 2;
    const widen = <T extends Int32Array | Float64Array | Uint8Array>(from: T, to: T): T => (to.set(from), to);
    this.keyStart = widen(this.keyStart, new Int32Array(n));
    this.keyEnd = widen(this.keyEnd, new Int32Array(n));
    this.values = widen(this.values, new Float64Array(n));
    this.kinds = widen(this.kinds, new Uint8Array(n));
  }
}

/** The string of an ASCII span, reused while the bytes repeat (events of one model name it each time). */
class TextCache {
  private bytes = Buffer.alloc(0);
  private text = '';

  read(b: Buffer, start: number, end: number): string {
    if (!sameBytes(b, start, end, this.bytes)) {
      this.bytes = Buffer.from(b.subarray(start, end));
      this.text = b.toString('latin1', start, end);
    }
    return this.text;
  }
}

function topKey(b: Buffer, start: number, end: number): TopKey {
  for (const [bytes, key] of KEYS) if (sameBytes(b, start, end, bytes)) return key;
  return TopKey.Other;
}

function sameBytes(b: Buffer, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (b[start + i] !== expected[i]) return false;
  return true;
}

function isAscii(b: Buffer, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] >= 0x80) return false;
  return true;
}

function skipSpace(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    i++;
  }
  return i;
}

/** End (closing quote) of a string without escapes starting after its opening quote; −1 otherwise. */
function plainStringEnd(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH || c < 0x20) return -1;
    i++;
  }
  return -1;
}

/** End (closing quote) of any valid JSON string starting after its opening quote; −1 if invalid. */
function stringEnd(b: Buffer, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === QUOTE) return i;
    if (c < 0x20) return -1;
    if (c === BACKSLASH) {
      if (i + 1 >= end) return -1;
      const e = b[i + 1];
      if (e === 117 /* u */) {
        for (let k = 2; k < 6; k++) if (i + k >= end || !isHex(b[i + k])) return -1;
        i += 6;
        continue;
      }
      // " \ / b f n r t
      if (e !== QUOTE && e !== BACKSLASH && e !== 47 && e !== 98 && e !== 102 && e !== 110 && e !== 114 && e !== 116) return -1;
      i += 2;
      continue;
    }
    i++;
  }
  return -1;
}

const isHex = (c: number) => (c >= 48 && c <= 57) || (c >= 65 && c <= 70) || (c >= 97 && c <= 102);

const NULL = bytesOf('null');
const TRUE = bytesOf('true');
const FALSE = bytesOf('false');
const skipped = new Float64Array(1);

function isLiteral(b: Buffer, i: number, end: number, literal: Uint8Array): boolean {
  return i + literal.length <= end && sameBytes(b, i, i + literal.length, literal);
}

/** The index after the JSON value at `i`, validated; −1 if it is not valid JSON (or nested too deep). */
function skipValue(b: Buffer, i: number, end: number, depth: number): number {
  if (i >= end) return -1;
  const c = b[i];
  if (c === QUOTE) {
    const close = stringEnd(b, i + 1, end);
    return close < 0 ? -1 : close + 1;
  }
  if (c === MINUS || (c >= 48 && c <= 57)) return readNumber(b, i, end, skipped, 0);
  if (c === 110) return isLiteral(b, i, end, NULL) ? i + 4 : -1;
  if (c === 116) return isLiteral(b, i, end, TRUE) ? i + 4 : -1;
  if (c === 102) return isLiteral(b, i, end, FALSE) ? i + 5 : -1;
  if (c !== OPEN_OBJECT && c !== OPEN_ARRAY) return -1;
  if (depth >= MAX_DEPTH) return -1;
  const isObject = c === OPEN_OBJECT;
  const close = isObject ? CLOSE_OBJECT : CLOSE_ARRAY;
  i = skipSpace(b, i + 1, end);
  if (i < end && b[i] === close) return i + 1;
  for (;;) {
    if (isObject) {
      if (i >= end || b[i] !== QUOTE) return -1;
      const keyEnd = stringEnd(b, i + 1, end);
      if (keyEnd < 0) return -1;
      i = skipSpace(b, keyEnd + 1, end);
      if (i >= end || b[i] !== COLON) return -1;
      i = skipSpace(b, i + 1, end);
    }
    i = skipValue(b, i, end, depth + 1);
    if (i < 0) return -1;
    i = skipSpace(b, i, end);
    if (i >= end) return -1;
    if (b[i] === COMMA) {
      i = skipSpace(b, i + 1, end);
      continue;
    }
    return b[i] === close ? i + 1 : -1;
  }
}
