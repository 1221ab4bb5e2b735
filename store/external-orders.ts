/**
 * The external orders repository: venue orders the reconciler found open that the engine never
 * placed. The reconcile activity writes, the API reads; every read is scoped to an account.
 */
import type { Queryable, Sql } from '../lib/db.js';
import type { ExchangeOrder, Venue } from '../domain/exchange.js';

export interface ExternalOrderRow {
  account_id: string;
  venue: Venue;
  exchange_order_id: string;
  client_order_id: string;
  symbol: string;
  side: string;
  type: string;
  price: string | null;
  quantity: string;
  executed_qty: string;
  status: string;
  first_seen: Date;
  last_seen: Date;
  closed_at: Date | null;
}

/**
 * Records one reconciliation's sightings of an account's external orders on a venue: each seen
 * order is upserted (first_seen kept, last_seen and status moved on), and the account's earlier
 * external orders on that venue that are no longer open get closed_at. Repeating it changes
 * nothing but last_seen.
 * @example await recordExternalSightings(sql, accountId, 'paper', strangers);
 */
export async function recordExternalSightings(sql: Sql, accountId: string, venue: Venue, seen: ExchangeOrder[]): Promise<void> {
  await sql.begin(async (tx) => {
    for (const o of seen) {
      // Binance reports a MARKET order's price as "0.00000000": no price, as in our orders table.
      const price = /^0(\.0*)?$/.test(o.price) ? null : o.price;
      await tx`INSERT INTO external_orders (account_id, venue, exchange_order_id, client_order_id, symbol, side, type, price, quantity, executed_qty, status)
        VALUES (${accountId}, ${venue}, ${o.exchangeOrderId}, ${o.clientOrderId}, ${o.symbol}, ${o.side}, ${o.type}, ${price}, ${o.origQty}, ${o.executedQty}, ${o.status})
        ON CONFLICT (account_id, venue, exchange_order_id) DO UPDATE SET
          status = EXCLUDED.status, executed_qty = EXCLUDED.executed_qty, last_seen = now(), closed_at = NULL`;
    }
    const open = seen.map((o) => o.exchangeOrderId);
    await tx`UPDATE external_orders SET closed_at = now()
      WHERE account_id = ${accountId} AND venue = ${venue} AND closed_at IS NULL
      ${open.length > 0 ? tx`AND exchange_order_id NOT IN ${tx(open)}` : tx``}`;
  });
}

export interface ExternalOrderFilter {
  venue?: Venue | undefined;
  limit: number;
  /** Exclusive: orders first seen strictly before this (first_seen, venue, exchange_order_id). */
  before?: { firstSeen: Date; venue: string; exchangeOrderId: string } | undefined;
}

/** Newest sighting first; returns one extra row so the caller knows whether another page exists. */
export async function listExternalOrders(sql: Queryable, accountId: string, f: ExternalOrderFilter): Promise<ExternalOrderRow[]> {
  return sql<ExternalOrderRow[]>`SELECT account_id, venue, exchange_order_id, client_order_id, symbol, side, type,
      price::text, quantity::text, executed_qty::text, status, first_seen, last_seen, closed_at
    FROM external_orders WHERE account_id = ${accountId}
    ${f.venue ? sql`AND venue = ${f.venue}` : sql``}
    ${f.before ? sql`AND (first_seen, venue, exchange_order_id) < (${f.before.firstSeen}, ${f.before.venue}, ${f.before.exchangeOrderId})` : sql``}
    ORDER BY first_seen DESC, venue DESC, exchange_order_id DESC LIMIT ${f.limit + 1}`;
}
