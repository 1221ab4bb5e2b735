/**
 * Where Binance trailing stops stand by our own prices. Binance trails the order itself and does
 * not publish its trigger, so after each price move the engine follows the best price since the
 * order's activation (by the FAQ's rules) and tells the order's workflow the trigger it estimates,
 * for its details in the Temporal UI. Nothing here acts on the order: the venue fires it.
 */
import { log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Decimal } from 'decimal.js';
import type { Sql } from '../../lib/db.js';
import type { OrderType, Side } from '../../domain/exchange.js';
import type { OrderStatus } from '../../domain/orders.js';
import { trailingTrigger, trailStep } from '../../domain/trailing.js';
import type { VenueOrderEvent } from '../../domain/venue-events.js';

interface TrailingRow {
  workflow_id: string;
  symbol: string;
  client_order_id: string;
  exchange_order_id: string | null;
  side: Side;
  type: OrderType;
  status: OrderStatus;
  stop_price: string | null;
  trailing_delta: number;
  trail_best: string | null;
  executed_qty: string;
  cumulative_quote_qty: string;
  created_at: Date;
}

/**
 * Moves the estimate of every working Binance trailing stop on a moved symbol; returns how many
 * workflows were told of a new trigger.
 */
export async function estimateBinanceTrails(
  sql: Sql,
  moved: { symbol: string; price: string }[],
  tell: (workflowId: string, event: VenueOrderEvent) => Promise<void>,
): Promise<number> {
  if (moved.length === 0) return 0;
  const priceOf = new Map(moved.map((m) => [m.symbol, new Decimal(m.price)]));
  const rows = await sql<TrailingRow[]>`SELECT workflow_id, symbol, client_order_id, exchange_order_id, side, type, status, stop_price::text,
      trailing_delta, trail_best::text, executed_qty::text, cumulative_quote_qty::text, created_at
    FROM orders WHERE venue = 'binance' AND trailing_delta IS NOT NULL AND status IN ('NEW', 'PARTIALLY_FILLED')
      AND symbol IN ${sql([...priceOf.keys()])}`;
  let told = 0;
  for (const o of rows) {
    const price = priceOf.get(o.symbol)!;
    const state = { side: o.side, type: o.type, stopPrice: o.stop_price === null ? null : new Decimal(o.stop_price), delta: o.trailing_delta, best: o.trail_best === null ? null : new Decimal(o.trail_best) };
    // Without a stopPrice the order trails from placement: its first look starts it.
    const best = state.best === null && state.stopPrice === null ? price : trailStep(state, price).best;
    if (best === null || (state.best !== null && best.eq(state.best)) || !o.exchange_order_id) continue;
    await sql`UPDATE orders SET trail_best = ${best.toString()} WHERE client_order_id = ${o.client_order_id} AND venue = 'binance'`;
    const event: VenueOrderEvent = {
      kind: 'update',
      venue: 'binance',
      clientOrderId: o.client_order_id,
      exchangeOrderId: o.exchange_order_id,
      status: o.status,
      executedQty: new Decimal(o.executed_qty).toString(),
      cumulativeQuoteQty: new Decimal(o.cumulative_quote_qty).toString(),
      triggerPrice: trailingTrigger(o.side, best, o.trailing_delta).toSignificantDigits(12).toString(),
      eventTime: Date.now(),
    };
    try {
      await tell(o.workflow_id, event);
      told++;
    } catch (err) {
      if (!(err instanceof WorkflowNotFoundError)) log.warn('trailing estimate not delivered', { workflowId: o.workflow_id, error: String(err) });
    }
  }
  return told;
}
