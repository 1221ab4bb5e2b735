/**
 * The orders repository: functions of `sql`, every one scoped to an account. The order workflow
 * writes through activities; the API reads through here.
 */
import type { Queryable, Sql } from '../lib/db.js';
import type { OrderRequest, OrderStatus } from '../domain/orders.js';

export interface OrderRow {
  id: string;
  account_id: string;
  venue: string;
  symbol: string;
  side: string;
  type: string;
  time_in_force: string | null;
  quantity: string;
  price: string | null;
  stop_price: string | null;
  status: OrderStatus;
  client_order_id: string;
  exchange_order_id: string | null;
  executed_qty: string;
  cumulative_quote_qty: string;
  reject_code: string | null;
  reject_reason: string | null;
  workflow_id: string;
  credentials_source: 'stored' | 'environment' | null;
  expire_at: Date | null;
  parent_kind: string | null;
  parent_id: string | null;
  parent_role: string | null;
  trailing_delta: number | null;
  /** NULL: the account's default portfolio. */
  portfolio_id: string | null;
  created_at: Date;
  updated_at: Date;
}

export interface FillRow {
  trade_id: string;
  price: string;
  quantity: string;
  commission: string;
  commission_asset: string | null;
  executed_at: Date;
}

export interface EventRow {
  seq: number;
  status: string;
  cause: string;
  detail: Record<string, unknown>;
  at: Date;
}

export async function findOrder(sql: Sql, accountId: string, id: string): Promise<OrderRow | undefined> {
  const [row] = await sql<OrderRow[]>`SELECT * FROM orders WHERE id = ${id} AND account_id = ${accountId}`;
  return row;
}

export async function orderFills(sql: Sql, accountId: string, id: string): Promise<FillRow[]> {
  return sql<FillRow[]>`SELECT trade_id, price::text, quantity::text, commission::text, commission_asset, executed_at
    FROM fills WHERE order_id = ${id} AND account_id = ${accountId} ORDER BY executed_at, trade_id`;
}

export async function orderEvents(sql: Sql, accountId: string, id: string): Promise<EventRow[]> {
  return sql<EventRow[]>`SELECT seq, status, cause, detail, at FROM order_events
    WHERE order_id = ${id} AND account_id = ${accountId} ORDER BY seq`;
}

export interface ListFilter {
  status?: string | undefined;
  symbol?: string | undefined;
  limit: number;
  /** Exclusive: orders strictly older than this (created_at, id). */
  before?: { createdAt: Date; id: string } | undefined;
}

/** Newest first; returns one extra row so the caller knows whether another page exists. */
export async function listOrders(sql: Sql, accountId: string, f: ListFilter): Promise<OrderRow[]> {
  return sql<OrderRow[]>`SELECT * FROM orders WHERE account_id = ${accountId}
    ${f.status ? sql`AND status = ${f.status}` : sql``}
    ${f.symbol ? sql`AND symbol = ${f.symbol}` : sql``}
    ${f.before ? sql`AND (created_at, id) < (${f.before.createdAt}, ${f.before.id})` : sql``}
    ORDER BY created_at DESC, id DESC LIMIT ${f.limit + 1}`;
}

/** The API's own record of an accepted order; the workflow writes the same row if the API could not. */
export async function insertReceivedOrder(sql: Queryable, order: OrderRequest, clientOrderId: string, workflowId: string): Promise<void> {
  await receivedOrderInsert(sql, order, clientOrderId, workflowId);
}

/**
 * The INSERT of a RECEIVED order (nothing when it is there), to await or to nest in a statement.
 * The API and the workflow's first step both write it, often at the same moment: with no conflict
 * target every unique key is an arbiter, so the loser of that race does nothing instead of failing
 * on `client_order_id` (which `ON CONFLICT (id)` did not cover).
 */
export function receivedOrderInsert(sql: Queryable, order: OrderRequest, clientOrderId: string, workflowId: string) {
  return sql`INSERT INTO orders (id, account_id, venue, symbol, side, type, time_in_force, quantity, price, stop_price,
      status, status_rank, client_order_id, workflow_id, expire_at, parent_kind, parent_id, parent_role, trailing_delta, portfolio_id)
    VALUES (${order.orderId}, ${order.accountId}, ${order.venue}, ${order.symbol}, ${order.side}, ${order.type},
      ${order.timeInForce ?? null}, ${order.quantity}, ${order.price ?? null}, ${order.stopPrice ?? null},
      'RECEIVED', 0, ${clientOrderId}, ${workflowId}, ${order.expireAt ? new Date(order.expireAt) : null},
      ${order.parent?.kind ?? null}, ${order.parent?.id ?? null}, ${order.parent?.role ?? null}, ${order.trailingDelta ?? null},
      ${order.portfolioId ?? null})
    ON CONFLICT DO NOTHING`;
}

/**
 * Claims an idempotency key for a new order id. Returns the order id the key belongs to and
 * whether the stored request matches this one.
 */
export async function claimIdempotencyKey(
  sql: Sql,
  accountId: string,
  key: string,
  requestHash: string,
  orderId: string,
): Promise<{ orderId: string; matches: boolean; replay: boolean }> {
  const [claimed] = await sql<{ order_id: string }[]>`INSERT INTO idempotency_keys (account_id, key, request_hash, order_id)
    VALUES (${accountId}, ${key}, ${requestHash}, ${orderId}) ON CONFLICT DO NOTHING RETURNING order_id`;
  if (claimed) return { orderId, matches: true, replay: false };
  const [existing] = await sql<{ order_id: string; request_hash: string }[]>`SELECT order_id, request_hash FROM idempotency_keys
    WHERE account_id = ${accountId} AND key = ${key}`;
  if (!existing) throw new Error('idempotency key vanished between insert and select');
  return { orderId: existing.order_id, matches: existing.request_hash === requestHash, replay: true };
}
