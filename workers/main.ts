/**
 * Runs the workers alone against an existing Temporal and PostgreSQL, as production does.
 * `npm start` runs this file as a child process.
 */
import { NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit, requireSecrets } from '../lib/config.js';
import { createSql } from '../lib/db.js';
import { onParentExit } from '../lib/lifecycle.js';
import { coreMetricsTelemetry, createWorkerMetrics } from '../lib/metrics.js';
import { loopbackPort, startMetricsServer } from '../lib/metrics-server.js';
import { createLogger, sdkLogger } from '../lib/logger.js';
import { ensureSchedules, priceRefreshScheduleId, reconcileScheduleId } from '../workflows/schedules.js';
import { createTemporalClient, ensureSearchAttributes, temporalConnectionOptions } from '../lib/temporal.js';
import { startTracing } from '../lib/tracing.js';
import { createWorkers, startWorkerUserStreams, workerRequestBudget } from './create-workers.js';
import { startPortfolioWakeSweeper } from './portfolio-wake-sweeper.js';
import { workerBundleInputs, workflowBundleAt } from './workflow-bundle.js';

const config = loadConfigOrExit({ needsDatabase: 'npm run worker', check: (c) => requireSecrets(c, 'worker') });
const log = createLogger('worker', { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
// The SDK Core's own metrics (task latencies, schedule-to-start, slots) on loopback; /metrics below merges them.
const coreMetricsPort = await loopbackPort(config.TEMPORAL_METRICS_PORT);
Runtime.install({ telemetryOptions: coreMetricsTelemetry(coreMetricsPort), shutdownSignals: ['SIGINT', 'SIGTERM'], logger: sdkLogger(log.child('temporal')) });
const sql = createSql(config.DATABASE_URL, { max: config.PG_POOL_MAX, applicationName: 'durable-trader-worker' });
// A 429/418 reaches the other processes on this connection, never queued behind the pool's work.
const budgetBlockSql = createSql(config.DATABASE_URL, { max: 1, idleTimeout: 0, applicationName: 'durable-trader-worker-budget' });
// OTEL_EXPORTER_OTLP_ENDPOINT set: workflow, activity and venue spans are exported; unset: undefined, nothing traced.
const tracing = await startTracing(config, { defaultServiceName: 'durable-trader-worker' });
const connection = await NativeConnection.connect(temporalConnectionOptions(config));
const metrics = createWorkerMetrics();
// One budget for every Binance client of the process: its workers' and its user streams'.
const requestBudget = workerRequestBudget({ config, sql, metrics, budgetBlockSql });
// The workflow code, bundled once per change of its sources rather than at every start (WORKFLOW_BUNDLE_PATH).
const bundleStarted = Date.now();
const bundle = await workflowBundleAt(config.workflowBundlePath, workerBundleInputs(config));
const bundleMs = Date.now() - bundleStarted;
if (bundle.loaded) log.info('workflow bundle loaded', { file: bundle.file, ms: bundleMs });
else if (bundle.writeError) log.warn('workflow bundle built, but not saved: the next start bundles again', { file: bundle.file, why: bundle.why, error: bundle.writeError, ms: bundleMs });
else log.info('workflow bundle built and saved', { file: bundle.file, why: bundle.why, ms: bundleMs });
const workers = await createWorkers({ config, sql, connection, tracing, metrics, requestBudget, workflowBundle: { code: bundle.code } });
// GET /metrics (ours and the Core's) and /ready (200 only while every worker polls its task queue).
const metricsServer = await startMetricsServer({
  port: config.WORKER_METRICS_PORT,
  host: config.WORKER_METRICS_HOST,
  registry: metrics.registry,
  coreMetricsUrl: `http://127.0.0.1:${coreMetricsPort}/metrics`,
  ready: () => {
    const states = Object.fromEntries(workers.map((w) => [w.options.taskQueue, w.getState()]));
    return { ready: Object.values(states).every((s) => s === 'RUNNING'), detail: states };
  },
});
log.info('metrics', { url: `${metricsServer.url}/metrics`, ready: `${metricsServer.url}/ready` });
// Create or update the price-refresh and reconcile-orders schedules; idempotent, so every worker start may do it.
const client = await createTemporalClient(config);
const added = await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
if (added.length > 0) log.info('search attributes registered', { names: added });
const schedules = await ensureSchedules(client, config, log);
await client.connection.close();
log.info(schedules.priceRefresh.created ? 'price-refresh schedule created' : 'price-refresh schedule up to date', { scheduleId: priceRefreshScheduleId(config), intervalMs: config.PRICE_REFRESH_INTERVAL });
log.info(schedules.reconcile.created ? 'reconcile-orders schedule created' : 'reconcile-orders schedule up to date', { scheduleId: reconcileScheduleId(config), intervalMs: config.RECONCILE_INTERVAL });
// Fills of Binance orders arrive on the user data stream; the order workflows poll only as a safety net.
const streams = startWorkerUserStreams({ config, sql, connection, log, requestBudget });
const sweeper = startPortfolioWakeSweeper({ config, sql, connection, log, tracing });
onParentExit(() => workers.forEach((w) => w.shutdown()));
log.info('running', { taskQueues: workers.map((w) => w.options.taskQueue), temporal: config.temporalAddress, namespace: config.TEMPORAL_NAMESPACE });
process.send?.({ type: 'ready' });
try {
  await Promise.all(workers.map((w) => w.run()));
} finally {
  await sweeper.stop();
  await streams?.stop();
  await metricsServer.close();
  await Promise.all([sql.end({ timeout: 2 }), budgetBlockSql.end({ timeout: 2 })]);
  await connection.close();
  await tracing?.shutdown();
  // The SDK runtime keeps native threads alive until it is shut down itself.
  await Runtime.instance().shutdown();
}
log.info('stopped');
