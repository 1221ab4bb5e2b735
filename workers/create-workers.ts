/** Builds the Temporal workers of the engine: one per task queue, sharing one connection. */
import { fileURLToPath } from 'node:url';
import { Client } from '@temporalio/client';
import { bundleWorkflowCode, DefaultLogger, NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../lib/config.js';
import type { Sql } from '../lib/db.js';
import { dataConverterFor } from '../lib/secrets.js';
import { createPriceSources } from '../venues/market-data/sources.js';
import { createActivities, createMarketDataActivities, createPortfolioWorkerActivities, type ActivityDeps } from './activities.js';

export const WORKFLOWS_PATH = fileURLToPath(new URL('../workflows/index.ts', import.meta.url));

/**
 * The engine's workflows as one bundle. Workers that encrypt failures need the sandbox to hold
 * the same failure converter: pass its path (`dataConverter.failureConverterPath`).
 * @example const bundle = await bundleWorkflows(dataConverterFor(config)?.failureConverterPath);
 */
export async function bundleWorkflows(failureConverterPath?: string): Promise<{ code: string }> {
  const { code } = await bundleWorkflowCode({
    workflowsPath: WORKFLOWS_PATH,
    ...(failureConverterPath ? { failureConverterPath } : {}),
    logger: new DefaultLogger('WARN'),
  });
  return { code };
}

export interface CreateWorkersOptions {
  config: Config;
  sql: Sql;
  connection: NativeConnection;
  /** A pre-built bundle (tests build it once); otherwise the worker bundles WORKFLOWS_PATH. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  fetchLatest?: ActivityDeps['fetchLatest'];
}

/**
 * @example const workers = await createWorkers({ config, sql, connection }); await Promise.all(workers.map((w) => w.run()));
 */
export async function createWorkers(o: CreateWorkersOptions): Promise<Worker[]> {
  // One set of price sources per process: yahoo-finance2 keeps its crumb in module state.
  const marketData = createPriceSources(o.config);
  // Payloads and failure messages are encrypted before they reach Temporal (PAYLOAD_KEYS).
  const dataConverter = dataConverterFor(o.config);
  // Activities that signal the portfolio workflow share the workers' connection.
  const temporal = new Client({ connection: o.connection, namespace: o.config.TEMPORAL_NAMESPACE, dataConverter });
  const activities = createActivities({ config: o.config, sql: o.sql, temporal, fetchLatest: o.fetchLatest, marketData });
  // One bundle for the three workers (each would build its own from a path). A pre-built bundle
  // must have been built with the same failureConverterPath (see test/setup/global.ts).
  const workflowBundle = o.workflowBundle ?? (await bundleWorkflows(dataConverter?.failureConverterPath));
  const code = { workflowBundle, dataConverter };
  const orders = await Worker.create({
    connection: o.connection,
    namespace: o.config.TEMPORAL_NAMESPACE,
    taskQueue: o.config.taskQueues.orders,
    activities,
    ...code,
  });
  const marketDataWorker = await Worker.create({
    connection: o.connection,
    namespace: o.config.TEMPORAL_NAMESPACE,
    taskQueue: o.config.taskQueues.marketData,
    activities: createMarketDataActivities({ config: o.config, sql: o.sql, temporal, marketData }),
    ...code,
  });
  const portfolioWorker = await Worker.create({
    connection: o.connection,
    namespace: o.config.TEMPORAL_NAMESPACE,
    taskQueue: o.config.taskQueues.portfolio,
    activities: createPortfolioWorkerActivities({ sql: o.sql }),
    ...code,
  });
  return [orders, marketDataWorker, portfolioWorker];
}
