/**
 * The bench's own HTTP server, the two baselines the engine's API is compared with:
 * - `POST /direct/orders`: the same body as `POST /v1/orders`, behind the same middleware the
 *   engine's order route sits behind (bearer-token authentication, the JSON body check, the
 *   per-account order rate limit in PostgreSQL; the engine's own modules, configured from the same
 *   variables), the same validation, and the same `orders` row written and read back by
 *   postgres.js, but no workflow start. Intake ÷ this is what the durable start costs. The account
 *   is the token's, as in the engine.
 * - `POST /floor/orders`: starts the floor workflow (bench/floor) and writes its row, the way the
 *   API starts an order, behind the same authentication, JSON body check and order rate limit: the
 *   HTTP front every order pays is part of the bare shape, not of the order's own logic.
 * Run as a child process of the bench, like the API (`node --import tsx bench/servers/baseline.ts`).
 */
import { randomUUID } from 'node:crypto';
import { serve } from '@hono/node-server';
import { Client, Connection } from '@temporalio/client';
import { Hono } from 'hono';
import { findOrder, insertReceivedOrder } from '../../store/orders.js';
import { createErrorHandler } from '../../api/errors.js';
import { requireAuth } from '../../api/middleware/auth/index.js';
import { jsonBody } from '../../api/middleware/json-body/index.js';
import { createPgRateLimiter, rateLimit } from '../../api/middleware/rate-limit/index.js';
import { accountIdOf } from '../../api/principal.js';
import { createOrderSchema } from '../../api/schemas/orders.js';
import { loadConfig } from '../../lib/config.js';
import { createSql } from '../../lib/db.js';
import { onParentExit } from '../../lib/lifecycle.js';
import { createLogger } from '../../lib/logger.js';
import { tokenServiceFor } from '../../lib/secrets.js';
import { clientOrderIdFor, orderWorkflowId, type OrderRequest } from '../../workflows/definitions.js';
import type { floorOrder } from '../floor/workflows.js';
import { engineDataConverter } from '../lib/data-converter.js';
import { FLOOR_TASK_QUEUE } from '../floor/names.js';

const config = loadConfig();
if (!config.DATABASE_URL) throw new Error('DATABASE_URL is not set');
const sql = createSql(config.DATABASE_URL, { max: config.PG_POOL_MAX, applicationName: 'bench-baseline' });
const temporal = new Client({
  connection: await Connection.connect({ address: config.temporalAddress }),
  namespace: config.TEMPORAL_NAMESPACE,
  dataConverter: await engineDataConverter(config),
});

// What api/app.ts puts in front of `POST /v1/orders`, in the same order, for both baselines (its
// request-id, metrics, tracing and body-limit middleware run for every route and are left out).
const limiter = createPgRateLimiter({ sql });
const auth = requireAuth({ tokens: tokenServiceFor(config) });
const jsonOnly = jsonBody();
const orderRate = rateLimit({ limiter, rule: config.ORDER_RATE_LIMIT, key: (c) => `orders:${accountIdOf(c)}`, what: 'order submissions', methods: ['POST'] });
const app = new Hono()
  .use('/direct/*', auth, jsonOnly)
  .use('/direct/orders', orderRate)
  .use('/floor/*', auth, jsonOnly)
  .use('/floor/orders', orderRate)
  .post('/direct/orders', async (c) => {
    const body = createOrderSchema.parse(await c.req.json());
    const orderId = randomUUID();
    const accountId = accountIdOf(c);
    const order: OrderRequest = {
      orderId,
      accountId,
      venue: body.venue ?? 'paper',
      symbol: body.symbol,
      side: body.side,
      type: body.type,
      quantity: body.quantity,
      price: body.price,
      stopPrice: body.stopPrice,
      timeInForce: body.timeInForce,
    };
    await insertReceivedOrder(sql, order, clientOrderIdFor(orderId), orderWorkflowId(orderId));
    const row = (await findOrder(sql, accountId, orderId))!;
    return c.json({ id: orderId, status: row.status }, 202);
  })
  .post('/floor/orders', async (c) => {
    const { activities, notifyAt, localSteps } = (await c.req.json()) as { activities: number; notifyAt: number; localSteps?: number[] };
    const id = randomUUID();
    await temporal.workflow.start<typeof floorOrder>('floorOrder', {
      workflowId: `floor-${id}`,
      taskQueue: FLOOR_TASK_QUEUE,
      args: [{ id, activities, notifyAt, ...(localSteps?.length ? { localSteps } : {}) }],
      workflowIdConflictPolicy: 'USE_EXISTING',
      workflowIdReusePolicy: 'REJECT_DUPLICATE',
    });
    await sql`INSERT INTO bench_floor_orders (id, step) VALUES (${id}, 0) ON CONFLICT DO NOTHING`;
    await sql`SELECT * FROM bench_floor_orders WHERE id = ${id}`;
    return c.json({ id }, 202);
  });
app.onError(createErrorHandler(createLogger('bench-baseline', { level: config.LOG_LEVEL })));

const server = serve({ fetch: app.fetch, port: config.PORT, hostname: '127.0.0.1' }, () => process.send?.({ type: 'ready' }));

async function shutdown() {
  await new Promise<void>((resolve) => server.close(() => resolve()));
  await Promise.allSettled([sql.end({ timeout: 2 }), temporal.connection.close()]);
  process.exit(0);
}
process.on('SIGINT', () => void shutdown());
process.on('SIGTERM', () => void shutdown());
onParentExit(() => void shutdown());
