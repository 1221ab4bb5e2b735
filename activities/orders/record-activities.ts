/**
 * Activities of the order workflow that write Postgres (store/orders.ts, store/order-events.ts):
 * every write is keyed, so a retried activity changes nothing.
 */
import { ApplicationFailure } from '@temporalio/activity';
import type { Queryable, Sql } from '../../lib/db.js';
import type { WorkerMetrics } from '../../lib/metrics.js';
import { settleDailyNotional } from '../../store/risk.js';
import type { Venue } from '../../domain/exchange.js';
import { isTerminal, STATUS_RANK, type OrderRequest, type OrderStatus } from '../../domain/orders.js';
import { receivedOrderInsert } from '../../store/orders.js';
import { filledQuantity, insertFill, type FillOwner } from '../../store/fills.js';
import type { ExchangeFill } from '../../domain/exchange.js';
import { appendOrderEvent, eventInsert, recordedOrderEvent, recordOrderChange } from '../../store/order-events.js';

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
  const existing = await recordedOrderEvent(tx, e.orderId, e.seq);
  if (existing && (existing.status !== e.status || existing.cause !== e.cause)) {
    throw ApplicationFailure.create({
      type: 'OrderEventConflict',
      nonRetryable: true,
      message: `Order ${e.orderId} event ${e.seq} is already recorded as ${existing.status} (${existing.cause}), not ${e.status} (${e.cause}); this run stops and reconcile-orders resumes the order from the recorded state`,
    });
  }
}

/**
 * @example const activities = createOrderDbActivities({ sql });
 */
export function createOrderDbActivities({ sql, metrics }: { sql: Sql; metrics?: Pick<WorkerMetrics, 'ordersTerminal'> | undefined }) {
  return {
    /** Creates the order row if the API has not (it may have crashed right after starting us). */
    async recordOrderReceived({ order, clientOrderId, workflowId }: { order: OrderRequest; clientOrderId: string; workflowId: string }): Promise<void> {
      // One statement: the row (usually the API's already) and the first event, together or not at all.
      await sql`WITH received AS (${receivedOrderInsert(sql, order, clientOrderId, workflowId)})
        ${eventInsert(sql, { orderId: order.orderId, accountId: order.accountId, seq: 1, status: 'RECEIVED', cause: 'accepted' })}`;
    },

    /** Moves the order to `status` (never backwards) and appends the event. */
    async recordTransition(t: TransitionInput): Promise<void> {
      const change = { orderId: t.orderId, accountId: t.accountId, status: t.status, symbol: t.symbol, executedQty: t.state.executedQty };
      const write = async (tx: Queryable) => {
        const { appended, applied } = await recordOrderChange(tx, t, t.state, change);
        if (!appended) await assertSameEvent(tx, t);
        return applied;
      };
      // FILLED also settles the day's notional, in the same transaction; any other change is one statement.
      const applied =
        STATUS_RANK[t.status] === STATUS_RANK.FILLED
          ? await sql.begin(async (tx) => {
              const done = await write(tx);
              if (done) await settleDailyNotional(tx, t.orderId, t.state.cumulativeQuoteQty);
              return done;
            })
          : await write(sql);
      // Counted once the write is committed, and only by the attempt that made it: a retry finds the event.
      if (applied && isTerminal(t.status)) metrics?.ordersTerminal.inc({ status: t.status, venue: t.venue });
    },

    /**
     * Stores the trade a venue event carried (keyed: a repeat changes nothing) and returns what the
     * order's stored fills add up to: less than the event's cumulative quantity means an event was
     * missed, and the workflow reads the order's trades from the venue instead.
     */
    async recordVenueFill({ owner, trade }: { owner: FillOwner; trade?: ExchangeFill | undefined }): Promise<{ recorded: string }> {
      if (trade) await insertFill(sql, owner, trade);
      return { recorded: await filledQuantity(sql, owner.orderId) };
    },

    /** An event that does not change the status (e.g. "submit outcome unknown"). */
    async recordEvent(e: EventInput): Promise<void> {
      if (!(await appendOrderEvent(sql, e))) await assertSameEvent(sql, e);
    },
  };
}
