import { Counter, Gauge, type Registry } from 'prom-client';

/** The alert counters, registered on the given registry (reused when already there). */
export interface AlertMetrics {
  sent: Counter<'channel'>;
  failed: Counter<'channel'>;
  retries: Counter<'channel'>;
  dropped: Counter<'channel'>;
  suppressed: Counter<'reason'>;
  queueDepth: Gauge<'channel'>;
  invalidEvents: Counter<string>;
}

function counter<L extends string>(registry: Registry, name: string, help: string, labelNames: L[]): Counter<L> {
  const existing = registry.getSingleMetric(name);
  if (existing) return existing as Counter<L>;
  return new Counter({ name, help, labelNames, registers: [registry] });
}

export function alertMetrics(registry: Registry): AlertMetrics {
  const existingGauge = registry.getSingleMetric('alerts_queue_depth') as Gauge<'channel'> | undefined;
  return {
    sent: counter(registry, 'alerts_sent_total', 'Alerts delivered, per channel', ['channel']),
    failed: counter(registry, 'alerts_failed_total', 'Alerts given up on after all attempts, per channel', ['channel']),
    retries: counter(registry, 'alerts_retries_total', 'Delivery attempts retried after a failure, per channel', ['channel']),
    dropped: counter(registry, 'alerts_dropped_total', 'Alerts dropped because the channel queue was full or the dispatcher shut down', ['channel']),
    suppressed: counter(registry, 'alerts_suppressed_total', 'Drift events that produced no alert: duplicate, active (episode already announced), cooldown, not_drifting', [
      'reason',
    ]),
    queueDepth: existingGauge ?? new Gauge({ name: 'alerts_queue_depth', help: 'Alerts waiting or in flight, per channel', labelNames: ['channel'], registers: [registry] }),
    invalidEvents: counter(registry, 'alerts_invalid_events_total', 'Messages on the drift events topic that are not valid drift events', []),
  };
}
