/**
 * /v1/order-lists: OCO and bracket orders. Submit (starts the list's workflow), list, read (with its
 * legs, each an ordinary order), cancel (a Temporal Update).
 */
import { randomUUID } from 'node:crypto';
import { createRoute } from '@hono/zod-openapi';
import { WorkflowExecutionAlreadyStartedError, WorkflowNotFoundError, WorkflowUpdateFailedError, WorkflowUpdateStage, type Client } from '@temporalio/client';
import type { Context } from 'hono';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { orderListViolations, orderListWorkflowId, type OrderListRequest } from '../../domain/order-lists.js';
import { orderSettingsFrom } from '../../lib/order-settings.js';
import { temporalUiLinks } from '../../lib/temporal-ui.js';
import { childOrders, findOrderList, insertOrderList, listOrderLists, updateOrderList, type OrderListRow } from '../../store/order-lists.js';
import { latestPrices } from '../../store/prices.js';
import { cancelOrderListUpdate } from '../../workflows/definitions.js';
import type { orderList } from '../../workflows/order-list.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { ApiError } from '../errors.js';
import { venueChooser } from '../venue-choice.js';
import { idForRequest } from '../idempotency.js';
import { bearerAuth, errors, json, noQuery } from '../openapi/responses.js';
import { accountIdOf, type AppEnv } from '../principal.js';
import { createRouter } from '../router.js';
import { uuidParam } from '../schemas/common.js';
import { idempotencyHeaders } from '../schemas/orders.js';
import {
  cancelOrderListBody,
  createOrderListSchema,
  listOrderListsQuery,
  orderListAcceptedSchema,
  orderListDetailSchema,
  orderListIdParams,
  orderListPageSchema,
  orderListSchema,
} from '../schemas/order-lists.js';
import { notFoundForParams } from '../validation.js';
import type { orderPresenter } from './orders.js';

export interface OrderListRoutesOptions {
  config: Config;
  sql: Sql;
  temporal: Client;
  /** How an order row is shown (the /v1/orders shape), for the legs. */
  presentOrder: ReturnType<typeof orderPresenter>['present'];
}

const LIST_ID = '7d1f0c2e-3b4a-4c5d-8e6f-7a8b9c0d1e2f';
const NOW = '2025-05-01T14:30:00.000Z';
const tags = ['order lists'];
const NO_LIST = "No such order list of yours (also for another account's list)";
const exampleLinks = { self: `/v1/order-lists/${LIST_ID}`, temporalUi: `http://localhost:8233/namespaces/default/workflows/order-list-${LIST_ID}` };
const exampleList = {
  id: LIST_ID,
  type: 'BRACKET',
  venue: 'paper',
  symbol: 'BTCUSDT',
  side: 'BUY',
  quantity: '0.01',
  entry: { price: '60000' },
  takeProfit: { price: '66000' },
  stopLoss: { stopPrice: '57000', limitPrice: null, trailingDelta: null },
  status: 'WORKING',
  listClientOrderId: `dtl-${LIST_ID.replace(/-/g, '')}`,
  exchangeListId: null,
  rejectReason: null,
  workflowId: `order-list-${LIST_ID}`,
  createdAt: NOW,
  updatedAt: NOW,
  links: exampleLinks,
} as const;

const submitList = createRoute({
  method: 'post',
  path: '/',
  tags,
  operationId: 'submitOrderList',
  summary: 'Place an OCO or a bracket (starts its workflow)',
  description:
    'OCO: a take-profit and a stop-loss on the same quantity; when one fills the venue cancels the other. BRACKET: a LIMIT entry; once it fills, that pair protects what filled. Native on Binance (orderList/oco, orderList/otoco); on paper the OCO is the paper venue\'s and the bracket is run by the workflow. A rule broken answers 422 naming it.',
  security: bearerAuth,
  request: {
    query: noQuery,
    headers: idempotencyHeaders,
    body: {
      required: true,
      content: {
        'application/json': {
          schema: createOrderListSchema,
          example: { type: 'BRACKET', symbol: 'BTCUSDT', side: 'BUY', quantity: '0.01', entry: { price: '60000' }, takeProfit: { price: '66000' }, stopLoss: { stopPrice: '57000' }, venue: 'paper' },
        },
      },
    },
  },
  responses: {
    202: json('Accepted; follow it at links.self', orderListAcceptedSchema, { id: LIST_ID, status: 'RECEIVED', workflowId: `order-list-${LIST_ID}`, links: exampleLinks }),
    ...errors({ auth: true, body: true }, { 400: 'Idempotency-Key is not 1-255 printable ASCII characters', 422: 'An Idempotency-Key reused with another body, a rule broken (e.g. a take-profit below the entry of a BUY, a trailing delta out of range, an OCO that does not straddle the last price), or no Binance credentials for venue "binance"' }),
  },
});

