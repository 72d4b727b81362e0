import { defineConfig } from 'vitest/config';
import { fileURLToPath } from 'node:url';

const root = fileURLToPath(new URL('..', import.meta.url));

// Two projects: unit tests of the pure core (no servers) and integration tests that talk to
// a real Kafka broker and a real InfluxDB, provisioned by test/setup/global-setup.ts.
export default defineConfig({
  test: {
    root,
    reporters: process.env.CI ? ['default', ['json', { outputFile: 'test-results/vitest.json' }]] : ['default'],
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
          globalSetup: ['test/setup/global-setup.ts'],
          testTimeout: 120_000,
          hookTimeout: 180_000,
          fileParallelism: false,
        },
      },
    ],
  },
});
