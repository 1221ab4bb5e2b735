/** Names the floor's worker, server and bench share. */

/** Task queue of the floor workflow; no engine worker polls it. */
export const FLOOR_TASK_QUEUE = 'bench-floor';

/** Channel on which the floor announces a finished run (the order path uses `order_changes`). */
export const FLOOR_CHANNEL = 'bench_floor_changes';
