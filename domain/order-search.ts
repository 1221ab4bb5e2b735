/**
 * What an order is found by in Temporal (its custom search attributes), and the list queries the
 * links use. Registered on the server at start-up (`--search-attribute` on the embedded dev server,
 * the operator API elsewhere); upserted by the order workflow at every transition.
 */
/** Every one is a Keyword (exact match). */
export const ORDER_SEARCH_ATTRIBUTES = ['OrderStatus', 'Symbol', 'Side', 'OrderType', 'Venue', 'AccountId', 'ClientOrderId'] as const;

/** The type new orders start as (workflows/order-lifecycle.ts). */
export const ORDER_WORKFLOW_TYPE = 'orderLifecycleV3';

/** Every type an order's workflow has had: orders started before V3 keep `orderLifecycle`. */
export const ORDER_WORKFLOW_TYPES = ['orderLifecycle', ORDER_WORKFLOW_TYPE] as const;

/** Visibility queries quote values with double quotes; an id or symbol never holds one, but be strict. */
const quoted = (value: string): string => `"${value.replace(/["\\]/g, '')}"`;

/**
 * The list query of order workflows, optionally one account's.
 * @example ordersQuery('8a1…') // 'WorkflowType IN ("orderLifecycle", "orderLifecycleV3") AND AccountId="8a1…"'
 */
export function ordersQuery(accountId?: string): string {
  const type = `WorkflowType IN (${ORDER_WORKFLOW_TYPES.map(quoted).join(', ')})`;
  return accountId === undefined ? type : `${type} AND AccountId=${quoted(accountId)}`;
}

/** `BUY 0.01 BTCUSDT LIMIT 58000 · binance`: an order in one line, for the Web UI's summary. */
export function orderSummary(o: { side: string; quantity: string; symbol: string; type: string; price?: string | undefined; stopPrice?: string | undefined; venue: string }): string {
  const prices = [o.price, o.stopPrice !== undefined ? `stop ${o.stopPrice}` : undefined].filter((p) => p !== undefined).join(' ');
  return `${o.side} ${o.quantity} ${o.symbol} ${o.type}${prices ? ` ${prices}` : ''} · ${o.venue}`;
}
