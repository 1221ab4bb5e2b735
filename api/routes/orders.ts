/**
 * /v1/orders: submit (starts the order's workflow), list, read, cancel (a Temporal Update).
 */
import { createHash, randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, type Client } from '@temporalio/client';
import type { Context } from 'hono';
import { findOrder, insertReceivedOrder, listOrders, orderEvents, orderFills, claimIdempotencyKey, type OrderRow } from '../../store/orders.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { addLogContext } from '../../lib/logger.js';
import { orderSettingsFrom } from '../../lib/order-settings.js';
import { cancelOrderUpdate, clientOrderIdFor, isTerminal, orderWorkflowId, type CancelResult, type OrderRequest, type OrderStatus, type OrderType, type Side, type TimeInForce, type Venue } from '../../workflows/definitions.js';
import type { orderLifecycleV3 } from '../../workflows/order-lifecycle.js';
import { orderSearchAttributes } from '../../workflows/search-attributes.js';
import { ORDER_WORKFLOW_TYPE, orderSummary, ordersQuery } from '../../domain/order-search.js';
import { parentPath, type ParentKind } from '../../domain/orders.js';
import { temporalUiLinks } from '../../lib/temporal-ui.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { ApiError } from '../errors.js';
import { venueChooser } from '../venue-choice.js';
import { portfolioChooser } from '../portfolio-choice.js';
import { bearerAuth, errors, json, noQuery } from '../openapi/responses.js';
import { accountIdOf, type AppEnv } from '../principal.js';
import { createRouter } from '../router.js';
import { uuidParam } from '../schemas/common.js';
import {
  cancelOrderBody,
  createOrderSchema,
  idempotencyHeaders,
  listOrdersQuery,
  orderAcceptedSchema,
  orderCancelPendingSchema,
  orderDetailSchema,
  orderIdParams,
  orderListSchema,
  orderSchema,
} from '../schemas/orders.js';
import { notFoundForParams } from '../validation.js';
import { externalOrderRoutes } from './external-orders.js';

export interface OrderRoutesOptions {
  config: Config;
  sql: Sql;
  temporal: Client;
}

const ORDER_ID = '0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12';
const NOW = '2025-05-01T14:30:00.000Z';
const exampleLinks = {
  self: `/v1/orders/${ORDER_ID}`,
  temporalUi: `http://localhost:8233/namespaces/default/workflows/order-${ORDER_ID}`,
  temporalUiOrders: `http://localhost:8233/namespaces/default/workflows?query=${encodeURIComponent(ordersQuery('6f1c2b3a-4d5e-4f60-8a7b-9c0d1e2f3a4b'))}`,
};
const exampleOrder = {
  id: ORDER_ID,
  symbol: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  venue: 'paper',
  timeInForce: 'GTC',
  quantity: '0.01',
  price: '60000',
  stopPrice: null,
  status: 'NEW',
  executedQty: '0',
  cumulativeQuoteQty: '0',
  clientOrderId: 'dt-0b6f3c1e5d2a4c1b9f0e6a7d8c9b0a12',
  exchangeOrderId: '1042',
  rejectCode: null,
  rejectReason: null,
  expireAt: null,
  trailingDelta: null,
  portfolioId: '7e57a1c3-2b4d-4e6f-8a9b-0c1d2e3f4a5b',
  parent: null,
  workflowId: `order-${ORDER_ID}`,
  createdAt: NOW,
  updatedAt: NOW,
  links: exampleLinks,
} as const;
const tags = ['orders'];
const NO_ORDER = "No such order of yours (also for another account's order)";

const submitOrder = createRoute({
  method: 'post',
  path: '/',
  tags,
  operationId: 'submitOrder',
  summary: 'Submit an order (starts its workflow)',
  description: 'Decimals are strings. Without `venue`: binance when you (or the single-user environment) have a key pair, else paper. Counts against ORDER_RATE_LIMIT.',
  security: bearerAuth,
  request: {
    query: noQuery,
    headers: idempotencyHeaders,
    body: { required: true, content: { 'application/json': { schema: createOrderSchema, example: { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '60000', timeInForce: 'GTC', venue: 'paper' } } } },
  },
  responses: {
    202: json('Accepted; follow it at links.self', orderAcceptedSchema, { id: ORDER_ID, status: 'RECEIVED', workflowId: `order-${ORDER_ID}`, runId: '5c0e8a52-7f7d-4f55-9a43-3f3b1d1c2e10', links: exampleLinks }),
    ...errors(
      { auth: true, body: true },
      {
        400: 'Idempotency-Key is not 1-255 printable ASCII characters',
        422: 'No Binance credentials for venue "binance", or an Idempotency-Key reused with another body',
        429: 'Too many order submissions (Retry-After)',
      },
    ),
  },
});

