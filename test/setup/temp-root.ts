/**
 * The test run's temporary directory (global setup of every project): each test process makes
 * its own inside it (test/setup/temp-dir.ts), and it goes with all of them when the run ends,
 * including what a test process killed at the end (vitest's workers) could not remove itself.
 * Only its path is put in the environment: TMPDIR of this process, which starts the services,
 * stays as it is.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

export default function setup(): (() => void) | undefined {
  // Every project runs its global setups: the first one makes the directory.
  if (process.env.DRIFTWATCH_TEST_TMPROOT) return undefined;
  const root = mkdtempSync(join(tmpdir(), 'driftwatch-test-'));
  process.env.DRIFTWATCH_TEST_TMPROOT = root;
  return () => {
    rmSync(root, { recursive: true, force: true });
    delete process.env.DRIFTWATCH_TEST_TMPROOT;
  };
}
