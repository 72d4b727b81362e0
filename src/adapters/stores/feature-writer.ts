import pg from 'pg';
import { createClient } from 'redis';
import { describeCause, StoreError } from './source.js';
import {
  influxFeatureLines,
  predictionLogsDdl,
  storeFeaturesInflux,
  storeFeaturesRedis,
  storeFeaturesRedisStream,
  storePredictionPostgres,
  type FeatureObject,
  type StoredOutputs,
} from './writers.js';

/** One prediction to store: what a model server has after answering a request (its outputs optional). */
export interface StoredPrediction extends StoredOutputs {
  requestId: string;
  at: Date;
  model: string;
  modelVersion: string;
  features: FeatureObject;
}

/** Writes predictions to the store FEATURE_STORE_TYPE names, through the step-2 helpers, in the schema `driftwatch job` reads. */
export interface FeatureWriter {
  readonly description: string;
  write(predictions: readonly StoredPrediction[]): Promise<void>;
  close(): Promise<void>;
}

export type FeatureWriterOptions =
  | { type: 'postgresql'; url: string; table: string }
  | { type: 'redis'; url: string; key: string; mode: 'list' | 'stream' }
  | { type: 'influxdb'; url: string; token?: string; database: string; measurement: string; layout: 'long' | 'wide'; featureNames: readonly string[] };

/**
 * Opens a writer (used by `driftwatch demo-producer --store`). PostgreSQL: the table is created
 * when missing with a `jsonb` vector (features keyed by name, categorical values included);
 * Redis: the guide's list or a stream with entry ids as times; InfluxDB: line protocol to
 * `/write?db=` (1.8, and 2.x's v1-compatible write with its DBRP mapping).
 */
export async function openFeatureWriter(options: FeatureWriterOptions): Promise<FeatureWriter> {
  switch (options.type) {
    case 'postgresql': {
      const client = new pg.Client({ connectionString: options.url, connectionTimeoutMillis: 10_000 });
      client.on('error', () => undefined);
      try {
        await client.connect();
        for (const statement of predictionLogsDdl(options.table, 'jsonb').split(';\n')) await client.query(statement);
      } catch (cause) {
        await client.end().catch(() => undefined);
        throw new StoreError('postgresql', 'FEATURE_STORE_URL', `cannot prepare ${options.table}: ${describeCause(cause)}`, { cause });
      }
      return {
        description: `postgresql table ${options.table}`,
        async write(predictions) {
          await client.query('BEGIN');
          try {
            for (const p of predictions) {
              await storePredictionPostgres(
                client,
                { requestId: p.requestId, features: p.features, createdAt: p.at, model: p.model, modelVersion: p.modelVersion, prediction: p.prediction, confidence: p.confidence },
                { table: options.table, vector: 'jsonb' },
              );
            }
            await client.query('COMMIT');
          } catch (cause) {
            await client.query('ROLLBACK').catch(() => undefined);
            throw new StoreError('postgresql', 'FEATURE_STORE_TABLE', `writing ${predictions.length} prediction(s) failed: ${describeCause(cause)}`, { cause });
          }
        },
        close: () => client.end(),
      };
    }
    case 'redis': {
      const client = createClient({ url: options.url, socket: { connectTimeout: 10_000, reconnectStrategy: false } });
      client.on('error', () => undefined);
      try {
        await client.connect();
      } catch (cause) {
        throw new StoreError('redis', 'FEATURE_STORE_URL', `cannot connect: ${describeCause(cause)}`, { cause });
      }
      return {
        description: `redis ${options.mode} ${options.key}`,
        async write(predictions) {
          try {
            // Each helper's commands are pipelined by node-redis; predictions are written in order.
            for (const p of predictions) {
              const common = { key: options.key, model: p.model, modelVersion: p.modelVersion, prediction: p.prediction, confidence: p.confidence };
              if (options.mode === 'stream') await storeFeaturesRedisStream(client, p.features, { ...common, at: p.at });
              else await storeFeaturesRedis(client, p.features, common);
            }
          } catch (cause) {
            throw new StoreError('redis', 'FEATURE_STORE_KEY', `writing ${predictions.length} prediction(s) to ${options.key} failed: ${describeCause(cause)}`, { cause });
          }
        },
        close: async () => {
          if (client.isOpen) await client.close();
        },
      };
    }
    case 'influxdb': {
      const target = { url: options.url, token: options.token, database: options.database };
      // InfluxDB keeps one point per series and time: predictions of the same millisecond are
      // spaced by 1 µs (the resolution the job reads), so none overwrites another.
      let lastNs = 0n;
      const timeOf = (at: Date) => {
        const ns = BigInt(at.getTime()) * 1_000_000n;
        lastNs = ns > lastNs ? ns : lastNs + 1000n;
        return lastNs;
      };
      return {
        description: `influxdb ${options.database} ${options.measurement} (${options.layout})`,
        async write(predictions) {
          const lines = predictions
            .map((p) =>
              influxFeatureLines(
                options.featureNames.map((n) => p.features[n] ?? null),
                options.featureNames,
                {
                  measurement: options.measurement,
                  layout: options.layout,
                  atNs: timeOf(p.at),
                  model: p.model,
                  modelVersion: p.modelVersion,
                  prediction: p.prediction,
                  confidence: p.confidence,
                },
              ),
            )
            .join('');
          try {
            await storeFeaturesInflux(target, lines);
          } catch (cause) {
            throw new StoreError('influxdb', 'FEATURE_STORE_URL', describeCause(cause), { cause });
          }
        },
        close: async () => undefined,
      };
    }
  }
}
