// Regression (issue 9): invalid-event counts were kept per model but reported as if per
// version, all given to the first version evaluated. They are kept per (model, version) now;
// a failure whose version cannot be read counts in the metrics only.
import { describe, expect, it } from 'vitest';
import { DriftDetector } from '../../../src/core/detect/detector.js';
import { ReferenceDistribution } from '../../../src/core/reference/index.js';
import { Engine } from '../../../src/runtime/engine.js';
import { creditRow, rng } from '../../fixtures/random.js';

const MIN = 60_000;
const T0 = Date.parse('2026-11-26T00:00:00Z');

describe('invalid events are counted against their own model version', () => {
  it('two versions of one model: each check reports its own invalid events', () => {
    const r = rng(5);
    const ref = ReferenceDistribution.fromRows(
      Array.from({ length: 500 }, () => creditRow(r)),
      { modelVersion: 'v1' },
    );
    const engine = new Engine({
      windowMs: 5 * MIN,
      slideMs: 5 * MIN,
      allowedLatenessMs: 0,
      idleTimeoutMs: 60_000,
      hysteresis: { raiseAfter: 1, clearAfter: 1 },
      detector: new DriftDetector({ minSamples: 10 }),
      referenceFor: () => ref,
    });
    let offset = 0;
    for (let i = 0; i < 200; i++) {
      for (const version of ['v1', 'v2']) {
        const outcome = engine.ingest({ model: 'm', modelVersion: version, eventTimeMs: T0 + i * 1000, values: creditRow(r), partition: 0, offset: offset++ }, T0);
        expect(outcome.status).toBe('recorded');
      }
    }
    engine.countInvalid('m', 'v2');
    engine.countInvalid('m', 'v2');
    engine.countInvalid('m', 'v1');
    engine.countInvalid('m', undefined); // version unreadable: metrics only
    engine.countInvalid('other', 'v1'); // no window for this pair: untrusted name, not counted
    engine.ingest({ model: 'm', modelVersion: 'v1', eventTimeMs: T0 + 6 * MIN, values: creditRow(r), partition: 0, offset: offset++ }, T0);
    engine.ingest({ model: 'm', modelVersion: 'v1', eventTimeMs: T0 + 6 * MIN + 1000, values: creditRow(r), partition: 0, offset }, T0);
    const evaluation = engine.evaluateDue(T0 + 7 * MIN);
    expect(evaluation).not.toBeNull();
    const invalid = Object.fromEntries(evaluation!.checks.map((c) => [c.modelVersion, c.invalidEvents]));
    expect(invalid).toEqual({ v1: 1, v2: 2 });
  });
});
