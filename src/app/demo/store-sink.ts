import type { Config } from '../config/load.js';
import { ConfigError } from '../../core/errors.js';
import { openFeatureWriter, type FeatureWriter, type FeatureWriterOptions } from '../../adapters/stores/feature-writer.js';
import type { DemoEvent, DemoSink } from './producer.js';

/** The demo's features, in the order of the credit-risk reference. */
const DEMO_FEATURES = ['age', 'income', 'credit_score', 'loan_amount', 'employment_type'] as const;

/**
 * `driftwatch demo-producer --store postgresql|redis|influxdb`: the demo's events written to
 * the feature store the job's settings name (FEATURE_STORE_URL, _TABLE, _KEY, _REDIS_MODE,
 * _DATABASE, _MEASUREMENT, _LAYOUT, _TOKEN), so `driftwatch job` with the same settings reads
 * them back (docs/feature-stores.md).
 */
export function storeDemoSink(config: Config, store: string): DemoSink {
  const s = config.store;
  if (!s.url) throw new ConfigError(`demo-producer --store ${store} needs FEATURE_STORE_URL`);
  let options: FeatureWriterOptions;
  switch (store) {
    case 'postgresql':
      options = { type: 'postgresql', url: s.url, table: s.table };
      break;
    case 'redis':
      options = { type: 'redis', url: s.url, key: s.key, mode: s.redisMode };
      break;
    case 'influxdb':
      if (s.layout === 'long') {
        throw new ConfigError(
          "demo-producer --store influxdb: the demo's employment_type is categorical, and the long form's field value holds floats only: set FEATURE_STORE_LAYOUT=wide (and the job reads the same)",
        );
      }
      options = { type: 'influxdb', url: s.url, token: s.token, database: s.database, measurement: s.measurement, layout: s.layout, featureNames: DEMO_FEATURES };
      break;
    default:
      throw new ConfigError(`Unknown feature store ${JSON.stringify(store)} for demo-producer --store. Available: postgresql, redis, influxdb`);
  }
  let writer: FeatureWriter | null = null;
  // The demo's request ids (`demo-<seed>-<n>`) repeat from run to run; a PostgreSQL table keys
  // on request_id, so a second run into the same table failed on its first row. Each run's
  // ids carry the run's start time.
  let run = '';
  return {
    description: `feature store ${store}`,
    async open() {
      run = Date.now().toString(36);
      writer = await openFeatureWriter(options);
    },
    async send(events: readonly DemoEvent[]) {
      await writer!.write(
        events.map((e) => ({
          requestId: `${e.request_id}-${run}`,
          at: new Date(e.timestamp),
          model: e.model,
          modelVersion: e.model_version,
          features: e.features,
          prediction: e.prediction,
          confidence: e.confidence,
        })),
      );
    },
    async close() {
      await writer?.close();
    },
  };
}
