import { InputError } from '../errors.js';
import { type CategoricalAccumulator, NumericAccumulator } from '../stats/feature.js';
import { FeatureSetAccumulator } from '../stats/feature-set.js';
import { ExactSum, type ExactSumParts } from '../stats/histogram.js';
import type { FeatureModel } from '../stats/feature.js';
import { attachedMultivariate, type MultivariateInput } from '../multivariate/state.js';

/**
 * A partial pane: what one instance saw of one (model, version) pane from one source partition,
 * the unit that scale-out (docs/architecture.md, "Scale-out") sends through the internal topic to
 * the instance that merges and evaluates the (model, version). Everything in it merges by
 * addition: counts, missing and invalid counts, and the exact Wasserstein tail sums, so the
 * merged window is the same, bit for bit, whatever the order the partial panes arrive in; and
 * the multivariate Σφ, a floating-point sum that PaneMerger adds in a fixed order.
 *
 * Wire format, version 2, little-endian, no padding:
 *
 *   magic "DWPP" · u8 version (2)
 *   header: u32 byte length · UTF-8 JSON { model, version, partition, paneStartMs, paneEndMs,
 *           firstOffset, lastOffset, watermarkMs, features }   (features = the count, a check)
 *   f64 rows
 *   per feature, in the reference's order:
 *     u8 type (0 numeric, 1 categorical)
 *     numeric:      u32 bins · f64 × bins counts · f64 missing · f64 invalid · sum below · sum above
 *     categorical:  u32 categories · (u32 UTF-8 length · bytes · f64 count) × categories
 *                   · f64 missing · f64 invalid
 *   sum: u32 partials · f64 × partials · f64 +∞ count · f64 −∞ count · f64 NaN count
 *   multivariate (version 2): u8 (0 none, 1 rff-mmd)
 *     rff-mmd: u32 dims · u32 random features D · u32 map checksum · f64 count · f64 × D Σφ
 *
 * The multivariate part is the pane's MmdState (docs/multivariate.md, "Scale-out"), present
 * exactly when the reference has a multivariate block. The checksum (FNV-1a over the map's ω,
 * b, standardisation and input indices) tells a state made with another map (another reference
 * under the same model version) from one this reference can merge. Version 1 is the same
 * without the multivariate part; a pane without multivariate state is written as version 1, so
 * that instances not yet upgraded still read it. A version-1 pane decodes as a pane without
 * multivariate state (`values.mmd` null): for a reference with a multivariate block (a publisher
 * not yet upgraded) PaneMerger counts it in the window it falls in, and the window is scored
 * without its multivariate score (merge-stage.ts logs it).
 *
 * Counts are float64 (exact below 2^53), as in the accumulators. Decoding checks the magic, the
 * version, every length against the buffer and every feature against the reference's models,
 * and throws an InputError naming what is wrong and where (byte offset, feature).
 */
export interface PartialPaneHeader {
  model: string;
  version: string;
  /** The source partition the events came from. */
  partition: number;
  /** Pane bounds, [start, end) in event time. */
  paneStartMs: number;
  paneEndMs: number;
  /** The offset range of the source partition the pane covers (inclusive). */
  firstOffset: number;
  lastOffset: number;
  /** The source partition's watermark when the pane was published. */
  watermarkMs: number;
}

export interface PartialPane extends PartialPaneHeader {
  values: FeatureSetAccumulator;
}

export const PARTIAL_PANE_VERSION = 2;
/** The previous version (no multivariate part), still read. */
const PARTIAL_PANE_V1 = 1;
const MAGIC = [0x44, 0x57, 0x50, 0x50]; // "DWPP"
const NUMERIC = 0;
const CATEGORICAL = 1;
const NO_MULTIVARIATE = 0;
const RFF_MMD = 1;

