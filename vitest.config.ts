import { defineConfig } from 'vitest/config';

/**
 * Integration files that spend most of their time waiting (the venue's recvWindow, processes
 * starting and stopping, fake venues) rather than computing, and time nothing to the second.
 * scripts/test.ts runs them in a vitest process of its own, beside the first lane, with servers of
 * their own: vitest itself would queue both lanes' files behind one another.
 */
const SECOND_LANE = [
  'orders-exactly-once',
  'supervisor',
  'prices',
  'advanced-orders-offline',
  'order-lists',
  'reconcile-schedule',
].map((name) => `test/integration/${name}.test.ts`);

/** Real servers (test/setup/global.ts starts a Temporal dev server and a PostgreSQL per lane), one file at a time. */
function integration(name: string, { include = ['test/integration/**/*.test.ts'], exclude = [] as string[] }) {
  return {
    test: {
      name,
      include,
      exclude,
      globalSetup: ['test/setup/global.ts'],
      setupFiles: ['test/setup/require-ts.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      // Two cores: a lane runs its files one at a time so each test has its lane's servers to itself.
      fileParallelism: false,
    },
  };
}

/** `unit` needs nothing running; each integration lane gets its own servers, started once per run. */
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
      integration('integration', { exclude: SECOND_LANE }),
      integration('integration-lane-2', { include: SECOND_LANE }),
    ],
  },
});
