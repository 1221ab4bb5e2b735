/**
 * Starting an order's lifecycle from outside a workflow, as POST /v1/orders does, for code that
 * places orders on a user's behalf (a fired price alert's conditional order). Client-side code:
 * not part of the workflow bundle.
 */
import { WorkflowExecutionAlreadyStartedError, type Client } from '@temporalio/client';
import { ORDER_WORKFLOW_TYPE, orderSummary } from '../domain/order-search.js';
import { clientOrderIdFor, orderWorkflowId, type OrderRequest, type OrderSettings } from '../domain/orders.js';
import type { orderLifecycleV3 } from './order-lifecycle.js';
import { orderSearchAttributes } from './search-attributes.js';

/**
 * A function that starts `order-<orderId>` once: a second call while it runs attaches to it
 * (USE_EXISTING), one after it ended is refused by Temporal (REJECT_DUPLICATE) and resolves too,
 * since the order was placed. Either way no second order exists.
 * @example
 * const startOrder = orderStarter(temporal, { taskQueue: config.taskQueues.orders, settings: orderSettingsFrom(config) });
 * await startOrder(order, 'conditional order of price alert …');
 */
export function orderStarter(temporal: Client, { taskQueue, settings }: { taskQueue: string; settings: OrderSettings }) {
  /** `why` follows the order's own summary in the Temporal UI, e.g. "conditional order of price alert …". */
  return async (order: OrderRequest, why: string): Promise<void> => {
    try {
      await temporal.workflow.start<typeof orderLifecycleV3>(ORDER_WORKFLOW_TYPE, {
        workflowId: orderWorkflowId(order.orderId),
        taskQueue,
        args: [{ order, settings }],
        staticSummary: `${orderSummary(order)} · ${why}`,
        typedSearchAttributes: orderSearchAttributes(order, clientOrderIdFor(order.orderId), 'RECEIVED'),
        workflowIdConflictPolicy: 'USE_EXISTING',
        workflowIdReusePolicy: 'REJECT_DUPLICATE',
      });
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
    }
  };
}
