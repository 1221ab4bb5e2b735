/**
 * A deliberately non-deterministic change of `orderLifecycle` and `orderLifecycleV3`: it checks risk before recording
 * the order. Replaying real histories against it must fail, which proves the replay test can.
 */
import { proxyActivities } from '@temporalio/workflow';
import type { createOrderExchangeActivities } from '../../activities/orders/venue-activities.js';
import type { OrderLifecycleInput } from '../../workflows/order-lifecycle.js';

const { checkRisk } = proxyActivities<ReturnType<typeof createOrderExchangeActivities>>({ startToCloseTimeout: '10s' });

export async function orderLifecycle(input: OrderLifecycleInput): Promise<unknown> {
  return checkRisk(input.order);
}

export const orderLifecycleV3 = orderLifecycle;
