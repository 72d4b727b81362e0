import { categoryNames, NumericRow, type FeatureModel } from '../stats/index.js';
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
/** What a value in `features` is: a number, null, a string without escapes, or anything else. */
const KIND_NUMBER = 0;
const KIND_NULL = 1;
const KIND_STRING = 2;
const KIND_OTHER = 3;

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

const KEYS_BY_LENGTH: ([Buffer, TopKey] | undefined)[] = [];
for (const entry of KEYS) KEYS_BY_LENGTH[entry[0].length] = entry;

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

export interface Layout {
  /** UTF-8 bytes of each feature name, in the reference's order. */
  readonly names: readonly Buffer[];
  /** Per feature: null if numeric, else the UTF-8 bytes of its reference categories (in `categoryNames` order). */
  readonly categories: readonly (readonly Buffer[] | null)[];
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
  private readonly scanner = new EventScanner();
  private readonly layouts = new WeakMap<readonly FeatureModel[], Layout | null>();

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
    const { scanner } = this;
    if (!scanner.scan(b, meta.timestampMs, defaults)) return null;
    const models = this.featuresFor(scanner.model, scanner.modelVersion);
    if (models === undefined) return null;
    const layout = models === this.lastModels ? this.lastLayout : this.layoutOf(models);
    if (layout === null) return null;
    const row = arena.take(models);
    if (!scanner.fill(b, layout, row.data, row.offset)) {
      arena.giveBack(row);
      return null;
    }
    return { model: scanner.model, modelVersion: scanner.modelVersion, eventTimeMs: scanner.eventTimeMs, values: row, partition: meta.partition, offset: meta.offset };
  }

  /** The layout of a reference's features, or null when the fast path does not serve it (a categorical feature). */
  layoutOf(models: readonly FeatureModel[]): Layout | null {
    let layout = this.layouts.get(models);
    if (layout === undefined) {
      layout = compileLayout(models);
      this.layouts.set(models, layout);
    }
    this.lastModels = models;
    this.lastLayout = layout;
    return layout;
  }

  /** The layout looked up last (events of one model version tend to come together). */
  private lastModels: readonly FeatureModel[] | undefined;
  private lastLayout: Layout | null = null;
}

/** How a reference's features are found in event bytes; null when a name needs the slow path. */
function compileLayout(models: readonly FeatureModel[]): Layout | null {
  // A lone surrogate would not survive the trip through UTF-8 bytes: such names take the slow path.
  const surrogate = /[\uD800-\uDFFF]/u; // u: a pair is one code point; only a lone half matches
  const texts = models.flatMap((m) => [m.name, ...(m.type === 'categorical' ? categoryNames(m) : [])]);
  if (models.length === 0 || texts.some((t) => surrogate.test(t))) return null;
  return {
    names: models.map((m) => Buffer.from(m.name, 'utf8')),
    categories: models.map((m) => (m.type === 'categorical' ? categoryNames(m).map((c) => Buffer.from(c, 'utf8')) : null)),
    index: new Map(models.map((m, i) => [m.name, i])),
    seen: new Float64Array(models.length),
  };
}

/**
 * The byte-level reading behind the fast path, with no reference attached: `scan` checks an
 * event and reads its model, version and time (and its `features` into scratch space); `fill`
 * then writes the values of a layout's features into a row.
 */
class EventScanner {
  model = '';
  modelVersion = '';
  eventTimeMs = 0;
  private decodes = 0;
  // The `features` object of the event being decoded: key spans, values, and whether each value
  // is a number or null (0) or something else (1), which only matters for reference features.
  private keyStart = new Int32Array(128);
  private keyEnd = new Int32Array(128);
  private values = new Float64Array(128);
  private kinds = new Uint8Array(128);
  private valueStart = new Int32Array(128);
  private valueEnd = new Int32Array(128);
  private count = 0;
  private readonly timestamp = new Float64Array(1);
  private readonly modelText = new TextCache();
  private readonly versionText = new TextCache();
  private readonly isoTime = new IsoTimeReader();

