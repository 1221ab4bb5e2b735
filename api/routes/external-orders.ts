/**
 * /v1/orders/external: orders the reconciler found open on a venue under the caller's account
 * that the engine never placed (`EXTERNAL`), newest sighting first. Mounted by orderRoutes.
 */
import { createRoute } from '@hono/zod-openapi';
import { listExternalOrders, type ExternalOrderRow } from '../../store/external-orders.js';
import type { Sql } from '../../lib/db.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { bearerAuth, errors, json } from '../openapi/responses.js';
import { accountIdOf } from '../principal.js';
import { createRouter } from '../router.js';
import { externalOrderKey, externalOrderPageSchema, listExternalOrdersQuery, type venueOrderStatuses, type venueOrderTypes } from '../schemas/external-orders.js';

export interface ExternalOrderRoutesOptions {
  sql: Sql;
}

const NOW = '2025-05-01T14:30:00.000Z';

const listExternal = createRoute({
  method: 'get',
  path: '/',
  tags: ['orders'],
  operationId: 'listExternalOrders',
  summary: 'Orders open on a venue under your account that the engine never placed (EXTERNAL)',
  description:
    "Found by the reconcile-orders schedule (every RECONCILE_INTERVAL), which compares each account's open venue orders with ours. Newest first sighting first; `open` turns false once a reconciliation no longer finds the order open.",
  security: bearerAuth,
  request: { query: listExternalOrdersQuery },
  responses: {
    200: json('A page', externalOrderPageSchema, {
      data: [
        { origin: 'EXTERNAL', venue: 'binance', symbol: 'BTCUSDT', side: 'SELL', type: 'LIMIT', price: '70000', quantity: '0.05', executedQty: '0', status: 'NEW', open: true, clientOrderId: 'web_5f1c2a9e0b7d', exchangeOrderId: '4211', firstSeen: NOW, lastSeen: NOW, closedAt: null },
      ],
      nextCursor: null,
    }),
    ...errors({ auth: true }, { 400: 'cursor is not one this API returned' }),
  },
});

// The venue's own words, stored as the reconciler saw them.
function present(o: ExternalOrderRow) {
  return {
    origin: 'EXTERNAL' as const,
    venue: o.venue,
    symbol: o.symbol,
    side: o.side as 'BUY' | 'SELL',
    type: o.type as (typeof venueOrderTypes)[number],
    price: o.price,
    quantity: o.quantity,
    executedQty: o.executed_qty,
    status: o.status as (typeof venueOrderStatuses)[number],
    open: o.closed_at === null,
    clientOrderId: o.client_order_id,
    exchangeOrderId: o.exchange_order_id,
    firstSeen: o.first_seen.toISOString(),
    lastSeen: o.last_seen.toISOString(),
    closedAt: o.closed_at?.toISOString() ?? null,
  };
}

/**
 * @example createRouter().route('/external', externalOrderRoutes({ sql }))
 */
export function externalOrderRoutes({ sql }: ExternalOrderRoutesOptions) {
  return createRouter().openapi(listExternal, async (c) => {
    const q = c.req.valid('query');
    const cursor = q.cursor ? decodeCursor(q.cursor, (k) => externalOrderKey.test(k)) : undefined;
    const [, venue = '', exchangeOrderId = ''] = cursor ? (externalOrderKey.exec(cursor.key) ?? []) : [];
    const before = cursor && { firstSeen: cursor.at, venue, exchangeOrderId };
    const rows = await listExternalOrders(sql, accountIdOf(c), { venue: q.venue, limit: q.limit, before });
    const { page, nextCursor } = pageOf(rows, q.limit, (o) => encodeCursor(o.first_seen, `${o.venue}:${o.exchange_order_id}`));
    return c.json({ data: page.map(present), nextCursor }, 200);
  });
}
