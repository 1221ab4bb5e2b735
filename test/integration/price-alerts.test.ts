/**
 * Price alerts end to end: the HTTP API, the evaluation the price refresh runs after storing prices
 * (through `setPrice`, which runs the same activity, and through a real refreshPrices run against
 * the market-data fakes), the WebSocket push, and conditional orders on real workers.
 */
import { randomBytes, randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import WebSocket from 'ws';
import { createPriceAlertActivities, type AlertsResult } from '../../activities/market-data/alert-activities.js';
import { orderStarter } from '../../workflows/start-order.js';
import { orderSettingsFrom } from '../../lib/order-settings.js';
import { refreshPricesInput } from '../../workflows/schedules.js';
import type { RefreshOutcome } from '../../workflows/refresh-prices.js';
import { startStreamApi, type StreamApi } from '../helpers/stream-server.js';
import { startEngine, startMarketDataFakes, type MarketDataFakes, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { enforceContract, expectContractKept } from '../helpers/openapi-contract.js';
import { waitFor } from '../helpers/wait.js';

let fakes: MarketDataFakes;
let e: TestEngine;
let api: StreamApi;

beforeAll(async () => {
  fakes = await startMarketDataFakes();
  e = await startEngine(fakes.env);
  await enforceContract(e.app);
  api = await startStreamApi(e);
});
afterAll(async () => {
  await api?.close();
  await e?.stop();
  await fakes?.close();
});

expectContractKept();

/** A symbol no other test prices: a Binance-looking pair the fakes do not know. */
const newSymbol = () => `AL${randomBytes(3).toString('hex').toUpperCase()}USDT`;

/** A fresh account with the symbol priced, so its alerts and orders are its own. */
async function setUp(price = '100'): Promise<{ account: string; symbol: string }> {
  const symbol = newSymbol();
  await e.setPrice(symbol, price);
  return { account: await e.newAccount(), symbol };
}

const post = (account: string, body: unknown) => e.callAs(account, 'POST', '/v1/alerts', body);
const get = async (account: string, id: string) => (await e.callAs(account, 'GET', `/v1/alerts/${id}`)).body;

async function create(account: string, body: Record<string, unknown>): Promise<any> {
  const res = await post(account, body);
  expect(res.status, JSON.stringify(res.body)).toBe(201);
  return res.body;
}

/** The activity the refresh runs, as a worker would run it: in another refresh run, or (same workflowId) a retry in the same one. */
function evaluate(symbol: string, price: string, workflowId = `test-refresh-${randomUUID()}`): Promise<AlertsResult> {
  const { evaluatePriceAlerts } = createPriceAlertActivities({ sql: e.sql, startOrder: orderStarter(e.temporal, { taskQueue: e.config.taskQueues.orders, settings: orderSettingsFrom(e.config) }) });
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId, runId: randomUUID() } });
  return env.run(evaluatePriceAlerts, { moved: [{ symbol, price }] });
}