export function encodePartialPane(pane: PartialPane): Uint8Array {
  const w = new Writer();
  for (const b of MAGIC) w.u8(b);
  const { values, ...header } = pane;
  // The oldest version that holds the pane: without multivariate state, version 1, which
  // instances not yet upgraded read too (a rolling upgrade loses nothing).
  const mmd = values.mmd;
  w.u8(mmd === null ? PARTIAL_PANE_V1 : PARTIAL_PANE_VERSION);
  w.text(JSON.stringify({ ...header, features: values.features.length }));
  w.f64(values.rows);
  for (const feature of values.features) {
    if (feature instanceof NumericAccumulator) {
      w.u8(NUMERIC);
      const counts = feature.histogram.counts;
      w.u32(counts.length);
      for (let i = 0; i < counts.length; i++) w.f64(counts[i]);
      w.f64(feature.missing);
      w.f64(feature.invalid);
      writeSum(w, feature.below.toParts());
      writeSum(w, feature.above.toParts());
    } else {
      w.u8(CATEGORICAL);
      w.u32(feature.counts.size);
      for (const [category, count] of feature.counts) {
        w.text(category);
        w.f64(count);
      }
      w.f64(feature.missing);
      w.f64(feature.invalid);
    }
  }
  if (mmd !== null) {
    const input = attachedMultivariate(values.models);
    if (input === null || input.spec.features !== mmd.sum.length) throw new RangeError('partial pane: the values carry a multivariate state not built on the reference signals');
    w.u8(RFF_MMD);
    w.u32(input.spec.dims);
    w.u32(input.spec.features);
    w.u32(mapChecksum(input));
    w.f64(mmd.count);
    for (let i = 0; i < mmd.sum.length; i++) w.f64(mmd.sum[i]);
  }
  return w.finish();
}

/** Decodes a partial pane for the reference whose feature models are `models`. */
export function decodePartialPane(bytes: Uint8Array, models: readonly FeatureModel[]): PartialPane {
  const r = new Reader(bytes);
  for (let i = 0; i < MAGIC.length; i++) if (r.u8('magic') !== MAGIC[i]) throw r.error('not a partial pane (bad magic)');
  const version = r.u8('version');
  if (version !== PARTIAL_PANE_VERSION && version !== PARTIAL_PANE_V1) {
    throw r.error(`partial pane version ${version} is not supported (this build reads ${PARTIAL_PANE_V1} and ${PARTIAL_PANE_VERSION})`);
  }
  const header = parseHeader(r);
  if (header.features !== models.length) throw r.error(`the pane has ${header.features} features, the reference ${models.length}`);
  const input = attachedMultivariate(models);
  // Version 1 carries no multivariate state: its values have none, whatever the reference.
  const values = new FeatureSetAccumulator(models, version === PARTIAL_PANE_V1 ? null : input);
  values.rows = r.count('rows');
  values.features.forEach((feature, index) => {
    const name = models[index]!.name;
    const type = r.u8(`type of feature "${name}"`);
    if (feature instanceof NumericAccumulator) {
      if (type !== NUMERIC) throw r.error(`feature "${name}" is numeric in the reference but not in the pane`);
      const bins = r.u32(`bins of "${name}"`);
      const counts = feature.histogram.counts;
      if (bins !== counts.length) throw r.error(`feature "${name}" has ${bins} bins in the pane, ${counts.length} in the reference`);
      let total = 0;
      for (let i = 0; i < bins; i++) total += counts[i] = r.count(`bin ${i} of "${name}"`);
      feature.histogram.total = total;
      feature.missing = r.count(`missing of "${name}"`);
      feature.invalid = r.count(`invalid of "${name}"`);
      feature.below.merge(readSum(r, `lower tail of "${name}"`));
      feature.above.merge(readSum(r, `upper tail of "${name}"`));
    } else {
      if (type !== CATEGORICAL) throw r.error(`feature "${name}" is categorical in the reference but not in the pane`);
      readCategories(r, feature, name);
    }
  });
  if (version !== PARTIAL_PANE_V1) readMultivariate(r, values, input);
  if (!r.atEnd) throw r.error(`${bytes.length - r.offset} bytes after the last feature`);
  return {
    model: header.model,
    version: header.version,
    partition: header.partition,
    paneStartMs: header.paneStartMs,
    paneEndMs: header.paneEndMs,
    firstOffset: header.firstOffset,
    lastOffset: header.lastOffset,
    watermarkMs: header.watermarkMs,
    values,
  };
}

