/**
 * /v1/orders/external: orders the reconciler found open on a venue under the caller's account
 * that the engine never placed (`EXTERNAL`), newest sighting first. Mounted by orderRoutes.
 */
import { Hono } from 'hono';
import { listExternalOrders, type ExternalOrderRow } from '../../activities/db/external-orders.js';
import type { Sql } from '../../lib/db.js';
import { decodeCursor, encodeCursor, pageOf } from '../cursor.js';
import { accountIdOf } from '../principal.js';
import { externalOrderKey, listExternalOrdersQuery } from '../schemas/external-orders.js';

export interface ExternalOrderRoutesOptions {
  sql: Sql;
}

function present(o: ExternalOrderRow) {
  return {
    origin: 'EXTERNAL' as const,
    venue: o.venue,
    symbol: o.symbol,
    side: o.side,
    type: o.type,
    price: o.price,
    quantity: o.quantity,
    executedQty: o.executed_qty,
    status: o.status,
    open: o.closed_at === null,
    clientOrderId: o.client_order_id,
    exchangeOrderId: o.exchange_order_id,
    firstSeen: o.first_seen.toISOString(),
    lastSeen: o.last_seen.toISOString(),
    closedAt: o.closed_at?.toISOString() ?? null,
  };
}

/**
 * @example new Hono().route('/external', externalOrderRoutes({ sql }))
 */
export function externalOrderRoutes({ sql }: ExternalOrderRoutesOptions) {
  return new Hono().get('/', async (c) => {
    const q = listExternalOrdersQuery.parse(c.req.query());
    const cursor = q.cursor ? decodeCursor(q.cursor, (k) => externalOrderKey.test(k)) : undefined;
    const [, venue = '', exchangeOrderId = ''] = cursor ? (externalOrderKey.exec(cursor.key) ?? []) : [];
    const before = cursor && { firstSeen: cursor.at, venue, exchangeOrderId };
    const rows = await listExternalOrders(sql, accountIdOf(c), { venue: q.venue, limit: q.limit, before });
    const { page, nextCursor } = pageOf(rows, q.limit, (o) => encodeCursor(o.first_seen, `${o.venue}:${o.exchange_order_id}`));
    return c.json({ data: page.map(present), nextCursor });
  });
}
