/**
 * The cluster target's scaling figure: the same paper MARKET orders end to end with one worker and
 * with two on the same Temporal server and PostgreSQL, their runs alternating. Before each
 * 1-worker run the second worker is stopped with SIGTERM (as a deploy would); before each
 * 2-worker run it is started again and waits until it polls.
 */
import { drained, orderFire, type DurableContext } from './durable.js';
import { measurePair, type PairResults } from './measure.js';
import { ORDER_WORKFLOW_TYPE } from '../../domain/order-search.js';

export interface WorkerScaling {
  oneWorker: PairResults;
  twoWorkers: PairResults;
}

export interface ClusterWorkers {
  names: string[];
  stop(name: string): Promise<void>;
  start(name: string): Promise<void>;
}

/** @example const scaling = await measureWorkerScaling(ctx, stack.workers, stack.config.taskQueues.orders); */
export async function measureWorkerScaling(ctx: DurableContext, workers: ClusterWorkers, ordersQueue: string): Promise<WorkerScaling> {
  const second = workers.names[1];
  if (!second) throw new Error('the worker-scaling phase needs two workers (the cluster target starts them)');
  const settle = () => drained(ctx.temporal, ORDER_WORKFLOW_TYPE, ordersQueue);
  const fire = orderFire(ctx);
  const one = { label: 'e2e, 1 worker', fire, drained: settle, before: () => workers.stop(second) };
  const two = { label: 'e2e, 2 workers', fire, drained: settle, before: () => workers.start(second) };
  const options = { concurrency: ctx.profile.e2eConcurrency, profile: ctx.profile, log: ctx.log, cpuParts: ctx.cpuParts };
  // Two workers lead: the latency runs' rate is half of the larger saturation, the same for both.
  const r = await measurePair(two, [one], options);
  await workers.start(second);
  return { twoWorkers: r.main, oneWorker: r.others[0]! };
}
