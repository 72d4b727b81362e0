/**
 * The fast event decoder against its definition, `decodeEvent` (JSON.parse + zod): numbers bit
 * for bit against JSON.parse, and whole events — generated, then mutated byte by byte — either
 * handed to the slow path or decoded to exactly what the slow path yields. No tolerance: the
 * fast path must not change a single recorded value.
 */
import { isDeepStrictEqual } from 'node:util';
import { beforeEach, describe, expect, it } from 'vitest';
import { ReferenceDistribution } from '../../../../src/core/reference/index.js';
import { FeatureSetAccumulator, NumericRow, type FeatureModel } from '../../../../src/core/stats/index.js';
import { decodeEvent, type DecodeResult, type EventDefaults } from '../../../../src/core/event/event.js';
import { EventDecoder } from '../../../../src/core/event/decoder.js';
import { RowArena } from '../../../../src/core/event/arena.js';
import { readNumber } from '../../../../src/core/event/json-number.js';
import { SlidingWindow } from '../../../../src/core/window/sliding-window.js';
import { rng } from '../../../fixtures/random.js';

/**
 * `expect(actual, label).toEqual(expected)` for the loops below, which compare ~10^5 values:
 * Node's deep equality, which is stricter (key sets, prototypes, Object.is), decides first, and
 * only when it fails does the matcher run, to decide (it ignores undefined properties) and report.
 * The same comparisons, without paying the matcher's cost on every one that passes.
 */
function expectEqual(actual: unknown, expected: unknown, label?: string): void {
  if (!isDeepStrictEqual(actual, expected)) expect(actual, label).toEqual(expected);
}

const out = new Float64Array(1);
/** readNumber over the whole text: the value, or null when it is not (entirely) a JSON number. */
function read(text: string): number | null {
  const bytes = Buffer.from(text, 'latin1');
  const end = readNumber(bytes, 0, bytes.length, out, 0);
  return end === bytes.length ? out[0] : null;
}

describe('JSON numbers read from bytes', () => {
  const r = rng(20261126);
  const bits = new Float64Array(1);
  const words = new Uint32Array(bits.buffer);

  function expectSame(texts: string[]): void {
    const wrong = texts.filter((t) => !Object.is(read(t), JSON.parse(t) as number));
    expect(wrong.slice(0, 5).map((t) => `${t} → ${read(t)}, JSON.parse ${JSON.parse(t)}`)).toEqual([]);
  }

  it('equals JSON.parse on random doubles of every magnitude (shortest round-trip text)', () => {
    const texts: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      words[0] = (r.uniform() * 2 ** 32) >>> 0;
      words[1] = (r.uniform() * 2 ** 32) >>> 0;
      if (Number.isFinite(bits[0])) texts.push(JSON.stringify(bits[0]));
      texts.push(JSON.stringify(r.normal(0, 1) * 10 ** Math.floor(r.uniform() * 40 - 20)));
    }
    expectSame(texts);
  });

  it('equals JSON.parse on random digit strings (1–24 digits, fractions, exponents, leading zeros)', () => {
    const texts: string[] = [];
    for (let i = 0; i < 200_000; i++) {
      const length = 1 + Math.floor(r.uniform() * 24);
      let digits = '';
      for (let k = 0; k < length; k++) digits += Math.floor(r.uniform() * 10);
      const integer = digits.replace(/^0+(?=\d)/, '');
      const point = Math.floor(r.uniform() * integer.length);
      const text = point > 0 ? `${integer.slice(0, point)}.${integer.slice(point)}` : `0.${integer}`;
      texts.push(text, `-${text}`, `${text}e${Math.floor(r.uniform() * 60) - 30}`, `${integer}E+${Math.floor(r.uniform() * 25)}`);
    }
    expectSame(texts);
  });

  it('equals JSON.parse on exact ties between two doubles and on either side of them', () => {
    // x = X / 2^e has ulp 2^-e; the tie x + 2^-(e+1) has e + 1 decimals, 17 to 26 digits.
    const texts: string[] = [];
    for (let e = 0; e <= 12; e++) {
      for (let i = 0; i < 4_000; i++) {
        const big = BigInt(Math.floor(r.uniform() * 2 ** 52)) + 2n ** 52n;
        const digits = ((2n * big + 1n) * 5n ** BigInt(e + 1)).toString();
        const tie = `${digits.slice(0, digits.length - e - 1)}.${digits.slice(digits.length - e - 1)}`;
        texts.push(tie, tie.replace(/5$/, '49999'), tie.replace(/5$/, '50001'), `-${tie}`);
      }
    }
    expectSame(texts);
  });

  it('equals JSON.parse on edge values', () => {
    // Regression (review): an exponent too long to keep, after ~100,000 fraction zeros.
    expectSame([`0.${'0'.repeat(99_977)}1e1000000`, `0.${'0'.repeat(99_990)}1234567890123456789e1000000`, `-0.${'0'.repeat(99_999)}5e1000001`, `0.${'0'.repeat(99_977)}1e99999`]);
    expectSame([
      '0',
      '-0',
      '0.0',
      '-0.0e5',
      '1e400',
      '-1e400',
      '1e-400',
      '5e-324',
      '2.2250738585072014e-308',
      '1.7976931348623157e308',
      '9007199254740993',
      '9007199254740992.5',
      '0.1',
      '0.30000000000000004',
      '123456789012345678901234567890',
      '1E22',
      '1e23',
      '1e-22',
      '1e-23',
    ]);
  });

  it.each(['', '-', '+1', '.5', '01', '1.', '1e', '1e+', '-.5', '0x10', 'NaN', 'Infinity', '1.5.2', '- 1'])('rejects %j as a number', (text) => {
    expect(read(text)).toBeNull();
  });
});

