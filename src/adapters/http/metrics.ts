import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { RuntimeMetrics } from '../../runtime/ports.js';

/**
 * Label values taken from event fields (model names) are untrusted: past `limit` distinct
 * values, new ones are reported as "other" so that a stream of garbage cannot grow /metrics
 * without bound.
 */
export function labelLimiter(limit = 200): (value: string) => string {
  const seen = new Set<string>();
  return (value) => {
    if (seen.has(value)) return value;
    if (seen.size >= limit) return 'other';
    seen.add(value);
    return value;
  };
}

/**
 * prom-client's default metrics that `promtool check metrics` rejects: gauges named `_total`
 * (each the sum over the `type` label of the metric without the suffix, e.g.
 * `sum(driftwatch_nodejs_active_handles)`), so they are not served.
 */
const DROPPED_DEFAULT_METRICS = ['nodejs_active_handles_total', 'nodejs_active_requests_total', 'nodejs_active_resources_total'];

/** A partition's last known consumer lag and how long ago it was learnt. */
export interface LagReading {
  topic: string;
  partition: number;
  ageMs: number;
}

/**
 * What the merge stage has read (MergeStage.counts): `panes` offered, of which `replaced` (a
 * newer copy of a pane it held) and `late` (the pane's window was evaluated already), and
 * `undecodable` records it ignored (logged one by one).
 */
export interface MergeCounts {
  panes: number;
  replaced: number;
  late: number;
  undecodable: number;
}

/** The service's Prometheus metrics, on a registry of its own (served at /metrics). */
export function serviceMetrics(registry = new Registry()) {
  // prom-client's names already start with process_ or nodejs_: driftwatch_process_cpu_seconds_total,
  // driftwatch_nodejs_eventloop_lag_seconds, …
  collectDefaultMetrics({ register: registry, prefix: 'driftwatch_' });
  for (const name of DROPPED_DEFAULT_METRICS) registry.removeSingleMetric(`driftwatch_${name}`);
  // Where the lag age comes from, read at every scrape (the runtime keeps each partition's last
  // known lag and when it was learnt; docs/http.md). Nothing until the service sets it.
  let lagSource: () => readonly LagReading[] = () => [];
  // The merge stage's counts (SCALE_MODE=partitioned), read at every scrape; none in single mode.
  let mergeSource: () => MergeCounts | null = () => null;
  return {
    registry,
    /** Bounds label values that come from events (model names). */
    modelLabel: labelLimiter(),
    eventsConsumed: new Counter({ name: 'driftwatch_events_consumed_total', help: 'Prediction events read', labelNames: ['model'], registers: [registry] }),
    eventsInvalid: new Counter({
      name: 'driftwatch_events_invalid_total',
      help: 'Events sent to the dead-letter topic, by reason',
      labelNames: ['model', 'reason'],
      registers: [registry],
    }),
    eventsLate: new Counter({ name: 'driftwatch_events_late_total', help: 'Events older than every open window', labelNames: ['model'], registers: [registry] }),
    consumerLag: new Gauge({
      name: 'driftwatch_consumer_lag',
      help: 'High watermark minus the next offset read, per partition',
      labelNames: ['topic', 'partition'],
      registers: [registry],
    }),
    consumerLagAge: new Gauge({
      name: 'driftwatch_consumer_lag_age_seconds',
      help: 'Age of the last known consumer lag per partition (grows while the broker cannot be read)',
      labelNames: ['topic', 'partition'],
      registers: [registry],
      collect() {
        this.reset();
        for (const r of lagSource()) this.set({ topic: r.topic, partition: String(r.partition) }, r.ageMs / 1000);
      },
    }),
    /** Sets where driftwatch_consumer_lag_age_seconds reads the last known lag of each partition. */
    setLagSource(source: () => readonly LagReading[]): void {
      lagSource = source;
    },
    mergePanes: new Counter({
      name: 'driftwatch_merge_panes_total',
      help: 'Partial panes read by the merge stage (SCALE_MODE=partitioned), by outcome',
      labelNames: ['outcome'],
      registers: [registry],
      collect() {
        const counts = mergeSource();
        if (counts === null) return;
        this.reset();
        this.inc({ outcome: 'merged' }, counts.panes - counts.replaced - counts.late);
        this.inc({ outcome: 'replaced' }, counts.replaced);
        this.inc({ outcome: 'late' }, counts.late);
        this.inc({ outcome: 'undecodable' }, counts.undecodable);
      },
    }),
    /** Sets where driftwatch_merge_panes_total reads the merge stage's counts. */
    setMergeSource(source: () => MergeCounts): void {
      mergeSource = source;
    },
    evaluationDuration: new Histogram({
      name: 'driftwatch_evaluation_duration_seconds',
      help: 'Time to score one window of one model',
      labelNames: ['model'],
      buckets: [0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1],
      registers: [registry],
    }),
    windowCloseToExport: new Histogram({
      name: 'driftwatch_window_export_latency_seconds',
      help: 'From the watermark passing a window end to its results exported',
      buckets: [0.01, 0.05, 0.1, 0.25, 0.5, 1, 2, 5, 10, 30],
      registers: [registry],
    }),
    windowsEvaluated: new Counter({ name: 'driftwatch_windows_evaluated_total', help: 'Windows scored', labelNames: ['model'], registers: [registry] }),
    featureDriftScore: new Gauge({ name: 'feature_drift_score', help: 'Latest drift score per feature', labelNames: ['model', 'model_version', 'feature'], registers: [registry] }),
    driftDetected: new Gauge({ name: 'drift_detected', help: '1 while a model version is in the drifting state', labelNames: ['model', 'model_version'], registers: [registry] }),
    sinkWriteFailures: new Counter({ name: 'driftwatch_sink_write_failures_total', help: 'Failed exports, by sink', labelNames: ['sink'], registers: [registry] }),
    deadLetterFailures: new Counter({ name: 'driftwatch_dead_letter_failures_total', help: 'Failed dead-letter writes (retried)', registers: [registry] }),
    watermark: new Gauge({ name: 'driftwatch_watermark_seconds', help: 'Event-time watermark, epoch seconds', registers: [registry] }),
    stateBytes: new Gauge({ name: 'driftwatch_window_state_bytes', help: 'Approximate bytes held by window panes', registers: [registry] }),
  };
}

