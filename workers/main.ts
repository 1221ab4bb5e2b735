/**
 * Runs the workers alone against an existing Temporal and PostgreSQL, as production does.
 * `npm start` runs this file as a child process.
 */
import { DefaultLogger, NativeConnection, Runtime } from '@temporalio/worker';
import { loadConfigOrExit, requireSecrets } from '../lib/config.js';
import { createSql } from '../lib/db.js';
import { onParentExit } from '../lib/lifecycle.js';
import { createLogger } from '../lib/logger.js';
import { ensureSchedules, priceRefreshScheduleId, reconcileScheduleId } from '../workflows/schedules.js';
import { createTemporalClient, ensureSearchAttributes, temporalConnectionOptions } from '../lib/temporal.js';
import { createWorkers, startWorkerUserStreams } from './create-workers.js';

const config = loadConfigOrExit({ needsDatabase: 'npm run worker', check: (c) => requireSecrets(c, 'worker') });
const log = createLogger('worker', { level: config.LOG_LEVEL });
Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'], logger: new DefaultLogger(config.LOG_LEVEL === 'debug' ? 'DEBUG' : 'WARN') });
const sql = createSql(config.DATABASE_URL, { max: config.PG_POOL_MAX, applicationName: 'durable-trader-worker' });
const connection = await NativeConnection.connect(temporalConnectionOptions(config));
const workers = await createWorkers({ config, sql, connection });
// Create or update the price-refresh and reconcile-orders schedules; idempotent, so every worker start may do it.
const client = await createTemporalClient(config);
const added = await ensureSearchAttributes(client, config.TEMPORAL_NAMESPACE);
if (added.length > 0) log.info('search attributes registered', { names: added });
const schedules = await ensureSchedules(client, config, log);
await client.connection.close();
log.info(schedules.priceRefresh.created ? 'price-refresh schedule created' : 'price-refresh schedule up to date', { scheduleId: priceRefreshScheduleId(config), intervalMs: config.PRICE_REFRESH_INTERVAL });
log.info(schedules.reconcile.created ? 'reconcile-orders schedule created' : 'reconcile-orders schedule up to date', { scheduleId: reconcileScheduleId(config), intervalMs: config.RECONCILE_INTERVAL });
// Fills of Binance orders arrive on the user data stream; the order workflows poll only as a safety net.
const streams = startWorkerUserStreams({ config, sql, connection, log });
onParentExit(() => workers.forEach((w) => w.shutdown()));
log.info('running', { taskQueues: workers.map((w) => w.options.taskQueue), temporal: config.temporalAddress, namespace: config.TEMPORAL_NAMESPACE });
process.send?.({ type: 'ready' });
try {
  await Promise.all(workers.map((w) => w.run()));
} finally {
  await streams?.stop();
  await sql.end({ timeout: 2 });
  await connection.close();
  // The SDK runtime keeps native threads alive until it is shut down itself.
  await Runtime.instance().shutdown();
}
log.info('stopped');
