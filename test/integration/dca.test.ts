/**
 * DCA plans end to end: the API, one Temporal Schedule per plan, the `dcaBuy` workflow on a real
 * worker, its MARKET buy as an ordinary order lifecycle child, on the paper venue and on Binance
 * (the fake, over HTTP). Firings are triggered by hand (ScheduleHandle.trigger) instead of waited for.
 */
import { ScheduleNotFoundError } from '@temporalio/client';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { orderSettingsFrom } from '../../lib/order-settings.js';
import type { DcaBuyOutcome } from '../../workflows/dca-buy.js';
import { dcaSchedule } from '../../workflows/dca-schedules.js';
import { startEngine, startMarketDataFakes, type MarketDataFakes, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

let fakes: MarketDataFakes;
let e: TestEngine;

beforeAll(async () => {
  fakes = await startMarketDataFakes();
  e = await startEngine({
    ...fakes.env,
    BINANCE_WS_API_URL: fakes.binance.wsApiUrl,
    BINANCE_API_KEY: 'market-data-key',
    BINANCE_API_SECRET: 'market-data-secret',
    BINANCE_TIMEOUT: '1s',
  });
});
afterAll(async () => {
  await e?.stop();
  await fakes?.close();
});
// Paper MARKET orders fill at the stored price, which must be fresh.
beforeEach(async () => {
  await e.setPrice('BTCUSDT', '60000');
});

const createPlan = async (body: Record<string, unknown>) => {
  const res = await e.call('POST', '/v1/dca-plans', { symbol: 'BTCUSDT', venue: 'paper', quoteAmount: '100', interval: '1d', ...body });
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
};
const getPlan = async (id: string) => (await e.call('GET', `/v1/dca-plans/${id}`)).body;
const trigger = (plan: { scheduleId: string }) => e.temporal.schedule.getHandle(plan.scheduleId).trigger();
/** Waits until the plan has `count` buys, each settled (skipped, or its order final). */
const buysOf = (id: string, count: number) =>
  waitFor(
    () => getPlan(id),
    (p) => p.buys.length === count && p.buys.every((b: any) => b.status === 'SKIPPED' || ['FILLED', 'REJECTED', 'CANCELED', 'EXPIRED'].includes(b.order?.status)),
    { timeoutMs: 30_000, what: `plan ${id} to have ${count} settled buys` },
  ).then((p) => p.buys);
const ordersOfPlan = (id: string) => e.sql<{ id: string; parent_kind: string; parent_role: string; status: string; side: string; type: string }[]>`
  SELECT id, parent_kind, parent_role, status, side, type FROM orders WHERE parent_id = ${id}`;

describe('DCA plans on the paper venue', () => {
  it('buys quoteAmount / price rounded down once per firing, as a FILLED child order linked to the plan', async () => {
    const plan = await createPlan({});
    expect(plan).toMatchObject({ status: 'ACTIVE', quoteAmount: '100', interval: '1d', venue: 'paper', scheduleId: `${e.config.TASK_QUEUE_PREFIX}dca-${plan.id}` });
    expect(Date.parse(plan.nextRunAt)).toBeGreaterThan(Date.now());

    await trigger(plan);
    const [buy] = await buysOf(plan.id, 1);
    expect(buy).toMatchObject({ buy: 1, status: 'PLACED', quoteAmount: '100', price: '60000', quantity: '0.00166666', reason: null });
    expect(buy.order).toMatchObject({ status: 'FILLED', executedQty: '0.00166666', self: `/v1/orders/${buy.order.id}` });
    expect(buy.order.averagePrice).toMatch(/^600\d\d/);

    const orders = await ordersOfPlan(plan.id);
    expect(orders).toEqual([{ id: buy.order.id, parent_kind: 'dca', parent_role: 'buy 1', status: 'FILLED', side: 'BUY', type: 'MARKET' }]);
    const outcome: DcaBuyOutcome = await e.temporal.workflow.getHandle(buy.workflowId).result();
    expect(outcome).toMatchObject({ outcome: 'placed', buy: 1, orderId: buy.order.id, order: { status: 'FILLED' } });
    await recordHistory(e.temporal, buy.workflowId, 'dca-buy-filled');
  });

  it('places one order when the same firing runs twice', async () => {
    const plan = await createPlan({});
    const { action } = dcaSchedule(
      { planId: plan.id, accountId: e.account.id, venue: 'paper', symbol: 'BTCUSDT', quoteAmount: '100', interval: '1d', intervalMs: 86_400_000 },
      { idPrefix: e.config.TASK_QUEUE_PREFIX, taskQueue: e.config.taskQueues.orders, settings: orderSettingsFrom(e.config) },
    );
    const firing = { taskQueue: e.config.taskQueues.orders, workflowId: `${plan.scheduleId}-2025-05-01T00:00:00Z`, args: action.args };
    const first: DcaBuyOutcome = await e.temporal.workflow.execute('dcaBuy', firing);
    const second: DcaBuyOutcome = await e.temporal.workflow.execute('dcaBuy', firing);
    expect(first).toMatchObject({ outcome: 'placed', buy: 1, order: { status: 'FILLED' } });
    expect(second).toMatchObject({ outcome: 'placed', buy: 1, orderId: first.orderId, reason: 'started by an earlier run of this firing' });
    expect(await ordersOfPlan(plan.id)).toHaveLength(1);
    expect(await buysOf(plan.id, 1)).toHaveLength(1);
  });

  it('makes no buy while paused, and buys again once resumed', async () => {
    const plan = await createPlan({});
    const paused = await e.call('POST', `/v1/dca-plans/${plan.id}/pause`);
    expect(paused.status).toBe(200);
    expect(paused.body).toMatchObject({ status: 'PAUSED', nextRunAt: null });
    const handle = e.temporal.schedule.getHandle(plan.scheduleId);
    expect((await handle.describe()).state.paused).toBe(true);

    const again = await e.call('POST', `/v1/dca-plans/${plan.id}/pause`);
    expect(again.status).toBe(409);
    expect(again.body.error.message).toMatch(/already paused/);

    // A trigger by hand while paused (an operator in the UI) finds the plan paused: no buy.
    await handle.trigger();
    const started = await waitFor(() => handle.describe(), (d) => d.info.recentActions.length > 0, { what: 'the triggered firing' });
    const outcome: DcaBuyOutcome = await e.temporal.workflow.getHandle(started.info.recentActions[0]!.action.workflow.workflowId).result();
    expect(outcome).toMatchObject({ outcome: 'not-active', reason: 'the plan is PAUSED: no buy' });
    expect((await getPlan(plan.id)).buys).toEqual([]);

    const resumed = await e.call('POST', `/v1/dca-plans/${plan.id}/resume`);
    expect(resumed.status).toBe(200);
    expect(resumed.body.status).toBe('ACTIVE');
    expect(resumed.body.nextRunAt).not.toBeNull();
    expect((await e.call('POST', `/v1/dca-plans/${plan.id}/resume`)).status).toBe(409);
    await trigger(plan);
    expect(await buysOf(plan.id, 1)).toMatchObject([{ buy: 1, status: 'PLACED', order: { status: 'FILLED' } }]);
  });

  it('uses a changed amount from the next buy on', async () => {
    const plan = await createPlan({});
    const patched = await e.call('PATCH', `/v1/dca-plans/${plan.id}`, { quoteAmount: '50', interval: '1w' });
    expect(patched.status).toBe(200);
    expect(patched.body).toMatchObject({ quoteAmount: '50', interval: '1w' });
    const described = await e.temporal.schedule.getHandle(plan.scheduleId).describe();
    expect(described.spec.intervals?.[0]?.every).toBe(7 * 86_400_000);

    await trigger(plan);
    expect(await buysOf(plan.id, 1)).toMatchObject([{ quoteAmount: '50', quantity: '0.00083333', order: { status: 'FILLED', executedQty: '0.00083333' } }]);
  });

  it('deletes the schedule and keeps the plan and its buys', async () => {
    const plan = await createPlan({});
    await trigger(plan);
    await buysOf(plan.id, 1);

    const deleted = await e.call('DELETE', `/v1/dca-plans/${plan.id}`);
    expect(deleted.status).toBe(200);
    expect(deleted.body).toMatchObject({ status: 'DELETED', nextRunAt: null });
    await expect(e.temporal.schedule.getHandle(plan.scheduleId).describe()).rejects.toBeInstanceOf(ScheduleNotFoundError);

    const after = await getPlan(plan.id);
    expect(after.status).toBe('DELETED');
    expect(after.buys).toHaveLength(1);
    expect((await e.call('GET', '/v1/dca-plans')).body.data.find((p: { id: string }) => p.id === plan.id)?.status).toBe('DELETED');
    expect((await e.call('POST', `/v1/dca-plans/${plan.id}/resume`)).status).toBe(409);
    expect((await e.call('PATCH', `/v1/dca-plans/${plan.id}`, { quoteAmount: '10' })).status).toBe(409);
    expect((await e.call('DELETE', `/v1/dca-plans/${plan.id}`)).status).toBe(200);
  });

  it("answers 404 for another account's plan", async () => {
    const plan = await createPlan({});
    const other = await e.newAccount();
    for (const [method, path, body] of [
      ['GET', `/v1/dca-plans/${plan.id}`],
      ['PATCH', `/v1/dca-plans/${plan.id}`, { quoteAmount: '10' }],
      ['POST', `/v1/dca-plans/${plan.id}/pause`],
      ['POST', `/v1/dca-plans/${plan.id}/resume`],
      ['DELETE', `/v1/dca-plans/${plan.id}`],
    ] as const) {
      const res = await e.callAs(other, method, path, body);
      expect(res.status, `${method} ${path}`).toBe(404);
      expect(res.body.error.code).toBe('dca_plan_not_found');
    }
    expect((await e.callAs(other, 'GET', '/v1/dca-plans')).body.data).toEqual([]);
    expect((await getPlan(plan.id)).status).toBe('ACTIVE');
  });

  it('refuses a bad plan with 422 naming the rule', async () => {
    const post = (body: Record<string, unknown>) => e.call('POST', '/v1/dca-plans', { symbol: 'BTCUSDT', venue: 'paper', quoteAmount: '100', interval: '1d', ...body });
    const zero = await post({ quoteAmount: '0' });
    expect(zero.status).toBe(422);
    expect(zero.body.error.message).toBe('quoteAmount: must be greater than zero');
    const small = await post({ quoteAmount: '0.5' });
    expect(small.status).toBe(422);
    expect(small.body.error).toMatchObject({ code: 'below_min_notional', message: "quoteAmount: must be at least BTCUSDT's minimum notional on paper, 1" });
    const interval = await post({ interval: '90s' });
    expect(interval.status).toBe(422);
    expect(interval.body.error.message).toMatch(/^interval: must be a count and a unit/);
    expect((await post({ interval: '400d' })).body.error.message).toBe('interval: must be between 1m and 366d');
    const unknown = await post({ symbol: 'NOSUCHUSDT' });
    expect(unknown.status).toBe(422);
    expect(unknown.body.error).toMatchObject({ code: 'unknown_symbol', message: 'symbol: binance does not know NOSUCHUSDT' });
    const plan = await createPlan({});
    const empty = await e.call('PATCH', `/v1/dca-plans/${plan.id}`, {});
    expect(empty.status).toBe(422);
    expect(empty.body.error.message).toMatch(/must change quoteAmount, interval or both/);
    expect((await e.call('PATCH', `/v1/dca-plans/${plan.id}`, { quoteAmount: '0.1' })).body.error.code).toBe('below_min_notional');
  });
});

describe('DCA plans on Binance (the fake)', () => {
  beforeEach(async () => {
    await e.setPrice('BTCUSDT', fakes.binance.price('BTCUSDT'));
  });

  it('buys through the fake once per firing, its quantity on the LOT_SIZE step', async () => {
    const plan = await createPlan({ venue: 'binance' });
    await trigger(plan);
    const [buy] = await buysOf(plan.id, 1);
    // 100 / 60000 = 0.0016666…, rounded down to the step 0.00001.
    expect(buy).toMatchObject({ status: 'PLACED', quantity: '0.00166', order: { status: 'FILLED', executedQty: '0.00166' } });
    const clientOrderId = `dt-${buy.order.id.replace(/-/g, '')}`;
    expect(fakes.binance.orders().filter((o) => o.clientOrderId === clientOrderId)).toHaveLength(1);
  });

  it('skips a buy below the minimum notional and says why', async () => {
    // 5 USDT buys 0.00008 BTC on the step: a notional of 4.8, below Binance's 5.
    const plan = await createPlan({ venue: 'binance', quoteAmount: '5' });
    await trigger(plan);
    const [buy] = await buysOf(plan.id, 1);
    expect(buy).toMatchObject({ status: 'SKIPPED', order: null, quantity: null });
    expect(buy.reason).toMatch(/notional of 4\.8.*below the minimum 5/);
    expect(await ordersOfPlan(plan.id)).toEqual([]);
    await recordHistory(e.temporal, buy.workflowId, 'dca-buy-skipped');
  });
});
