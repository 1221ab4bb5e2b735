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
  const inserted = await tx`INSERT INTO order_events (order_id, seq, account_id, status, cause, detail)
    VALUES (${e.orderId}, ${e.seq}, ${e.accountId}, ${e.status}, ${e.cause}, ${tx.json((e.detail ?? {}) as never)})
    ON CONFLICT DO NOTHING RETURNING seq`;
  return inserted.length > 0;
}

/** What event `seq` of the order records, if any. */
export async function recordedOrderEvent(tx: Queryable, orderId: string, seq: number): Promise<{ status: string; cause: string } | undefined> {
  const [existing] = await tx<{ status: string; cause: string }[]>`SELECT status, cause FROM order_events WHERE order_id = ${orderId} AND seq = ${seq}`;
  return existing;
}

/**
 * Moves the order to `status` with its progress, never to a lower rank (a refused cancel is the one
 * way down: from PENDING_CANCEL back to NEW or PARTIALLY_FILLED). Returns whether the row changed.
 */
export async function applyOrderStatus(tx: Queryable, orderId: string, status: OrderStatus, cause: string, p: OrderProgress): Promise<boolean> {
  const rank = STATUS_RANK[status];
  const [row] = await tx<{ id: string }[]>`UPDATE orders SET status = ${status}, status_rank = ${rank},
      exchange_order_id = coalesce(${p.exchangeOrderId ?? null}, exchange_order_id),
      executed_qty = greatest(executed_qty, ${p.executedQty}::numeric),
      cumulative_quote_qty = greatest(cumulative_quote_qty, ${p.cumulativeQuoteQty}::numeric),
      reject_code = coalesce(${p.rejectCode ?? null}, reject_code),
      reject_reason = coalesce(${p.rejectReason ?? null}, reject_reason),
      updated_at = now()
    WHERE id = ${orderId} AND (status_rank < ${rank} OR (status_rank = ${rank} AND status_rank < 9)
      OR (status_rank = 9 AND status = ${status})
      OR (status = 'PENDING_CANCEL' AND ${cause} = ${CANCEL_FAILED} AND ${rank} BETWEEN ${STATUS_RANK.NEW} AND ${STATUS_RANK.PARTIALLY_FILLED}))
    RETURNING id`;
  return row !== undefined;
}

/** Tells the listeners of ORDER_CHANNEL (delivered when the transaction commits). */
export async function announceOrderChange(tx: Queryable, change: { orderId: string; accountId: string; status: OrderStatus; symbol: string; executedQty: string }): Promise<void> {
  await tx`SELECT pg_notify(${ORDER_CHANNEL}, ${JSON.stringify(change)})`;
}
