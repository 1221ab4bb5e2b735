/**
 * The floor of the architecture: a workflow that runs as many activities, one after another, as a
 * paper MARKET order does, each making one small Postgres transaction. Nothing else. What the order
 * workflow costs above this is what its own logic, payloads and venue work cost.
 */
import { proxyActivities } from '@temporalio/workflow';
import { presets } from '../../workflows/presets.js';
import type { createFloorActivities } from './activities.js';

const { floorStep } = proxyActivities<ReturnType<typeof createFloorActivities>>(presets.db);

export interface FloorInput {
  id: string;
  /** Activities to run (the order path's count, measured by the bench). */
  activities: number;
  /** The step whose transaction announces "done", like the order's FILLED transition. */
  notifyAt: number;
}

export async function floorOrder(input: FloorInput): Promise<void> {
  for (let step = 1; step <= input.activities; step++) {
    await floorStep({ id: input.id, step, notify: step === input.notifyAt });
  }
}
