/**
 * An order's story in Postgres: its numbered events, and the status change each carries onto the
 * order row. Every write is keyed so a repeated call changes nothing: events by (order_id, seq), and
 * a status never moves to a lower rank.
 */
import type { Queryable } from '../lib/db.js';
import { CANCEL_FAILED, STATUS_RANK, type OrderStatus } from '../domain/orders.js';

/** Channel on which every order change is announced (the WebSocket push listens to it). */
export const ORDER_CHANNEL = 'order_changes';

export interface OrderEvent {
  orderId: string;
  accountId: string;
  seq: number;
  status: OrderStatus;
  cause: string;
  detail?: Record<string, unknown> | undefined;
}

export interface OrderProgress {
  exchangeOrderId?: string | undefined;
  executedQty: string;
  cumulativeQuoteQty: string;
  rejectCode?: string | undefined;
  rejectReason?: string | undefined;
}

/** Appends the event; false when one with its number is already there. */
export async function appendOrderEvent(tx: Queryable, e: OrderEvent): Promise<boolean> {
  const inserted = await eventInsert(tx, e);
  return inserted.length > 0;
}

/** The event's INSERT, returning its seq when it was new: to await or to nest in a statement. */
export function eventInsert(tx: Queryable, e: OrderEvent) {
  return tx`INSERT INTO order_events (order_id, seq, account_id, status, cause, detail)
    VALUES (${e.orderId}, ${e.seq}, ${e.accountId}, ${e.status}, ${e.cause}, ${tx.json((e.detail ?? {}) as never)})
    ON CONFLICT DO NOTHING RETURNING seq`;
}

/** What event `seq` of the order records, if any. */
export async function recordedOrderEvent(tx: Queryable, orderId: string, seq: number): Promise<{ status: string; cause: string } | undefined> {
  const [existing] = await tx<{ status: string; cause: string }[]>`SELECT status, cause FROM order_events WHERE order_id = ${orderId} AND seq = ${seq}`;
  return existing;
}

/**
 * Moves the order to `status` with its progress, never to a lower rank (a refused cancel is the one
 * way down: from PENDING_CANCEL back to NEW or PARTIALLY_FILLED), where `also` holds.
 */
function statusUpdate(tx: Queryable, orderId: string, status: OrderStatus, cause: string, p: OrderProgress, also: ReturnType<Queryable>) {
  const rank = STATUS_RANK[status];
  return tx`UPDATE orders SET status = ${status}, status_rank = ${rank},
      exchange_order_id = coalesce(${p.exchangeOrderId ?? null}, exchange_order_id),
      executed_qty = greatest(executed_qty, ${p.executedQty}::numeric),
      cumulative_quote_qty = greatest(cumulative_quote_qty, ${p.cumulativeQuoteQty}::numeric),
      reject_code = coalesce(${p.rejectCode ?? null}, reject_code),
      reject_reason = coalesce(${p.rejectReason ?? null}, reject_reason),
      updated_at = now()
    WHERE id = ${orderId} AND ${also} AND (status_rank < ${rank} OR (status_rank = ${rank} AND status_rank < 9)
      OR (status_rank = 9 AND status = ${status})
      OR (status = 'PENDING_CANCEL' AND ${cause} = ${CANCEL_FAILED} AND ${rank} BETWEEN ${STATUS_RANK.NEW} AND ${STATUS_RANK.PARTIALLY_FILLED}))`;
}

export interface OrderChange {
  orderId: string;
  accountId: string;
  status: OrderStatus;
  symbol: string;
  executedQty: string;
}

/**
 * Appends the event, then (only if it was new) moves the order to its status, then (only if the row
 * changed) tells the listeners of ORDER_CHANNEL (on commit): one statement, so one round trip,
 * atomic without a transaction.
 */
export async function recordOrderChange(tx: Queryable, e: OrderEvent, p: OrderProgress, change: OrderChange): Promise<{ appended: boolean; applied: boolean }> {
  const [r] = await tx<[{ appended: boolean; applied: boolean; told: number }]>`
    WITH ev AS (${eventInsert(tx, e)}),
    up AS (${statusUpdate(tx, e.orderId, e.status, e.cause, p, tx`EXISTS (SELECT 1 FROM ev)`)} RETURNING id),
    told AS (SELECT pg_notify(${ORDER_CHANNEL}, ${JSON.stringify(change)}) FROM up)
    SELECT EXISTS (SELECT 1 FROM ev) AS appended, EXISTS (SELECT 1 FROM up) AS applied, (SELECT count(*)::int FROM told) AS told`;
  return { appended: r.appended, applied: r.applied };
}
