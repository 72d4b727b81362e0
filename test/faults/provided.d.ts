// Values test/faults/setup.ts provides to the fault suite.
import 'vitest';

declare module 'vitest' {
  export interface ProvidedContext {
    /** The suite's own Kafka (never the shared one), `host:port`. */
    faultKafkaBrokers: string;
    /** The suite's own InfluxDB 1.8 base URL. */
    faultInfluxUrl: string;
    /** The environment test/services/ctl.sh runs with to stop and start those servers. */
    faultServicesEnv: Record<string, string>;
  }
}
