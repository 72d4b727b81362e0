import type { Alert, AlertKind } from '../alert.js';

/**
 * Every alert output behind one interface. `send` resolves when the receiver accepted the
 * alert and rejects with an AlertDeliveryError (whose `retriable` drives the dispatcher's
 * retries); it must give up when `signal` aborts (attempt timeout or shutdown).
 */
export interface AlertChannel {
  readonly name: string;
  /** Where it delivers, redacted, for logs. */
  readonly target: string;
  /** The alert kinds this channel takes. */
  readonly kinds: readonly AlertKind[];
  send(alert: Alert, signal: AbortSignal): Promise<void>;
  /** Releases connections (SMTP transport). */
  close?(): Promise<void>;
}
