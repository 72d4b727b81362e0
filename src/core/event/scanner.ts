import { parseEventTime, type EventDefaults } from './event.js';
import { readNumber } from './json-number.js';
import { IsoTimeReader } from './time.js';

/**
 * The byte-level JSON reading behind the fast decoder (decoder.ts), with no reference
 * attached: `EventScanner.scan` checks an event against the JSON grammar and reads its model,
 * version and time (and its `features` into scratch space); `fill` then writes the values of a
 * layout's features into a row. Everything here works on spans of the event's bytes and keeps
 * no reference to them after the call (what it keeps, it copies).
 */
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
  Prediction,
  Confidence,
  Probabilities,
}

const bytesOf = (text: string) => Buffer.from(text, 'latin1');
const KEYS: readonly [Buffer, TopKey][] = [
  [bytesOf('model'), TopKey.Model],
  [bytesOf('model_version'), TopKey.ModelVersion],
  [bytesOf('timestamp'), TopKey.Timestamp],
  [bytesOf('features'), TopKey.Features],
  [bytesOf('feature_vector'), TopKey.FeatureVector],
];
/** The model's outputs (docs/wire-formats.md): both ten bytes long, so looked up apart from KEYS. */
const PREDICTION = bytesOf('prediction');
const CONFIDENCE = bytesOf('confidence');
/** Per-class probabilities: as long as `model_version`, so looked up apart too. */
const PROBABILITIES = bytesOf('probabilities');
/** An output the event does not carry. */
const KIND_ABSENT = 255;

const KEYS_BY_LENGTH: ([Buffer, TopKey] | undefined)[] = [];
for (const entry of KEYS) KEYS_BY_LENGTH[entry[0].length] = entry;

/** How a reference's features are found in event bytes (compiled by decoder.ts). */
export interface Layout {
  /** UTF-8 bytes of each feature name, in the reference's order. */
  readonly names: readonly Buffer[];
  /** Per feature: null if numeric, else the UTF-8 bytes of its reference categories (in `categoryNames` order). */
  readonly categories: readonly (readonly Buffer[] | null)[];
  readonly index: ReadonlyMap<string, number>;
  /** Per feature, the decode that last set it (duplicate keys go to the slow path). */
  readonly seen: Float64Array;
  /**
   * The reference's model outputs, read from the event's top-level `prediction` and
   * `confidence` into the row's slots after the features: `which` 0 is prediction, 1 confidence;
   * `categories` as for a feature; 2 is a class's probability, filled from `probabilities` by
   * fillProbabilities. Empty when the reference has no outputs.
   */
  readonly outputs: readonly { readonly slot: number; readonly which: 0 | 1 | 2; readonly categories: readonly Buffer[] | null }[];
  /** The UTF-8 bytes of each class whose probability the reference monitors (outputs `probability_<class>`), and its slot. */
  readonly classes: readonly Buffer[];
  readonly classSlots: readonly number[];
  /** The slot of the `confidence` output, or −1: an event without one takes its largest probability. */
  readonly confidenceSlot: number;
  /** Per class, the decode that last set it (a class twice goes to the slow path). */
  readonly classSeen: Float64Array;
}

