import { defineConfig } from 'vitest/config';

/**
 * Integration files that spend most of their time waiting (the venue's recvWindow, processes
 * starting and stopping, fake venues) rather than computing, and time nothing to the second. They run in a second lane, beside the first, with
 * servers of their own: CI is shorter and neither lane's timing tests share a server.
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
function integration(name: string, files: { include: string[] } | { exclude: string[] }) {
  return {
    test: {
      name,
      include: 'include' in files ? files.include : ['test/integration/**/*.test.ts'],
      exclude: 'exclude' in files ? files.exclude : [],
      globalSetup: ['test/setup/global.ts'],
      setupFiles: ['test/setup/require-ts.ts'],
      testTimeout: 60_000,
      hookTimeout: 120_000,
      // Two cores: a lane runs its files one at a time so each test has its lane's servers to itself.
      fileParallelism: false,
    },
  };
}

/**
 * `unit` needs nothing running; the two integration lanes each get a real Temporal dev server and
 * a real PostgreSQL from test/setup/global.ts, started once per run. Projects run side by side.
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
      integration('integration', { exclude: SECOND_LANE }),
      integration('integration-lane-2', { include: SECOND_LANE }),
    ],
  },
});
