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
    /** Where the services come from. */
    serviceFlavor: ServiceFlavor;
  }
}
