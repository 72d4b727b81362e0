import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// Three projects: unit tests of the pure core (no servers), integration tests that talk to
// a real Kafka broker and a real InfluxDB, provisioned by test/setup/global-setup.ts, and the
// fault suite (test/faults/), last.
export default defineConfig({
  test: {
    root,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
    // A temporary directory per test run and per test process in it, removed at the end
    // (test/setup/temp-root.ts, temp-dir.ts); the projects below list temp-root.ts again.
    globalSetup: ['test/setup/temp-root.ts'],
    setupFiles: ['test/setup/temp-dir.ts'],
    projects: [
      {
        extends: true,
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          testTimeout: 30_000,
          // The unit files share one module graph per worker instead of re-importing src/ for
          // each file (about half the suite's CPU time). They keep no state between files:
          // no vi.mock, no stubbed globals or environment, a registry per metrics object.
          isolate: false,
        },
      },
      {
        extends: true,
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global-setup.ts', 'test/setup/temp-root.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // Headless Chromium (test/services/chromium.sh) on the report files and the service's
        // pages (docs/testing.md, "Browser tests"); Kafka etc. from the integration setup.
        extends: true,
        test: {
          name: 'browser',
          include: ['test/browser/**/*.test.ts'],
          globalSetup: ['test/setup/global-setup.ts', 'test/browser/setup.ts', 'test/setup/temp-root.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
      {
        // The fault suite (docs/testing.md, "Fault suite"): its own Kafka and InfluxDB on
        // alternate ports, which it stops and restarts; it runs after the other projects
        // (groupOrder), never beside them. Short by default; FAULTS=full for the long version.
        extends: true,
        test: {
          name: 'faults',
          include: ['test/faults/**/*.test.ts'],
          globalSetup: ['test/faults/setup.ts', 'test/setup/temp-root.ts'],
          testTimeout: 1_800_000,
          hookTimeout: 600_000,
          fileParallelism: false,
          sequence: { groupOrder: 1 },
        },
      },
    ],
  },
});