/** Reads one event at a time; `scan`, then `fill` with the layout of the event's reference. */
export class EventScanner {
  model = '';
  modelVersion = '';
  eventTimeMs = 0;
  /**
   * The event's top-level `probabilities`: KIND_ABSENT, KIND_NULL, KIND_OTHER (anything but an
   * object of plain keys → numbers or null: the slow path's when its reference has outputs) or
   * KIND_NUMBER for such an object, whose entries are read into the scratch arrays below.
   */
  probabilitiesKind = KIND_ABSENT;
  private probabilityCount = 0;
  private probabilityKeyStart = new Int32Array(16);
  private probabilityKeyEnd = new Int32Array(16);
  private probabilityValues = new Float64Array(16);
  private decodes = 0;
  // The `features` object of the event being decoded: key spans, the value of each key (a
  // number, or NaN for null), its kind (KIND_*), and for strings without escapes their span.
  private keyStart = new Int32Array(128);
  private keyEnd = new Int32Array(128);
  private values = new Float64Array(128);
  private kinds = new Uint8Array(128);
  private valueStart = new Int32Array(128);
  private valueEnd = new Int32Array(128);
  private count = 0;
  private readonly timestamp = new Float64Array(1);
  // The event's top-level prediction (0) and confidence (1): kind (KIND_*, KIND_ABSENT), number, string span.
  private readonly outputKinds = new Uint8Array(2);
  private readonly outputValues = new Float64Array(2);
  private readonly outputStart = new Int32Array(2);
  private readonly outputEnd = new Int32Array(2);
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
    this.outputKinds.fill(KIND_ABSENT);
    this.probabilitiesKind = KIND_ABSENT;
    this.probabilityCount = 0;
    for (;;) {
      if (i >= end || b[i] !== QUOTE) return false;
      const keyStart = i + 1;
      const keyEnd = plainStringEnd(b, keyStart, end);
      if (keyEnd < 0) return false;
      i = skipSpace(b, keyEnd + 1, end);
      if (i >= end || b[i] !== COLON) return false;
      i = skipSpace(b, i + 1, end);
      if (i >= end) return false;
      const key = topKey(b, keyStart, keyEnd);
      switch (key) {
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
        case TopKey.Probabilities:
          if (this.probabilitiesKind !== KIND_ABSENT) return false;
          i = this.scanProbabilities(b, i, end);
          if (i < 0) return false;
          break;
        case TopKey.Prediction:
        case TopKey.Confidence:
          i = this.scanOutput(b, i, end, key === TopKey.Prediction ? 0 : 1);
          if (i < 0) return false;
          break;
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
    } else if (timeIsNumber) eventTimeMs = parseEventTime(this.timestamp[0]);
    if (eventTimeMs === null || !Number.isFinite(eventTimeMs)) return false;
    this.model = model;
    this.modelVersion = modelVersion;
    this.eventTimeMs = eventTimeMs;
    return true;
  }

  /** Reads an output's value at `i` (a second one of the same name is the slow path's); the index after it, or −1. */
  private scanOutput(b: Uint8Array, i: number, end: number, which: 0 | 1): number {
    if (this.outputKinds[which] !== KIND_ABSENT) return -1;
    const c = b[i];
    let close: number;
    if (c === MINUS || (c >= 48 && c <= 57)) {
      this.outputKinds[which] = KIND_NUMBER;
      return readNumber(b, i, end, this.outputValues, which);
    }
    if (c === 110 /* n */ && isLiteral(b, i, end, NULL)) {
      this.outputKinds[which] = KIND_NULL;
      return i + 4;
    }
    if (c === QUOTE && (close = plainStringEnd(b, i + 1, end)) >= 0) {
      this.outputKinds[which] = KIND_STRING;
      this.outputStart[which] = i + 1;
      this.outputEnd[which] = close;
      return close + 1;
    }
    this.outputKinds[which] = KIND_OTHER;
    return skipValue(b, i, end, 1);
  }

  /**
   * Writes the scanned outputs of the layout into their slots of data[offset …] (absent or null
   * ones stay NaN: missing). False sends the event to the slow path: a string as a numeric
   * output, a number or a new class as a categorical one, or anything else (an object, an
   * escaped string…).
   */
  fillOutputs(b: Uint8Array, layout: Layout, data: Float64Array, offset: number): boolean {
    for (const { slot, which, categories } of layout.outputs) {
      if (which === 2) continue;
      const kind = this.outputKinds[which];
      if (kind === KIND_ABSENT || kind === KIND_NULL) continue;
      if (categories === null) {
        if (kind !== KIND_NUMBER) return false;
        data[offset + slot] = this.outputValues[which];
        continue;
      }
      if (kind !== KIND_STRING) return false;
      const start = this.outputStart[which];
      const stop = this.outputEnd[which];
      if (stop === start) continue; // '' is missing, as for a feature
      const category = categoryIndex(b, start, stop, categories);
      if (category < 0) return false;
      data[offset + slot] = category;
    }
    return true;
  }