const listLists = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'listOrderLists',
  summary: 'Your OCOs and brackets, newest first',
  security: bearerAuth,
  request: { query: listOrderListsQuery },
  responses: { 200: json('A page', orderListPageSchema, { data: [exampleList], nextCursor: null }), ...errors({ auth: true }, { 400: 'cursor is not one this API returned' }) },
});

const getList = createRoute({
  method: 'get',
  path: '/{id}',
  tags,
  operationId: 'getOrderList',
  summary: 'One OCO or bracket with its legs',
  security: bearerAuth,
  request: { params: orderListIdParams, query: noQuery },
  responses: { 200: json('The list', orderListDetailSchema, { ...exampleList, legs: [] }), ...errors({ auth: true }, { 404: NO_LIST }) },
});

const cancelList = createRoute({
  method: 'delete',
  path: '/{id}',
  tags,
  operationId: 'cancelOrderList',
  summary: 'Cancel what of the list still works (a workflow Update): the entry, or the protective pair',
  security: bearerAuth,
  request: { params: orderListIdParams, query: noQuery, body: { required: false, content: { 'application/json': { schema: cancelOrderListBody, example: { reason: 'closing by hand' } } } } },
  responses: {
    200: json('The list once the cancel is done', orderListSchema, { ...exampleList, status: 'CANCELED' }),
    202: json('Cancel requested, not yet done within ORDER_CANCEL_WAIT; follow GET /v1/order-lists/{id}', orderListSchema, { ...exampleList }),
    ...errors({ auth: true, body: true }, { 404: NO_LIST, 409: 'The list is already done, or a cancel is already in progress' }),
  },
});

const listNotFound = notFoundForParams((c) => new ApiError(404, 'order_list_not_found', `No order list ${c.req.param('id')}`));

/**
 * @example app.route('/v1/order-lists', orderListRoutes({ config, sql, temporal, presentOrder }))
 */
