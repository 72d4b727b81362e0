/**
 * The small records of scale-out besides the partial pane itself (docs/architecture.md,
 * "Scale-out"): the watermark report an instance sends to every partition of the internal
 * topic, and the commit metadata of both stages. Each has a format version; a record that does
 * not decode reads as absent (a watermark report) or as "no metadata" (a commit).
 */

/** The header that tells a partial pane from a watermark report on the internal topic. */
export const KIND_HEADER = 'dw_kind';
export type PartialsKind = 'pane' | 'watermark';

/** Source partition → watermark: every pane of that partition ending at or before it is published. */
export interface WatermarkReport {
  v: 1;
  /** [source partition, watermark ms] pairs. */
  w: [number, number][];
}

export function encodeWatermarkReport(watermarks: ReadonlyMap<number, number>): string {
  return JSON.stringify({ v: 1, w: [...watermarks].filter(([, ms]) => Number.isFinite(ms)) } satisfies WatermarkReport);
}

export function decodeWatermarkReport(text: string): [number, number][] | null {
  try {
    const r = JSON.parse(text) as WatermarkReport;
    if (r?.v !== 1 || !Array.isArray(r.w)) return null;
    return r.w.every((e) => Array.isArray(e) && e.length === 2 && Number.isSafeInteger(e[0]) && e[0] >= 0 && Number.isFinite(e[1])) ? r.w : null;
  } catch {
    return null;
  }
}

/**
 * Commit metadata of a source partition in the partial-aggregation stage: `w`, the watermark
 * up to which its panes were published and acknowledged (the next owner keeps those panes
 * closed), and `r`, the next offset after the last one read (records below it are not
 * reported again).
 */
export interface PartialCommitMetadata {
  v: 1;
  s: 'partial';
  w: number;
  r: number;
}

export function encodePartialMetadata(watermarkMs: number, readOffset: number): string {
  return JSON.stringify({ v: 1, s: 'partial', w: watermarkMs, r: readOffset } satisfies PartialCommitMetadata);
}

export function parsePartialMetadata(text: string | null): { watermarkMs: number; readOffset: number } | null {
  if (!text) return null;
  try {
    const m = JSON.parse(text) as PartialCommitMetadata;
    return m?.v === 1 && m.s === 'partial' && Number.isFinite(m.w) && Number.isSafeInteger(m.r) ? { watermarkMs: m.w, readOffset: m.r } : null;
  } catch {
    return null;
  }
}

/**
 * Commit metadata of an internal-topic partition in the merge stage: per (model, version) key
 * of that partition, the end of the last window evaluated (`e`). Kafka caps metadata at 4 kB
 * by default (offset.metadata.max.bytes): past it, the ends are dropped with a warning and the
 * windows after the committed offset are evaluated again (same event ids: idempotent sinks).
 */
export interface MergeCommitMetadata {
  v: 1;
  s: 'merge';
  e: Record<string, number>;
}

export const MAX_MERGE_METADATA_BYTES = 4000;

export function encodeMergeMetadata(ends: Readonly<Record<string, number>>): string | null {
  const text = JSON.stringify({ v: 1, s: 'merge', e: ends } satisfies MergeCommitMetadata);
  return text.length <= MAX_MERGE_METADATA_BYTES ? text : null;
}

export function parseMergeMetadata(text: string | null): Record<string, number> | null {
  if (!text) return null;
  try {
    const m = JSON.parse(text) as MergeCommitMetadata;
    if (m?.v !== 1 || m.s !== 'merge' || typeof m.e !== 'object' || m.e === null) return null;
    const out: Record<string, number> = {};
    for (const [k, e] of Object.entries(m.e)) if (Number.isFinite(e)) out[k] = e;
    return out;
  } catch {
    return null;
  }
}
