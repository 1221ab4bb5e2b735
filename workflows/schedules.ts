/**
 * The engine's Temporal Schedules: `price-refresh` starts a `refreshPrices` workflow on the
 * market-data task queue every PRICE_REFRESH_INTERVAL, and `reconcile-orders` a `reconcileOrders`
 * workflow on the orders task queue every RECONCILE_INTERVAL. Every start of the worker calls
 * ensureSchedules: the first creates them, the next ones update them in place to the current
 * config, keeping whether an operator paused them.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleDescription, type ScheduleHandle, type ScheduleOptions, type ScheduleOptionsStartWorkflowAction, type Workflow } from '@temporalio/client';
import type { reconcileOrders, ReconcileOrdersInput } from './reconcile-orders.js';
import type { refreshPrices, RefreshPricesInput } from './refresh-prices.js';
import type { Config } from '../lib/config.js';
import type { Logger } from '../lib/logger.js';

/** The public names of the schedules (the API path); the Temporal ids add TASK_QUEUE_PREFIX. */
export const PRICE_REFRESH = 'price-refresh';
export const RECONCILE_ORDERS = 'reconcile-orders';

/** Orders younger than this are not reconciled: the API may have just started their workflow. */
export const RECONCILE_GRACE_MS = 30_000;

/** Temporal refuses a schedule interval under one second and raises a catch-up window under ten. */
export const MIN_SCHEDULE_INTERVAL_MS = 1_000;
const MIN_CATCHUP_WINDOW_MS = 10_000;

export type ScheduleConfig = Pick<Config, 'TASK_QUEUE_PREFIX' | 'PRICE_REFRESH_INTERVAL' | 'taskQueues'>;
export type ReconcileScheduleConfig = Pick<Config, 'TASK_QUEUE_PREFIX' | 'RECONCILE_INTERVAL' | 'taskQueues'>;

export function priceRefreshScheduleId(config: Pick<Config, 'TASK_QUEUE_PREFIX'>): string {
  return `${config.TASK_QUEUE_PREFIX}${PRICE_REFRESH}`;
}

export function reconcileScheduleId(config: Pick<Config, 'TASK_QUEUE_PREFIX'>): string {
  return `${config.TASK_QUEUE_PREFIX}${RECONCILE_ORDERS}`;
}

/**
 * The input of every run. A provider batch gets 80 % of an interval (at least 5 s) for all its
 * attempts, so a hanging provider ends its run before the next tick and the other provider's
 * prices keep their cadence instead of having every other run skipped.
 */
export function refreshPricesInput(config: Pick<Config, 'PRICE_REFRESH_INTERVAL'>): RefreshPricesInput {
  return { fetchDeadlineMs: Math.max(Math.floor(config.PRICE_REFRESH_INTERVAL * 0.8), 5_000), batchSize: { binance: 100, yahoo: 50 } };
}

/**
 * What the schedule should look like for this config. Overlap SKIP: a run still going (a slow
 * provider) makes the next one skip instead of piling up. Catch-up window of one interval (at
 * least Temporal's 10 s): after an outage at most one missed refresh runs, not a backlog.
 * @example const { spec, action, policies } = priceRefreshSchedule(config);
 */
export function priceRefreshSchedule(config: ScheduleConfig) {
  const everyMs = Math.max(config.PRICE_REFRESH_INTERVAL, MIN_SCHEDULE_INTERVAL_MS);
  const action: ScheduleOptionsStartWorkflowAction<typeof refreshPrices> = {
    type: 'startWorkflow',
    workflowType: 'refreshPrices',
    // Temporal appends the scheduled time, so every run has its own id.
    workflowId: priceRefreshScheduleId(config),
    taskQueue: config.taskQueues.marketData,
    args: [refreshPricesInput(config)],
    staticSummary: `Price refresh every ${everyMs / 1000} s: fetches the watched symbols, stores them, wakes the orders and portfolios they move`,
    // A run stuck on an outage must not keep the schedule skipping forever.
    workflowExecutionTimeout: Math.max(10 * everyMs, 120_000),
  };
  return {
    spec: { intervals: [{ every: everyMs }] },
    action,
    policies: { overlap: 'SKIP' as const, catchupWindow: Math.max(everyMs, MIN_CATCHUP_WINDOW_MS), pauseOnFailure: false },
  };
}

/**
 * Creates the schedule, or updates it to the current config when it exists (a restart, another
 * worker, a new PRICE_REFRESH_INTERVAL). Paused stays paused.
 * @example await ensurePriceRefreshSchedule(client, config, log);
 */
export async function ensurePriceRefreshSchedule(client: Client, config: ScheduleConfig, log?: Logger): Promise<{ created: boolean }> {
  if (config.PRICE_REFRESH_INTERVAL < MIN_SCHEDULE_INTERVAL_MS) {
    log?.warn('PRICE_REFRESH_INTERVAL is below what Temporal Schedules support; refreshing every second', { intervalMs: config.PRICE_REFRESH_INTERVAL });
  }
  return ensureSchedule(client, priceRefreshScheduleId(config), priceRefreshSchedule(config));
}