const listOrdersRoute = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'listOrders',
  summary: 'Your orders, newest first',
  security: bearerAuth,
  request: { query: listOrdersQuery },
  responses: {
    200: json('A page', orderListSchema, { data: [exampleOrder], nextCursor: null }),
    ...errors({ auth: true }, { 400: 'cursor is not one this API returned' }),
  },
});

const getOrder = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  operationId: 'getOrder',
  summary: 'One of your orders with its fills and every lifecycle event',
  security: bearerAuth,
  request: { params: orderIdParams, query: noQuery },
  responses: {
    200: json('The order', orderDetailSchema, { ...exampleOrder, fills: [], events: [{ seq: 1, status: 'RECEIVED', cause: 'accepted', detail: {}, at: NOW }] }),
    ...errors({ auth: true }, { 404: NO_ORDER }),
  },
});

const cancelOrder = createRoute({
  method: 'delete',
  path: '/{id}',
  tags,
  operationId: 'cancelOrder',
  summary: 'Cancel an open order (a workflow Update)',
  security: bearerAuth,
  request: { params: orderIdParams, query: noQuery, body: { required: false, content: { 'application/json': { schema: cancelOrderBody, example: { reason: 'changed my mind' } } } } },
  responses: {
    200: json('The order after the cancel (CANCELED, or FILLED/EXPIRED when that came first)', orderSchema, { ...exampleOrder, status: 'CANCELED' }),
    202: json(
      'Cancel requested, not yet confirmed by the venue within ORDER_CANCEL_WAIT (or the order is UNKNOWN and is cancelled as soon as the venue shows it); follow GET /v1/orders/{id}',
      orderCancelPendingSchema,
      { ...exampleOrder, status: 'PENDING_CANCEL', cancel: 'pending', message: 'Cancel requested; the venue has not confirmed it yet. Follow GET /v1/orders/{id}.' },
    ),
    ...errors({ auth: true, body: true }, { 404: NO_ORDER, 409: 'The order is already final, or the venue refused the cancel (the message says why)' }),
  },
});

const orderNotFound = notFoundForParams((c) => new ApiError(404, 'order_not_found', `No order ${c.req.param('id')}`));

/** The request as the Web UI shows it beside the history (no secrets: the order carries none). */
function orderDetails(order: OrderRequest): string {
  const rows = Object.entries(order).filter(([, v]) => v !== undefined).map(([k, v]) => `| ${k} | \`${String(v)}\` |`);
  return ['| field | value |', '| --- | --- |', ...rows].join('\n');
}

/**
 * @example app.route('/v1/orders', orderRoutes({ config, sql, temporal }))
 */
