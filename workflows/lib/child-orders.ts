/**
 * Orders placed by a parent workflow (order list, TWAP, DCA, price alert) run the ordinary order
 * lifecycle as child workflows, so each leg or slice keeps every exactly-once guarantee. The child's
 * id is the order's (`order-<uuid>`): starting it again after a crash finds the running or finished
 * child instead of placing a second order.
 */
import { patched, startChild, type ChildWorkflowHandle } from '@temporalio/workflow';
import { clientOrderIdFor, orderWorkflowId, type OrderLifecycleInput, type OrderRequest, type OrderSettings } from '../definitions.js';
import type { orderLifecycleV3 } from '../order-lifecycle.js';
import { orderSearchAttributes } from '../search-attributes.js';

/**
 * The patch after which parents start their orders as `orderLifecycleV3` (before it, `orderLifecycle`).
 * The type is named here, not through ORDER_WORKFLOW_TYPE: the patch stands for this type, whatever
 * new orders start as later.
 */
export const V3_CHILDREN_PATCH = 'order-lifecycle-v3-children';

/**
 * Starts the order's lifecycle as a child that outlives its parent (ABANDON: a parent ended or
 * reset never cancels a working order). A second start of the same order id is refused by
 * Temporal (REJECT_DUPLICATE), never a second order.
 */
export function startChildOrder(
  order: OrderRequest,
  settings: OrderSettings,
  summary: string,
  /** An order the venue already holds (a leg the venue placed with its list): tracked from here, never submitted. */
  adopt?: Pick<OrderLifecycleInput, 'resume' | 'events'>,
): Promise<ChildWorkflowHandle<typeof orderLifecycleV3>> {
  return startChild<typeof orderLifecycleV3>(patched(V3_CHILDREN_PATCH) ? 'orderLifecycleV3' : 'orderLifecycle', {
    workflowId: orderWorkflowId(order.orderId),
    args: [{ order, settings, ...adopt }],
    parentClosePolicy: 'ABANDON',
    workflowIdReusePolicy: 'REJECT_DUPLICATE',
    staticSummary: summary,
    typedSearchAttributes: orderSearchAttributes(order, clientOrderIdFor(order.orderId), 'RECEIVED'),
  });
}
