/**
 * One temporary directory per test process, inside the run's (test/setup/temp-root.ts): TMPDIR
 * points to it, so that every `mkdtemp(tmpdir())` of the tests, and of the CLI processes they
 * start (which inherit it), lands there. Without it each run left about a thousand directories in
 * /tmp. Services are started outside the test processes (test/services/up.sh,
 * test/setup/global-setup.ts) and never see it.
 */
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

// Once per process: with `isolate: false` this file runs before every test file of a worker.
if (process.env.DRIFTWATCH_TEST_TMPDIR_PID !== String(process.pid)) {
  const dir = mkdtempSync(join(process.env.DRIFTWATCH_TEST_TMPROOT ?? tmpdir(), 'driftwatch-test-'));
  process.env.TMPDIR = dir;
  process.env.DRIFTWATCH_TEST_TMPDIR_PID = String(process.pid);
  process.on('exit', () => rmSync(dir, { recursive: true, force: true }));
}