describe('POST /v1/alerts: each condition fires on the right move, and not on the wrong one', () => {
  it('fires ABOVE once the price reaches the threshold, not on a move below it', async () => {
    const { account, symbol } = await setUp('100');
    const alert = await create(account, { symbol, condition: 'ABOVE', threshold: '110' });
    expect(alert).toMatchObject({ status: 'ACTIVE', referencePrice: '100', threshold: '110', firedAt: null, order: null, links: { self: `/v1/alerts/${alert.id}` } });
    await e.setPrice(symbol, '109.99');
    expect((await get(account, alert.id)).status).toBe('ACTIVE');
    await e.setPrice(symbol, '110');
    expect(await get(account, alert.id)).toMatchObject({ status: 'FIRED', firedPrice: '110', firedAt: expect.any(String) });
  });

  it('fires BELOW once the price falls to the threshold, not on a rise', async () => {
    const { account, symbol } = await setUp('100');
    const alert = await create(account, { symbol, condition: 'BELOW', threshold: '90' });
    await e.setPrice(symbol, '120');
    await e.setPrice(symbol, '90.5');
    expect((await get(account, alert.id)).status).toBe('ACTIVE');
    await e.setPrice(symbol, '89');
    expect(await get(account, alert.id)).toMatchObject({ status: 'FIRED', firedPrice: '89' });
  });

  it('fires a CROSS from below when the price rises through the threshold, not when it moves away', async () => {
    const { account, symbol } = await setUp('100');
    const alert = await create(account, { symbol, condition: 'CROSS', threshold: '105' });
    expect(alert.crossFrom).toBe('below');
    await e.setPrice(symbol, '80');
    expect((await get(account, alert.id)).status).toBe('ACTIVE');
    await e.setPrice(symbol, '106');
    expect(await get(account, alert.id)).toMatchObject({ status: 'FIRED', firedPrice: '106' });
  });

  it('fires a CROSS from above when the price falls through the threshold, not when it rises', async () => {
    const { account, symbol } = await setUp('100');
    const alert = await create(account, { symbol, condition: 'CROSS', threshold: '95' });
    expect(alert.crossFrom).toBe('above');
    await e.setPrice(symbol, '130');
    expect((await get(account, alert.id)).status).toBe('ACTIVE');
    await e.setPrice(symbol, '95');
    expect(await get(account, alert.id)).toMatchObject({ status: 'FIRED', firedPrice: '95' });
  });

  it('fires MOVE_PCT UP on a rise of pct percent within the window, counting only prices since the alert', async () => {
    const { account, symbol } = await setUp('90');
    // 90 → 100 happened before the alert: it is no move of the alert's.
    await e.setPrice(symbol, '100');
    const alert = await create(account, { symbol, condition: 'MOVE_PCT', pct: '5', windowSeconds: 3600, direction: 'UP' });
    expect(alert).toMatchObject({ pct: '5', windowSeconds: 3600, direction: 'UP', threshold: null });
    await e.setPrice(symbol, '104');
    await e.setPrice(symbol, '95');
    expect((await get(account, alert.id)).status).toBe('ACTIVE');
    // From the window's low (95): 4.2% is not enough, 5.3% is.
    await e.setPrice(symbol, '99');
    expect((await get(account, alert.id)).status).toBe('ACTIVE');
    await e.setPrice(symbol, '100');
    expect(await get(account, alert.id)).toMatchObject({ status: 'FIRED', firedPrice: '100' });
  });

  it('fires MOVE_PCT DOWN on a fall from the window high, and ANY (the default) either way', async () => {
    const { account, symbol } = await setUp('100');
    const down = await create(account, { symbol, condition: 'MOVE_PCT', pct: '10', windowSeconds: 600, direction: 'DOWN' });
    const any = await create(account, { symbol, condition: 'MOVE_PCT', pct: '10', windowSeconds: 600 });
    expect(any.direction).toBe('ANY');
    await e.setPrice(symbol, '111');
    expect((await get(account, down.id)).status).toBe('ACTIVE');
    expect(await get(account, any.id)).toMatchObject({ status: 'FIRED', firedPrice: '111' });
    // From the window's high (111): 9.9% is not enough, 10.8% is.
    await e.setPrice(symbol, '100');
    expect((await get(account, down.id)).status).toBe('ACTIVE');
    await e.setPrice(symbol, '99');
    expect(await get(account, down.id)).toMatchObject({ status: 'FIRED', firedPrice: '99' });
  });
});

describe('firing exactly once', () => {
  it('fires once when the same move is evaluated twice, and when evaluations overlap', async () => {
    const { account, symbol } = await setUp('100');
    const a = await create(account, { symbol, condition: 'ABOVE', threshold: '110' });
    const b = await create(account, { symbol, condition: 'ABOVE', threshold: '111' });
    const run = `test-refresh-${randomUUID()}`;
    const first = await evaluate(symbol, '120', run);
    const again = await evaluate(symbol, '120');
    expect(first.fired).toBe(2);
    expect(again.fired).toBe(0);
    // A retry of the run that fired them reports them again, rather than 0.
    expect((await evaluate(symbol, '120', run)).fired).toBe(2);
    const c = await create(account, { symbol, condition: 'BELOW', threshold: '99.5' });
    const overlapping = await Promise.all(Array.from({ length: 6 }, () => evaluate(symbol, '99')));
    expect(overlapping.reduce((n, r) => n + r.fired, 0)).toBe(1);
    for (const id of [a.id, b.id]) expect(await get(account, id)).toMatchObject({ status: 'FIRED', firedPrice: '120' });
    expect(await get(account, c.id)).toMatchObject({ status: 'FIRED', firedPrice: '99' });
  });
});