  /** Reads the event's envelope; false when it is not the common case. */
  scan(b: Uint8Array, recordTimestampMs: number, defaults: EventDefaults): boolean {
    const end = b.length;
    let i = skipSpace(b, 0, end);
    if (i >= end || b[i] !== OPEN_OBJECT) return false;
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
      if (i >= end || b[i] !== QUOTE) return false;
      const keyStart = i + 1;
      const keyEnd = plainStringEnd(b, keyStart, end);
      if (keyEnd < 0) return false;
      i = skipSpace(b, keyEnd + 1, end);
      if (i >= end || b[i] !== COLON) return false;
      i = skipSpace(b, i + 1, end);
      if (i >= end) return false;
      switch (topKey(b, keyStart, keyEnd)) {
        case TopKey.Model:
          if (modelStart >= 0) return false;
          modelStart = i + 1;
          modelEnd = asciiStringEnd(b, i, end);
          if (modelEnd <= modelStart) return false;
          i = modelEnd + 1;
          break;
        case TopKey.ModelVersion:
          if (versionStart >= 0) return false;
          versionStart = i + 1;
          versionEnd = asciiStringEnd(b, i, end);
          if (versionEnd <= versionStart) return false;
          i = versionEnd + 1;
          break;
        case TopKey.Timestamp:
          if (timeStart >= 0 || timeIsNumber) return false;
          if (b[i] === QUOTE) {
            timeStart = i + 1;
            timeEnd = asciiStringEnd(b, i, end);
            if (timeEnd < 0) return false;
            i = timeEnd + 1;
          } else {
            i = readNumber(b, i, end, this.timestamp, 0);
            if (i < 0) return false;
            timeIsNumber = true;
          }
          break;
        case TopKey.Features:
          if (features || b[i] !== OPEN_OBJECT) return false;
          i = this.scanFeatures(b, i, end);
          if (i < 0) return false;
          features = true;
          break;
        case TopKey.FeatureVector:
          return false;
        default:
          i = skipValue(b, i, end, 1);
          if (i < 0) return false;
      }
      i = skipSpace(b, i, end);
      if (i >= end) return false;
      if (b[i] === COMMA) {
        i = skipSpace(b, i + 1, end);
        continue;
      }
      if (b[i] !== CLOSE_OBJECT || skipSpace(b, i + 1, end) !== end) return false;
      break;
    }
    if (!features) return false;

