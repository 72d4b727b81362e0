import type { Config } from '../config/load.js';
import { ConfigError } from '../../core/errors.js';
import type { DeadLetterSink, FeatureSource } from '../../adapters/stores/source.js';
import { PostgresDeadLetter, RedisDeadLetter } from '../../adapters/stores/dead-letter.js';
import { PostgresSource } from '../../adapters/stores/postgres.js';
import { RedisSource } from '../../adapters/stores/redis.js';
import { InfluxSource } from '../../adapters/stores/influx.js';
import { FileSource } from '../../adapters/stores/file.js';
import { cronTrigger, intervalTrigger, type Trigger } from './scheduler.js';

/** The feature source FEATURE_STORE_TYPE names, built (and its names validated) at start. */
export function createFeatureSource(config: Config): FeatureSource {
  const s = config.store;
  if (!s.type) throw new ConfigError('driftwatch job needs FEATURE_STORE_TYPE: postgresql, redis, influxdb or file');
  const url = () => {
    if (!s.url) throw new ConfigError(`FEATURE_STORE_TYPE=${s.type} needs FEATURE_STORE_URL`);
    return s.url;
  };
  switch (s.type) {
    case 'postgresql':
      return new PostgresSource({
        url: url(),
        table: s.table,
        vectorColumn: s.vectorColumn,
        timeColumn: s.timeColumn,
        modelColumn: s.modelColumn,
        versionColumn: s.versionColumn,
        predictionColumn: s.predictionColumn,
        confidenceColumn: s.confidenceColumn,
        probabilitiesColumn: s.probabilitiesColumn,
        query: s.query,
      });
    case 'redis':
      return new RedisSource({ url: url(), key: s.key, mode: s.redisMode });
    case 'influxdb':
      return new InfluxSource({ url: url(), token: s.token, database: s.database, measurement: s.measurement, layout: s.layout });
    case 'file':
      if (!s.paths?.length) throw new ConfigError('FEATURE_STORE_TYPE=file needs FEATURE_STORE_PATHS');
      return new FileSource({ paths: s.paths });
  }
}

/** The dead letter FEATURE_STORE_DEAD_LETTER names: a table of the PostgreSQL store, a stream key of the Redis one. */
export function createDeadLetter(config: Config): DeadLetterSink | undefined {
  const s = config.store;
  if (!s.deadLetter) return undefined;
  if (s.type === 'postgresql') return new PostgresDeadLetter(s.url!, s.deadLetter);
  if (s.type === 'redis') return new RedisDeadLetter(s.url!, s.deadLetter);
  throw new ConfigError(`FEATURE_STORE_DEAD_LETTER is a PostgreSQL table or a Redis key: it needs FEATURE_STORE_TYPE=postgresql or redis, not ${s.type}`);
}

/** DRIFT_CHECK_CRON when set, else every DRIFT_CHECK_INTERVAL (DRIFT_CHECK_INTERVAL_HOURS). */
export function jobTrigger(config: Config): Trigger {
  return config.job.cron ? cronTrigger(config.job.cron) : intervalTrigger(config.window.slideMs);
}
