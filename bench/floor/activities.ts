/**
 * The floor workflow's one activity: the same kind of write as the order's `recordTransition`
 * (insert an event keyed by (id, step), move the row forward, NOTIFY in the same transaction).
 */
import type { Sql } from '../../lib/db.js';
import { FLOOR_CHANNEL } from './names.js';

/**
 * @example worker activities: createFloorActivities({ sql })
 */
export function createFloorActivities({ sql }: { sql: Sql }) {
  return {
    async floorStep({ id, step, notify }: { id: string; step: number; notify: boolean }): Promise<void> {
      await sql.begin(async (tx) => {
        if (step === 1) await tx`INSERT INTO bench_floor_orders (id, step) VALUES (${id}, 0) ON CONFLICT DO NOTHING`;
        await tx`INSERT INTO bench_floor_events (id, step) VALUES (${id}, ${step}) ON CONFLICT DO NOTHING`;
        await tx`UPDATE bench_floor_orders SET step = greatest(step, ${step}), updated_at = now() WHERE id = ${id}`;
        if (notify) await tx`SELECT pg_notify(${FLOOR_CHANNEL}, ${id})`;
      });
    },
  };
}
