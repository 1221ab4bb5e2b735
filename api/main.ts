/**
 * Runs the HTTP API alone against an existing Temporal and PostgreSQL (TEMPORAL_ADDRESS and
 * DATABASE_URL), as production does. `npm start` runs this file as a child process.
 */
import type { Server } from 'node:http';
import { serve } from '@hono/node-server';
import { loadConfigOrExit, maskDatabaseUrl, requireSecrets } from '../lib/config.js';
import { createSql } from '../lib/db.js';
import { createLogger } from '../lib/logger.js';
import { onParentExit } from '../lib/lifecycle.js';
import { createApiMetrics } from '../lib/metrics.js';
import { tokenServiceFor } from '../lib/secrets.js';
import type { TokenService } from '../lib/security/jwt.js';
import { createTemporalClient, ensureSearchAttributes } from '../lib/temporal.js';
import { startTracing } from '../lib/tracing.js';
import { createApp } from './app.js';
import { tokenAuthenticator } from './stream/auth.js';
import { attachStreamServer } from './stream/index.js';

// Without a token key, a payload key and a credentials key the API refuses to start: it would
// otherwise serve nobody, or store secrets in the clear.
let tokens!: TokenService;
const config = loadConfigOrExit({
  needsDatabase: 'npm run api',
  check: (c) => {
    requireSecrets(c, 'api');
    tokens = tokenServiceFor(c);
  },
});
const log = createLogger('api', { level: config.LOG_LEVEL, format: config.LOG_FORMAT });
const sql = createSql(config.DATABASE_URL, { max: config.PG_POOL_MAX, applicationName: 'durable-trader-api' });
// A 429/418 reaches the other processes on this connection, never queued behind the requests' queries.
const budgetBlockSql = createSql(config.DATABASE_URL, { max: 1, idleTimeout: 0, applicationName: 'durable-trader-api-budget' });
// OTEL_EXPORTER_OTLP_ENDPOINT set: each request is a span, and a workflow it starts continues its trace.
const tracing = await startTracing(config, { defaultServiceName: 'durable-trader-api' });
const temporal = await createTemporalClient(config, tracing);
// Orders start with their search attributes: the namespace must know them (a no-op once it does).
await ensureSearchAttributes(temporal, config.TEMPORAL_NAMESPACE);
// One registry for the process: GET /metrics on this port serves the app's and the stream's metrics.
const metrics = createApiMetrics();
const app = createApp({ config, sql, temporal, log, tokens, metrics, budgetBlockSql });

const server = serve({ fetch: app.fetch, port: config.PORT, hostname: config.HOST }, (info) => {
  log.info('listening', { url: `http://${info.address}:${info.port}`, database: maskDatabaseUrl(config.DATABASE_URL), temporal: config.temporalAddress });
  process.send?.({ type: 'ready' });
});
// WebSocket push on the same port. Without its PostgreSQL LISTEN it cannot work: start-up fails.
const stream = await attachStreamServer({ server: server as Server, sql, config, log, authenticate: tokenAuthenticator(tokens), metrics });

let stopping = false;
async function shutdown(signal: string) {
  if (stopping) return;
  stopping = true;
  log.info('stopping', { signal });
  await stream.close();
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.allSettled([sql.end({ timeout: 2 }), budgetBlockSql.end({ timeout: 2 }), temporal.connection.close(), tracing?.shutdown()]);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown('SIGINT'));
process.on('SIGTERM', () => void shutdown('SIGTERM'));
onParentExit(() => void shutdown('parent exited'));
