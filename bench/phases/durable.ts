/**
 * End to end (POST /v1/orders → FILLED) and the floor (the same start and as many activities, each
 * one Postgres transaction): saturation with a closed loop, latency with an open loop at the same
 * fixed rate for both, so the two are compared under the same load.
 */
import { setTimeout as sleep } from 'node:timers/promises';
import type { Client } from '@temporalio/client';
import type { EngineApi } from '../lib/engine-api.js';
import type { HttpClient } from '../lib/http.js';
import type { Fire } from '../lib/load.js';
import type { Profile } from '../lib/profile.js';
import type { CompletionTracker } from '../lib/tracker.js';
import { BENCH_PRICE } from '../lib/stack.js';
import { measurePair, type PairResults, type Subject } from './measure.js';

/** A paper MARKET buy: fills on submission at the seeded price, 50 USDT notional. */
export const ORDER_BODY = { symbol: BENCH_PRICE.symbol, side: 'BUY', type: 'MARKET', quantity: '0.001', venue: 'paper' } as const;

export interface DurableContext {
  api: EngineApi;
  baseline: HttpClient;
  temporal: Client;
  orders: CompletionTracker;
  floor: CompletionTracker;
  profile: Profile;
  log: (line: string) => void;
  /** Processes whose CPU each run reports. */
  cpuParts?: Record<string, number | undefined>;
}

/** What one paper MARKET order is made of, read from a live history. */
export interface OrderShape {
  /** Activities scheduled, in order. */
  activities: string[];
  /** 1-based position of the activity whose transaction announces FILLED. */
  notifyAt: number;
  /** History events of the finished order workflow. */
  events: number;
  /** History events of the finished floor workflow. */
  floorEvents?: number;
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
  const activities = events.map((e) => e.activityTaskScheduledEventAttributes?.activityType?.name).filter((n): n is string => Boolean(n));
  return { events: events.length, activities };
}

const orderFire =
  (ctx: DurableContext): Fire =>
  async () => {
    const r = await ctx.api.http.request('POST', '/v1/orders', ORDER_BODY);
    if (r.status !== 202) return { ok: false, error: `POST /v1/orders answered ${r.status}: ${r.body.slice(0, 200)}` };
    const { id } = JSON.parse(r.body) as { id: string };
    return ctx.orders.wait(id, ctx.profile.completionTimeoutMs);
  };

const floorFire =
  (ctx: DurableContext, shape: OrderShape): Fire =>
  async () => {
    const r = await ctx.baseline.request('POST', '/floor/orders', { activities: shape.activities.length, notifyAt: shape.notifyAt });
    if (r.status !== 202) return { ok: false, error: `POST /floor/orders answered ${r.status}: ${r.body.slice(0, 200)}` };
    const { id } = JSON.parse(r.body) as { id: string };
    return ctx.floor.wait(id, ctx.profile.completionTimeoutMs);
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
  const notifyAt = order.activities.lastIndexOf('recordTransition') + 1;
  if (notifyAt === 0) throw new Error(`probe order ${id}: no recordTransition among its activities (${order.activities.join(', ')})`);
  const shape: OrderShape = { activities: order.activities, notifyAt, events: order.events };
  const f = await ctx.baseline.request('POST', '/floor/orders', { activities: shape.activities.length, notifyAt });
  if (f.status !== 202) throw new Error(`probe floor: POST /floor/orders answered ${f.status}: ${f.body.slice(0, 300)}`);
  const floorId = (JSON.parse(f.body) as { id: string }).id;
  const floorDone = await ctx.floor.wait(floorId, 60_000);
  if (!floorDone.ok) throw new Error(`probe floor run ${floorId} did not finish: ${floorDone.error}`);
  shape.floorEvents = (await historyOf(ctx.temporal, `floor-${floorId}`)).events;
  return shape;
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
}

/**
 * End to end and the floor, their runs alternating, at the same concurrency and (for latency) the
 * same rate: half of the end-to-end saturation. Either may be left out.
 */
export async function measureDurable(ctx: DurableContext, shape: OrderShape, which: { e2e: boolean; floor: boolean }, queues: { orders: string; floor: string }): Promise<DurableResults> {
  const e2e: Subject = { label: 'e2e', fire: orderFire(ctx), drained: () => drained(ctx.temporal, 'orderLifecycle', queues.orders) };
  const floor: Subject = { label: 'floor', fire: floorFire(ctx, shape), drained: () => drained(ctx.temporal, 'floorOrder', queues.floor) };
  const options = { concurrency: ctx.profile.e2eConcurrency, profile: ctx.profile, log: ctx.log, cpuParts: ctx.cpuParts };
  if (which.e2e) {
    const r = await measurePair(e2e, which.floor ? floor : undefined, options);
    return { e2e: r.main, ...(r.other ? { floor: r.other } : {}) };
  }
  return { floor: (await measurePair(floor, undefined, options)).main };
}