describe('the alerts channel of /v1/stream', () => {
  function open(token: string): Promise<{ ws: WebSocket; frames: any[] }> {
    const ws = new WebSocket(api.url, { headers: { authorization: `Bearer ${token}` } });
    const frames: any[] = [];
    ws.on('message', (data) => frames.push(JSON.parse(data.toString())));
    return new Promise((resolve, reject) => {
      ws.once('open', () => resolve({ ws, frames }));
      ws.once('error', reject);
    });
  }
  const subscribed = (frames: any[]) => waitFor(async () => frames, (f) => f.some((x) => x.type === 'subscribed' && x.channel === 'alerts'), { timeoutMs: 5_000, what: 'subscribed' });

  it('pushes a fired alert once, to its owner only, and again in the snapshot of a later subscription', async () => {
    const owner = await e.registerUser();
    const other = await e.registerUser();
    const symbol = newSymbol();
    await e.setPrice(symbol, '100');
    const mine = await open(owner.token);
    const theirs = await open(other.token);
    try {
      for (const c of [mine, theirs]) c.ws.send(JSON.stringify({ type: 'subscribe', channel: 'alerts' }));
      await Promise.all([subscribed(mine.frames), subscribed(theirs.frames)]);
      const alert = await create(owner.id, { symbol, condition: 'ABOVE', threshold: '101' });
      await e.setPrice(symbol, '102');
      await evaluate(symbol, '102');
      const frame = await waitFor(async () => mine.frames.filter((f) => f.type === 'alert'), (f) => f.length > 0, { timeoutMs: 5_000, what: 'the alert frame' });
      expect(frame).toEqual([{ type: 'alert', data: { alertId: alert.id, symbol, condition: 'ABOVE', status: 'FIRED', firedPrice: '102', firedAt: expect.any(String), orderId: null } }]);
      // The other account's connection heard the same NOTIFY at the same moment: give it time anyway.
      await new Promise((r) => setTimeout(r, 300));
      expect(theirs.frames.filter((f) => f.type === 'alert')).toEqual([]);
      expect(mine.frames.filter((f) => f.type === 'alert')).toHaveLength(1);

      const later = await open(owner.token);
      later.ws.send(JSON.stringify({ type: 'subscribe', channel: 'alerts' }));
      await subscribed(later.frames);
      expect(later.frames.filter((f) => f.type === 'alert').map((f) => f.data.alertId)).toEqual([alert.id]);
      later.ws.close();
    } finally {
      mine.ws.close();
      theirs.ws.close();
    }
  });

  it('refuses symbols on the alerts channel', async () => {
    const c = await open(e.account.token);
    try {
      c.ws.send(JSON.stringify({ type: 'subscribe', channel: 'alerts', symbols: ['BTCUSDT'] }));
      const [error] = await waitFor(async () => c.frames.filter((f) => f.type === 'error'), (f) => f.length > 0, { timeoutMs: 5_000, what: 'the error frame' });
      expect(error.error).toMatchObject({ code: 'invalid_message', message: 'symbols: is not allowed for the alerts channel' });
    } finally {
      c.ws.close();
    }
  });
});

