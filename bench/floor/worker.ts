/**
 * The floor workflow's worker, a process of its own like the engine's worker: default Worker
 * options, the engine's data converter, a postgres.js pool of PG_POOL_MAX, task queue `bench-floor`.
 */
import { fileURLToPath } from 'node:url';
import { DefaultLogger, NativeConnection, Runtime, Worker } from '@temporalio/worker';
import { loadConfig } from '../../lib/config.js';
import { createSql } from '../../lib/db.js';
import { onParentExit } from '../../lib/lifecycle.js';
import { engineDataConverter } from '../lib/data-converter.js';
import { createFloorActivities } from './activities.js';
import { FLOOR_TASK_QUEUE } from './names.js';

const FLOOR_WORKFLOWS_PATH = fileURLToPath(new URL('./workflows.ts', import.meta.url));

const config = loadConfig();
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set');
Runtime.install({ shutdownSignals: ['SIGINT', 'SIGTERM'], logger: new DefaultLogger('WARN') });
const sql = createSql(config.DATABASE_URL, { max: config.PG_POOL_MAX, applicationName: 'bench-floor-worker' });
const connection = await NativeConnection.connect({ address: config.temporalAddress });
const worker = await Worker.create({
  connection,
  namespace: config.TEMPORAL_NAMESPACE,
  taskQueue: FLOOR_TASK_QUEUE,
  workflowsPath: FLOOR_WORKFLOWS_PATH,
  dataConverter: await engineDataConverter(config),
  activities: createFloorActivities({ sql }),
});
onParentExit(() => worker.shutdown());
process.send?.({ type: 'ready' });
try {
  await worker.run();
} finally {
  await sql.end({ timeout: 2 });
  await connection.close();
  await Runtime.instance().shutdown();
}
