/** Builds the Temporal workers of the engine: one per task queue, sharing one connection. */
import { Client } from '@temporalio/client';
import { NativeConnection, Worker, type WorkerOptions } from '@temporalio/worker';
import type { Config } from '../lib/config.js';
import { instrumentLedger, type WorkerMetrics } from '../lib/metrics.js';
import { createSql, type Sql } from '../lib/db.js';
import { dataConverterFor } from '../lib/secrets.js';
import { createPriceSources } from '../venues/market-data/sources.js';
import { createActivities, createMarketDataActivities, createPortfolioWorkerActivities, type ActivityDeps } from './activities.js';
import { credentialBoxFor } from '../lib/secrets.js';
import type { Logger } from '../lib/logger.js';
import type { Tracing } from '../lib/tracing.js';
import { createBinanceExchange } from '../venues/binance/exchange.js';
import { requestBudgetFromConfig, type RequestBudget } from '../venues/binance/request-budget.js';
import { createPgRequestLedger } from '../store/request-budget.js';
import { orderClients } from '../workflows/clients.js';
import { startUserStreams, type UserStreams, type UserStreamsOptions } from './user-streams.js';
import { bundleWorkflows } from './workflow-bundle.js';

export interface CreateWorkersOptions {
  config: Config;
  sql: Sql;
  connection: NativeConnection;
  /** A pre-built bundle (workers/main.ts loads it from WORKFLOW_BUNDLE_PATH; tests build it once); otherwise the workflows are bundled here. */
  workflowBundle?: WorkerOptions['workflowBundle'];
  /** The process's tracing (OTEL_EXPORTER_OTLP_ENDPOINT); a pre-built bundle must then hold its interceptors. */
  tracing?: Tracing | undefined;
  fetchLatest?: ActivityDeps['fetchLatest'];
  /** The process's business metrics, recorded by the activities (lib/metrics.ts). */
  metrics?: WorkerMetrics | undefined;
  /** The process's one Binance request budget (workerRequestBudget), shared with its user streams. */
  requestBudget: RequestBudget;
}

/**
 * The one Binance request budget of a worker process, for its workers and its user streams alike:
 * a 429/418 that one of them hears holds the others back at once, not a ledger round trip later,
 * and the process reads exchangeInfo and LISTENs for other processes' back-offs once.
 * @example const requestBudget = workerRequestBudget({ config, sql, metrics }); createWorkers({ …, requestBudget }); startWorkerUserStreams({ …, requestBudget });
 */
export function workerRequestBudget(o: {
  config: Config;
  sql: Sql;
  metrics?: WorkerMetrics | undefined;
  /** A connection of its own for the 429/418 back-offs (see createPgRequestLedger); the pool when absent. */
  budgetBlockSql?: Sql | undefined;
}): RequestBudget {
  return requestBudgetFromConfig(o.config, instrumentLedger(createPgRequestLedger(o.sql, { blockSql: o.budgetBlockSql }), o.metrics));
}

/**
 * @example const workers = await createWorkers({ config, sql, connection }); await Promise.all(workers.map((w) => w.run()));
 */
export async function createWorkers(o: CreateWorkersOptions): Promise<Worker[]> {
  // One set of price sources per process: yahoo-finance2 keeps its crumb in module state.
  // Every Binance client of the process spends the request budget all workers share (PostgreSQL).
  const marketData = createPriceSources(o.config, { requestBudget: o.requestBudget });
  // Payloads and failure messages are encrypted before they reach Temporal (PAYLOAD_KEYS).
  const dataConverter = dataConverterFor(o.config);
  // Activities that signal the portfolio workflow share the workers' connection.
  const temporal = new Client({ connection: o.connection, namespace: o.config.TEMPORAL_NAMESPACE, dataConverter, interceptors: o.tracing?.clientInterceptors });
  const activities = createActivities({ config: o.config, sql: o.sql, temporal, fetchLatest: o.fetchLatest, marketData, metrics: o.metrics });
  // One bundle for the three workers (each would build its own from a path). A pre-built bundle
  // must have been built with the same failureConverterPath (see test/setup/global.ts).
  const workflowBundle = o.workflowBundle ?? { code: (await bundleWorkflows({ failureConverterPath: dataConverter?.failureConverterPath, workflowInterceptorModules: o.tracing?.workflowInterceptorModules })).code };
  const code = { workflowBundle, dataConverter, ...o.tracing?.workerOptions };
  const base = { connection: o.connection, namespace: o.config.TEMPORAL_NAMESPACE, ...code };
  // Created side by side: each loads the bundle into a sandbox of its own on a workflow thread.
  return Promise.all([
    Worker.create({ ...base, taskQueue: o.config.taskQueues.orders, activities }),
    Worker.create({
      ...base,
      taskQueue: o.config.taskQueues.marketData,
      activities: createMarketDataActivities({ config: o.config, sql: o.sql, temporal, marketData, metrics: o.metrics }),
    }),
    Worker.create({ ...base, taskQueue: o.config.taskQueues.portfolio, activities: createPortfolioWorkerActivities({ sql: o.sql, metrics: o.metrics }) }),
  ]);
}

/**
 * The Binance user data streams of this worker process (when BINANCE_USER_STREAM is on), routing
 * execution reports to the order workflows over the workers' connection.
 * @example const streams = startWorkerUserStreams({ config, sql, connection, log, requestBudget }); … await streams?.stop();
 */
export function startWorkerUserStreams(o: {
  config: Config;
  sql: Sql;
  connection: NativeConnection;
  log: Logger;
  /** The process's one request budget, as its workers spend it (workerRequestBudget). */
  requestBudget: RequestBudget;
  tuning?: Pick<UserStreamsOptions, 'refreshMs' | 'outageCheckMs' | 'livenessMs' | 'backoffMs'>;
}): UserStreams | undefined {
  if (!o.config.BINANCE_USER_STREAM) return undefined;
  const temporal = new Client({ connection: o.connection, namespace: o.config.TEMPORAL_NAMESPACE, dataConverter: dataConverterFor(o.config) });
  const { config } = o;
  const lockSql = createSql(config.DATABASE_URL!, { max: 1, idleTimeout: 0, applicationName: 'durable-trader-user-streams' });
  const streams = startUserStreams({
    config,
    sql: o.sql,
    lockSql,
    orders: orderClients(temporal),
    box: credentialBoxFor(config),
    restFor: ({ apiKey, apiSecret }) =>
      createBinanceExchange({ baseUrl: config.BINANCE_BASE_URL, apiKey, apiSecret, recvWindowMs: config.BINANCE_RECV_WINDOW_MS, timeoutMs: config.BINANCE_TIMEOUT, requestBudget: o.requestBudget }),
    log: o.log,
    ...o.tuning,
  });
  return {
    ...streams,
    async stop() {
      await streams.stop();
      await lockSql.end({ timeout: 2 });
    },
  };
}