    const model = modelStart >= 0 ? this.modelText.read(b, modelStart, modelEnd) : defaults.model;
    const modelVersion = versionStart >= 0 ? this.versionText.read(b, versionStart, versionEnd) : defaults.modelVersion;
    if (!model || !modelVersion) return false;
    let eventTimeMs: number | null = recordTimestampMs;
    if (timeStart >= 0) {
      eventTimeMs = this.isoTime.read(b, timeStart, timeEnd);
      if (eventTimeMs !== eventTimeMs) eventTimeMs = parseEventTime(latin1(b, timeStart, timeEnd));
    }
    else if (timeIsNumber) eventTimeMs = parseEventTime(this.timestamp[0]);
    if (eventTimeMs === null || !Number.isFinite(eventTimeMs)) return false;
    this.model = model;
    this.modelVersion = modelVersion;
    this.eventTimeMs = eventTimeMs;
    return true;
  }

  /** Reads the `features` object at `i` into the scratch arrays; the index after it, or −1. */
  private scanFeatures(b: Uint8Array, i: number, end: number): number {
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
      let close: number;
      if (c === MINUS || (c >= 48 && c <= 57)) {
        i = readNumber(b, i, end, this.values, p);
        this.kinds[p] = KIND_NUMBER;
      } else if (c === 110 /* n */ && isLiteral(b, i, end, NULL)) {
        this.values[p] = Number.NaN;
        this.kinds[p] = KIND_NULL;
        i += 4;
      } else if (c === QUOTE && (close = plainStringEnd(b, i + 1, end)) >= 0) {
        // A string without escapes: kept as a span for categorical features. Escaped strings
        // are only validated (below) and take the slow path if a reference feature holds one.
        this.valueStart[p] = i + 1;
        this.valueEnd[p] = close;
        this.kinds[p] = KIND_STRING;
        i = close + 1;
      } else {
        i = skipValue(b, i, end, 2);
        this.kinds[p] = KIND_OTHER;
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

  /**
   * Writes the scanned values of the layout's features into data[offset …] (slots of absent
   * features are left alone: the caller prefills them with NaN). False sends the event to the
   * slow path: a reference feature twice or not a number, or no reference feature at all.
   */
  fill(b: Uint8Array, layout: Layout, data: Float64Array, offset: number): boolean {
    const { names, categories, index, seen } = layout;
    const { keyStart, keyEnd, values, kinds, valueStart, valueEnd } = this;
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
        at = index.get(latin1(b, start, end)) ?? -1;
        if (at < 0) continue; // not a reference feature: ignored, whatever its value
      }
      if (seen[at] === stamp) return false;
      seen[at] = stamp;
      matched++;
      const kind = kinds[p];
      const known = categories[at];
      if (kind === KIND_NULL) continue; // missing: the slot stays NaN
      if (known === null) {
        // Numeric: a number; anything else (a numeric string, a boolean…) is the slow path's.
        if (kind !== KIND_NUMBER) return false;
        data[offset + at] = values[p];
        continue;
      }
      // Categorical: a reference category, stored as its index ('' is missing); a new
      // category, a number or a boolean is the slow path's.
      if (kind !== KIND_STRING) return false;
      if (valueEnd[p] === valueStart[p]) continue;
      const category = categoryIndex(b, valueStart[p], valueEnd[p], known);
      if (category < 0) return false;
      data[offset + at] = category;
    }
    return matched > 0;
  }

  private grow(): void {
    const n = this.keyStart.length * 2;
    const widen = <T extends Int32Array | Float64Array | Uint8Array>(from: T, to: T): T => (to.set(from), to);
    this.keyStart = widen(this.keyStart, new Int32Array(n));
    this.keyEnd = widen(this.keyEnd, new Int32Array(n));
    this.values = widen(this.values, new Float64Array(n));
    this.kinds = widen(this.kinds, new Uint8Array(n));
    this.valueStart = widen(this.valueStart, new Int32Array(n));
    this.valueEnd = widen(this.valueEnd, new Int32Array(n));
  }
}

/** Text of an ASCII span of bytes. */
function latin1(b: Uint8Array, start: number, end: number): string {
  return Buffer.from(b.buffer, b.byteOffset + start, end - start).toString('latin1');
}

/** The string of an ASCII span, reused while the bytes repeat (events of one model name it each time). */
class TextCache {
  private bytes = Buffer.alloc(0);
  private text = '';

  read(b: Uint8Array, start: number, end: number): string {
    if (!sameBytes(b, start, end, this.bytes)) {
      this.bytes = Buffer.from(b.subarray(start, end));
      this.text = latin1(b, start, end);
    }
    return this.text;
  }
}

function topKey(b: Uint8Array, start: number, end: number): TopKey {
  // The five names differ in length: one comparison at most.
  const candidate = KEYS_BY_LENGTH[end - start];
  return candidate !== undefined && sameBytes(b, start, end, candidate[0]) ? candidate[1] : TopKey.Other;
}

/**
 * Epoch ms of "YYYY-MM-DDTHH:MM:SS.sssZ" or "YYYY-MM-DDTHH:MM:SSZ" (what toISOString and most
 * producers write), read from bytes; NaN for anything else, which goes to Date.parse. The
 * midnight of the date comes from Date.parse once per date (so invalid dates stay invalid);
 * the time of day is checked field by field (00–23, 00–59, 00–59) and added.
 */
