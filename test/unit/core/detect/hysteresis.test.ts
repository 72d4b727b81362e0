import { describe, expect, it } from 'vitest';
import { Hysteresis } from '../../../../src/core/detect/hysteresis.js';

describe('hysteresis', () => {
  it('raises after K drifted windows and resolves after M clean ones (defaults 1 and 2)', () => {
    const h = new Hysteresis({ raiseAfter: 1, clearAfter: 2 });
    expect(h.update(false)).toBeNull();
    expect(h.update(true)).toBe('drift_detected');
    expect(h.update(true)).toBeNull();
    expect(h.update(false)).toBeNull();
    expect(h.update(true)).toBeNull(); // one clean window is not enough
    expect(h.update(false)).toBeNull();
    expect(h.update(false)).toBe('drift_resolved');
  });

  it('windows without a decision leave the runs as they are', () => {
    const h = new Hysteresis({ raiseAfter: 2, clearAfter: 1 });
    expect(h.update(true)).toBeNull();
    expect(h.update(null)).toBeNull();
    expect(h.update(true)).toBe('drift_detected');
  });

  it('snapshot and restore carry the state across a restart', () => {
    const h = new Hysteresis({ raiseAfter: 1, clearAfter: 3 });
    h.update(true);
    h.update(false);
    const g = new Hysteresis({ raiseAfter: 1, clearAfter: 3 });
    g.restore(h.snapshot());
    expect(g.state).toBe('drifting');
    expect(g.update(false)).toBeNull();
    expect(g.update(false)).toBe('drift_resolved');
  });
});