export type ServiceMetrics = ReturnType<typeof serviceMetrics>;

/** The runtime's metrics port (runtime/ports.ts) on these Prometheus metrics. */
export function runtimeMetrics(metrics: ServiceMetrics): RuntimeMetrics {
  const model = metrics.modelLabel;
  return {
    eventsConsumed: (m, count) => metrics.eventsConsumed.inc({ model: model(m) }, count),
    eventInvalid: (m, reason) => metrics.eventsInvalid.inc({ model: model(m ?? ''), reason }),
    eventLate: (m) => metrics.eventsLate.inc({ model: model(m) }),
    deadLetterWriteFailed: () => metrics.deadLetterFailures.inc(),
    windowEvaluated: (mc) => {
      metrics.evaluationDuration.observe({ model: mc.model }, mc.durationMs / 1000);
      metrics.windowsEvaluated.inc({ model: mc.model });
    },
    windowExported: (ms) => metrics.windowCloseToExport.observe(ms / 1000),
    sinkWriteFailed: (sink) => metrics.sinkWriteFailures.inc({ sink }),
    checkRecorded: (mc) => {
      metrics.driftDetected.set({ model: mc.model, model_version: mc.modelVersion }, mc.state === 'drifting' ? 1 : 0);
      for (const [feature, f] of Object.entries(mc.check.features)) {
        if (f.score !== null) metrics.featureDriftScore.set({ model: mc.model, model_version: mc.modelVersion, feature }, f.score);
      }
    },
    watermark: (ms) => metrics.watermark.set(ms / 1000),
    stateBytes: (bytes) => metrics.stateBytes.set(bytes),
    consumerLag: (topic, partition, lag) => metrics.consumerLag.set({ topic, partition: String(partition) }, lag),
    resetConsumerLag: () => metrics.consumerLag.reset(),
  };
}