class IsoTimeReader {
  private date = Buffer.alloc(10);
  private midnight = Number.NaN;

  read(b: Uint8Array, start: number, end: number): number {
    const length = end - start;
    if ((length !== 24 && length !== 20) || b[end - 1] !== 90 /* Z */ || b[start + 10] !== 84 /* T */) return Number.NaN;
    if (b[start + 13] !== COLON || b[start + 16] !== COLON) return Number.NaN;
    if (!sameBytes(b, start, start + 10, this.date)) {
      this.date = Buffer.from(b.subarray(start, start + 10));
      const text = this.date.toString('latin1');
      this.midnight = /^\d{4}-\d{2}-\d{2}$/.test(text) ? Date.parse(`${text}T00:00:00Z`) : Number.NaN;
    }
    if (this.midnight !== this.midnight) return Number.NaN;
    const hours = twoDigits(b, start + 11);
    const minutes = twoDigits(b, start + 14);
    const seconds = twoDigits(b, start + 17);
    if (!(hours <= 23 && minutes <= 59 && seconds <= 59)) return Number.NaN;
    let ms = 0;
    if (length === 24) {
      if (b[start + 19] !== 46 /* . */) return Number.NaN;
      ms = twoDigits(b, start + 20) * 10 + digit(b[start + 22]);
      if (!(ms <= 999)) return Number.NaN;
    }
    return this.midnight + ((hours * 60 + minutes) * 60 + seconds) * 1000 + ms;
  }
}

/** The digit's value, or NaN (which fails every range check above). */
const digit = (c: number) => (c >= 48 && c <= 57 ? c - 48 : Number.NaN);
const twoDigits = (b: Uint8Array, at: number) => digit(b[at]) * 10 + digit(b[at + 1]);

function categoryIndex(b: Uint8Array, start: number, end: number, known: readonly Buffer[]): number {
  for (let c = 0; c < known.length; c++) if (sameBytes(b, start, end, known[c])) return c;
  return -1;
}

function sameBytes(b: Uint8Array, start: number, end: number, expected: Uint8Array): boolean {
  if (end - start !== expected.length) return false;
  for (let i = 0; i < expected.length; i++) if (b[start + i] !== expected[i]) return false;
  return true;
}

function isAscii(b: Uint8Array, start: number, end: number): boolean {
  for (let i = start; i < end; i++) if (b[i] >= 0x80) return false;
  return true;
}

function skipSpace(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c !== 32 && c !== 10 && c !== 13 && c !== 9) break;
    i++;
  }
  return i;
}

/** End (closing quote) of the escape-free ASCII string whose opening quote is at `i`; −1 otherwise. */
function asciiStringEnd(b: Uint8Array, i: number, end: number): number {
  if (b[i] !== QUOTE) return -1;
  const close = plainStringEnd(b, i + 1, end);
  return close >= 0 && isAscii(b, i + 1, close) ? close : -1;
}

/** End (closing quote) of a string without escapes starting after its opening quote; −1 otherwise. */
function plainStringEnd(b: Uint8Array, i: number, end: number): number {
  while (i < end) {
    const c = b[i];
    if (c === QUOTE) return i;
    if (c === BACKSLASH || c < 0x20) return -1;
    i++;
  }
  return -1;
}

/** End (closing quote) of any valid JSON string starting after its opening quote; −1 if invalid. */
function stringEnd(b: Uint8Array, i: number, end: number): number {
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

function isLiteral(b: Uint8Array, i: number, end: number, literal: Uint8Array): boolean {
  return i + literal.length <= end && sameBytes(b, i, i + literal.length, literal);
}

/** The index after the JSON value at `i`, validated; −1 if it is not valid JSON (or nested too deep). */
function skipValue(b: Uint8Array, i: number, end: number, depth: number): number {
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
