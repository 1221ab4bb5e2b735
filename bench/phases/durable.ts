/**
 * End to end (POST /v1/orders → FILLED) and the floor (the same start and as many activities, each
 * one Postgres transaction): saturation with a closed loop, latency with an open loop at the same
 * fixed rate for both, so the two are compared under the same load.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import { activitySteps, type ActivityStep } from '../../lib/history-steps.js';
import type { EngineApi } from '../lib/engine-api.js';
import type { HttpClient } from '../lib/http.js';
import type { Fire, Stages } from '../lib/load.js';
import type { Profile } from '../lib/profile.js';
import type { OrderFacts, PortfolioTracker } from '../lib/stages.js';
import type { CompletionTracker } from '../lib/tracker.js';
import { BENCH_PRICE } from '../lib/stack.js';
import { measurePair, measureUnloaded, type PairResults, type Subject } from './measure.js';
import { ORDER_WORKFLOW_TYPE } from '../../domain/order-search.js';
import type { Sql } from '../../lib/db.js';
import { portfolioStatusQuery, portfolioWorkflowId } from '../../workflows/definitions.js';
import { round } from '../lib/stats.js';

/** A paper MARKET buy: fills on submission at the seeded price, 50 USDT notional. */
export const ORDER_BODY = { symbol: BENCH_PRICE.symbol, side: 'BUY', type: 'MARKET', quantity: '0.001', venue: 'paper' } as const;

export interface DurableContext {
  api: EngineApi;
  /** The accounts end-to-end orders are sent for, round robin (`api` first); just `api` when absent. */
  orderApis?: EngineApi[];
  baseline: HttpClient;
  temporal: Client;
  orders: CompletionTracker;
  floor: CompletionTracker;
  profile: Profile;
  log: (line: string) => void;
  /** Processes whose CPU each run reports. */
  cpuParts?: Record<string, number | undefined>;
  /** Where the stages beyond FILLED (and before it) are read; without it only FILLED is measured. */
  stages?: {
    orderFacts: (orderId: string) => Promise<OrderFacts | undefined>;
    portfolios: PortfolioTracker;
    /** The floor's counterpart of the venue stamp: when its run reached step `venueAt`. */
    floorStepAt?: (runId: string) => Promise<number | undefined>;
  };
}

/** What one paper MARKET order is made of, read from a live history. */
export interface OrderShape {
  /** Activities run, in order: scheduled ones and local ones. */
  activities: ActivityStep[];
  /** 1-based positions of the local ones among `activities`. */
  localSteps: number[];
  /** 1-based position of the activity whose transaction announces FILLED. */
  notifyAt: number;
  /** 1-based position of the activity that places the order on the venue (`submitOrder`); 0 if none. */
  venueAt: number;
  /** History events of the finished order workflow. */
  events: number;
  /** History events of the finished floor workflow. */
  floorEvents?: number;
  /** History events of the finished shape-matched floor workflow (when the order has local activities). */
  shapedFloorEvents?: number;
}

/** `recordOrderReceived (local), submitOrder, …` */
export function describeSteps(steps: readonly ActivityStep[]): string {
  return steps.map((s) => (s.local ? `${s.name} (local)` : s.name)).join(', ');
}

/** The finished workflow's history (waits up to 60 s for it to close). */
async function historyOf(temporal: Client, workflowId: string) {
  const handle = temporal.workflow.getHandle(workflowId);
  const deadline = Date.now() + 60_000;
  while ((await handle.describe()).status.name === 'RUNNING') {
    if (Date.now() > deadline) throw new Error(`${workflowId} still running after 60 s`);
    await sleep(100);
  }
  const history = await handle.fetchHistory();
  const events = history.events ?? [];
  const activities = activitySteps(events);
  return { events: events.length, activities };
}

/**
 * The order's stages beside FILLED: `postToVenue` (the venue's stamp of the order), `toPortfolio`
 * (the first portfolio snapshot whose ledger cursor covers the order's fill was announced) and
 * `fillToPortfolio` (from FILLED to that snapshot, per order).
 */
async function orderStages(stages: NonNullable<DurableContext['stages']>, orderId: string, filledAt: number, timeoutMs: number): Promise<Stages> {
  const facts = await stages.orderFacts(orderId);
  const toPortfolio = facts?.ledgerSeq !== undefined && facts.portfolioId ? await stages.portfolios.reached(facts.portfolioId, facts.ledgerSeq, timeoutMs) : undefined;
  return {
    at: { postToVenue: facts?.venueAt, toPortfolio },
    spans: { fillToPortfolio: toPortfolio === undefined ? undefined : toPortfolio - filledAt },
  };
}

