/**
 * The fills of our orders, one row per venue trade. Keyed by (order, trade): a trade stored twice
 * (a poll and a stream event, a retried activity) is stored once.
 */
import type { Queryable } from '../lib/db.js';
import type { ExchangeFill, Side, Venue } from '../domain/exchange.js';

export interface FillOwner {
  orderId: string;
  accountId: string;
  venue: Venue;
  symbol: string;
  side: Side;
}

export async function insertFill(sql: Queryable, owner: FillOwner, t: ExchangeFill): Promise<void> {
  await sql`INSERT INTO fills (venue, trade_id, order_id, account_id, symbol, side, price, quantity, commission, commission_asset, executed_at)
    VALUES (${owner.venue}, ${t.tradeId}, ${owner.orderId}, ${owner.accountId}, ${owner.symbol}, ${owner.side}, ${t.price}, ${t.qty},
      ${t.commission}, ${t.commissionAsset}, ${new Date(t.time)})
    ON CONFLICT (order_id, trade_id) DO NOTHING`;
}

/** The quantity the order's stored fills add up to, as a decimal string. */
export async function filledQuantity(sql: Queryable, orderId: string): Promise<string> {
  const [row] = await sql<{ recorded: string }[]>`SELECT coalesce(sum(quantity), 0)::text AS recorded FROM fills WHERE order_id = ${orderId}`;
  return row?.recorded ?? '0';
}
