/**
 * Restarting the tracking of one order from its database row: the same workflow id, a new run
 * that carries on from what the row says, or re-validates an order that never left RECEIVED (its
 * submission queries the venue by client order id first, so it cannot place a second order).
 */
import { WorkflowNotFoundError, type Client, type WorkflowExecutionStatusName } from '@temporalio/client';
import { Decimal } from 'decimal.js';
import type { Sql } from '../../lib/db.js';
import { ORDER_WORKFLOW_TYPE, orderSummary } from '../../domain/order-search.js';
import { orderWorkflowId, type OrderRequest, type OrderState, type ParentKind } from '../../domain/orders.js';
import { orderListWorkflowId } from '../../domain/order-lists.js';
import type { OrderLifecycleInput, OrderSettings, orderLifecycleV3 } from '../../workflows/order-lifecycle.js';
import type { OrderRow } from '../../store/orders.js';

/** An order row with the seq of its last event (the workflow's event counter). */
export interface RestartableRow extends OrderRow {
  event_seq: number;
}

/** The order's row as it is now, or undefined when there is none. */
export async function restartableRow(sql: Sql, orderId: string): Promise<RestartableRow | undefined> {
  const [row] = await sql<RestartableRow[]>`SELECT o.*, coalesce((SELECT max(seq) FROM order_events e WHERE e.order_id = o.id), 0)::int AS event_seq
    FROM orders o WHERE o.id = ${orderId}`;
  return row;
}

/**
 * The workflow input that resumes tracking from the row. A PENDING_NEW order may or may not have
 * been sent: the new run submits it, and submitOrder refuses a second POST of a Binance order whose
 * first one is in doubt (the order then goes UNKNOWN, which only the venue's answer settles).
 * @example const input = lifecycleInputFrom(row, orderSettingsFrom(config));
 */
export function lifecycleInputFrom(row: RestartableRow, settings: OrderSettings): OrderLifecycleInput {
  const order: OrderRequest = {
    orderId: row.id,
    accountId: row.account_id,
    venue: row.venue as OrderRequest['venue'],
    symbol: row.symbol,
    side: row.side as OrderRequest['side'],
    type: row.type as OrderRequest['type'],
    quantity: row.quantity,
    price: row.price ?? undefined,
    stopPrice: row.stop_price ?? undefined,
    timeInForce: (row.time_in_force ?? undefined) as OrderRequest['timeInForce'],
    ...(row.trailing_delta !== null ? { trailingDelta: row.trailing_delta } : {}),
    ...(row.expire_at ? { expireAt: row.expire_at.toISOString() } : {}),
    ...(row.portfolio_id ? { portfolioId: row.portfolio_id } : {}),
    ...(row.parent_id && row.parent_kind ? { parent: { kind: row.parent_kind as ParentKind, id: row.parent_id, workflowId: parentWorkflowId(row.parent_kind as ParentKind, row.parent_id), role: row.parent_role ?? undefined } } : {}),
  };
  // A leg the venue placed with its list is on the venue already: tracked from there, never
  // validated or submitted again (its list holds the balance a fresh risk check would miss).
  if (row.status === 'RECEIVED' && row.parent_kind === 'order-list' && row.exchange_order_id) {
    const resume: OrderState = {
      orderId: row.id,
      status: 'RECEIVED',
      clientOrderId: row.client_order_id,
      exchangeOrderId: row.exchange_order_id,
      executedQty: '0',
      cumulativeQuoteQty: '0',
      eventSeq: row.event_seq,
      credentials: row.credentials_source ?? undefined,
      submittedAtMs: row.created_at.getTime(),
    };
    return { order, settings, resume, events: [{ kind: 'check', reason: 'tracking restarted by reconcile-orders' }] };
  }
  if (row.status === 'RECEIVED') return { order, settings };
  const resume: OrderState = {
    orderId: row.id,
    status: row.status,
    clientOrderId: row.client_order_id,
    exchangeOrderId: row.exchange_order_id ?? undefined,
    // As the workflow keeps them ("1.50000000" → "1.5"), so its "filled more?" comparison holds.
    executedQty: new Decimal(row.executed_qty).toString(),
    cumulativeQuoteQty: new Decimal(row.cumulative_quote_qty).toString(),
    eventSeq: row.event_seq,
    // A cancel was under way: the new run carries it out.
    cancelRequested: row.status === 'PENDING_CANCEL' || undefined,
    credentials: row.credentials_source ?? undefined,
    // The venue's order history is searched from the order's creation (it was submitted after).
    submittedAtMs: row.created_at.getTime(),
  };
  return { order, settings, resume };
}

/** The status of the workflow's latest run, or NOT_FOUND when Temporal has none (never started, or past retention). */
export async function workflowStatusOf(temporal: Client, workflowId: string): Promise<WorkflowExecutionStatusName | 'NOT_FOUND'> {
  try {
    return (await temporal.workflow.getHandle(workflowId).describe()).status.name;
  } catch (err) {
    if (err instanceof WorkflowNotFoundError) return 'NOT_FOUND';
    throw err;
  }
}

/**
 * Starts a new run of the order's workflow. USE_EXISTING: if a run started meanwhile (the API, or
 * another reconciliation), that run is kept and its id returned; nothing else changes.
 */
export async function startTracking(temporal: Client, taskQueue: string, input: OrderLifecycleInput, was: string): Promise<string> {
  const { order } = input;
  const handle = await temporal.workflow.start<typeof orderLifecycleV3>(ORDER_WORKFLOW_TYPE, {
    workflowId: orderWorkflowId(order.orderId),
    taskQueue,
    args: [input],
    workflowIdReusePolicy: 'ALLOW_DUPLICATE',
    workflowIdConflictPolicy: 'USE_EXISTING',
    staticSummary: `${orderSummary(order)}: tracking restarted by reconcile-orders (was ${was})`,
  });
  return handle.firstExecutionRunId;
}

/** The workflow of an order's parent, by the id scheme of each kind. */
function parentWorkflowId(kind: ParentKind, id: string): string {
  return kind === 'order-list' ? orderListWorkflowId(id) : `${kind}-${id}`;
}
