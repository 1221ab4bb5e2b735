/**
 * The floor of the architecture: a workflow that runs as many activities, one after another, as a
 * paper MARKET order does, each making one small Postgres transaction. Nothing else. As the issue
 * defines it every step is an ordinary activity; given `localSteps` it copies the order's mix of
 * ordinary and local activities too, and what the order costs above that is its own logic,
 * payloads and venue work.
 */
import { proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import { presets } from '../../workflows/presets.js';
import type { createFloorActivities } from './activities.js';

type FloorActivities = ReturnType<typeof createFloorActivities>;
const remote = proxyActivities<FloorActivities>(presets.db);
const local = proxyLocalActivities<FloorActivities>(presets.db);

export interface FloorInput {
  id: string;
  /** Activities to run (the order path's count, measured by the bench). */
  activities: number;
  /** The step whose transaction announces "done", like the order's FILLED transition. */
  notifyAt: number;
  /** Which steps run as local activities (1-based), mirroring the order's shape; none by default. */
  localSteps?: number[];
}

export async function floorOrder(input: FloorInput): Promise<void> {
  const localSteps = new Set(input.localSteps ?? []);
  for (let step = 1; step <= input.activities; step++) {
    const { floorStep } = localSteps.has(step) ? local : remote;
    await floorStep({ id: input.id, step, notify: step === input.notifyAt });
  }
}