const NAMES = ['age', 'income', 'score', 'ratio', 'naïve', 'constructor'];
const SEGMENTS = ['retail', 'sme', 'corporate', 'café', 'b2b 😀'];
const meta = { partition: 1, offset: 42, timestampMs: Date.parse('2026-11-26T09:00:00Z') };

function numericReference(names: readonly string[]): readonly FeatureModel[] {
  const r = rng(3);
  const rows = Array.from({ length: 500 }, () => Object.fromEntries(names.map((n, j) => [n, r.normal(j * 10, 1 + j)])));
  return ReferenceDistribution.fromRows(rows, { featureNames: [...names], modelVersion: 'v1' }).features;
}

/** NAMES (numeric) and a categorical "segment" with SEGMENTS. */
function mixedReference(): readonly FeatureModel[] {
  const r = rng(4);
  const rows = Array.from({ length: 500 }, () => ({
    ...Object.fromEntries(NAMES.map((n, j) => [n, r.normal(j * 10, 1 + j)])),
    segment: SEGMENTS[Math.floor(r.uniform() * SEGMENTS.length)],
  }));
  return ReferenceDistribution.fromRows(rows, { featureNames: [...NAMES, 'segment'], modelVersion: 'v1' }).features;
}

/** What each path recorded: per feature, the histogram, missing and invalid counts and tail sums. */
function recorded(models: readonly FeatureModel[], values: Readonly<Record<string, unknown>> | readonly unknown[] | NumericRow) {
  const accumulator = new FeatureSetAccumulator(models);
  if (values instanceof NumericRow) accumulator.recordRow(values);
  else if (Array.isArray(values)) accumulator.recordArray(values);
  else accumulator.recordObject(values as Readonly<Record<string, unknown>>);
  return accumulator.features.map((f) =>
    // The counts as they are (a Float64Array): compared element by element, without a copy.
    f.type === 'numeric' ? { counts: f.histogram.counts, missing: f.missing, invalid: f.invalid, below: f.belowSum, above: f.aboveSum } : f,
  );
}