export const orderFire = (ctx: DurableContext): Fire => {
  const apis = ctx.orderApis?.length ? ctx.orderApis : [ctx.api];
  let next = 0;
  return async () => {
    const api = apis[next++ % apis.length]!;
    const r = await api.http.request('POST', '/v1/orders', ORDER_BODY);
    if (r.status !== 202) return { ok: false, error: `POST /v1/orders answered ${r.status}: ${r.body.slice(0, 200)}` };
    const { id } = JSON.parse(r.body) as { id: string };
    const filled = await ctx.orders.wait(id, ctx.profile.completionTimeoutMs);
    const { stages } = ctx;
    if (!filled.ok || !stages) return filled;
    return { ...filled, stages: () => orderStages(stages, id, filled.doneAt!, ctx.profile.completionTimeoutMs) };
  };
};

/** The floor's request: every step an ordinary activity, or (`shaped`) the order's own mix. */
const floorBody = (shape: OrderShape, shaped: boolean) => ({
  activities: shape.activities.length,
  notifyAt: shape.notifyAt,
  ...(shaped ? { localSteps: shape.localSteps } : {}),
});

const floorFire = (ctx: DurableContext, shape: OrderShape, shaped: boolean): Fire => {
  const body = floorBody(shape, shaped);
  return async () => {
    const r = await ctx.baseline.request('POST', '/floor/orders', body);
    if (r.status !== 202) return { ok: false, error: `POST /floor/orders answered ${r.status}: ${r.body.slice(0, 200)}` };
    const { id } = JSON.parse(r.body) as { id: string };
    const done = await ctx.floor.wait(id, ctx.profile.completionTimeoutMs);
    const stepAt = ctx.stages?.floorStepAt;
    if (!done.ok || !stepAt || shape.venueAt === 0) return done;
    // The step at the venue's position: what POST → on the venue is on the bare shape.
    return { ...done, stages: async () => ({ at: { postToVenueStep: await stepAt(id) } }) };
  };
};

/**
 * Runs one order (and one floor run shaped like it) to completion and reads both histories: how
 * many activities a paper MARKET order runs is measured, not assumed. Doubles as the warm-up of
 * the worker's workflow cache and connections.
 */
export async function probeShape(ctx: DurableContext): Promise<OrderShape> {
  const r = await ctx.api.http.request('POST', '/v1/orders', ORDER_BODY);
  if (r.status !== 202) throw new Error(`probe order: POST /v1/orders answered ${r.status}: ${r.body.slice(0, 300)}`);
  const { id, workflowId } = JSON.parse(r.body) as { id: string; workflowId: string };
  const done = await ctx.orders.wait(id, 60_000);
  if (!done.ok) {
    const now = await ctx.api.http.request('GET', `/v1/orders/${id}`);
    throw new Error(`probe order ${id} did not fill: ${done.error}; GET /v1/orders/${id}: ${now.status} ${now.body.slice(0, 1500)}`);
  }
  const order = await historyOf(ctx.temporal, workflowId);
  const notifyAt = order.activities.map((a) => a.name).lastIndexOf('recordTransition') + 1;
  if (notifyAt === 0) throw new Error(`probe order ${id}: no recordTransition among its activities (${describeSteps(order.activities)})`);
  const localSteps = order.activities.flatMap((a, i) => (a.local ? [i + 1] : []));
  const venueAt = order.activities.findIndex((a) => a.name === 'submitOrder') + 1;
  const shape: OrderShape = { activities: order.activities, localSteps, notifyAt, venueAt, events: order.events };
  shape.floorEvents = await probeFloor(ctx, shape, false);
  if (localSteps.length) shape.shapedFloorEvents = await probeFloor(ctx, shape, true);
  return shape;
}

/** Runs one floor workflow to its end; returns its history's length. */
async function probeFloor(ctx: DurableContext, shape: OrderShape, shaped: boolean): Promise<number> {
  const f = await ctx.baseline.request('POST', '/floor/orders', floorBody(shape, shaped));
  if (f.status !== 202) throw new Error(`probe floor: POST /floor/orders answered ${f.status}: ${f.body.slice(0, 300)}`);
  const floorId = (JSON.parse(f.body) as { id: string }).id;
  const floorDone = await ctx.floor.wait(floorId, 60_000);
  if (!floorDone.ok) throw new Error(`probe floor run ${floorId} did not finish: ${floorDone.error}`);
  return (await historyOf(ctx.temporal, `floor-${floorId}`)).events;
}

