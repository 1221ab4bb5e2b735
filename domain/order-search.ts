/**
 * What an order is found by in Temporal (its custom search attributes), and the list queries the
 * links use. Registered on the server at start-up (`--search-attribute` on the embedded dev server,
 * the operator API elsewhere); upserted by the order workflow at every transition.
 */
/** Every one is a Keyword (exact match). */
export const ORDER_SEARCH_ATTRIBUTES = ['OrderStatus', 'Symbol', 'Side', 'OrderType', 'Venue', 'AccountId', 'ClientOrderId'] as const;

/** The order workflow's type, as the list queries name it. */
export const ORDER_WORKFLOW_TYPE = 'orderLifecycle';

/** Visibility queries quote values with double quotes; an id or symbol never holds one, but be strict. */
const quoted = (value: string): string => `"${value.replace(/["\\]/g, '')}"`;

/**
 * The list query of order workflows, optionally one account's.
 * @example ordersQuery('8a1…') // 'WorkflowType="orderLifecycle" AND AccountId="8a1…"'
 */
export function ordersQuery(accountId?: string): string {
  const type = `WorkflowType=${quoted(ORDER_WORKFLOW_TYPE)}`;
  return accountId === undefined ? type : `${type} AND AccountId=${quoted(accountId)}`;
}

/** `BUY 0.01 BTCUSDT LIMIT 58000 · binance`: an order in one line, for the Web UI's summary. */
export function orderSummary(o: { side: string; quantity: string; symbol: string; type: string; price?: string | undefined; stopPrice?: string | undefined; venue: string }): string {
  const prices = [o.price, o.stopPrice !== undefined ? `stop ${o.stopPrice}` : undefined].filter((p) => p !== undefined).join(' ');
  return `${o.side} ${o.quantity} ${o.symbol} ${o.type}${prices ? ` ${prices}` : ''} · ${o.venue}`;
}
