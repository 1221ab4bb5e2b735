/**
 * Activities of the `orderList` workflow: place a list on its venue exactly once, find it, cancel
 * it, and record the list and its legs. Venue errors become the same failure types as a single
 * order's (see venue-activities.ts): OrderRejected, SubmitOutcomeUnknown, ExchangeBusy, ExchangeUnavailable.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { Decimal } from 'decimal.js';
import type { Sql } from '../../lib/db.js';
import type { Exchange, ExchangeOrderList, ExchangeOrderStatus, OrderListRef, PlaceOrderListRequest, Venue } from '../../domain/exchange.js';
import type { OrderListRequest, OrderListStatus } from '../../domain/order-lists.js';
import { clientOrderIdFor, orderWorkflowId, type OrderRequest } from '../../domain/orders.js';
import { ExchangeRateLimitError, ExchangeRejectedError, ExchangeUnavailableError, ExchangeUnknownOutcomeError } from '../../domain/venue-errors.js';
import { insertReceivedOrder } from '../../store/orders.js';
import { appendOrderEvent } from '../../store/order-events.js';
import { insertOrderList, listPin, updateOrderList } from '../../store/order-lists.js';
import { withRequestPriority } from '../../venues/binance/request-budget.js';
import type { CredentialPin, CredentialSource } from '../account-venues.js';
import { toFailure } from './venue-activities.js';

export interface OrderListSnapshot {
  orderListId: string;
  listOrderStatus: ExchangeOrderList['listOrderStatus'];
  legs: { clientOrderId: string; exchangeOrderId: string; status: ExchangeOrderStatus; executedQty: string }[];
}

export interface ListVenueRef {
  listId: string;
  accountId: string;
  venue: Venue;
  symbol: string;
  listClientOrderId: string;
}

export interface OrderListDeps {
  sql: Sql;
  exchangeFor(venue: Venue, accountId: string, pinned?: CredentialPin): Promise<Exchange>;
  credentialSource(accountId: string): Promise<CredentialPin>;
}

/** A list the venue recorded as refused (the paper venue keeps its refusals) is the refusal, not a list to adopt. */
function refusedOrFound(l: ExchangeOrderList): ExchangeOrderList {
  if (l.listOrderStatus !== 'REJECT') return l;
  throw ApplicationFailure.create({ type: 'OrderRejected', nonRetryable: true, message: 'The venue refused the order list', details: [{ code: '-2010', reason: 'The venue refused the order list (its refusal is on record)' }] });
}

function snapshotOfList(l: ExchangeOrderList): OrderListSnapshot {
  return {
    orderListId: l.orderListId,
    listOrderStatus: l.listOrderStatus,
    legs: l.orders.map((o) => ({ clientOrderId: o.clientOrderId, exchangeOrderId: o.exchangeOrderId, status: o.status, executedQty: new Decimal(o.executedQty).toString() })),
  };
}

/** A leg to record as an order of ours, with what the venue calls it. */
export interface LegToRecord {
  order: OrderRequest;
  exchangeOrderId: string;
}

/**
 * @example worker activities: { ...createOrderListActivities({ sql, exchangeFor, credentialSource }) }
 */