/** The multivariate part into `values` (built with `input`, the reference's map, or none). */
function readMultivariate(r: Reader, values: FeatureSetAccumulator, input: MultivariateInput | null): void {
  const kind = r.u8('multivariate kind');
  if (kind === NO_MULTIVARIATE) {
    if (input !== null) throw r.error('the pane carries no multivariate state, the reference has a multivariate block (a pane built on another reference?)');
    return;
  }
  if (kind !== RFF_MMD) throw r.error(`multivariate kind ${kind} is not known (0 none, 1 rff-mmd)`);
  if (input === null) throw r.error('the pane carries a multivariate state, the reference has no multivariate block (a pane built on another reference?)');
  const dims = r.u32('multivariate dims');
  const features = r.u32('multivariate random features');
  const { spec } = input;
  if (dims !== spec.dims || features !== spec.features) {
    throw r.error(`the pane's multivariate map has ${dims} inputs and ${features} random features, the reference's ${spec.dims} and ${spec.features}`);
  }
  const checksum = r.u32('multivariate map checksum');
  if (checksum !== mapChecksum(input))
    throw r.error(`the pane's multivariate map (checksum ${checksum}) is not the reference's (${mapChecksum(input)}): another seed, bandwidth or standardisation`);
  const state = values.mmd!;
  const count = r.count('multivariate count');
  if (count !== values.rows) throw r.error(`the multivariate state covers ${count} rows, the pane ${values.rows}`);
  state.count = count;
  for (let i = 0; i < features; i++) {
    const x = r.f64(`multivariate sum ${i}`);
    if (!Number.isFinite(x)) throw r.error(`multivariate sum ${i} is not finite`);
    state.sum[i] = x;
  }
}

const checksums = new WeakMap<MultivariateInput, number>();

/** FNV-1a (32 bits) over the bytes of the map's ω, b, mean, scale and input indices: the same map gives the same number on every instance. */
function mapChecksum(input: MultivariateInput): number {
  const known = checksums.get(input);
  if (known !== undefined) return known;
  let h = 0x811c9dc5;
  for (const a of [input.spec.omega, input.spec.phase, input.standardisation.mean, input.standardisation.scale, input.indices]) {
    const bytes = new Uint8Array(a.buffer, a.byteOffset, a.byteLength);
    for (let i = 0; i < bytes.length; i++) h = Math.imul(h ^ bytes[i], 0x01000193);
  }
  const sum = h >>> 0;
  checksums.set(input, sum);
  return sum;
}

function readCategories(r: Reader, feature: CategoricalAccumulator, name: string): void {
  const n = r.u32(`categories of "${name}"`);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const category = r.text(`category ${i} of "${name}"`);
    const count = r.count(`count of category ${i} of "${name}"`);
    if (feature.counts.has(category)) throw r.error(`category ${JSON.stringify(category)} of "${name}" appears twice`);
    if (count > 0) feature.counts.set(category, count);
    total += count;
  }
  feature.total = total;
  feature.missing = r.count(`missing of "${name}"`);
  feature.invalid = r.count(`invalid of "${name}"`);
}

function parseHeader(r: Reader): PartialPaneHeader & { features: number } {
  const text = r.text('header');
  let raw: unknown;
  try {
    raw = JSON.parse(text);
  } catch {
    throw r.error('the header is not JSON');
  }
  const h = raw as Record<string, unknown>;
  const str = (k: string) => {
    if (typeof h[k] !== 'string' || h[k] === '') throw r.error(`header field "${k}" must be a non-empty string`);
    return h[k] as string;
  };
  const int = (k: string) => {
    if (!Number.isSafeInteger(h[k])) throw r.error(`header field "${k}" must be an integer`);
    return h[k] as number;
  };
  const header = {
    model: str('model'),
    version: str('version'),
    partition: int('partition'),
    paneStartMs: int('paneStartMs'),
    paneEndMs: int('paneEndMs'),
    firstOffset: int('firstOffset'),
    lastOffset: int('lastOffset'),
    watermarkMs: int('watermarkMs'),
    features: int('features'),
  };
  if (header.paneEndMs <= header.paneStartMs) throw r.error(`pane end ${header.paneEndMs} is not after its start ${header.paneStartMs}`);
  if (header.lastOffset < header.firstOffset) throw r.error(`offset range ${header.firstOffset}..${header.lastOffset} is empty`);
  return header;
}