describe('conditional orders', () => {
  it('places the order once when the alert fires, linked both ways', async () => {
    const { account, symbol } = await setUp('100');
    const alert = await create(account, { symbol, condition: 'ABOVE', threshold: '105', order: { symbol, side: 'BUY', type: 'MARKET', quantity: '2', venue: 'paper' } });
    expect(alert.order).toMatchObject({ id: expect.any(String), status: null, symbol, side: 'BUY', type: 'MARKET', quantity: '2', venue: 'paper', links: { self: `/v1/orders/${alert.order.id}` } });
    expect((await e.callAs(account, 'GET', `/v1/orders/${alert.order.id}`)).status).toBe(404);

    await e.setPrice(symbol, '106');
    // Retried and overlapping evaluations of the same move start nothing more.
    await Promise.all([evaluate(symbol, '106'), evaluate(symbol, '106')]);
    const order = await waitFor(async () => (await e.callAs(account, 'GET', `/v1/orders/${alert.order.id}`)).body, (o) => o?.status === 'FILLED', { what: 'the conditional order to fill' });
    expect(order).toMatchObject({ symbol, side: 'BUY', type: 'MARKET', executedQty: '2', parent: { kind: 'alert', id: alert.id, role: 'conditional order', self: `/v1/alerts/${alert.id}` } });
    expect(await get(account, alert.id)).toMatchObject({ status: 'FIRED', firedPrice: '106', order: { id: alert.order.id, status: 'FILLED' } });
    const rows = await e.sql`SELECT id, parent_kind, parent_id, parent_role FROM orders WHERE parent_id = ${alert.id}`;
    expect(rows).toEqual([{ id: alert.order.id, parent_kind: 'alert', parent_id: alert.id, parent_role: 'conditional order' }]);
    // One run of the order's workflow, whatever started it how often.
    await waitFor(async () => (await e.temporal.workflow.getHandle(`order-${alert.order.id}`).describe()).status.name, (s) => s === 'COMPLETED', { what: 'the order workflow to complete' });
    const runs = await waitFor(
      async () => {
        const ids: string[] = [];
        for await (const w of e.temporal.workflow.list({ query: `WorkflowId = 'order-${alert.order.id}'` })) ids.push(w.runId);
        return ids;
      },
      (ids) => ids.length > 0,
      { what: 'the order workflow in the visibility store' },
    );
    expect(runs).toHaveLength(1);
    // A later evaluation owes nothing: the order is not started again.
    expect(await evaluate(symbol, '107')).toEqual({ fired: 0, ordersStarted: 0 });
  });

  it('starts an order a fired alert still owes on the next evaluation (its start had failed)', async () => {
    const { account, symbol } = await setUp('100');
    const alert = await create(account, { symbol, condition: 'BELOW', threshold: '95', order: { symbol, side: 'BUY', type: 'MARKET', quantity: '1', venue: 'paper' } });
    const { evaluatePriceAlerts } = createPriceAlertActivities({ sql: e.sql, startOrder: async () => Promise.reject(new Error('Temporal unavailable')) });
    await e.sql`UPDATE prices SET price = 94 WHERE symbol = ${symbol}`;
    await expect(new MockActivityEnvironment().run(evaluatePriceAlerts, { moved: [{ symbol, price: '94' }] })).rejects.toThrow(/not started yet.*Temporal unavailable/);
    expect(await get(account, alert.id)).toMatchObject({ status: 'FIRED', order: { status: null } });
    // The retry (here: the next move of any symbol) fires nothing again and starts the owed order.
    const other = newSymbol();
    await e.setPrice(other, '1');
    const order = await waitFor(async () => (await e.callAs(account, 'GET', `/v1/orders/${alert.order.id}`)).body, (o) => o?.status === 'FILLED', { what: 'the owed order to fill' });
    expect(order.executedQty).toBe('1');
  });

  it('refuses invalid order terms with the rules of POST /v1/orders, naming the field', async () => {
    const { account, symbol } = await setUp('100');
    const res = await post(account, { symbol, condition: 'ABOVE', threshold: '110', order: { symbol, side: 'BUY', type: 'LIMIT', quantity: '1', venue: 'paper' } });
    expect(res.status).toBe(422);
    expect(res.body.error.message).toBe('order.price: is required for LIMIT orders');
    const binance = await post(account, { symbol, condition: 'ABOVE', threshold: '110', order: { symbol, side: 'BUY', type: 'MARKET', quantity: '1', venue: 'binance' } });
    expect(binance.status).toBe(422);
    expect(binance.body.error.code).toBe('venue_unavailable');
  });
});