describe('fast event decoding agrees with decodeEvent', () => {
  const models = mixedReference();
  const featuresFor = (model: string, version: string) => (model === 'credit' && version === 'v1' ? models : undefined);
  const defaults: EventDefaults = {};
  // One arena for the events of each test, as ingest keeps one per batch (rows live as long as it).
  let arena = new RowArena();
  beforeEach(() => void (arena = new RowArena()));

  /** Decodes with both paths; fails the test if the fast one accepted what the slow one would not, or differs. */
  function compare(text: string | Buffer, decoder: EventDecoder, eventDefaults: EventDefaults = defaults): DecodeResult {
    const bytes = typeof text === 'string' ? Buffer.from(text, 'utf8') : text;
    const fastBefore = decoder.counts.fast;
    const result = decoder.decode(bytes, meta, eventDefaults, arena);
    const slow = decodeEvent(bytes, meta, eventDefaults);
    if (decoder.counts.fast === fastBefore) {
      expectEqual(result, slow);
      return result;
    }
    const label = bytes.toString('utf8');
    expectEqual(slow.ok, true, label);
    if (!result.ok || !slow.ok) return result;
    const { values: fastValues, ...fastRest } = result.record;
    const { values: slowValues, ...slowRest } = slow.record;
    expectEqual(fastRest, slowRest, label);
    if (!(fastValues instanceof NumericRow)) expect(fastValues).toBeInstanceOf(NumericRow);
    // The engine's no_known_features rule: a fast row always holds a reference feature.
    expectEqual(Array.isArray(slowValues) || [...NAMES, 'segment'].some((n) => Object.hasOwn(slowValues, n)), true, label);
    expectEqual(recorded(models, fastValues), recorded(models, slowValues), label);
    return result;
  }

  const r = rng(11);
  const pick = <T>(items: readonly T[]): T => items[Math.floor(r.uniform() * items.length)];
  const space = () => pick(['', '', '', ' ', '\n  ', '\t', '\r\n']);
  const numberText = () =>
    pick([
      () => JSON.stringify(r.normal(40, 12)),
      () => String(Math.round(r.normal(50_000, 20_000))),
      () => (r.uniform() * 100).toFixed(2),
      () => `${(r.uniform() * 9).toFixed(3)}e${Math.floor(r.uniform() * 10) - 5}`,
      () => pick(['0', '-0', '1e400', '-1E+2', '0.000001']),
    ])();
  const featureValue = () => (r.uniform() < 0.95 ? numberText() : pick(['null', '"12.5"', '"n/a"', 'true', '[]', '{}', '""', '" 3 "']));
  const segmentValue = () =>
    r.uniform() < 0.85 ? JSON.stringify(pick(SEGMENTS)) : pick(['"other"', '""', 'null', '3', 'true', '"r\\u0065tail"', '"caf\\u00e9"', '"Retail"', '"sme "', '{}']);
  const otherValue = (): string =>
    pick(['"r-81"', '"esc \\"q\\" \\u00e9 \\n"', '0.13', 'null', 'false', '[1, "two", {"three": [null]}]', '{"nested": {"deep": [true, -1.5e3]}}', '"ünï ✓"']);

  function eventText(): string {
    const pairs: string[] = [];
    if (r.uniform() < 0.95) pairs.push(`"model":${space()}"credit"`);
    if (r.uniform() < 0.95) pairs.push(`"model_version":"v1"`);
    const time = r.uniform();
    if (time < 0.6) pairs.push(`"timestamp":"${new Date(meta.timestampMs + Math.floor(r.uniform() * 1e7)).toISOString()}"`);
    else if (time < 0.75) pairs.push(`"timestamp":${pick(['1764147600', '1764147600.5', '1764147600123', '-5', '"yesterday"', 'null', '"2026-11-26 10:00"'])}`);
    const names = [...NAMES, 'segment'].filter(() => r.uniform() < 0.9);
    if (r.uniform() < 0.3) names.sort(() => r.uniform() - 0.5);
    if (r.uniform() < 0.2) names.push(pick(['extra', 'other_feature', 'ünknown']));
    if (r.uniform() < 0.05 && names.length > 0) names.push(names[0]);
    const features = names.map((n) => `${space()}${JSON.stringify(n)}${space()}:${space()}${n === 'segment' ? segmentValue() : featureValue()}`).join(',');
    pairs.push(`"features":${space()}{${features}${space()}}`);
    if (r.uniform() < 0.5) pairs.push(`"request_id":${otherValue()}`);
    if (r.uniform() < 0.5) pairs.push(`"prediction":${otherValue()}`);
    if (r.uniform() < 0.03) pairs.push('"feature_vector":[1,2,3,4,5,6]');
    pairs.sort(() => (r.uniform() < 0.2 ? r.uniform() - 0.5 : 0));
    return `${space()}{${space()}${pairs.join(`,${space()}`)}${space()}}${space()}`;
  }

  it('decodes generated events exactly as JSON.parse + zod, and most of them on the fast path', () => {
    const decoder = new EventDecoder(featuresFor);
    for (let i = 0; i < 10_000; i++) compare(eventText(), decoder);
    // The canonical events must not all fall through to the slow path, or this test tests nothing.
    expect(decoder.counts.fast).toBeGreaterThan(2_500);
    expect(decoder.counts.slow).toBeGreaterThan(2_000);
  });

  it('hands every corrupted event to the slow path or decodes it identically (byte mutations)', () => {
    const decoder = new EventDecoder(featuresFor);
    const alphabet = Buffer.from('{}[]":,.-+eE0123456789 \\nultrfa\u0000\u00ff', 'latin1');
    let invalid = 0;
    for (let i = 0; i < 10_000; i++) {
      const bytes = Buffer.from(eventText(), 'utf8');
      const mutations = 1 + Math.floor(r.uniform() * 3);
      let mutated: Buffer = bytes;
      for (let m = 0; m < mutations; m++) {
        const at = Math.floor(r.uniform() * mutated.length);
        const kind = r.uniform();
        const byte = alphabet[Math.floor(r.uniform() * alphabet.length)];
        if (kind < 0.4) mutated = Buffer.concat([mutated.subarray(0, at), mutated.subarray(at + 1)]);
        else if (kind < 0.7) mutated = Buffer.concat([mutated.subarray(0, at), Buffer.from([byte]), mutated.subarray(at)]);
        else if (kind < 0.95) mutated[at] = byte;
        else mutated = mutated.subarray(0, at);
      }
      if (!compare(mutated, decoder).ok) invalid++;
    }
    expect(invalid).toBeGreaterThan(2_500);
  });

  it('reads ISO timestamps as Date.parse does, edge cases included', () => {
    const decoder = new EventDecoder(featuresFor);
    const r2 = rng(8);
    const times = Array.from({ length: 2_000 }, () => new Date(Math.floor(r2.uniform() * 4e12) - 1e12).toISOString());
    times.push(
      '2024-02-29T23:59:59.999Z',
      '2026-02-29T00:00:00Z',
      '2026-11-26T24:00:00Z',
      '2026-11-26T23:60:00Z',
      '2026-11-26T10:00:60Z',
      '2026-13-01T00:00:00Z',
      '2026-00-10T00:00:00Z',
      '2026-11-31T00:00:00Z',
      '2026-11-26T10:00:00.1Z',
      '2026-11-26T10:00:00.12Z',
      '2026-11-26T10:00:00.1234Z',
      '2026-11-26t10:00:00Z',
      '2026-11-26T10:00:00+01:00',
      '0000-01-01T00:00:00Z',
      '9999-12-31T23:59:59.999Z',
      '2026-11-26T1a:00:00Z',
      '2026-11-26T10:00:00.-12Z',
      '2026-1a-26T10:00:00Z',
      '2026-11-26 10:00:00.000Z',
      '1970-01-01T00:00:00.000Z',
    );
    for (const t of times) compare(`{"model":"credit","model_version":"v1","timestamp":"${t}","features":{"age":1}}`, decoder);
    expect(decoder.counts.fast).toBeGreaterThan(2_000);
  });

  it('takes model and version from the defaults as the slow path does', () => {
    const decoder = new EventDecoder(featuresFor);
    const result = compare('{"features":{"age":41.5,"income":null}}', decoder, { model: 'credit', modelVersion: 'v1' });
    expect(decoder.counts.fast).toBe(1);
    expect(result).toMatchObject({ ok: true, record: { model: 'credit', modelVersion: 'v1', eventTimeMs: meta.timestampMs } });
  });

  it.each([
    ['an unknown version', '{"model":"credit","model_version":"v9","features":{"age":1}}'],
    ['no reference feature', '{"model":"credit","model_version":"v1","features":{"height":1}}'],
    ['a string value', '{"model":"credit","model_version":"v1","features":{"age":"41"}}'],
    ['a duplicate feature', '{"model":"credit","model_version":"v1","features":{"age":1,"age":2}}'],
    ['an escaped key', '{"model":"credit","model_version":"v1","features":{"\\u0061ge":1}}'],
    ['a byte-order mark', '\ufeff{"model":"credit","model_version":"v1","features":{"age":1}}'],
  ])('sends %s to the slow path', (_, text) => {
    const decoder = new EventDecoder(featuresFor);
    compare(text, decoder);
    expect(decoder.counts).toEqual({ fast: 0, slow: 1 });
  });

  it('takes text values (a replayed line) on the fast path, with the record their bytes give', () => {
    const fromBytes = new EventDecoder(featuresFor);
    const fromText = new EventDecoder(featuresFor);
    for (let i = 0; i < 2_000; i++) {
      const text = eventText();
      const expected = compare(text, fromBytes);
      const result = fromText.decode(text, meta, defaults, arena);
      expectEqual(result.ok, expected.ok);
      if (!result.ok || !expected.ok) continue;
      const { values, ...rest } = result.record;
      const { values: expectedValues, ...expectedRest } = expected.record;
      expectEqual(rest, expectedRest, text);
      expectEqual(recorded(models, values), recorded(models, expectedValues), text);
    }
    expect(fromText.counts).toEqual(fromBytes.counts);
    expect(fromText.counts.fast).toBeGreaterThan(500);
  });

  it('sends text with a lone surrogate to the slow path (UTF-8 cannot carry it)', () => {
    const decoder = new EventDecoder(featuresFor);
    const text = '{"model":"credit","model_version":"v1","features":{"age":1,"note\ud800":2}}';
    expect(decoder.decode(text, meta, defaults, new RowArena())).toEqual(decodeEvent(text, meta, defaults));
    expect(decoder.counts).toEqual({ fast: 0, slow: 1 });
  });

  it('takes reference categories on the fast path; new categories, numbers and escaped strings go to the slow path', () => {
    const decoder = new EventDecoder(featuresFor);
    const event = (segment: string) => `{"model":"credit","model_version":"v1","features":{"age":3,"segment":${segment}}}`;
    for (const known of ['"retail"', '"café"', '"b2b 😀"', '""', 'null']) compare(event(known), decoder);
    expect(decoder.counts).toEqual({ fast: 5, slow: 0 });
    for (const other of ['"other"', '3', 'true', '"r\\u0065tail"', '"b2b \\ud83d\\ude00"']) compare(event(other), decoder);
    expect(decoder.counts).toEqual({ fast: 5, slow: 5 });
  });

  it('keeps every row of a batch intact across arena chunks', () => {
    const decoder = new EventDecoder(featuresFor);
    const arena = new RowArena();
    const rows = Array.from({ length: 5_000 }, (_, i) => {
      const result = decoder.decode(Buffer.from(`{"model":"credit","model_version":"v1","features":{"age":${i},"score":-${i}}}`), meta, {}, arena);
      return result.ok ? (result.record.values as NumericRow) : null;
    });
    rows.forEach((row, i) => {
      expectEqual([row!.data[row!.offset], row!.data[row!.offset + 1], row!.data[row!.offset + 2]], [i, Number.NaN, -i]);
    });
  });
});

describe('feature names that are Object.prototype members', () => {
  it('count an absent "constructor" as missing, not invalid', () => {
    const models = numericReference(['age', 'constructor']);
    const accumulator = new FeatureSetAccumulator(models);
    accumulator.recordObject(JSON.parse('{"age": 3}') as Record<string, unknown>);
    const ctor = accumulator.features[1];
    expect(ctor.type === 'numeric' && [ctor.missing, ctor.invalid]).toEqual([1, 0]);
  });
});

describe('a window handed a row decoded for other models', () => {
  it('records it by feature name (a reference loaded between decode and ingest)', () => {
    const windowModels = numericReference(['age', 'income', 'score']);
    const decodedFor = numericReference(['score', 'age']);
    const data = new Float64Array([7.5, 41]);
    const row = new NumericRow(decodedFor, data, 0);
    const window = new SlidingWindow(windowModels, 12, 300_000);
    window.startAt(3_600_000);
    window.record(3_500_000, row, 0, 1);
    const values = window.evaluate(3_600_000, (v) => v);
    const expected = new FeatureSetAccumulator(windowModels);
    expected.recordObject({ score: 7.5, age: 41 });
    expect(values.features).toEqual(expected.features);
  });
});
