/**
 * Activities of the `reconcileOrders` workflow: which accounts to look at, and one account's
 * reconciliation against its venue (restart the tracking of orders whose workflow is not running,
 * record the venue's open orders we never placed).
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import type { WorkerMetrics } from '../../lib/metrics.js';
import { orderSettingsFrom, type OrderSettingsConfig } from '../../lib/order-settings.js';
import type { Venue } from '../../domain/exchange.js';
import { orderWorkflowId, TERMINAL_STATUSES, type OrderStatus } from '../../domain/orders.js';
import { recordExternalSightings } from '../../store/external-orders.js';
import { toFailure } from '../orders/venue-activities.js';
import type { Exchange, ExchangeOrder } from '../../domain/exchange.js';
import { accountsToReconcile, type AccountPage } from './accounts.js';
import { lifecycleInputFrom, restartableRow, startTracking, workflowStatusOf } from './restart.js';

export interface ReconcileDeps {
  sql: Sql;
  /** Describes and starts order workflows (the worker's client, with its payload encryption). */
  temporal: Client;
  /** The same venue access as the order activities. */
  exchangeFor(venue: Venue, accountId: string): Promise<Exchange>;
  config: Pick<Config, 'BINANCE_API_KEY'> & OrderSettingsConfig & { taskQueues: Pick<Config['taskQueues'], 'orders'> };
  /** The reconciler's findings (the worker's metrics). */
  metrics?: Pick<WorkerMetrics, 'reconcilerFindings'> | undefined;
}

export interface ReconcileAccountInput {
  venue: Venue;
  accountId: string;
  /** Orders younger than this are left alone: the API may have just started their workflow. */
  graceMs: number;
}

export interface RestartedOrder {
  orderId: string;
  /** The order's status in our table when its tracking restarted. */
  status: OrderStatus;
  /** What Temporal said of the previous run: TERMINATED, CANCELLED, FAILED, TIMED_OUT, COMPLETED, NOT_FOUND. */
  was: string;
  runId: string;
}

export interface AccountReconciliation {
  /** Orders the venue lists as open. */
  venueOpen: number;
  restarted: RestartedOrder[];
  /** Open venue orders whose client order id is none of ours (recorded in external_orders). */
  external: number;
  /** Our orders that are final in our table while the venue still lists them open. */
  openButFinal: string[];
}

/**
 * @example worker activities: { ...createReconcileActivities({ sql, temporal, exchangeFor, config }) }
 */
export function createReconcileActivities({ sql, temporal, exchangeFor, config, metrics }: ReconcileDeps) {
  const settings = orderSettingsFrom(config);

  async function openOnVenue(venue: Venue, accountId: string): Promise<ExchangeOrder[]> {
    const exchange = await exchangeFor(venue, accountId);
    try {
      return await exchange.getOpenOrders();
    } catch (err) {
      return toFailure(err);
    }
  }

  /** Restarts the tracking of the order unless its workflow runs, or it ended meanwhile. */
  async function ensureTracked(orderId: string): Promise<RestartedOrder | undefined> {
    const was = await workflowStatusOf(temporal, orderWorkflowId(orderId));
    if (was === 'RUNNING') return undefined;
    // Read after the describe: a run that just finished wrote its final status before completing.
    const row = await restartableRow(sql, orderId);
    if (!row || TERMINAL_STATUSES.includes(row.status)) return undefined;
    const runId = await startTracking(temporal, config.taskQueues.orders, lifecycleInputFrom(row, settings), was);
    return { orderId, status: row.status, was, runId };
  }

  return {
    /** One page of the accounts to reconcile on a venue, by ascending id. */
    async listAccountsToReconcile(page: AccountPage): Promise<string[]> {
      return accountsToReconcile(sql, page, config.BINANCE_API_KEY !== undefined);
    },

    /**
     * Compares one account's open venue orders with our unfinished orders. Idempotent: a retry
     * finds running workflows (left alone) and upserts the same external orders.
     */
    async reconcileAccount({ venue, accountId, graceMs }: ReconcileAccountInput): Promise<AccountReconciliation> {
      // The venue first: any order of ours it lists already has its row (the workflow records the
      // order before submitting it), so a venue order missing from our table is not ours.
      const open = await openOnVenue(venue, accountId);
      const known = open.length === 0
        ? []
        : await sql<{ client_order_id: string; id: string; account_id: string; status: OrderStatus }[]>`SELECT client_order_id, id, account_id, status FROM orders
            WHERE venue = ${venue} AND client_order_id IN ${sql(open.map((o) => o.clientOrderId))}`;
      // Any account's order counts as ours: accounts without a stored pair share the single-user one.
      const ours = new Map(known.map((k) => [k.client_order_id, k]));
      const strangers = open.filter((o) => !ours.has(o.clientOrderId));
      await recordExternalSightings(sql, accountId, venue, strangers);

      const unfinished = await sql<{ id: string }[]>`SELECT id FROM orders
        WHERE account_id = ${accountId} AND venue = ${venue} AND status NOT IN ${sql([...TERMINAL_STATUSES])}
          AND created_at < now() - ${graceMs} * interval '1 millisecond'
        ORDER BY created_at`;
      const restarted: RestartedOrder[] = [];
      for (const o of unfinished) {
        const r = await ensureTracked(o.id);
        if (r) restarted.push(r);
      }
      const openButFinal = known.filter((k) => k.account_id === accountId && TERMINAL_STATUSES.includes(k.status)).map((k) => k.id);
      // A retry of this activity counts again: findings are a rate to watch, not a ledger.
      const findings = { restarted: restarted.length, external: strangers.length, open_but_final: openButFinal.length };
      for (const [kind, n] of Object.entries(findings)) if (n > 0) metrics?.reconcilerFindings.inc({ venue, kind }, n);
      return { venueOpen: open.length, restarted, external: strangers.length, openButFinal };
    },
  };
}

export type ReconcileActivities = ReturnType<typeof createReconcileActivities>;
