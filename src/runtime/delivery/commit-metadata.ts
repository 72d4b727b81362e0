import type { HysteresisSnapshot } from '../../core/detect/hysteresis.js';
import type { DurableState } from '../engine.js';
import type { Logger } from '../ports.js';

/**
 * The commit-metadata codec: what rides with each committed offset (docs/windows-and-delivery.md).
 * `v` is the format's version; a record of another version, or not JSON, reads as absent.
 */
export interface CommitMetadata {
  v: 1;
  /** End of the last evaluated window (epoch ms). */
  e: number;
  /** Next offset after the last one read when committing. */
  r: number;
  /** Hysteresis per model\0version. */
  s?: Record<string, HysteresisSnapshot>;
}

/** Kafka brokers cap commit metadata (offset.metadata.max.bytes, 4096 by default). */
export const MAX_METADATA_BYTES = 4000;

export function encodeMetadata(state: DurableState, readOffset: number, logger: Logger): string {
  const full: CommitMetadata = { v: 1, e: state.lastEndMs, r: readOffset, s: state.hysteresis };
  const text = JSON.stringify(full);
  if (text.length <= MAX_METADATA_BYTES) return text;
  logger.warn({ bytes: text.length }, 'hysteresis state too large for the commit metadata; a restart will start every model in the ok state');
  return JSON.stringify({ v: 1, e: state.lastEndMs, r: readOffset } satisfies CommitMetadata);
}

export function parseMetadata(text: string | null): CommitMetadata | null {
  if (!text) return null;
  try {
    const meta = JSON.parse(text) as CommitMetadata;
    return meta && meta.v === 1 && Number.isFinite(meta.e) && Number.isFinite(meta.r) ? meta : null;
  } catch {
    return null;
  }
}