export function orderRoutes({ config, sql, temporal }: OrderRoutesOptions) {
  const settings = orderSettingsFrom(config);
  /** The caller's own stored pair, else the single-user pair of the environment (as the worker decides). */
  const venueFor = venueChooser(config, sql);
  const portfolioFor = portfolioChooser(sql);
  const { present, linksOf } = orderPresenter(config);

  async function loadOrThrow(c: Context<AppEnv>, id: string): Promise<OrderRow> {
    const order = uuidParam.safeParse(id).success ? await findOrder(sql, accountIdOf(c), id) : undefined;
    if (!order) throw new ApiError(404, 'order_not_found', `No order ${id}`);
    return order;
  }

  return (
    createRouter()
      .openapi(submitOrder, async (c) => {
        const body = c.req.valid('json');
        const key = c.req.valid('header')['Idempotency-Key'];
        const accountId = accountIdOf(c);
        const venue = await venueFor(accountId, body.venue);
        // Checked first: an order never books into another account's portfolio (404).
        const book = body.portfolioId === undefined ? undefined : await portfolioFor(accountId, body.portfolioId);
        let orderId: string = randomUUID();
        if (key !== undefined) {
          const hash = createHash('sha256').update(JSON.stringify({ ...body, venue })).digest('hex');
          const claim = await claimIdempotencyKey(sql, accountId, key, hash, orderId);
          if (!claim.matches) {
            throw new ApiError(422, 'idempotency_key_reused', 'Idempotency-Key was already used with a different request body; use a new key for a new order');
          }
          orderId = claim.orderId;
        }
        const order: OrderRequest = {
          orderId,
          accountId,
          venue,
          symbol: body.symbol,
          side: body.side,
          type: body.type,
          quantity: body.quantity,
          price: body.price,
          stopPrice: body.stopPrice,
          timeInForce: body.timeInForce ?? (body.price && body.type !== 'MARKET' ? 'GTC' : undefined),
          expireAt: body.expireAt === undefined ? undefined : new Date(body.expireAt).toISOString(),
          trailingDelta: body.trailingDelta,
          portfolioId: book && !book.is_default ? book.id : undefined,
        };
        const workflowId = orderWorkflowId(orderId);
        const clientOrderId = clientOrderIdFor(orderId);
        addLogContext({ orderId, workflowId });
        let runId: string;
        try {
          // USE_EXISTING makes a retried request (same key) attach to the running workflow.
          const handle = await temporal.workflow.start<typeof orderLifecycleV3>(ORDER_WORKFLOW_TYPE, {
            workflowId,
            taskQueue: config.taskQueues.orders,
            args: [{ order, settings }],
            staticSummary: orderSummary(order),
            staticDetails: orderDetails(order),
            typedSearchAttributes: orderSearchAttributes(order, clientOrderId, 'RECEIVED'),
            workflowIdConflictPolicy: 'USE_EXISTING',
            workflowIdReusePolicy: 'REJECT_DUPLICATE',
          });
          runId = handle.firstExecutionRunId;
        } catch (err) {
          if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
          // The workflow of this key already finished: report that order.
          runId = (await temporal.workflow.getHandle(workflowId).describe()).runId;
        }
        await insertReceivedOrder(sql, order, clientOrderId, workflowId);
        const row = (await findOrder(sql, accountId, orderId))!;
        return c.json({ id: orderId, status: row.status, workflowId, runId, links: linksOf(orderId, accountId, workflowId, runId) }, 202);
      })

      .openapi(listOrdersRoute, async (c) => {
        const q = c.req.valid('query');
        const cursor = q.cursor ? decodeCursor(q.cursor, (k) => uuidParam.safeParse(k).success) : undefined;
        const before = cursor && { createdAt: cursor.at, id: cursor.key };
        const rows = await listOrders(sql, accountIdOf(c), { status: q.status, symbol: q.symbol, limit: q.limit, before });
        const { page, nextCursor } = pageOf(rows, q.limit, (o) => encodeCursor(o.created_at, o.id));
        return c.json({ data: page.map((o) => present(o)), nextCursor }, 200);
      })

      // Before /{id}, which would take "external" for an order id.
      .route('/external', externalOrderRoutes({ sql }))

      .openapi(
        getOrder,
        async (c) => {
          const order = await loadOrThrow(c, c.req.valid('param').id);
          const [fills, events] = await Promise.all([orderFills(sql, order.account_id, order.id), orderEvents(sql, order.account_id, order.id)]);
          return c.json(
            {
              ...present(order),
              fills: fills.map((f) => ({ tradeId: f.trade_id, price: f.price, quantity: f.quantity, commission: f.commission, commissionAsset: f.commission_asset, executedAt: f.executed_at.toISOString() })),
              events: events.map((e) => ({ seq: e.seq, status: e.status as OrderStatus, cause: e.cause, detail: e.detail, at: e.at.toISOString() })),
            },
            200,
          );
        },
        orderNotFound,
      )

      .openapi(
        cancelOrder,
        async (c) => {
          const order = await loadOrThrow(c, c.req.valid('param').id);
          const body = c.req.valid('json');
          if (isTerminal(order.status)) throw new ApiError(409, 'order_not_cancelable', `Order is already ${order.status}; there is nothing to cancel`);
          // The answer waits for the venue's at most ORDER_CANCEL_WAIT: a venue or worker that is slow
          // gets a 202 (the cancel stays requested in the workflow), never a hanging request.
          const cancel = (async () => {
            const update = await temporal.workflow
              .getHandle(order.workflow_id)
              .startUpdate(cancelOrderUpdate, { args: [{ reason: body?.reason }], waitForStage: WorkflowUpdateStage.ACCEPTED });
            return update.result();
          })();
          let result: CancelResult | 'pending';
          try {
            result = await withDeadline(cancel, config.ORDER_CANCEL_WAIT);
          } catch (err) {
            if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) {
              const why = err.cause instanceof Error ? err.cause.message : err.message;
              const now = await findOrder(sql, order.account_id, order.id);
              if (/already in progress|already pending/.test(why)) return c.json({ ...present(now ?? order), cancel: 'pending' as const, message: why }, 202);
              throw new ApiError(409, 'order_not_cancelable', `Order cannot be canceled: ${why} (status ${now?.status ?? order.status})`);
            }
            throw err;
          }
          const now = (await findOrder(sql, order.account_id, order.id))!;
          if (result === 'pending' || result.status === 'UNKNOWN' || !isTerminal(now.status)) {
            const message =
              now.status === 'UNKNOWN'
                ? 'The order is UNKNOWN: its submission had no clear answer. It is cancelled as soon as the venue shows it; follow GET /v1/orders/{id}.'
                : 'Cancel requested; the venue has not confirmed it yet. Follow GET /v1/orders/{id}.';
            return c.json({ ...present(now), cancel: 'pending' as const, message }, 202);
          }
          return c.json(present(now), 200);
        },
        orderNotFound,
      )
  );
}

