/**
 * The Binance fake's order queries over HTTP: GET /api/v3/allOrders as rest-api.md documents it,
 * and orders hidden by a fault (or by `fake.hide`) left out of every order query while they trade.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { rawBinanceClient, type RawClient } from '../fakes/binance/raw-client.js';

const KEY = 'orders-test-key';
const SECRET = 'orders-test-secret';
const T0 = Date.UTC(2026, 2, 2, 10);
const HOUR = 3_600_000;

let clock: { now: number };
let fake: BinanceFake;
let raw: RawClient;

beforeEach(async () => {
  clock = { now: T0 };
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, now: () => clock.now });
  raw = rawBinanceClient(fake.url, KEY, SECRET, () => clock.now);
});
afterEach(async () => {
  await fake.close();
});

const buy = (id: string, extra: Record<string, string> = {}) =>
  raw.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001', newClientOrderId: id, ...extra });
const restingBuy = (id: string, price = '59000.00') =>
  raw.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price, newClientOrderId: id });
const allOrders = (params: Record<string, string> = {}) => raw.signed('GET', '/api/v3/allOrders', { symbol: 'BTCUSDT', ...params });
const ids = (rows: Array<{ clientOrderId: string }>) => rows.map((r) => r.clientOrderId);

/** Places one market buy per id, an hour apart on the fake's clock. */
async function placeHourly(...clientIds: string[]): Promise<void> {
  for (const id of clientIds) {
    await buy(id);
    clock.now += HOUR;
  }
}

describe('GET /api/v3/allOrders', () => {
  it('lists open, filled and canceled orders of the symbol, oldest first, in the GET order shape', async () => {
    await buy('a-filled');
    await restingBuy('a-open');
    await restingBuy('a-canceled', '58000.00');
    await raw.signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'a-canceled' });
    await raw.signed('POST', '/api/v3/order', { symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', newClientOrderId: 'a-eth' });
    const { status, json } = await allOrders();
    expect(status).toBe(200);
    expect(json.map((o: { clientOrderId: string; status: string }) => [o.clientOrderId, o.status])).toEqual([
      ['a-filled', 'FILLED'],
      ['a-open', 'NEW'],
      ['a-canceled', 'CANCELED'],
    ]);
    const single = await raw.signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'a-open' });
    expect(json[1]).toEqual(single.json);
  });

  it('answers -1102 naming symbol when no symbol is sent', async () => {
    const { status, json } = await raw.signed('GET', '/api/v3/allOrders');
    expect(status).toBe(400);
    expect(json).toEqual({ code: -1102, msg: "Mandatory parameter 'symbol' was not sent, was empty/null, or malformed." });
  });

  it('answers -1121 for a symbol it does not list', async () => {
    expect((await raw.signed('GET', '/api/v3/allOrders', { symbol: 'NOPEUSDT' })).json).toMatchObject({ code: -1121 });
  });

  it('returns the most recent `limit` orders when neither orderId nor a time is sent', async () => {
    await placeHourly('r-1', 'r-2', 'r-3');
    expect(ids((await allOrders({ limit: '2' })).json)).toEqual(['r-2', 'r-3']);
  });

  it('returns at most 500 orders by default', async () => {
    await Promise.all(Array.from({ length: 501 }, (_, i) => buy(`d-${i}`)));
    expect((await allOrders()).json).toHaveLength(500);
  });

  it('returns the orders from orderId on, oldest first', async () => {
    await placeHourly('o-1', 'o-2', 'o-3');
    const second = (await allOrders()).json[1].orderId as number;
    expect(ids((await allOrders({ orderId: String(second), limit: '1' })).json)).toEqual(['o-2']);
    expect(ids((await allOrders({ orderId: String(second) })).json)).toEqual(['o-2', 'o-3']);
  });

  it('returns the orders placed between startTime and endTime, both included', async () => {
    await placeHourly('t-1', 't-2', 't-3', 't-4');
    expect(ids((await allOrders({ startTime: String(T0 + HOUR), endTime: String(T0 + 2 * HOUR) })).json)).toEqual(['t-2', 't-3']);
  });

  it('returns the first `limit` orders from startTime on', async () => {
    await placeHourly('s-1', 's-2', 's-3', 's-4');
    expect(ids((await allOrders({ startTime: String(T0 + HOUR), limit: '2' })).json)).toEqual(['s-2', 's-3']);
  });

  it('rejects startTime and endTime more than 24 hours apart with -1127', async () => {
    const { status, json } = await allOrders({ startTime: String(T0), endTime: String(T0 + 24 * HOUR + 1) });
    expect(status).toBe(400);
    expect(json).toEqual({ code: -1127, msg: 'More than 24 hours between startTime and endTime.' });
  });

  it('weighs 20', async () => {
    await allOrders();
    expect(fake.requests().at(-1)).toMatchObject({ path: '/api/v3/allOrders', weight: 20 });
  });
});

describe('GET /api/v3/openOrders', () => {
  it('lists the open orders of every symbol without a symbol, at weight 80', async () => {
    await restingBuy('open-btc');
    await raw.signed('POST', '/api/v3/order', {
      symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '2900.00', newClientOrderId: 'open-eth',
    });
    await buy('filled-btc');
    const { json } = await raw.signed('GET', '/api/v3/openOrders');
    expect(ids(json)).toEqual(['open-btc', 'open-eth']);
    expect(fake.requests().at(-1)).toMatchObject({ weight: 80 });
  });
});

describe('hidden orders', () => {
  it('leaves an order hidden by hiddenForMs out of order, openOrders and allOrders, but not out of myTrades', async () => {
    fake.injectFault({ kind: 'accept-then-500', hiddenForMs: 5000 });
    await buy('h-1', { newOrderRespType: 'ACK' });
    expect((await raw.signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'h-1' })).json).toEqual({
      code: -2013,
      msg: 'Order does not exist.',
    });
    expect((await allOrders()).json).toEqual([]);
    expect((await raw.signed('GET', '/api/v3/myTrades', { symbol: 'BTCUSDT' })).json).toHaveLength(1);
  });

  it('fills a hidden resting order when the market crosses it and shows it filled once the window ends', async () => {
    fake.injectFault({ kind: 'not-found-after-accept', durationMs: 3000 });
    await restingBuy('h-2');
    expect((await raw.signed('GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).json).toEqual([]);
    fake.setPrice('BTCUSDT', '58900.00');
    clock.now += 3000;
    expect(ids((await allOrders()).json)).toEqual(['h-2']);
    expect((await raw.signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'h-2' })).json).toMatchObject({ status: 'FILLED' });
  });

  it('hides an order already placed through fake.hide, for the time given', async () => {
    await restingBuy('h-3');
    fake.hide('h-3', 1000);
    expect((await raw.signed('GET', '/api/v3/openOrders')).json).toEqual([]);
    clock.now += 1000;
    expect(ids((await raw.signed('GET', '/api/v3/openOrders')).json)).toEqual(['h-3']);
  });

  it('answers a query by client id with the older visible order of that id while the newest is hidden', async () => {
    await buy('h-4');
    await buy('h-4');
    fake.hide('h-4', 1000);
    const { json } = await raw.signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'h-4' });
    expect(json.orderId).toBe(fake.orders()[0]?.orderId);
  });

  it('refuses to hide an order it never accepted', () => {
    expect(() => fake.hide('never', 1000)).toThrow(/no order never/);
  });
});
