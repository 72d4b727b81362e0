import type { HysteresisSnapshot } from '../../core/detect/hysteresis.js';
import type { DurableState } from '../engine.js';
import type { Logger } from '../ports.js';

/**
 * The commit-metadata codec: what rides with each committed offset (docs/windows-and-delivery.md).
 * `v` is the format's version; a record of another version, or not JSON, reads as absent.
 * Version 1 carried the hysteresis state (`s`) when it fitted; version 2 (written since the
 * state moved to the state changelog, delivery/changelog.ts) carries none, and `c: 1` says the
 * state of this commit is in the changelog. Both are read.
 */
export interface CommitMetadata {
  v: 1 | 2;
  /** End of the last evaluated window (epoch ms). */
  e: number;
  /** Next offset after the last one read when committing. */
  r: number;
  /** Hysteresis per model\0version (version 1 only). */
  s?: Record<string, HysteresisSnapshot>;
  /** Version 2: the state was written to the state changelog before this commit. */
  c?: 1;
}

/** Kafka brokers cap commit metadata (offset.metadata.max.bytes, 4096 by default). */
export const MAX_METADATA_BYTES = 4000;

/** Version 2: the state itself went to the state changelog; the metadata keeps the positions. */
export function encodeMetadataV2(state: DurableState, readOffset: number): string {
  return JSON.stringify({ v: 2, e: state.lastEndMs, r: readOffset, c: 1 } satisfies CommitMetadata);
}

/** Version 1, without a state changelog: the state rides along while it fits. */
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
    return meta && (meta.v === 1 || meta.v === 2) && Number.isFinite(meta.e) && Number.isFinite(meta.r) ? meta : null;
  } catch {
    return null;
  }
}