describe('durability', () => {
  it('survives a worker restart: the alert fires after it and its order runs on the new workers', async () => {
    const { account, symbol } = await setUp('100');
    const alert = await create(account, { symbol, condition: 'CROSS', threshold: '103', order: { symbol, side: 'BUY', type: 'MARKET', quantity: '1', venue: 'paper' } });
    await e.restartWorkers();
    await e.setPrice(symbol, '104');
    await waitFor(async () => get(account, alert.id), (a) => a.order?.status === 'FILLED', { what: 'the order of the alert to fill' });
    expect((await get(account, alert.id)).firedPrice).toBe('104');
  });

  it('fires from a real refreshPrices run, which names itself as the order parent', async () => {
    // A stock symbol: the Yahoo fake prices any symbol it is given.
    const symbol = `ALR${randomBytes(3).toString('hex').toUpperCase()}`;
    const account = await e.newAccount();
    fakes.yahoo.setPrice(symbol, '50');
    await e.setPrice(symbol, '50');
    const alert = await create(account, { symbol, condition: 'ABOVE', threshold: '60', order: { symbol, side: 'BUY', type: 'MARKET', quantity: '1', venue: 'paper' } });
    fakes.yahoo.setPrice(symbol, '61');
    const workflowId = `test-refresh-${randomUUID()}`;
    const outcome: RefreshOutcome = await e.temporal.workflow.execute('refreshPrices', { taskQueue: e.config.taskQueues.marketData, workflowId, args: [refreshPricesInput(e.config)] });
    // With RECORD_HISTORIES=1: the replay test's refresh run after the `price-alerts` patch.
    await recordHistory(e.temporal, workflowId, 'refresh-prices-fired-alert');
    expect(outcome.moved).toContain(symbol);
    // Which run fired it is what matters (below); the run's count is a summary for the Temporal UI.
    expect(await get(account, alert.id)).toMatchObject({ status: 'FIRED', firedPrice: '61' });
    const [row] = await e.sql`SELECT fired_by FROM price_alerts WHERE id = ${alert.id}`;
    expect(row!.fired_by).toBe(workflowId);
    await waitFor(async () => (await e.sql`SELECT 1 FROM orders WHERE id = ${alert.order.id} AND parent_id = ${alert.id}`).length, (n) => n === 1, { what: 'the order row naming its parent' });
  });
});

describe('reading, listing and canceling', () => {
  it("answers 404 for another account's alert, on GET and DELETE, and lists only your own", async () => {
    const { account, symbol } = await setUp('100');
    const intruder = await e.newAccount();
    const alert = await create(account, { symbol, condition: 'ABOVE', threshold: '200' });
    for (const method of ['GET', 'DELETE']) {
      const res = await e.callAs(intruder, method, `/v1/alerts/${alert.id}`);
      expect(res.status).toBe(404);
      expect(res.body.error.code).toBe('alert_not_found');
    }
    expect((await e.callAs(intruder, 'GET', '/v1/alerts')).body.data).toEqual([]);
    expect((await e.callAs(account, 'GET', '/v1/alerts/not-a-uuid')).status).toBe(404);
  });

  it('lists newest first, filtered by status', async () => {
    const { account, symbol } = await setUp('100');
    const fires = await create(account, { symbol, condition: 'ABOVE', threshold: '101' });
    const stays = await create(account, { symbol, condition: 'ABOVE', threshold: '500' });
    await e.setPrice(symbol, '101');
    expect((await e.callAs(account, 'GET', '/v1/alerts')).body.data.map((a: any) => a.id)).toEqual([stays.id, fires.id]);
    expect((await e.callAs(account, 'GET', '/v1/alerts?status=FIRED')).body.data.map((a: any) => a.id)).toEqual([fires.id]);
    expect((await e.callAs(account, 'GET', '/v1/alerts?status=ACTIVE&limit=1')).body).toMatchObject({ data: [{ id: stays.id }], nextCursor: null });
  });

  it('cancels an active alert, which then never fires nor places its order; a second DELETE is 409', async () => {
    const { account, symbol } = await setUp('100');
    const alert = await create(account, { symbol, condition: 'ABOVE', threshold: '101', order: { symbol, side: 'BUY', type: 'MARKET', quantity: '1', venue: 'paper' } });
    const res = await e.callAs(account, 'DELETE', `/v1/alerts/${alert.id}`);
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ status: 'CANCELED', canceledAt: expect.any(String) });
    await e.setPrice(symbol, '150');
    expect(await get(account, alert.id)).toMatchObject({ status: 'CANCELED', firedAt: null, order: { status: null } });
    const again = await e.callAs(account, 'DELETE', `/v1/alerts/${alert.id}`);
    expect(again.status).toBe(409);
    expect(again.body.error).toMatchObject({ code: 'alert_not_cancelable', message: expect.stringMatching(/already CANCELED/) });
  });

  it('answers 409 to DELETE of a fired alert, naming the order to cancel instead', async () => {
    const { account, symbol } = await setUp('100');
    const alert = await create(account, { symbol, condition: 'BELOW', threshold: '99', order: { symbol, side: 'BUY', type: 'LIMIT', price: '50', quantity: '1', venue: 'paper' } });
    await e.setPrice(symbol, '98');
    const res = await e.callAs(account, 'DELETE', `/v1/alerts/${alert.id}`);
    expect(res.status).toBe(409);
    expect(res.body.error.message).toMatch(new RegExp(`already FIRED .*price 98.*DELETE /v1/orders/${alert.order.id}`));
    await waitFor(async () => (await e.callAs(account, 'GET', `/v1/orders/${alert.order.id}`)).body, (o) => o?.status === 'NEW', { what: 'the resting order' });
    expect((await e.callAs(account, 'DELETE', `/v1/orders/${alert.order.id}`)).status).toBe(200);
  });
});

