/**
 * Binance orders learning of their fills from the user data stream (the fake's WebSocket API,
 * `userDataStream.subscribe.signature`), with the safety poll far away (10 min): fills arrive
 * without a single status poll; repeated, late and lost events; a dropped connection, a half-open
 * one and Binance's periodic disconnect, each followed by the open-orders check.
 */
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'stream-key';
const SECRET = 'stream-secret-never-logged';
const TUNING = { livenessMs: 1500, backoffMs: { initial: 200, max: 1000 }, outageCheckMs: 1000, refreshMs: 1000 };

async function startStack(userStream: Parameters<typeof startBinanceFake>[0]['userStream']): Promise<{ fake: BinanceFake; e: TestEngine }> {
  const fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, userStream });
  const e = await startEngine(
    { BINANCE_BASE_URL: fake.url, BINANCE_WS_API_URL: fake.wsApiUrl, BINANCE_API_KEY: KEY, BINANCE_API_SECRET: SECRET, BINANCE_TIMEOUT: '2s', ORDER_SAFETY_POLL_INTERVAL: '10m' },
    { streamTuning: TUNING },
  );
  await e.setPrice('ETHUSDT', fake.price('ETHUSDT'));
  await waitFor(async () => e.workers.streams?.liveCount() ?? 0, (n) => n === 1, { timeoutMs: 10_000, what: 'the user data stream to subscribe' });
  return { fake, e };
}

/** A resting ETHUSDT buy 100 below the market, once it is NEW on the venue. */
async function restingBuy(fake: BinanceFake, e: TestEngine, quantity = '1'): Promise<{ id: string; clientOrderId: string; limit: string }> {
  const limit = String(Math.round(Number(fake.price('ETHUSDT'))) - 100);
  const res = await e.call('POST', '/v1/orders', { venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity, price: limit, timeInForce: 'GTC' });
  expect(res.status).toBe(202);
  const open = await e.waitForStatus(res.body.id, ['NEW']);
  return { id: res.body.id, clientOrderId: open.clientOrderId, limit };
}

const normal = (d: unknown) => new Decimal(String(d)).toString();
const orderReads = (fake: BinanceFake) => fake.requests().filter((r) => r.method === 'GET' && (r.path === '/api/v3/order' || r.path === '/api/v3/myTrades')).length;
const venueTrades = (fake: BinanceFake, orderId: unknown) => fake.trades().filter((t) => t.orderId === orderId);