  /**
   * Reads the `probabilities` value at `i`: an object of plain keys whose values are numbers or
   * null into the scratch arrays (KIND_NUMBER), null (KIND_NULL), anything else validated only
   * (KIND_OTHER). The index after it, or −1 when it is not valid JSON.
   */
  private scanProbabilities(b: Uint8Array, i: number, end: number): number {
    const c = b[i];
    if (c === 110 /* n */ && isLiteral(b, i, end, NULL)) {
      this.probabilitiesKind = KIND_NULL;
      return i + 4;
    }
    const from = i;
    this.probabilitiesKind = KIND_OTHER;
    if (c !== OPEN_OBJECT) return skipValue(b, i, end, 1);
    i = skipSpace(b, i + 1, end);
    if (i < end && b[i] === CLOSE_OBJECT) {
      this.probabilitiesKind = KIND_NUMBER;
      return i + 1;
    }
    for (;;) {
      if (i >= end || b[i] !== QUOTE) return skipValue(b, from, end, 1);
      const keyStart = i + 1;
      const keyEnd = plainStringEnd(b, keyStart, end);
      if (keyEnd < 0) return skipValue(b, from, end, 1);
      i = skipSpace(b, keyEnd + 1, end);
      if (i >= end || b[i] !== COLON) return -1;
      i = skipSpace(b, i + 1, end);
      if (i >= end) return -1;
      const p = this.probabilityCount;
      if (p === this.probabilityKeyStart.length) this.growProbabilities();
      const v = b[i];
      if (v === MINUS || (v >= 48 && v <= 57)) {
        i = readNumber(b, i, end, this.probabilityValues, p);
        if (i < 0) return -1;
      } else if (v === 110 /* n */ && isLiteral(b, i, end, NULL)) {
        this.probabilityValues[p] = Number.NaN;
        i += 4;
      } else return skipValue(b, from, end, 1);
      this.probabilityKeyStart[p] = keyStart;
      this.probabilityKeyEnd[p] = keyEnd;
      this.probabilityCount = p + 1;
      i = skipSpace(b, i, end);
      if (i >= end) return -1;
      if (b[i] === COMMA) {
        i = skipSpace(b, i + 1, end);
        continue;
      }
      if (b[i] !== CLOSE_OBJECT) return -1;
      this.probabilitiesKind = KIND_NUMBER;
      return i + 1;
    }
  }

  /**
   * Writes the event's class probabilities into the layout's class slots and, for an event
   * without `confidence`, its largest probability into the confidence slot (the rules of
   * probabilities.ts). False sends the event to the slow path: probabilities that are not an
   * object of numbers or null, a class the reference does not know, a class twice, or a number
   * outside [0, 1] — the cases whose values the slow path marks invalid.
   */
  fillProbabilities(b: Uint8Array, layout: Layout, data: Float64Array, offset: number): boolean {
    const kind = this.probabilitiesKind;
    if (kind === KIND_ABSENT || kind === KIND_NULL) return true;
    if (kind !== KIND_NUMBER) return false;
    const { classes, classSlots, classSeen, confidenceSlot } = layout;
    const stamp = ++this.decodes;
    let top = Number.NaN;
    for (let p = 0; p < this.probabilityCount; p++) {
      const value = this.probabilityValues[p];
      if (value < 0 || value > 1) return false;
      if (value === value && (top !== top || value > top)) top = value;
      if (classes.length === 0) {
        // The confidence alone (classes not monitored): a key twice is the slow path's (JSON.parse keeps the last).
        if (this.keyRepeats(b, p)) return false;
        continue;
      }
      const at = categoryIndex(b, this.probabilityKeyStart[p], this.probabilityKeyEnd[p], classes);
      if (at < 0 || classSeen[at] === stamp) return false;
      classSeen[at] = stamp;
      data[offset + classSlots[at]] = value;
    }
    if (confidenceSlot >= 0 && this.outputKinds[1] === KIND_ABSENT && top === top) data[offset + confidenceSlot] = top;
    return true;
  }

  /** Whether probability entry p's key is that of an earlier entry. */
  private keyRepeats(b: Uint8Array, p: number): boolean {
    const { probabilityKeyStart: starts, probabilityKeyEnd: ends } = this;
    const key = b.subarray(starts[p], ends[p]);
    for (let q = 0; q < p; q++) if (sameBytes(b, starts[q], ends[q], key)) return true;
    return false;
  }

  private growProbabilities(): void {
    const n = this.probabilityKeyStart.length * 2;
    const widen = <T extends Int32Array | Float64Array>(from: T, to: T): T => (to.set(from), to);
    this.probabilityKeyStart = widen(this.probabilityKeyStart, new Int32Array(n));
    this.probabilityKeyEnd = widen(this.probabilityKeyEnd, new Int32Array(n));
    this.probabilityValues = widen(this.probabilityValues, new Float64Array(n));
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
  if (end - start === PREDICTION.length) return sameBytes(b, start, end, PREDICTION) ? TopKey.Prediction : sameBytes(b, start, end, CONFIDENCE) ? TopKey.Confidence : TopKey.Other;
  if (end - start === PROBABILITIES.length && sameBytes(b, start, end, PROBABILITIES)) return TopKey.Probabilities;
  // The five names differ in length: one comparison at most.
  const candidate = KEYS_BY_LENGTH[end - start];
  return candidate !== undefined && sameBytes(b, start, end, candidate[0]) ? candidate[1] : TopKey.Other;
}

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