export function createOrderListActivities(deps: OrderListDeps) {
  const { sql } = deps;
  const refOf = (r: ListVenueRef): OrderListRef => ({ symbol: r.symbol, listClientOrderId: r.listClientOrderId });

  async function exchangeOf(r: Pick<ListVenueRef, 'listId' | 'venue' | 'accountId'>): Promise<Exchange> {
    const pin = r.venue === 'binance' ? await listPin(sql, r.listId) : undefined;
    return deps.exchangeFor(r.venue, r.accountId, pin);
  }

  return {
    /** Creates the list's row if the API has not (it may have crashed right after starting us). */
    async recordOrderListReceived({ list, workflowId }: { list: OrderListRequest; workflowId: string }): Promise<void> {
      await insertOrderList(sql, list, workflowId);
    },

    async recordOrderListStatus(u: { listId: string; status: OrderListStatus; exchangeListId?: string | undefined; rejectReason?: string | undefined }): Promise<void> {
      await updateOrderList(sql, u);
    },

    /**
     * Records legs the venue placed as orders of ours (RECEIVED, with the venue's order id and the
     * list's key pair), so the order workflow adopted for each tracks, shows and cancels it.
     */
    async recordOrderListLegs({ listId, legs }: { listId: string; legs: LegToRecord[] }): Promise<void> {
      await sql.begin(async (tx) => {
        for (const { order, exchangeOrderId } of legs) {
          await insertReceivedOrder(tx, order, clientOrderIdFor(order.orderId), orderWorkflowId(order.orderId));
          await tx`UPDATE orders o SET exchange_order_id = ${exchangeOrderId},
              credentials_source = l.credentials_source, credentials_version = l.credentials_version
            FROM order_lists l WHERE o.id = ${order.orderId} AND l.id = ${listId}`;
          await appendOrderEvent(tx, { orderId: order.orderId, accountId: order.accountId, seq: 1, status: 'RECEIVED', cause: 'accepted', detail: { placedBy: `order list ${listId}`, role: order.parent?.role ?? null } });
        }
      });
    },

    /**
     * Places the list once. It first asks the venue for the list's client id and adopts what it
     * finds. Binance: at most one POST in doubt per list, whichever run sends it.
     */
    async submitOrderList({ ref, request }: { ref: ListVenueRef; request: PlaceOrderListRequest }): Promise<{ adopted: boolean; list: OrderListSnapshot; credentials?: CredentialSource }> {
      const binance = ref.venue === 'binance';
      let exchange: Exchange;
      let existing: ExchangeOrderList | null;
      let pin: CredentialPin | undefined;
      try {
        pin = binance ? ((await listPin(sql, ref.listId)) ?? (await deps.credentialSource(ref.accountId))) : undefined;
        if (pin) {
          await sql`UPDATE order_lists SET credentials_source = ${pin.source}, credentials_version = ${pin.version ?? null}
            WHERE id = ${ref.listId} AND credentials_source IS NULL`;
        }
        exchange = await deps.exchangeFor(ref.venue, ref.accountId, pin);
        existing = await withRequestPriority('order', () => exchange.getOrderList(refOf(ref)));
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        if (err instanceof ExchangeRejectedError || err instanceof ExchangeRateLimitError) return toFailure(err);
        throw ApplicationFailure.create({ type: 'ExchangeUnavailable', message: `Before submitting the list: ${(err as Error).message}` });
      }
      if (existing) return { adopted: true, list: snapshotOfList(refusedOrFound(existing)), credentials: pin?.source };
      if (binance) {
        const [claimed] = await sql`UPDATE order_lists SET submit_in_doubt = true WHERE id = ${ref.listId} AND NOT submit_in_doubt RETURNING id`;
        if (!claimed) {
          throw ApplicationFailure.create({ type: 'SubmitOutcomeUnknown', nonRetryable: true, message: `An earlier submission of list ${ref.listClientOrderId} had no clear answer; it is never sent again, only looked for` });
        }
      }
      try {
        const placed = await withRequestPriority('order', () => exchange.placeOrderList(request));
        return { adopted: false, list: snapshotOfList(placed), credentials: pin?.source };
      } catch (err) {
        if (err instanceof ExchangeUnknownOutcomeError) throw ApplicationFailure.create({ type: 'SubmitOutcomeUnknown', message: err.message, nonRetryable: true });
        if (binance && (err instanceof ExchangeRejectedError || err instanceof ExchangeRateLimitError || err instanceof ExchangeUnavailableError)) {
          await sql`UPDATE order_lists SET submit_in_doubt = false WHERE id = ${ref.listId}`;
        }
        return toFailure(err);
      }
    },

    /** The list on the venue with its legs' statuses, or null while the venue does not show it. */
    async findOrderList(ref: ListVenueRef): Promise<OrderListSnapshot | null> {
      const exchange = await exchangeOf(ref);
      try {
        const found = await withRequestPriority('reconcile', () => exchange.getOrderList(refOf(ref)));
        return found ? snapshotOfList(refusedOrFound(found)) : null;
      } catch (err) {
        if (err instanceof ApplicationFailure) throw err;
        if (err instanceof ExchangeRejectedError) throw ApplicationFailure.create({ type: 'ExchangeReadRefused', message: err.message });
        return toFailure(err);
      }
    },

    /**
     * After the venue has shown a list in doubt nowhere for long past its POST's recvWindow, looks
     * once more and, if still nothing, lifts the "in doubt" mark so it may be sent again.
     */
    async releaseUnseenList(ref: ListVenueRef): Promise<OrderListSnapshot | null> {
      const exchange = await exchangeOf(ref);
      let found: ExchangeOrderList | null;
      try {
        found = await withRequestPriority('reconcile', () => exchange.getOrderList(refOf(ref)));
      } catch (err) {
        if (err instanceof ExchangeRejectedError) throw ApplicationFailure.create({ type: 'ExchangeReadRefused', message: err.message });
        return toFailure(err);
      }
      if (found) return snapshotOfList(refusedOrFound(found));
      await sql`UPDATE order_lists SET submit_in_doubt = false WHERE id = ${ref.listId}`;
      return null;
    },

    /** Cancels the whole list; a list the venue calls unknown or done (-2011) is reported as it is. */
    async cancelOrderList(ref: ListVenueRef): Promise<OrderListSnapshot | null> {
      const exchange = await exchangeOf(ref);
      try {
        return await withRequestPriority('cancel', async () => {
          try {
            return snapshotOfList(await exchange.cancelOrderList(refOf(ref)));
          } catch (err) {
            if (!(err instanceof ExchangeRejectedError && err.code === -2011)) throw err;
            const current = await exchange.getOrderList(refOf(ref));
            return current ? snapshotOfList(current) : null;
          }
        });
      } catch (err) {
        return toFailure(err);
      }
    },

    /** Where our legs stand in our own records (status, fill), for a parent that cannot await a child. */
    async orderProgress({ orderIds }: { orderIds: string[] }): Promise<{ orderId: string; status: string; executedQty: string }[]> {
      const rows = await sql<{ id: string; status: string; executed_qty: string }[]>`SELECT id, status, executed_qty::text FROM orders WHERE id IN ${sql(orderIds)}`;
      return rows.map((r) => ({ orderId: r.id, status: r.status, executedQty: new Decimal(r.executed_qty).toString() }));
    },
  };
}

export type OrderListActivities = ReturnType<typeof createOrderListActivities>;
