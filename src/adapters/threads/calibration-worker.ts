/**
 * The worker thread of the calibration pool (calibration-pool.ts): takes the next distinct
 * counts array from the shared claim counter until none is left, calibrates each with
 * calibrateFeature, posts what it computed and raises the done flag the main thread waits on.
 */
import { workerData, type MessagePort } from 'node:worker_threads';
import { calibrateFeature, type CalibrationSettings, type FeatureCalibration } from '../../core/reference/calibration.js';
import { CLAIM, DONE, type CalibrationJob } from './calibration-protocol.js';

const { port, flags, claim } = workerData as { port: MessagePort; flags: Int32Array; claim: Int32Array };

port.once('message', (job: CalibrationJob) => {
  const computed: [number, FeatureCalibration | null][] = [];
  try {
    const settings: CalibrationSettings = job.settings;
    for (let i = Atomics.add(claim, CLAIM, 1); i < job.counts.length; i = Atomics.add(claim, CLAIM, 1)) computed.push([i, calibrateFeature(job.counts[i], settings)]);
    port.postMessage({ computed });
  } catch (error) {
    port.postMessage({ error: error instanceof Error ? (error.stack ?? error.message) : String(error) });
  }
  Atomics.store(flags, DONE, 1);
  Atomics.notify(flags, DONE);
  port.close();
});
