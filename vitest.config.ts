import { defineConfig } from 'vitest/config';

/**
 * Two projects: `unit` needs nothing running; `integration` gets a real Temporal dev server and a
 * real PostgreSQL from test/setup/global.ts, started once per run.
 */
export default defineConfig({
  test: {
    // The JSON report lets .ci/run print one "N passed, N failed" line.
    reporters: ['default', 'json'],
    outputFile: { json: 'test-results/vitest.json' },
    projects: [
      {
        test: {
          name: 'unit',
          include: ['test/unit/**/*.test.ts'],
          setupFiles: ['test/setup/require-ts.ts'],
          testTimeout: 20_000,
        },
      },
      {
        test: {
          name: 'integration',
          include: ['test/integration/**/*.test.ts'],
          globalSetup: ['test/setup/global.ts'],
          setupFiles: ['test/setup/require-ts.ts'],
          testTimeout: 60_000,
          hookTimeout: 120_000,
          // Two cores: files run one at a time so each test has the servers to itself.
          fileParallelism: false,
        },
      },
    ],
  },
});
