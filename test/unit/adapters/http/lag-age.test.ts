// driftwatch_consumer_lag_age_seconds (issue 16, item 5): the age of each partition's last
// known lag, read from the runtime at every scrape, so that an outage shows as a growing age
// beside a lag that keeps its last value (docs/http.md).
import { describe, expect, it } from 'vitest';
import { serviceMetrics } from '../../../../src/adapters/http/metrics.js';

describe('driftwatch_consumer_lag_age_seconds', () => {
  it('is absent until the service sets its source, then follows the source at every scrape', async () => {
    const metrics = serviceMetrics();
    expect(await metrics.registry.getSingleMetricAsString('driftwatch_consumer_lag_age_seconds')).not.toMatch(/partition=/);
    let ageMs = 1_500;
    const readings = () => [
      { topic: 'predictions', partition: 0, ageMs },
      { topic: 'predictions', partition: 1, ageMs: 250 },
    ];
    metrics.setLagSource(readings);
    expect(await metrics.registry.getSingleMetricAsString('driftwatch_consumer_lag_age_seconds')).toContain(
      'driftwatch_consumer_lag_age_seconds{topic="predictions",partition="0"} 1.5',
    );
    ageMs = 168_000; // an outage: nothing refreshed the lag for 168 s
    const text = await metrics.registry.getSingleMetricAsString('driftwatch_consumer_lag_age_seconds');
    expect(text).toContain('driftwatch_consumer_lag_age_seconds{topic="predictions",partition="0"} 168');
    expect(text).toContain('driftwatch_consumer_lag_age_seconds{topic="predictions",partition="1"} 0.25');
  });

  it('drops partitions the source no longer reports (revoked ones)', async () => {
    const metrics = serviceMetrics();
    let readings = [
      { topic: 't', partition: 0, ageMs: 1000 },
      { topic: 't', partition: 1, ageMs: 1000 },
    ];
    metrics.setLagSource(() => readings);
    expect(await metrics.registry.getSingleMetricAsString('driftwatch_consumer_lag_age_seconds')).toContain('partition="1"');
    readings = [{ topic: 't', partition: 0, ageMs: 2000 }];
    expect(await metrics.registry.getSingleMetricAsString('driftwatch_consumer_lag_age_seconds')).not.toContain('partition="1"');
  });
});
