// Values that test/setup/global-setup.ts provides to the integration tests; read them with
// `inject('kafkaBrokers')` etc. from 'vitest'.
import 'vitest';

export type ServiceFlavor = 'local' | 'testcontainers' | 'external';

declare module 'vitest' {
  export interface ProvidedContext {
    /** Kafka bootstrap servers, comma-separated `host:port` list. */
    kafkaBrokers: string;
    /** InfluxDB base URL, e.g. `http://127.0.0.1:8086`. */
    influxUrl: string;
    /** Token for `Authorization: Token …` (`user:password` on InfluxDB 1.8). */
    influxToken: string;
    /** Organisation (ignored by InfluxDB 1.8, required by 2.x). */
    influxOrg: string;
    /** Bucket (`database/retention-policy` on InfluxDB 1.8). */
    influxBucket: string;
    /** InfluxDB 2.7 base URL, e.g. `http://127.0.0.1:8087`; '' when left out (outside CI only). */
    influx2Url: string;
    /** InfluxDB 2.7 operator token, for `Authorization: Token …` (generated per fresh start). */
    influx2Token: string;
    /** InfluxDB 2.7 organisation (`driftwatch`). */
    influx2Org: string;
    /** InfluxDB 2.7 bucket (`driftwatch`; InfluxQL sees it as database `driftwatch`). */
    influx2Bucket: string;
    /** `postgres://user:password@host:port/driftwatch` (PostgreSQL 15); '' when left out. */
    postgresUrl: string;
    /** `redis://:password@host:port` (Redis 7, AUTH required); '' when left out. */
    redisUrl: string;
    /** Path of a `prometheus` binary (v0.316.0); start it with test/services/prometheus.ts. '' when left out. */
    prometheusBinary: string;
    /** Path of the matching `promtool` binary. '' when left out. */
    promtoolBinary: string;
    /** Port a test's Prometheus should listen on (127.0.0.1; DRIFTWATCH_PROMETHEUS_PORT, default 9090). */
    prometheusPort: number;
    /** Path of an `mlflow` script (test/services/mlflow/requirements.txt); start a server with test/services/mlflow.ts. '' when left out. */
    mlflowBinary: string;
    /** Port a test's MLflow server should listen on (127.0.0.1; DRIFTWATCH_MLFLOW_PORT, default 5055). */
    mlflowPort: number;
    /** Where Kafka and InfluxDB come from (the other services may come from elsewhere, e.g. PG_URL). */
    serviceFlavor: ServiceFlavor;
  }
}