function writeSum(w: Writer, parts: ExactSumParts): void {
  w.u32(parts.partials.length);
  for (const x of parts.partials) w.f64(x);
  w.f64(parts.positiveInfinite);
  w.f64(parts.negativeInfinite);
  w.f64(parts.nan);
}

function readSum(r: Reader, what: string): ExactSum {
  const n = r.u32(`${what}: partials`);
  const partials: number[] = [];
  for (let i = 0; i < n; i++) {
    const x = r.f64(`${what}: partial ${i}`);
    if (!Number.isFinite(x)) throw r.error(`${what}: partial ${i} is not finite`);
    partials.push(x);
  }
  return ExactSum.fromParts({ partials, positiveInfinite: r.count(`${what}: +∞`), negativeInfinite: r.count(`${what}: −∞`), nan: r.count(`${what}: NaN`) });
}

class Writer {
  private buffer = new ArrayBuffer(1024);
  private view = new DataView(this.buffer);
  private bytes = new Uint8Array(this.buffer);
  private length = 0;

  private reserve(n: number): void {
    if (this.length + n <= this.buffer.byteLength) return;
    const next = new ArrayBuffer(Math.max(this.buffer.byteLength * 2, this.length + n));
    new Uint8Array(next).set(this.bytes.subarray(0, this.length));
    this.buffer = next;
    this.view = new DataView(next);
    this.bytes = new Uint8Array(next);
  }

  u8(x: number): void {
    this.reserve(1);
    this.view.setUint8(this.length, x);
    this.length += 1;
  }

  u32(x: number): void {
    this.reserve(4);
    this.view.setUint32(this.length, x, true);
    this.length += 4;
  }

  f64(x: number): void {
    this.reserve(8);
    this.view.setFloat64(this.length, x, true);
    this.length += 8;
  }

  text(s: string): void {
    const encoded = new TextEncoder().encode(s);
    this.u32(encoded.length);
    this.reserve(encoded.length);
    this.bytes.set(encoded, this.length);
    this.length += encoded.length;
  }

  finish(): Uint8Array {
    return this.bytes.slice(0, this.length);
  }
}

class Reader {
  private readonly view: DataView;
  offset = 0;

  constructor(private readonly bytes: Uint8Array) {
    this.view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  }

  get atEnd(): boolean {
    return this.offset === this.bytes.length;
  }

  error(message: string): InputError {
    return new InputError(`partial pane: ${message} (at byte ${this.offset})`, { context: { field: 'partial_pane', offset: this.offset } });
  }

  private need(n: number, what: string): void {
    if (this.offset + n > this.bytes.length) throw this.error(`truncated: ${what} needs ${n} bytes, ${this.bytes.length - this.offset} left`);
  }

  u8(what: string): number {
    this.need(1, what);
    return this.view.getUint8(this.offset++);
  }

  u32(what: string): number {
    this.need(4, what);
    const x = this.view.getUint32(this.offset, true);
    this.offset += 4;
    return x;
  }

  f64(what: string): number {
    this.need(8, what);
    const x = this.view.getFloat64(this.offset, true);
    this.offset += 8;
    return x;
  }

  /** A count: a non-negative integer below 2^53. */
  count(what: string): number {
    const x = this.f64(what);
    if (!Number.isSafeInteger(x) || x < 0) throw this.error(`${what} is not a count (${x})`);
    return x;
  }

  text(what: string): string {
    const n = this.u32(`${what}: length`);
    this.need(n, what);
    let s: string;
    try {
      s = new TextDecoder('utf-8', { fatal: true }).decode(this.bytes.subarray(this.offset, this.offset + n));
    } catch {
      throw this.error(`${what} is not valid UTF-8`);
    }
    this.offset += n;
    return s;
  }
}
