/**
 * Prediction events for the streaming benchmarks: a reference directory in the service's
 * layout ({dir}/{version}/reference_distribution.json) and JSON event bytes as a model would
 * publish them (docs/wire-formats.md), with event times spread evenly over a span.
 */
import { mkdtemp } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { ReferenceDistribution } from '../../src/core/reference/index.js';
import { featureNames, numericRows, toObject } from './data.js';
import { saveReference } from '../../src/adapters/files/reference-file.js';
import { DriftDetector } from '../../src/core/detect/detector.js';
import { Engine, type EngineOptions } from '../../src/runtime/engine.js';

export const MODEL = 'bench-model';
export const VERSION = 'v1';
/** The streaming benchmarks' window: the service's defaults, 1 h sliding by 5 min. */
export const WINDOW_MS = 3_600_000;
export const SLIDE_MS = 300_000;

/**
 * The benchmarks' engine: WINDOW_MS sliding by SLIDE_MS, 30 s of allowed lateness, 60 s idle
 * timeout, raised after one drifted window and cleared after two, the default detector; the
 * options given replace these.
 */
export function benchEngine(options: Pick<EngineOptions, 'referenceFor'> & Partial<EngineOptions>): Engine {
  return new Engine({
    windowMs: WINDOW_MS,
    slideMs: SLIDE_MS,
    allowedLatenessMs: 30_000,
    idleTimeoutMs: 60_000,
    hysteresis: { raiseAfter: 1, clearAfter: 2 },
    detector: new DriftDetector(),
    ...options,
  });
}

/** A reference of `features` numeric features from `rows` seeded rows, saved for a ReferenceStore. */
export async function referenceDir(features: number, rows = 20_000): Promise<{ dir: string; reference: ReferenceDistribution }> {
  const dir = await mkdtemp(join(tmpdir(), 'driftwatch-bench-'));
  const reference = ReferenceDistribution.fromRows(numericRows(rows, features, 1), { featureNames: featureNames(features), modelVersion: VERSION });
  await saveReference(reference, join(dir, VERSION, 'reference_distribution.json'));
  return { dir, reference };
}

export interface EncodedEvents {
  values: Buffer[];
  timestampsMs: Float64Array;
  bytes: number;
}

/**
 * `count` events with `features` numeric features (every tenth shifted by 1 sd in the second
 * half), event times from `startMs` spaced `stepMs` apart, encoded once up front.
 */
export function encodeEvents(count: number, features: number, startMs: number, stepMs: number, seed = 7): EncodedEvents {
  const names = featureNames(features);
  const values: Buffer[] = new Array(count);
  const timestampsMs = new Float64Array(count);
  let bytes = 0;
  const chunk = 10_000;
  for (let from = 0; from < count; from += chunk) {
    const n = Math.min(chunk, count - from);
    const rows = numericRows(n, features, seed + from, from >= count / 2 ? 1 : 0);
    for (let k = 0; k < n; k++) {
      const i = from + k;
      const timestampMs = startMs + Math.floor(i * stepMs);
      timestampsMs[i] = timestampMs;
      const event = { model: MODEL, model_version: VERSION, timestamp: new Date(timestampMs).toISOString(), features: toObject(rows[k], names), prediction: 0.5 };
      values[i] = Buffer.from(JSON.stringify(event));
      bytes += values[i].length;
    }
  }
  return { values, timestampsMs, bytes };
}