/** `work`'s result, or 'pending' once `ms` have passed (the work goes on; its failure is dropped). */
async function withDeadline<T>(work: Promise<T>, ms: number): Promise<T | 'pending'> {
  let timer: NodeJS.Timeout | undefined;
  const late = new Promise<'pending'>((resolve) => (timer = setTimeout(() => resolve('pending'), ms)));
  work.catch(() => {});
  try {
    return await Promise.race([work, late]);
  } finally {
    clearTimeout(timer);
  }
}

/** How an order row is answered (also for the legs, slices and buys of parents). */
export function orderPresenter(config: Config) {
  const ui = temporalUiLinks(config);
  const linksOf = (orderId: string, accountId: string, workflowId: string, runId?: string) => ({
    self: `/v1/orders/${orderId}`,
    temporalUi: ui.workflow(workflowId, runId),
    temporalUiOrders: ui.orders(accountId),
  });

  // The orders table holds only what createOrderSchema accepted (and venue/side CHECK constraints).
  function present(o: OrderRow, runId?: string) {
    return {
      id: o.id,
      symbol: o.symbol,
      side: o.side as Side,
      type: o.type as OrderType,
      venue: o.venue as Venue,
      timeInForce: o.time_in_force as TimeInForce | null,
      quantity: o.quantity,
      price: o.price,
      stopPrice: o.stop_price,
      status: o.status,
      executedQty: o.executed_qty,
      cumulativeQuoteQty: o.cumulative_quote_qty,
      clientOrderId: o.client_order_id,
      exchangeOrderId: o.exchange_order_id,
      rejectCode: o.reject_code,
      rejectReason: o.reject_reason,
      expireAt: o.expire_at?.toISOString() ?? null,
      trailingDelta: o.trailing_delta,
      portfolioId: o.portfolio_id ?? o.account_id,
      parent: o.parent_id ? { kind: o.parent_kind as ParentKind, id: o.parent_id, role: o.parent_role, self: parentPath(o.parent_kind as ParentKind, o.parent_id) } : null,
      workflowId: o.workflow_id,
      createdAt: o.created_at.toISOString(),
      updatedAt: o.updated_at.toISOString(),
      links: linksOf(o.id, o.account_id, o.workflow_id, runId),
    };
  }

  return { present, linksOf };
}