describe('fills through the user data stream', () => {
  let fake: BinanceFake;
  let e: TestEngine;
  beforeAll(async () => {
    ({ fake, e } = await startStack({ pingIntervalMs: 300 }));
  });
  afterAll(async () => {
    await e.stop();
    await fake.close();
  });

  it('records a resting LIMIT order filled on the venue within a moment, without one status poll', async () => {
    const order = await restingBuy(fake, e);
    const readsBefore = orderReads(fake);
    const filledAt = Date.now();
    fake.setPrice('ETHUSDT', String(Number(order.limit) - 1));
    const filled = await e.waitForStatus(order.id, ['FILLED'], 5000);
    expect(Date.now() - filledAt).toBeLessThan(3000);
    expect(orderReads(fake)).toBe(readsBefore);
    const [trade] = venueTrades(fake, Number(filled.exchangeOrderId));
    expect(filled.fills).toEqual([expect.objectContaining({ tradeId: String(trade!.id), price: normal(trade!.price), quantity: '1', commission: normal(trade!.commission), commissionAsset: 'ETH' })]);
    expect(filled.events.map((ev: { cause: string }) => ev.cause)).toContain('binance event');
    await recordHistory(e.temporal, `order-${order.id}`, 'binance-stream-filled');
    fake.setPrice('ETHUSDT', String(Number(order.limit) + 100));
  });

  it('records each partial fill once, however often and late the venue repeats its events', async () => {
    const order = await restingBuy(fake, e);
    fake.userStream.duplicateEvents({ probability: 1, seed: 3 });
    fake.userStream.delayEvents(150);
    try {
      fake.fillPartially(order.clientOrderId, '0.4');
      const partial = await e.waitForStatus(order.id, ['PARTIALLY_FILLED'], 5000);
      expect(partial.executedQty).toBe('0.4');
      fake.fillPartially(order.clientOrderId, '0.6');
      const filled = await e.waitForStatus(order.id, ['FILLED'], 5000);
      expect(filled.fills.map((f: { quantity: string }) => f.quantity).sort()).toEqual(['0.4', '0.6']);
      expect(filled.fills.map((f: { tradeId: string }) => f.tradeId).sort()).toEqual(venueTrades(fake, Number(filled.exchangeOrderId)).map((t) => String(t.id)).sort());
    } finally {
      fake.userStream.clearFaults();
    }
  });

  it('reads the trades from the venue when an event went missing, and records every fill', async () => {
    const order = await restingBuy(fake, e);
    fake.userStream.loseEvents({ count: 1 });
    fake.fillPartially(order.clientOrderId, '0.3');
    // The second event says 1 filled where 0 were recorded: the order and its trades are read.
    fake.fillPartially(order.clientOrderId, '0.7');
    const filled = await e.waitForStatus(order.id, ['FILLED'], 5000);
    expect(fake.userStream.stats().eventsLost).toBeGreaterThanOrEqual(1);
    expect(filled.fills.map((f: { quantity: string }) => f.quantity).sort()).toEqual(['0.3', '0.7']);
    expect(filled.events.map((ev: { cause: string }) => ev.cause)).toContain('exchange update after a missed event');
    await recordHistory(e.temporal, `order-${order.id}`, 'binance-stream-missed-event');
  });

  it('finds the fills of a dropped connection by checking the open orders once it has subscribed again', async () => {
    const order = await restingBuy(fake, e);
    fake.userStream.dropConnections();
    // Filled while no subscription exists: its events are gone for good.
    fake.setPrice('ETHUSDT', String(Number(order.limit) - 1));
    const filled = await e.waitForStatus(order.id, ['FILLED'], 10_000);
    expect(filled.fills.map((f: { quantity: string }) => f.quantity)).toEqual(['1']);
    expect(filled.events.map((ev: { cause: string }) => ev.cause)).toContain('exchange update');
    await recordHistory(e.temporal, `order-${order.id}`, 'binance-stream-dropped-checked');
    fake.setPrice('ETHUSDT', String(Number(order.limit) + 100));
  });

  it('takes a connection that went silent (half-open) for dead, reconnects and catches up', async () => {
    const order = await restingBuy(fake, e);
    const accepted = fake.userStream.stats().connectionsAccepted;
    fake.userStream.silence();
    fake.setPrice('ETHUSDT', String(Number(order.limit) - 1));
    const filled = await e.waitForStatus(order.id, ['FILLED'], 15_000);
    expect(fake.userStream.stats().connectionsAccepted).toBeGreaterThan(accepted);
    expect(filled.executedQty).toBe('1');
    fake.setPrice('ETHUSDT', String(Number(order.limit) + 100));
  });

  it('cancels a resting order on Binance at its good-till-date', async () => {
    const limit = String(Math.round(Number(fake.price('ETHUSDT'))) - 100);
    const expireAt = new Date(Date.now() + 3000).toISOString();
    const res = await e.call('POST', '/v1/orders', { venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: limit, expireAt });
    expect(res.status).toBe(202);
    const open = await e.waitForStatus(res.body.id, ['NEW']);
    const canceled = await e.waitForStatus(res.body.id, ['CANCELED'], 15_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expireAt));
    expect(canceled.events.map((ev: { cause: string }) => ev.cause)).toContain('good-till-date reached');
    expect(fake.orders().filter((o) => o.clientOrderId === open.clientOrderId).map((o) => o.status)).toEqual(['CANCELED']);
    await recordHistory(e.temporal, `order-${res.body.id}`, 'binance-limit-good-till-date');
  });

  it("reads Binance's limits once per worker process: its workers and its stream spend one request budget", async () => {
    // An order's placement, then the stream's open-orders check (it asks only while an order of
    // ours is open), each through its own client; a budget reads exchangeInfo's limits once, with
    // its probe of one symbol (symbol rules ask `symbols=`).
    const order = await restingBuy(fake, e);
    await e.workers.streams!.checkAll();
    expect(fake.requests().some((r) => r.path === '/api/v3/openOrders')).toBe(true);
    const limitReads = fake.requests().filter((r) => r.path === '/api/v3/exchangeInfo' && r.status === 200 && /(^|&)symbol=/.test(r.query ?? ''));
    expect(limitReads).toHaveLength(1);
    expect((await e.call('DELETE', `/v1/orders/${order.id}`)).status).toBeLessThan(300);
    await e.waitForStatus(order.id, ['CANCELED']);
  });

  it('sends no secret over the stream but the key and a signature', () => {
    const subscribes = fake.requests().filter((r) => r.wsMethod === 'userDataStream.subscribe.signature');
    expect(subscribes.length).toBeGreaterThanOrEqual(1);
    expect(JSON.stringify(fake.requests())).not.toContain(SECRET);
  });
});

describe("Binance's periodic disconnect", () => {
  it('keeps every order correct while the venue closes each connection after a short lifetime', async () => {
    const { fake, e } = await startStack({ pingIntervalMs: 300, connectionLifetimeMs: 1500 });
    try {
      const orders = [await restingBuy(fake, e, '0.5'), await restingBuy(fake, e, '0.5')];
      await new Promise((r) => setTimeout(r, 1600));
      fake.setPrice('ETHUSDT', String(Math.min(...orders.map((o) => Number(o.limit))) - 1));
      for (const o of orders) expect((await e.waitForStatus(o.id, ['FILLED'], 10_000)).executedQty).toBe('0.5');
      expect(fake.userStream.stats().connectionsAccepted).toBeGreaterThanOrEqual(2);
    } finally {
      await e.stop();
      await fake.close();
    }
  });
});