export function orderListRoutes({ config, sql, temporal, presentOrder }: OrderListRoutesOptions) {
  const settings = orderSettingsFrom(config);
  const ui = temporalUiLinks(config);
  const venueFor = venueChooser(config, sql);

  function present(l: OrderListRow) {
    const r = l.request;
    return {
      id: l.id,
      type: l.kind,
      venue: l.venue as 'paper' | 'binance',
      symbol: l.symbol,
      side: l.side,
      quantity: l.quantity,
      entry: r.entry ? { price: r.entry.price } : null,
      takeProfit: { price: r.takeProfit.price },
      stopLoss: { stopPrice: r.stopLoss.stopPrice ?? null, limitPrice: r.stopLoss.limitPrice ?? null, trailingDelta: r.stopLoss.trailingDelta ?? null },
      status: l.status,
      listClientOrderId: l.list_client_order_id,
      exchangeListId: l.exchange_list_id,
      rejectReason: l.reject_reason,
      workflowId: l.workflow_id,
      createdAt: l.created_at.toISOString(),
      updatedAt: l.updated_at.toISOString(),
      links: { self: `/v1/order-lists/${l.id}`, temporalUi: ui.workflow(l.workflow_id) },
    };
  }

  async function loadOrThrow(c: Context<AppEnv>, id: string): Promise<OrderListRow> {
    const row = uuidParam.safeParse(id).success ? await findOrderList(sql, accountIdOf(c), id) : undefined;
    if (!row) throw new ApiError(404, 'order_list_not_found', `No order list ${id}`);
    return row;
  }

  return createRouter()
    .openapi(submitList, async (c) => {
      const body = c.req.valid('json');
      const accountId = accountIdOf(c);
      const venue = await venueFor(accountId, body.venue);
      // An OCO must straddle the market (Binance's price rule); checked against the last stored price.
      if (body.type === 'OCO') {
        const [last] = await latestPrices(sql, [body.symbol]);
        const broken = last ? orderListViolations(body, last.price) : [];
        if (broken.length > 0) throw new ApiError(422, 'invalid_request', `${broken[0]!.path}: ${broken[0]!.message}`, broken);
      }
      const { id: listId } = await idForRequest(sql, accountId, c.req.valid('header')['Idempotency-Key'], 'order-lists', { ...body, venue }, 'order list');
      // A repeat of a key finds the list as first recorded: the same leg ids, never a second list.
      const recorded = await findOrderList(sql, accountId, listId);
      const list: OrderListRequest = recorded?.request ?? {
        listId,
        accountId,
        venue,
        kind: body.type,
        symbol: body.symbol,
        side: body.side,
        quantity: body.quantity,
        entry: body.entry,
        takeProfit: body.takeProfit,
        stopLoss: body.stopLoss,
        legIds: { entry: body.type === 'BRACKET' ? randomUUID() : undefined, takeProfit: randomUUID(), stopLoss: randomUUID() },
      };
      const workflowId = orderListWorkflowId(listId);
      await insertOrderList(sql, list, workflowId);
      // Two requests of one key at once: both start the list as it was first recorded.
      const first = (await findOrderList(sql, accountId, listId))!.request;
      try {
        await temporal.workflow.start<typeof orderList>('orderList', {
          workflowId,
          taskQueue: config.taskQueues.orders,
          args: [{ list: first, settings }],
          staticSummary: `${list.kind} ${list.side} ${list.quantity} ${list.symbol} on ${venue}`,
          staticDetails: `take-profit ${list.takeProfit.price}, stop ${list.stopLoss.stopPrice ?? '—'}${list.stopLoss.trailingDelta ? ` trailing ${list.stopLoss.trailingDelta} bps` : ''}${list.entry ? `, entry ${list.entry.price}` : ''}`,
          workflowIdConflictPolicy: 'USE_EXISTING',
          workflowIdReusePolicy: 'REJECT_DUPLICATE',
        });
      } catch (err) {
        // The key's list already ran to its end: report it.
        if (!(err instanceof WorkflowExecutionAlreadyStartedError)) {
          await updateOrderList(sql, { listId, status: 'REJECTED', rejectReason: 'its workflow could not be started; nothing was placed. Submit it again.' });
          throw err;
        }
      }
      const row = (await findOrderList(sql, accountId, listId))!;
      return c.json({ id: listId, status: row.status, workflowId, links: { self: `/v1/order-lists/${listId}`, temporalUi: ui.workflow(workflowId) } }, 202);
    })

    .openapi(listLists, async (c) => {
      const q = c.req.valid('query');
      const cursor = q.cursor ? decodeCursor(q.cursor, (k) => uuidParam.safeParse(k).success) : undefined;
      const rows = await listOrderLists(sql, accountIdOf(c), { limit: q.limit, before: cursor && { createdAt: cursor.at, id: cursor.key } });
      const { page, nextCursor } = pageOf(rows, q.limit, (l) => encodeCursor(l.created_at, l.id));
      return c.json({ data: page.map(present), nextCursor }, 200);
    })

    .openapi(
      getList,
      async (c) => {
        const row = await loadOrThrow(c, c.req.valid('param').id);
        const legs = await childOrders(sql, row.account_id, row.id);
        return c.json({ ...present(row), legs: legs.map((o) => presentOrder(o)) }, 200);
      },
      listNotFound,
    )

    .openapi(
      cancelList,
      async (c) => {
        const row = await loadOrThrow(c, c.req.valid('param').id);
        const body = c.req.valid('json');
        if (['ALL_DONE', 'CANCELED', 'REJECTED'].includes(row.status)) throw new ApiError(409, 'order_list_not_cancelable', `The ${row.kind} is already ${row.status}; there is nothing to cancel`);
        try {
          const update = await temporal.workflow
            .getHandle(row.workflow_id)
            .startUpdate(cancelOrderListUpdate, { args: [{ reason: body?.reason }], waitForStage: WorkflowUpdateStage.ACCEPTED });
          const done = await Promise.race([update.result().then(() => true), new Promise<false>((r) => setTimeout(() => r(false), config.ORDER_CANCEL_WAIT))]);
          const now = (await findOrderList(sql, row.account_id, row.id))!;
          return c.json(present(now), done ? 200 : 202);
        } catch (err) {
          if (err instanceof WorkflowUpdateFailedError || err instanceof WorkflowNotFoundError) {
            const why = err.cause instanceof Error ? err.cause.message : err.message;
            throw new ApiError(409, 'order_list_not_cancelable', `The ${row.kind} cannot be cancelled: ${why}`);
          }
          throw err;
        }
      },
      listNotFound,
    );
}
