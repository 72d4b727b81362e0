// driftwatch_merge_panes_total: the merge stage's counts (SCALE_MODE=partitioned), read at every
// scrape (docs/http.md).
import { describe, expect, it } from 'vitest';
import { serviceMetrics } from '../../../../src/adapters/http/metrics.js';

describe('driftwatch_merge_panes_total', () => {
  it('has no samples in single mode, then the merge stage counts by outcome at every scrape', async () => {
    const metrics = serviceMetrics();
    const text = () => metrics.registry.getSingleMetricAsString('driftwatch_merge_panes_total');
    expect(await text()).not.toMatch(/outcome=/);
    const counts = { panes: 10, replaced: 2, late: 1, undecodable: 3, windows: 4, reports: 7, mergeMs: 1.5, withoutMultivariate: 0 };
    metrics.setMergeSource(() => counts);
    const first = await text();
    expect(first).toContain('driftwatch_merge_panes_total{outcome="merged"} 7');
    expect(first).toContain('driftwatch_merge_panes_total{outcome="replaced"} 2');
    expect(first).toContain('driftwatch_merge_panes_total{outcome="late"} 1');
    expect(first).toContain('driftwatch_merge_panes_total{outcome="undecodable"} 3');
    counts.panes = 25;
    counts.late = 4;
    const second = await text();
    expect(second).toContain('driftwatch_merge_panes_total{outcome="merged"} 19');
    expect(second).toContain('driftwatch_merge_panes_total{outcome="late"} 4');
  });
});
