/**
 * The engine's Temporal Schedules. Today one: `price-refresh`, which starts a `refreshPrices`
 * workflow on the market-data task queue every PRICE_REFRESH_INTERVAL. Every start of the worker
 * calls ensurePriceRefreshSchedule: the first creates it, the next ones update it in place to the
 * current config, keeping whether an operator paused it.
 */
import { ScheduleAlreadyRunning, type Client, type ScheduleDescription, type ScheduleHandle, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { refreshPrices, RefreshPricesInput } from '../workflows/refresh-prices.js';
import type { Config } from './config.js';
import type { Logger } from './logger.js';

/** The public name of the schedule (the API path); the Temporal id adds TASK_QUEUE_PREFIX. */
export const PRICE_REFRESH = 'price-refresh';

/** Temporal refuses a schedule interval under one second and raises a catch-up window under ten. */
export const MIN_SCHEDULE_INTERVAL_MS = 1_000;
const MIN_CATCHUP_WINDOW_MS = 10_000;

export type ScheduleConfig = Pick<Config, 'TASK_QUEUE_PREFIX' | 'PRICE_REFRESH_INTERVAL' | 'taskQueues'>;

export function priceRefreshScheduleId(config: Pick<Config, 'TASK_QUEUE_PREFIX'>): string {
  return `${config.TASK_QUEUE_PREFIX}${PRICE_REFRESH}`;
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
  const scheduleId = priceRefreshScheduleId(config);
  const desired = priceRefreshSchedule(config);
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
  return name === PRICE_REFRESH ? client.schedule.getHandle(priceRefreshScheduleId(config)) : undefined;
}
