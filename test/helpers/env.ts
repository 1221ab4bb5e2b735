/**
 * What a test file needs to talk to the run's servers: a config pointing at them (with task
 * queues of its own), a postgres.js pool, a Temporal client, and a real worker.
 */
import { randomUUID } from 'node:crypto';
import { Client, Connection } from '@temporalio/client';
import { DefaultLogger, NativeConnection, Runtime, type Worker } from '@temporalio/worker';
import { inject } from 'vitest';
import { loadConfig, type Config } from '../../lib/config.js';
import { createSql, type Sql } from '../../lib/db.js';
import { createWorkers, type CreateWorkersOptions } from '../../workers/create-workers.js';

export function testConfig(env: Record<string, string | undefined> = {}): Config {
  return loadConfig({
    TEMPORAL_ADDRESS: inject('temporalAddress'),
    DATABASE_URL: inject('databaseUrl'),
    TASK_QUEUE_PREFIX: `t${randomUUID().slice(0, 8)}-`,
    LOG_LEVEL: 'warn',
    // Nothing in a test may reach the internet: providers go to a closed local port unless a test
    // points them at a fake.
    BINANCE_BASE_URL: 'http://127.0.0.1:9',
    YAHOO_BASE_URL: 'http://127.0.0.1:9',
    ...env,
  });
}

export function testSql(max = 5): Sql {
  return createSql(inject('databaseUrl'), { max });
}

export async function testClient(): Promise<Client> {
  const connection = await Connection.connect({ address: inject('temporalAddress') });
  return new Client({ connection });
}

export interface RunningWorkers {
  workers: Worker[];
  stop(): Promise<void>;
}

/** Real workers on the config's task queues, running until `stop()`. */
let runtimeInstalled = false;

export async function startWorkers(config: Config, sql: Sql, extra: Partial<CreateWorkersOptions> = {}): Promise<RunningWorkers> {
  if (!runtimeInstalled) {
    // Quiet SDK logs: test output shows failures, not worker state changes.
    Runtime.install({ logger: new DefaultLogger('WARN'), shutdownSignals: [] });
    runtimeInstalled = true;
  }
  const connection = await NativeConnection.connect({ address: config.temporalAddress });
  const workers = await createWorkers({ config, sql, connection, workflowBundle: { codePath: inject('workflowBundlePath') }, ...extra });
  const running = workers.map((w) => w.run());
  let stopped: Promise<void> | undefined;
  return {
    workers,
    stop() {
      stopped ??= (async () => {
        for (const w of workers) if (w.getState() === 'RUNNING') w.shutdown();
        await Promise.allSettled(running);
        await connection.close();
      })();
      return stopped;
    },
  };
}