describe('the rules of an alert (422 naming the rule)', () => {
  const cases: Array<[string, (symbol: string) => Record<string, unknown>, RegExp]> = [
    ['an ABOVE threshold at the current price', (s) => ({ symbol: s, condition: 'ABOVE', threshold: '100' }), /^threshold: must be above the current price 100: an ABOVE alert at or below it would fire at once$/],
    ['a BELOW threshold over the current price', (s) => ({ symbol: s, condition: 'BELOW', threshold: '100.5' }), /^threshold: must be below the current price 100/],
    ['a CROSS at the current price', (s) => ({ symbol: s, condition: 'CROSS', threshold: '100' }), /^threshold: must differ from the current price 100/],
    ['a MOVE_PCT of 0%', (s) => ({ symbol: s, condition: 'MOVE_PCT', pct: '0', windowSeconds: 600 }), /^pct: must be greater than 0/],
    ['a MOVE_PCT of a negative percentage', (s) => ({ symbol: s, condition: 'MOVE_PCT', pct: '-5', windowSeconds: 600 }), /^pct: must be greater than 0/],
    ['a DOWN move of 100%', (s) => ({ symbol: s, condition: 'MOVE_PCT', pct: '100', windowSeconds: 600, direction: 'DOWN' }), /^pct: must be below 100 for a DOWN move/],
    ['a window under a minute', (s) => ({ symbol: s, condition: 'MOVE_PCT', pct: '5', windowSeconds: 30 }), /^windowSeconds: must be at least 60/],
    ['a window over seven days', (s) => ({ symbol: s, condition: 'MOVE_PCT', pct: '5', windowSeconds: 700_000 }), /^windowSeconds: must be at most 604800/],
    ['a MOVE_PCT without a window', (s) => ({ symbol: s, condition: 'MOVE_PCT', pct: '5' }), /^windowSeconds: is required for MOVE_PCT alerts$/],
    ['a threshold on a MOVE_PCT', (s) => ({ symbol: s, condition: 'MOVE_PCT', pct: '5', windowSeconds: 600, threshold: '1' }), /^threshold: is not allowed for MOVE_PCT alerts/],
    ['an ABOVE without a threshold', (s) => ({ symbol: s, condition: 'ABOVE' }), /^threshold: is required for ABOVE alerts$/],
    ['a window on an ABOVE', (s) => ({ symbol: s, condition: 'ABOVE', threshold: '200', windowSeconds: 600 }), /^windowSeconds: is only for MOVE_PCT alerts, not ABOVE$/],
  ];
  it.each(cases)('refuses %s', async (_, body, message) => {
    const { account, symbol } = await setUp('100');
    const res = await post(account, body(symbol));
    expect(res.status).toBe(422);
    expect(res.body.error.message).toMatch(message);
    expect((await e.callAs(account, 'GET', '/v1/alerts')).body.data).toEqual([]);
  });

  it('refuses a symbol no provider knows', async () => {
    const res = await post(await e.newAccount(), { symbol: 'NOSUCH', condition: 'ABOVE', threshold: '10' });
    expect(res.status).toBe(422);
    expect(res.body.error).toEqual({ code: 'unknown_symbol', message: 'symbol: yahoo does not know NOSUCH', details: [{ path: 'symbol', message: 'yahoo does not know NOSUCH' }] });
  });
});
