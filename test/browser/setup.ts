// vitest globalSetup of the `browser` project (docs/testing.md, "Browser tests"): headless
// Chromium from the Debian package, installed by test/services/chromium.sh when missing (as
// root, with apt-get; a clear error otherwise). Nothing is skipped: without a browser the
// project fails with the script's reason. The project's other globalSetup,
// test/setup/global-setup.ts, provides Kafka for the service page, as for the integration tests.
import { spawn } from 'node:child_process';
import type { TestProject } from 'vitest/node';
import { root } from './fixtures.js';

export default async function setup(project: TestProject): Promise<void> {
  const t0 = Date.now();
  const { code, stdout } = await new Promise<{ code: number | null; stdout: string }>((resolve, reject) => {
    const child = spawn('bash', ['test/services/chromium.sh'], { cwd: root, stdio: ['ignore', 'pipe', 'pipe'] });
    let out = '';
    child.stdout.setEncoding('utf8').on('data', (c: string) => (out += c));
    child.stderr.on('data', (c: Buffer) => process.stderr.write(c));
    child.on('error', reject);
    child.on('close', (c) => resolve({ code: c, stdout: out }));
  });
  const binary = /^CHROMIUM_BINARY=(.+)$/m.exec(stdout)?.[1];
  if (code !== 0 || !binary) {
    throw new Error(
      `test/services/chromium.sh failed (exit ${code}); its output above says why. The browser tests need headless Chromium: install the Debian package 'chromium' or set CHROMIUM_BINARY.`,
    );
  }
  process.stderr.write(`[browser] ${binary} ready in ${((Date.now() - t0) / 1000).toFixed(1)} s\n`);
  project.provide('chromiumBinary', binary);
}
