/** What the calibration pool and its worker share (calibration-pool.ts, calibration-worker.ts). */
import type { CalibrationSettings, FeatureCalibration } from '../../core/reference/calibration.js';

/** Index of the claim counter in the Int32Array shared by every thread: the next job index to take. */
export const CLAIM = 0;
/** Index of the done flag in a worker's own Int32Array: 1 once its answer is posted. */
export const DONE = 1;

export interface CalibrationJob {
  counts: Float64Array[];
  settings: CalibrationSettings;
}

export type CalibrationAnswer = { computed: [number, FeatureCalibration | null][] } | { error: string };
