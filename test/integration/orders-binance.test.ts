import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'it-key';
const SECRET = 'it-secret-never-logged';

let fake: BinanceFake;
let e: TestEngine;
beforeAll(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  e = await startEngine({
    BINANCE_BASE_URL: fake.url, BINANCE_WS_API_URL: fake.wsApiUrl,
    BINANCE_API_KEY: KEY,
    BINANCE_API_SECRET: SECRET,
    BINANCE_TIMEOUT: '1s',
    ORDER_NOT_FOUND_WINDOW: '8s',
  });
  // Reference price for MARKET notional checks.
  await e.setPrice('BTCUSDT', fake.price('BTCUSDT'));
  await e.setPrice('ETHUSDT', fake.price('ETHUSDT'));
});
afterAll(async () => {
  await e.stop();
  await fake.close();
});
beforeEach(() => fake.clearFaults());

const post = (body: Record<string, unknown>) => e.call('POST', '/v1/orders', { venue: 'binance', ...body });
const exchangeOrdersFor = (clientOrderId: string) => fake.orders().filter((o) => o.clientOrderId === clientOrderId);

describe('orders on Binance (through the faithful fake, over HTTP)', () => {
  it('fills a MARKET order and keeps the commission and its asset on the fill', async () => {
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    expect(res.status).toBe(202);
    const order = await e.waitForStatus(res.body.id, ['FILLED']);
    expect(order.exchangeOrderId).not.toBeNull();
    expect(order.fills.length).toBeGreaterThan(0);
    expect(order.fills[0].commissionAsset).toBe('BTC');
    expect(exchangeOrdersFor(order.clientOrderId)).toHaveLength(1);
  });

  it('rests a LIMIT order, records partial fills, then cancels the rest', async () => {
    const px = fake.price('ETHUSDT');
    const limit = (BigInt(Math.round(Number(px))) - 100n).toString();
    const res = await post({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price: limit, timeInForce: 'GTC' });
    const open = await e.waitForStatus(res.body.id, ['NEW']);
    fake.fillPartially(open.clientOrderId, '0.4');
    const partial = await e.waitForStatus(res.body.id, ['PARTIALLY_FILLED']);
    expect(partial.executedQty).toBe('0.4');
    const cancel = await e.call('DELETE', `/v1/orders/${res.body.id}`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('CANCELED');
    expect(cancel.body.executedQty).toBe('0.4');
    const final = await e.waitForStatus(res.body.id, ['CANCELED']);
    expect(final.fills.map((f: { quantity: string }) => f.quantity)).toEqual(['0.4']);
    await recordHistory(e.temporal, `order-${res.body.id}`, 'binance-partial-then-canceled');
  });

  it('places exactly one exchange order when the exchange accepts and then answers 500', async () => {
    fake.injectFault({ kind: 'accept-then-500' });
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const order = await e.waitForStatus(res.body.id, ['FILLED']);
    expect(exchangeOrdersFor(order.clientOrderId)).toHaveLength(1);
    expect(order.events.some((ev: { cause: string }) => ev.cause === 'submit outcome unknown')).toBe(true);
    await recordHistory(e.temporal, `order-${res.body.id}`, 'binance-accept-then-500-filled');
  });

  it('places exactly one exchange order when the exchange accepts and the answer times out', async () => {
    fake.injectFault({ kind: 'accept-then-timeout' });
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const order = await e.waitForStatus(res.body.id, ['FILLED']);
    expect(exchangeOrdersFor(order.clientOrderId)).toHaveLength(1);
  });

  it('keeps querying while a just-accepted order still answers "does not exist", and never submits twice', async () => {
    fake.injectFault({ kind: 'accept-then-drop', hiddenForMs: 3000 });
    const started = Date.now();
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const order = await e.waitForStatus(res.body.id, ['FILLED'], 40_000);
    // It was settled by queries that saw the order only after it became visible again.
    expect(Date.now() - started).toBeGreaterThanOrEqual(3000);
    expect(exchangeOrdersFor(order.clientOrderId)).toHaveLength(1);
    const queries = fake.requests().filter((r) => r.method === 'GET' && r.path === '/api/v3/order');
    expect(queries.length).toBeGreaterThan(2);
    await recordHistory(e.temporal, `order-${res.body.id}`, 'binance-not-found-window-filled');
  });

  it('waits out a 429 with Retry-After and then places the order once', async () => {
    fake.injectFault({ kind: 'rate-limit-429', method: 'POST', path: '/api/v3/order', retryAfterSeconds: 1 });
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const order = await e.waitForStatus(res.body.id, ['FILLED']);
    expect(exchangeOrdersFor(order.clientOrderId)).toHaveLength(1);
  });

  it('resynchronises the clock after -1021 and fills', async () => {
    fake.injectFault({ kind: 'timestamp-1021', method: 'POST', path: '/api/v3/order' });
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    await e.waitForStatus(res.body.id, ['FILLED']);
  });

  it('ends REJECTED with the exchange code when a filter fails', async () => {
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '1000.005', timeInForce: 'GTC' });
    const order = await e.waitForStatus(res.body.id, ['REJECTED']);
    expect(order.rejectCode).toBe('-1013');
    expect(order.rejectReason).toMatch(/PRICE_FILTER/);
    expect(exchangeOrdersFor(order.clientOrderId)).toHaveLength(0);
  });

  it('ends REJECTED for an unknown symbol', async () => {
    const res = await post({ symbol: 'NOPEUSDT', side: 'BUY', type: 'MARKET', quantity: '1' });
    const order = await e.waitForStatus(res.body.id, ['REJECTED']);
    expect(order.rejectCode).toBe('-1121');
  });

  it('lets a placement in flight finish when the workers stop: its answer counts, and no step waits out a timeout', async () => {
    // The venue takes 800 ms to answer the placement; the workers are told to stop meanwhile.
    fake.injectFault({ kind: 'accept-then-timeout', method: 'POST', path: '/api/v3/order', delayMs: 800 });
    const placements = () => fake.requests().filter((r) => r.method === 'POST' && r.path === '/api/v3/order').length;
    const before = placements();
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    await waitFor(async () => placements(), (n) => n > before, { everyMs: 10, what: 'the placement to reach the venue' });
    await e.restartWorkers();
    const order = await e.waitForStatus(res.body.id, ['FILLED'], 45_000);
    expect(order.events.map((ev: { status: string }) => ev.status)).not.toContain('UNKNOWN');
    const { events } = await e.temporal.workflow.getHandle(`order-${res.body.id}`).fetchHistory();
    expect((events ?? []).filter((ev) => ev.activityTaskTimedOutEventAttributes)).toEqual([]);
    expect(exchangeOrdersFor(order.clientOrderId)).toHaveLength(1);
  });

  it('finishes an order whose worker stopped mid-flight once a new worker starts', async () => {
    const px = fake.price('ETHUSDT');
    const limit = (BigInt(Math.round(Number(px))) - 50n).toString();
    const res = await post({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.5', price: limit });
    const open = await e.waitForStatus(res.body.id, ['NEW']);
    await e.workers.stop();
    fake.setPrice('ETHUSDT', (BigInt(limit) - 1n).toString());
    await e.restartWorkers();
    await e.waitForStatus(res.body.id, ['FILLED']);
    expect(exchangeOrdersFor(open.clientOrderId)).toHaveLength(1);
    await recordHistory(e.temporal, `order-${res.body.id}`, 'binance-worker-restart-filled');
    fake.setPrice('ETHUSDT', px);
  });
});
