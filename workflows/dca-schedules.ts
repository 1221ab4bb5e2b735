/**
 * The Temporal Schedule of each DCA plan (`<TASK_QUEUE_PREFIX>dca-<planId>`): every interval it
 * starts a `dcaBuy` workflow with the plan as it is now. Client-side code (the API calls it): not
 * part of the workflow bundle.
 */
import { ScheduleNotFoundError, type Client, type ScheduleDescription, type ScheduleOptionsStartWorkflowAction } from '@temporalio/client';
import type { DcaBuyInput } from '../domain/dca.js';
import type { Venue } from '../domain/exchange.js';
import type { OrderSettings } from '../domain/orders.js';
import type { dcaBuy } from './dca-buy.js';
import { orderKeys } from './search-attributes.js';

/** Temporal raises a catch-up window under ten seconds. */
const MIN_CATCHUP_WINDOW_MS = 10_000;
/** Longest a firing waits for its order to end; the order goes on after. */
const MAX_WAIT_FOR_ORDER_MS = 5 * 60_000;

export interface DcaSchedulePlan {
  planId: string;
  accountId: string;
  venue: Venue;
  symbol: string;
  quoteAmount: string;
  interval: string;
  intervalMs: number;
}

export interface DcaScheduleOptions {
  /** TASK_QUEUE_PREFIX: schedule and workflow ids carry it, as the engine's other schedules do. */
  idPrefix: string;
  /** The orders task queue: the firing and its order run there. */
  taskQueue: string;
  settings: OrderSettings;
}

export const dcaScheduleId = (idPrefix: string, planId: string): string => `${idPrefix}dca-${planId}`;

/**
 * What the plan's schedule looks like. Overlap SKIP: a firing still waiting for its order makes the
 * next one skip instead of buying beside it. Catch-up window of one interval: after an outage at
 * most one missed buy runs, never a backlog of them.
 * @example const { spec, action, policies } = dcaSchedule(plan, { idPrefix: '', taskQueue: 'orders', settings });
 */
export function dcaSchedule(plan: DcaSchedulePlan, o: DcaScheduleOptions) {
  const waitForOrderMs = Math.min(MAX_WAIT_FOR_ORDER_MS, Math.floor(plan.intervalMs / 2));
  const input: DcaBuyInput = {
    planId: plan.planId,
    accountId: plan.accountId,
    venue: plan.venue,
    symbol: plan.symbol,
    quoteAmount: plan.quoteAmount,
    settings: o.settings,
    waitForOrderMs,
  };
  const action: ScheduleOptionsStartWorkflowAction<typeof dcaBuy> = {
    type: 'startWorkflow',
    workflowType: 'dcaBuy',
    // Temporal appends the scheduled time: each firing has its own id, the key of its buy.
    workflowId: dcaScheduleId(o.idPrefix, plan.planId),
    taskQueue: o.taskQueue,
    args: [input],
    staticSummary: `DCA plan ${plan.planId}: buy ${plan.quoteAmount} of ${plan.symbol} on ${plan.venue} every ${plan.interval}`,
    typedSearchAttributes: [
      { key: orderKeys.AccountId, value: plan.accountId },
      { key: orderKeys.Symbol, value: plan.symbol },
      { key: orderKeys.Venue, value: plan.venue },
    ],
    // A firing stuck on an outage must not keep the schedule skipping; its order goes on without it.
    workflowExecutionTimeout: waitForOrderMs + 10 * 60_000,
  };
  return {
    spec: { intervals: [{ every: plan.intervalMs }] },
    action,
    policies: { overlap: 'SKIP' as const, catchupWindow: Math.max(plan.intervalMs, MIN_CATCHUP_WINDOW_MS), pauseOnFailure: false },
  };
}

/**
 * Creates the plan's schedule, running (or paused, for a plan restored paused).
 * @example await createDcaSchedule(temporal, plan, { idPrefix, taskQueue, settings });
 */
export async function createDcaSchedule(client: Client, plan: DcaSchedulePlan, o: DcaScheduleOptions, paused = false): Promise<void> {
  await client.schedule.create({
    scheduleId: dcaScheduleId(o.idPrefix, plan.planId),
    ...dcaSchedule(plan, o),
    memo: { planId: plan.planId },
    typedSearchAttributes: [{ key: orderKeys.AccountId, value: plan.accountId }],
    state: { paused, note: `DCA plan of account ${plan.accountId}` },
  });
}

/**
 * Rewrites the schedule for the plan as it is now (amount, interval, settings), keeping whether it
 * is paused.
 * @example await updateDcaSchedule(temporal, { ...plan, quoteAmount: '50' }, options);
 */
export async function updateDcaSchedule(client: Client, plan: DcaSchedulePlan, o: DcaScheduleOptions): Promise<void> {
  await client.schedule.getHandle(dcaScheduleId(o.idPrefix, plan.planId)).update((previous) => ({
    ...dcaSchedule(plan, o),
    state: { paused: previous.state.paused, note: previous.state.note, remainingActions: previous.state.remainingActions },
  }));
}

/** Deletes the schedule; one already gone is fine (a delete retried after a crash). */
export async function deleteDcaSchedule(client: Client, scheduleId: string): Promise<void> {
  try {
    await client.schedule.getHandle(scheduleId).delete();
  } catch (err) {
    if (!(err instanceof ScheduleNotFoundError)) throw err;
  }
}

/** What the API shows of a plan's schedule. */
export interface DcaScheduleState {
  paused: boolean;
  nextRunAt: string | null;
  runsTaken: number;
  runsSkippedOverlap: number;
}

export function dcaScheduleState(d: ScheduleDescription): DcaScheduleState {
  return {
    paused: d.state.paused,
    nextRunAt: d.state.paused ? null : (d.info.nextActionTimes[0]?.toISOString() ?? null),
    runsTaken: d.info.numActionsTaken,
    runsSkippedOverlap: d.info.numActionsSkippedOverlap,
  };
}

/** The schedule's state, or null when it does not exist (a deleted plan). */
export async function describeDcaSchedule(client: Client, scheduleId: string): Promise<DcaScheduleState | null> {
  try {
    return dcaScheduleState(await client.schedule.getHandle(scheduleId).describe());
  } catch (err) {
    if (err instanceof ScheduleNotFoundError) return null;
    throw err;
  }
}
