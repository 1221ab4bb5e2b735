/**
 * Activities of the order workflow that write Postgres. Every write is keyed so that a retried
 * activity changes nothing: orders by id, events by (order_id, seq), and a status never moves
 * to a lower rank.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Queryable, Sql } from '../../lib/db.js';
import { settleDailyNotional } from '../../store/risk.js';
import { CANCEL_FAILED, STATUS_RANK, type OrderRequest, type OrderStatus, type Venue } from '../../workflows/definitions.js';

export interface TransitionInput {
  orderId: string;
  accountId: string;
  venue: Venue;
  symbol: string;
  seq: number;
  status: OrderStatus;
  cause: string;
  detail: Record<string, unknown>;
  state: {
    exchangeOrderId?: string | undefined;
    executedQty: string;
    cumulativeQuoteQty: string;
    rejectCode?: string | undefined;
    rejectReason?: string | undefined;
  };
}

export type EventInput = Omit<TransitionInput, 'state'>;

/**
 * A retried write finds its event already there: fine when it is the same event. A different one
 * under the same number means the workflow took another path than the attempt that wrote it (a
 * rerun of local activities that decided otherwise): the run stops here, loudly, instead of
 * recording a story that did not happen; the reconciler resumes the order from what is recorded.
 */
async function assertSameEvent(tx: Queryable, e: EventInput): Promise<void> {
  const [existing] = await tx<{ status: string; cause: string }[]>`SELECT status, cause FROM order_events WHERE order_id = ${e.orderId} AND seq = ${e.seq}`;
  if (existing && (existing.status !== e.status || existing.cause !== e.cause)) {
    throw ApplicationFailure.create({
      type: 'OrderEventConflict',
      nonRetryable: true,
      message: `Order ${e.orderId} event ${e.seq} is already recorded as ${existing.status} (${existing.cause}), not ${e.status} (${e.cause}); this run stops and reconcile-orders resumes the order from the recorded state`,
    });
  }
}

/** Channel on which every order change is announced (the WebSocket push listens to it). */
export const ORDER_CHANNEL = 'order_changes';

/**
 * @example const activities = createOrderDbActivities({ sql });
 */
export function createOrderDbActivities({ sql }: { sql: Sql }) {
  return {
    /** Creates the order row if the API has not (it may have crashed right after starting us). */
    async recordOrderReceived({ order, clientOrderId, workflowId }: { order: OrderRequest; clientOrderId: string; workflowId: string }): Promise<void> {
      await sql.begin(async (tx) => {
        await tx`INSERT INTO orders (id, account_id, venue, symbol, side, type, time_in_force, quantity, price, stop_price,
            status, status_rank, client_order_id, workflow_id)
          VALUES (${order.orderId}, ${order.accountId}, ${order.venue}, ${order.symbol}, ${order.side}, ${order.type},
            ${order.timeInForce ?? null}, ${order.quantity}, ${order.price ?? null}, ${order.stopPrice ?? null},
            'RECEIVED', 0, ${clientOrderId}, ${workflowId})
          ON CONFLICT (id) DO NOTHING`;
        await tx`INSERT INTO order_events (order_id, seq, account_id, status, cause)
          VALUES (${order.orderId}, 1, ${order.accountId}, 'RECEIVED', 'accepted') ON CONFLICT DO NOTHING`;
      });
    },

    /** Moves the order to `status` (never backwards) and appends the event. */
    async recordTransition(t: TransitionInput): Promise<void> {
      const rank = STATUS_RANK[t.status];
      await sql.begin(async (tx) => {
        const inserted = await tx`INSERT INTO order_events (order_id, seq, account_id, status, cause, detail)
          VALUES (${t.orderId}, ${t.seq}, ${t.accountId}, ${t.status}, ${t.cause}, ${tx.json(t.detail as never)})
          ON CONFLICT DO NOTHING RETURNING seq`;
        if (inserted.length === 0) return assertSameEvent(tx, t);
        const [row] = await tx<{ id: string }[]>`UPDATE orders SET status = ${t.status}, status_rank = ${rank},
            exchange_order_id = coalesce(${t.state.exchangeOrderId ?? null}, exchange_order_id),
            executed_qty = greatest(executed_qty, ${t.state.executedQty}::numeric),
            cumulative_quote_qty = greatest(cumulative_quote_qty, ${t.state.cumulativeQuoteQty}::numeric),
            reject_code = coalesce(${t.state.rejectCode ?? null}, reject_code),
            reject_reason = coalesce(${t.state.rejectReason ?? null}, reject_reason),
            updated_at = now()
          WHERE id = ${t.orderId} AND (status_rank < ${rank} OR (status_rank = ${rank} AND status_rank < 9)
            OR (status_rank = 9 AND status = ${t.status})
            -- a cancel the venue refused: the order is back to what it was (never below NEW)
            OR (status = 'PENDING_CANCEL' AND ${t.cause} = ${CANCEL_FAILED} AND ${rank} BETWEEN ${STATUS_RANK.NEW} AND ${STATUS_RANK.PARTIALLY_FILLED}))
          RETURNING id`;
        if (row && rank === 9) await settleDailyNotional(tx, t.orderId, t.state.cumulativeQuoteQty);
        if (row) {
          const payload = JSON.stringify({ orderId: t.orderId, accountId: t.accountId, status: t.status, symbol: t.symbol, executedQty: t.state.executedQty });
          await tx`SELECT pg_notify(${ORDER_CHANNEL}, ${payload})`;
        }
      });
    },

    /** An event that does not change the status (e.g. "submit outcome unknown"). */
    async recordEvent(e: EventInput): Promise<void> {
      const inserted = await sql`INSERT INTO order_events (order_id, seq, account_id, status, cause, detail)
        VALUES (${e.orderId}, ${e.seq}, ${e.accountId}, ${e.status}, ${e.cause}, ${sql.json(e.detail as never)})
        ON CONFLICT DO NOTHING RETURNING seq`;
      if (inserted.length === 0) await assertSameEvent(sql, e);
    },
  };
}
