/**
 * The TWAP parents' read model (`twap_orders`) and their slices (orders whose parent is the TWAP).
 * The API inserts the row when it starts the workflow; the workflow writes status and progress.
 */
import type { Sql } from '../lib/db.js';
import type { OrderStatus } from '../domain/orders.js';
import type { SymbolRules } from '../domain/exchange.js';

export interface TwapRow {
  id: string;
  account_id: string;
  venue: string;
  symbol: string;
  side: string;
  quantity: string;
  target_qty: string;
  slices: number;
  slice_type: string;
  limit_price: string | null;
  start_at: Date;
  end_at: Date;
  status: string;
  slices_started: number;
  filled_qty: string;
  cumulative_quote_qty: string;
  reason: string | null;
  workflow_id: string;
  created_at: Date;
  updated_at: Date;
}

export interface NewTwap {
  id: string;
  accountId: string;
  venue: string;
  symbol: string;
  side: string;
  quantity: string;
  slices: number;
  sliceType: string;
  limitPrice?: string | undefined;
  startAt: string;
  endAt: string;
  workflowId: string;
}

/** The API's record of an accepted TWAP (keyed: a repeat changes nothing). */
export async function insertTwap(sql: Sql, t: NewTwap): Promise<void> {
  await sql`INSERT INTO twap_orders (id, account_id, venue, symbol, side, quantity, target_qty, slices, slice_type, limit_price, start_at, end_at, status, workflow_id)
    VALUES (${t.id}, ${t.accountId}, ${t.venue}, ${t.symbol}, ${t.side}, ${t.quantity}, ${t.quantity}, ${t.slices}, ${t.sliceType},
      ${t.limitPrice ?? null}, ${new Date(t.startAt)}, ${new Date(t.endAt)}, 'RUNNING', ${t.workflowId})
    ON CONFLICT (id) DO NOTHING`;
}

export interface TwapProgress {
  twapId: string;
  /** The workflow's write counter: only a newer write lands. */
  rev: number;
  status: string;
  targetQty: string;
  endAt: string;
  slicesStarted: number;
  filledQty: string;
  cumulativeQuoteQty: string;
  reason?: string | undefined;
}

export async function recordTwapProgress(sql: Sql, p: TwapProgress): Promise<void> {
  await sql`UPDATE twap_orders SET rev = ${p.rev}, status = ${p.status}, target_qty = ${p.targetQty}, end_at = ${new Date(p.endAt)},
      slices_started = ${p.slicesStarted}, filled_qty = ${p.filledQty}, cumulative_quote_qty = ${p.cumulativeQuoteQty},
      reason = ${p.reason ?? null}, updated_at = now()
    WHERE id = ${p.twapId} AND rev < ${p.rev}`;
}

export async function findTwap(sql: Sql, accountId: string, id: string): Promise<TwapRow | undefined> {
  const [row] = await sql<[TwapRow?]>`SELECT * FROM twap_orders WHERE id = ${id} AND account_id = ${accountId}`;
  return row;
}

/** Newest first; one extra row tells the caller another page exists. */
export async function listTwaps(sql: Sql, accountId: string, f: { limit: number; before?: { createdAt: Date; id: string } | undefined }): Promise<TwapRow[]> {
  return sql<TwapRow[]>`SELECT * FROM twap_orders WHERE account_id = ${accountId}
    ${f.before ? sql`AND (created_at, id) < (${f.before.createdAt}, ${f.before.id})` : sql``}
    ORDER BY created_at DESC, id DESC LIMIT ${f.limit + 1}`;
}

export interface SliceOrderRow {
  id: string;
  parent_role: string | null;
  status: OrderStatus;
  quantity: string;
  executed_qty: string;
  cumulative_quote_qty: string;
  workflow_id: string;
  created_at: Date;
}

/** The TWAP's slices as the orders table has them, oldest first. */
export async function twapSliceOrders(sql: Sql, accountId: string, twapId: string): Promise<SliceOrderRow[]> {
  return sql<SliceOrderRow[]>`SELECT id, parent_role, status, quantity::text, executed_qty::text, cumulative_quote_qty::text, workflow_id, created_at
    FROM orders WHERE account_id = ${accountId} AND parent_kind = 'twap' AND parent_id = ${twapId} ORDER BY created_at, id`;
}

/** Some orders' current figures (a slice whose workflow ended cancelled, or started by an earlier run). */
export async function ordersByIds(sql: Sql, accountId: string, ids: string[]): Promise<SliceOrderRow[]> {
  if (ids.length === 0) return [];
  return sql<SliceOrderRow[]>`SELECT id, parent_role, status, quantity::text, executed_qty::text, cumulative_quote_qty::text, workflow_id, created_at
    FROM orders WHERE account_id = ${accountId} AND id IN ${sql(ids)}`;
}

/** The venue's rules for a symbol as last cached by the workers (`symbol_rules`), or undefined. */
export async function cachedSymbolRules(sql: Sql, venue: string, symbol: string): Promise<SymbolRules | undefined> {
  const [row] = await sql<[{ rules: SymbolRules }?]>`SELECT rules FROM symbol_rules WHERE venue = ${venue} AND symbol = ${symbol}`;
  return row?.rules;
}
