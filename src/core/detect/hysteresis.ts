/**
 * Drift state of one (model, version) with hysteresis: `drift_detected` after `raiseAfter`
 * consecutive drifted windows, `drift_resolved` after `clearAfter` consecutive clean ones.
 * Windows without a decision (insufficient samples) leave the counters as they are.
 */
export interface HysteresisOptions {
  raiseAfter: number;
  clearAfter: number;
}

export type DriftState = 'ok' | 'drifting';
export type StateChange = 'drift_detected' | 'drift_resolved' | null;

/** Compact, serialisable form kept with the offset commit: [state, drifted run, clean run]. */
export type HysteresisSnapshot = [0 | 1, number, number];

export class Hysteresis {
  state: DriftState = 'ok';
  private driftedRun = 0;
  private cleanRun = 0;

  constructor(private readonly options: HysteresisOptions) {}

  /** Feeds one window's verdict (null: no decision) and returns the state change, if any. */
  update(driftDetected: boolean | null): StateChange {
    if (driftDetected === null) return null;
    if (driftDetected) {
      this.driftedRun++;
      this.cleanRun = 0;
      if (this.state === 'ok' && this.driftedRun >= this.options.raiseAfter) {
        this.state = 'drifting';
        return 'drift_detected';
      }
    } else {
      this.cleanRun++;
      this.driftedRun = 0;
      if (this.state === 'drifting' && this.cleanRun >= this.options.clearAfter) {
        this.state = 'ok';
        return 'drift_resolved';
      }
    }
    return null;
  }

  snapshot(): HysteresisSnapshot {
    return [this.state === 'drifting' ? 1 : 0, this.driftedRun, this.cleanRun];
  }

  restore([state, driftedRun, cleanRun]: HysteresisSnapshot): void {
    this.state = state === 1 ? 'drifting' : 'ok';
    this.driftedRun = driftedRun;
    this.cleanRun = cleanRun;
  }
}