/**
 * What the reconciliation schedule should look like. Overlap SKIP: a run still going (many
 * accounts, a slow venue) makes the next one skip. Catch-up window of one interval: after an
 * outage one reconciliation runs, not a backlog.
 * @example const { spec, action, policies } = reconcileOrdersSchedule(config);
 */
export function reconcileOrdersSchedule(config: ReconcileScheduleConfig) {
  const everyMs = Math.max(config.RECONCILE_INTERVAL, MIN_SCHEDULE_INTERVAL_MS);
  const input: ReconcileOrdersInput = { graceMs: RECONCILE_GRACE_MS };
  const action: ScheduleOptionsStartWorkflowAction<typeof reconcileOrders> = {
    type: 'startWorkflow',
    workflowType: 'reconcileOrders',
    workflowId: reconcileScheduleId(config),
    taskQueue: config.taskQueues.orders,
    args: [input],
    staticSummary: 'Compares open venue orders with ours: restarts lost order workflows, records EXTERNAL orders',
    // A run stuck on an outage must not keep the schedule skipping forever.
    workflowExecutionTimeout: Math.max(10 * everyMs, 600_000),
  };
  return {
    spec: { intervals: [{ every: everyMs }] },
    action,
    policies: { overlap: 'SKIP' as const, catchupWindow: Math.max(everyMs, MIN_CATCHUP_WINDOW_MS), pauseOnFailure: false },
  };
}

/**
 * Creates the reconciliation schedule, or updates it to the current config. Paused stays paused.
 * @example await ensureReconcileSchedule(client, config, log);
 */
export async function ensureReconcileSchedule(client: Client, config: ReconcileScheduleConfig, log?: Logger): Promise<{ created: boolean }> {
  if (config.RECONCILE_INTERVAL < MIN_SCHEDULE_INTERVAL_MS) {
    log?.warn('RECONCILE_INTERVAL is below what Temporal Schedules support; reconciling every second', { intervalMs: config.RECONCILE_INTERVAL });
  }
  return ensureSchedule(client, reconcileScheduleId(config), reconcileOrdersSchedule(config));
}

/**
 * Every schedule of the engine, as the worker's start-up leaves them.
 * @example const { priceRefresh, reconcile } = await ensureSchedules(client, config, log);
 */
export async function ensureSchedules(client: Client, config: ScheduleConfig & ReconcileScheduleConfig, log?: Logger) {
  return { priceRefresh: await ensurePriceRefreshSchedule(client, config, log), reconcile: await ensureReconcileSchedule(client, config, log) };
}

/** Creates the schedule, or updates it to `desired` keeping its state (paused, note). */
async function ensureSchedule<W extends Workflow>(
  client: Client,
  scheduleId: string,
  desired: Pick<ScheduleOptions<ScheduleOptionsStartWorkflowAction<W>>, 'spec' | 'action' | 'policies'>,
): Promise<{ created: boolean }> {
  try {
    await client.schedule.create({ scheduleId, ...desired, state: { note: 'created by the worker at start-up' } });
    return { created: true };
  } catch (err) {
    if (!(err instanceof ScheduleAlreadyRunning)) throw err;
  }
  await client.schedule.getHandle(scheduleId).update((previous) => ({
    ...desired,
    state: { paused: previous.state.paused, note: previous.state.note, remainingActions: previous.state.remainingActions },
  }));
  return { created: false };
}

/** What the API shows of a schedule. */
export interface ScheduleState {
  name: string;
  scheduleId: string;
  paused: boolean;
  note: string | null;
  intervalMs: number | null;
  overlap: string;
  catchupWindowMs: number;
  nextRunTimes: string[];
  recentRuns: Array<{ scheduledAt: string; startedAt: string; workflowId: string }>;
  runsTaken: number;
  runsSkippedOverlap: number;
}

export function scheduleState(name: string, d: ScheduleDescription): ScheduleState {
  const every = d.spec.intervals?.[0]?.every;
  return {
    name,
    scheduleId: d.scheduleId,
    paused: d.state.paused,
    note: d.state.note ?? null,
    intervalMs: typeof every === 'number' ? every : null,
    overlap: d.policies.overlap ?? 'SKIP',
    catchupWindowMs: d.policies.catchupWindow,
    nextRunTimes: d.info.nextActionTimes.map((t) => t.toISOString()),
    recentRuns: d.info.recentActions.map((a) => ({ scheduledAt: a.scheduledAt.toISOString(), startedAt: a.takenAt.toISOString(), workflowId: a.action.workflow.workflowId })),
    runsTaken: d.info.numActionsTaken,
    runsSkippedOverlap: d.info.numActionsSkippedOverlap,
  };
}

/** The handle of a schedule by its public name, or undefined for a name the engine does not have. */
export function scheduleHandle(client: Client, config: Pick<Config, 'TASK_QUEUE_PREFIX'>, name: string): ScheduleHandle | undefined {
  if (name === PRICE_REFRESH) return client.schedule.getHandle(priceRefreshScheduleId(config));
  if (name === RECONCILE_ORDERS) return client.schedule.getHandle(reconcileScheduleId(config));
  return undefined;
}