/** Waits (up to 60 s) until no workflow of `type` is running on `taskQueue`: the next run starts on a drained system. */
export async function drained(temporal: Client, type: string, taskQueue: string): Promise<void> {
  const deadline = Date.now() + 60_000;
  while (Date.now() < deadline) {
    const { count } = await temporal.workflow.count(`WorkflowType = '${type}' AND TaskQueue = '${taskQueue}' AND ExecutionStatus = 'Running'`);
    if (count === 0) return;
    await sleep(250);
  }
}

export interface DurableResults {
  e2e?: PairResults;
  floor?: PairResults;
  /** The floor with the order's mix of ordinary and local activities (only when the order has local ones). */
  shapedFloor?: PairResults;
}

/**
 * End to end and the floor, their runs alternating, at the same concurrency and (for latency) the
 * same rate: half of the end-to-end saturation. Either may be left out.
 */
export async function measureDurable(ctx: DurableContext, shape: OrderShape, which: { e2e: boolean; floor: boolean }, queues: { orders: string; floor: string }): Promise<DurableResults> {
  const e2e: Subject = { label: 'e2e', fire: orderFire(ctx), drained: () => drained(ctx.temporal, ORDER_WORKFLOW_TYPE, queues.orders) };
  const floorDrained = () => drained(ctx.temporal, 'floorOrder', queues.floor);
  const floor: Subject = { label: 'floor', fire: floorFire(ctx, shape, false), drained: floorDrained };
  const shaped: Subject = { label: 'shaped floor', fire: floorFire(ctx, shape, true), drained: floorDrained };
  const all: Array<[keyof DurableResults, Subject, boolean]> = [
    ['e2e', e2e, which.e2e],
    ['floor', floor, which.floor],
    ['shapedFloor', shaped, which.floor && shape.localSteps.length > 0],
  ];
  const subjects = all.filter(([, , wanted]) => wanted);
  const [first, ...rest] = subjects;
  if (!first) return {};
  const options = { concurrency: ctx.profile.e2eConcurrency, profile: ctx.profile, log: ctx.log, cpuParts: ctx.cpuParts };
  const r = await measurePair(first[1], rest.map(([, s]) => s), options);
  const measured: Partial<DurableResults> = Object.fromEntries(subjects.map(([key], i) => [key, i === 0 ? r.main : r.others[i - 1]]));
  // The order and the shape it is held to, with next to no queueing: the path's own cost.
  const e2eRate = measured.e2e?.saturation.perSec;
  const unloaded = subjects.filter(([key]) => key === 'e2e' || key === 'shapedFloor');
  if (e2eRate && unloaded.length === 2) {
    const runs = await measureUnloaded(unloaded.map(([, subject]) => subject), e2eRate * ctx.profile.unloadedLoadFraction, options);
    unloaded.forEach(([key], i) => (measured[key]!.unloaded = runs[i]));
  }
  return measured;
}

/** What the end-to-end orders asked of their portfolio: signals that reached its workflow and recalculations, per filled order. */
export interface PortfolioLoad {
  filledOrders: number;
  fillSignals: number;
  recalculations: number;
  signalsPerOrder: number | null;
  recalculationsPerOrder: number | null;
}

/**
 * Read after the end-to-end runs from the account's portfolio workflow (its counters survive
 * continue-as-new) and its FILLED orders: each signal costs the portfolio a workflow task and
 * history events, each recalculation an activity.
 */
export async function portfolioLoad(temporal: Client, sql: Sql, accountIds: string[]): Promise<PortfolioLoad> {
  let fillSignals = 0;
  let recalculations = 0;
  for (const accountId of accountIds) {
    const handle = temporal.workflow.getHandle(portfolioWorkflowId(accountId));
    // The last orders' notifications and the recalculation they bring land after their FILLED.
    let status = await handle.query(portfolioStatusQuery);
    for (const deadline = Date.now() + 10_000; (status.dirty || status.recalculating) && Date.now() < deadline; ) {
      await sleep(100);
      status = await handle.query(portfolioStatusQuery);
    }
    fillSignals += status.notifications.fills;
    recalculations += status.recalculations;
  }
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM orders WHERE account_id IN ${sql(accountIds)} AND status = 'FILLED'`;
  const filledOrders = row?.n ?? 0;
  const per = (n: number) => (filledOrders ? round(n / filledOrders, 3) : null);
  return {
    filledOrders,
    fillSignals,
    recalculations,
    signalsPerOrder: per(fillSignals),
    recalculationsPerOrder: per(recalculations),
  };
}
