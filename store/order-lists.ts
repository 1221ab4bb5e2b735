/**
 * The order-lists repository (OCO, bracket): the list row; its legs are ordinary orders whose
 * parent it is (orders.parent_id). Every read is scoped to an account.
 */
import type { Queryable, Sql } from '../lib/db.js';
import { listClientOrderIdFor, type OrderListRequest, type OrderListStatus } from '../domain/order-lists.js';
import type { OrderRow } from './orders.js';

export interface OrderListRow {
  id: string;
  account_id: string;
  venue: string;
  kind: 'OCO' | 'BRACKET';
  symbol: string;
  side: 'BUY' | 'SELL';
  quantity: string;
  request: OrderListRequest;
  list_client_order_id: string;
  exchange_list_id: string | null;
  status: OrderListStatus;
  reject_reason: string | null;
  workflow_id: string;
  created_at: Date;
  updated_at: Date;
}

/** Keyed by the list id: the API and the workflow may both insert it. */
export async function insertOrderList(sql: Queryable, list: OrderListRequest, workflowId: string): Promise<void> {
  await sql`INSERT INTO order_lists (id, account_id, venue, kind, symbol, side, quantity, request, list_client_order_id, workflow_id)
    VALUES (${list.listId}, ${list.accountId}, ${list.venue}, ${list.kind}, ${list.symbol}, ${list.side}, ${list.quantity},
      ${sql.json(list as never)}, ${listClientOrderIdFor(list.listId)}, ${workflowId})
    ON CONFLICT (id) DO NOTHING`;
}

export async function updateOrderList(sql: Queryable, u: { listId: string; status: OrderListStatus; exchangeListId?: string | undefined; rejectReason?: string | undefined }): Promise<void> {
  await sql`UPDATE order_lists SET status = ${u.status}, exchange_list_id = coalesce(${u.exchangeListId ?? null}, exchange_list_id),
      reject_reason = coalesce(${u.rejectReason ?? null}, reject_reason), updated_at = now()
    WHERE id = ${u.listId}`;
}

/** The Binance pair that placed the list (its legs keep using it). */
export async function listPin(sql: Queryable, listId: string): Promise<{ source: 'stored' | 'environment'; version?: string | undefined } | undefined> {
  const [row] = await sql<{ source: 'stored' | 'environment' | null; version: string | null }[]>`SELECT credentials_source AS source, credentials_version AS version FROM order_lists WHERE id = ${listId}`;
  return row?.source ? { source: row.source, version: row.version ?? undefined } : undefined;
}

export async function findOrderList(sql: Sql, accountId: string, id: string): Promise<OrderListRow | undefined> {
  const [row] = await sql<OrderListRow[]>`SELECT *, quantity::text FROM order_lists WHERE id = ${id} AND account_id = ${accountId}`;
  return row;
}

/** Newest first; one extra row tells the caller another page exists. */
export async function listOrderLists(sql: Sql, accountId: string, f: { limit: number; before?: { createdAt: Date; id: string } | undefined }): Promise<OrderListRow[]> {
  return sql<OrderListRow[]>`SELECT *, quantity::text FROM order_lists WHERE account_id = ${accountId}
    ${f.before ? sql`AND (created_at, id) < (${f.before.createdAt}, ${f.before.id})` : sql``}
    ORDER BY created_at DESC, id DESC LIMIT ${f.limit + 1}`;
}

/** The orders a parent (list, TWAP, DCA plan, alert) placed, oldest first. */
export async function childOrders(sql: Sql, accountId: string, parentId: string): Promise<OrderRow[]> {
  return sql<OrderRow[]>`SELECT * FROM orders WHERE account_id = ${accountId} AND parent_id = ${parentId} ORDER BY created_at, id`;
}
