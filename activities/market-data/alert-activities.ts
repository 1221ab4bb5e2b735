/**
 * The price alerts' side of the refresh: after a batch of prices is stored, the alerts of the
 * moved symbols are evaluated together (one query, one UPDATE), not polled one by one. Firing
 * and its WebSocket announcement commit together; a conditional order is started afterwards under
 * the id fixed when the alert was made, so a retry or a later run starts it at most once.
 */
import { Context, log } from '@temporalio/activity';
import type { Sql } from '../../lib/db.js';
import { alertFires, conditionalOrder, describeAlert } from '../../domain/price-alerts.js';
import { clientOrderIdFor, orderWorkflowId, type OrderRequest } from '../../domain/orders.js';
import { insertReceivedOrder } from '../../store/orders.js';
import { alertCandidates, alertsOwingOrders, countFiredBy, fireAlerts, markOrderStarted, ruleOf, type FiredAlert } from '../../store/price-alerts.js';
import type { MovedPrice } from './refresh-activities.js';

export interface PriceAlertActivitiesOptions {
  sql: Sql;
  /**
   * Starts the order's lifecycle workflow (`order-<orderId>`) as POST /v1/orders does; resolves
   * as well when that workflow was already started (workflows/start-order.ts).
   */
  startOrder(order: OrderRequest, summary: string): Promise<void>;
  /** Owed conditional orders started per call. */
  ordersPerCall?: number;
}

export interface AlertsResult {
  /** Alerts of this call's symbols that this refresh run fired, retries included (one fired by an overlapping evaluation is not counted). */
  fired: number;
  /** Conditional orders started, this call's and those an earlier call owed. */
  ordersStarted: number;
}

/** Some conditional orders could not be started yet; the retry (or the next run) starts them. */
export class ConditionalOrdersPendingError extends Error {
  override name = 'ConditionalOrdersPendingError';
}

/**
 * @example const activities = createPriceAlertActivities({ sql, startOrder: orderStarter(temporal, { taskQueue, settings }) });
 */
export function createPriceAlertActivities({ sql, startOrder, ordersPerCall = 100 }: PriceAlertActivitiesOptions) {
  /** Starts the order a fired alert owes; the row is written as the API writes it, so GET shows it at once. */
  async function place(alert: FiredAlert): Promise<void> {
    const order = conditionalOrder({ alertId: alert.id, accountId: alert.account_id, orderId: alert.order_id!, firedBy: alert.fired_by }, alert.order_terms!);
    await startOrder(order, `conditional order of price alert ${alert.id}`);
    await insertReceivedOrder(sql, order, clientOrderIdFor(order.orderId), orderWorkflowId(order.orderId));
    await markOrderStarted(sql, alert.id);
  }

  return {
    /**
     * Fires the active alerts the moved prices satisfy, then starts every conditional order owed
     * (this call's, and any an earlier call fired but could not start). Throws, after trying them
     * all, when one could not be started, so the activity's retry starts it.
     */
    async evaluatePriceAlerts({ moved }: { moved: MovedPrice[] }): Promise<AlertsResult> {
      // The refresh run that fires an alert is its conditional order's parent in the Temporal UI.
      const firedBy = Context.current().info.workflowExecution?.workflowId ?? 'refresh-prices';
      const candidates = await alertCandidates(sql, moved);
      const firing = candidates
        .filter((c) => alertFires(ruleOf(c), c.price, c.low !== null && c.high !== null ? { low: c.low, high: c.high } : undefined))
        .map((c) => ({ id: c.id, price: c.price }));
      const fired = await fireAlerts(sql, firing, firedBy);
      for (const a of fired) {
        const c = candidates.find((x) => x.id === a.id)!;
        log.info('price alert fired', { alertId: a.id, accountId: a.account_id, alert: describeAlert(a.symbol, ruleOf(c), c.window_seconds ?? undefined), price: a.fired_price, orderId: a.order_id });
      }

      const owed = await alertsOwingOrders(sql, ordersPerCall);
      let ordersStarted = 0;
      const failed: string[] = [];
      for (const alert of owed) {
        try {
          await place(alert);
          ordersStarted += 1;
        } catch (err) {
          log.warn('conditional order not started yet', { alertId: alert.id, orderId: alert.order_id, error: String(err) });
          failed.push(`${alert.id} (${err instanceof Error ? err.message : String(err)})`);
        }
      }
      if (failed.length > 0) {
        throw new ConditionalOrdersPendingError(`${failed.length} conditional orders of fired alerts are not started yet and will be on retry: ${failed.join('; ')}`);
      }
      // Counted from the rows, not this attempt's UPDATE: a retry (say, after an order could not start) reports the same.
      return { fired: await countFiredBy(sql, firedBy, [...new Set(moved.map((m) => m.symbol))]), ordersStarted };
    },
  };
}

export type PriceAlertActivities = ReturnType<typeof createPriceAlertActivities>;
