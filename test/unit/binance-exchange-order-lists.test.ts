/**
 * The Binance adapter's order lists and trailing stops against the fake: placement of an OCO and
 * an OTOCO, the legs' states read back, a list cancelled, the venue's rejections mapped like
 * placeOrder's, and what each call reserves of the request budget.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { Exchange, PlaceOcoRequest, PlaceOtocoRequest } from '../../domain/exchange.js';
import { ExchangeRejectedError, ExchangeUnknownOutcomeError } from '../../domain/venue-errors.js';
import type { RequestBudget } from '../../venues/binance/request-budget.js';
import { createBinanceExchange } from '../../venues/binance/exchange.js';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { failure } from '../helpers/failure.js';

const KEY = 'lists-adapter-key';
const SECRET = 'lists-adapter-secret';

let fake: BinanceFake;
let binance: Exchange;
let reserved: Array<{ label: string; weight: number; orders: number | undefined; priority: string }>;

/** A budget that only records what each request reserves. */
const recordingBudget: RequestBudget = {
  reserve: async (req) => {
    reserved.push({ label: req.label, weight: req.weight, orders: req.orders, priority: req.priority });
    return { label: req.label, priority: req.priority, claims: [] };
  },
  settle: async () => {},
  assertOpen: () => {},
};

beforeEach(async () => {
  reserved = [];
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  binance = createBinanceExchange({ baseUrl: fake.url, apiKey: KEY, apiSecret: SECRET, timeoutMs: 2000, requestBudget: recordingBudget });
});
afterEach(async () => {
  await fake.close();
});

const oco = (overrides: Partial<PlaceOcoRequest> = {}): PlaceOcoRequest => ({
  kind: 'OCO',
  symbol: 'BTCUSDT',
  side: 'SELL',
  quantity: '0.01',
  listClientOrderId: 'oco-1',
  above: { type: 'LIMIT_MAKER', price: '61000.00', clientOrderId: 'oco-1-tp' },
  below: { type: 'STOP_LOSS_LIMIT', stopPrice: '59000.00', price: '58900.00', timeInForce: 'GTC', clientOrderId: 'oco-1-sl' },
  ...overrides,
});

const otoco: PlaceOtocoRequest = {
  kind: 'OTOCO',
  symbol: 'BTCUSDT',
  listClientOrderId: 'br-1',
  working: { side: 'BUY', type: 'LIMIT', price: '59000.00', quantity: '0.01', clientOrderId: 'br-1-in' },
  pending: {
    side: 'SELL',
    quantity: '0.01',
    above: { type: 'LIMIT_MAKER', price: '62000.00', clientOrderId: 'br-1-tp' },
    below: { type: 'STOP_LOSS', stopPrice: '58000.00', trailingDelta: 150, clientOrderId: 'br-1-sl' },
  },
};

const ref = { symbol: 'BTCUSDT', listClientOrderId: 'oco-1' };

describe('placing order lists', () => {
  it('places an OCO and returns both legs with their statuses and the list id', async () => {
    const list = await binance.placeOrderList(oco());
    expect(list).toMatchObject({ symbol: 'BTCUSDT', listClientOrderId: 'oco-1', contingencyType: 'OCO', listOrderStatus: 'EXECUTING' });
    expect(list.orders.map((o) => [o.clientOrderId, o.type, o.status, o.orderListId])).toEqual([
      ['oco-1-sl', 'STOP_LOSS_LIMIT', 'NEW', list.orderListId],
      ['oco-1-tp', 'LIMIT_MAKER', 'NEW', list.orderListId],
    ]);
  });

  it('reserves weight 1 and two orders for an OCO, three for an OTOCO, at order priority', async () => {
    await binance.placeOrderList(oco());
    await binance.placeOrderList(otoco);
    expect(reserved).toEqual([
      { label: 'POST /api/v3/orderList/oco', weight: 1, orders: 2, priority: 'order' },
      { label: 'POST /api/v3/orderList/otoco', weight: 1, orders: 3, priority: 'order' },
    ]);
  });

  it('places an OTOCO whose pending legs wait as PENDING_NEW, with the trailing delta carried', async () => {
    const list = await binance.placeOrderList(otoco);
    expect(list.contingencyType).toBe('OTO');
    expect(list.orders.map((o) => [o.clientOrderId, o.status])).toEqual([
      ['br-1-in', 'NEW'],
      ['br-1-tp', 'PENDING_NEW'],
      ['br-1-sl', 'PENDING_NEW'],
    ]);
    expect(list.orders[2]?.trailingDelta).toBe(150);
  });

  it('maps the venue refusing the prices to ExchangeRejectedError -2010, as placeOrder does', async () => {
    const err = await failure(binance.placeOrderList(oco({ above: { type: 'LIMIT_MAKER', price: '59500.00', clientOrderId: 'x' } })));
    expect(err).toBeInstanceOf(ExchangeRejectedError);
    expect(err).toMatchObject({ code: -2010, venueMessage: 'The relationship of the prices for the orders is not correct.' });
  });

  it('leaves a placement whose answer never came back unknown', async () => {
    fake.injectFault({ kind: 'accept-then-drop', path: '/api/v3/orderList/oco' });
    expect(await failure(binance.placeOrderList(oco()))).toBeInstanceOf(ExchangeUnknownOutcomeError);
    expect((await binance.getOrderList(ref))?.listOrderStatus).toBe('EXECUTING');
  });
});

describe('reading and cancelling order lists', () => {
  it('reads every leg after one filled and the other expired', async () => {
    await binance.placeOrderList(oco());
    fake.setPrice('BTCUSDT', '61000.00');
    reserved = [];
    const list = await binance.getOrderList(ref);
    expect(list).toMatchObject({ listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE' });
    expect(list?.orders.map((o) => [o.clientOrderId, o.status])).toEqual([
      ['oco-1-sl', 'EXPIRED'],
      ['oco-1-tp', 'FILLED'],
    ]);
    expect(reserved.map((r) => [r.label, r.weight])).toEqual([
      ['GET /api/v3/orderList', 4],
      ['GET /api/v3/order', 4],
      ['GET /api/v3/order', 4],
    ]);
  });

  it('answers null for a list the venue does not know', async () => {
    expect(await binance.getOrderList({ symbol: 'BTCUSDT', listClientOrderId: 'never-placed' })).toBeNull();
  });

  it('cancels the whole list', async () => {
    await binance.placeOrderList(oco());
    const list = await binance.cancelOrderList(ref);
    expect(list.listOrderStatus).toBe('ALL_DONE');
    expect(list.orders.map((o) => [o.clientOrderId, o.status])).toEqual([
      ['oco-1-sl', 'CANCELED'],
      ['oco-1-tp', 'CANCELED'],
    ]);
  });

  it('rejects cancelling a list that is already done with -2011', async () => {
    await binance.placeOrderList(oco());
    await binance.cancelOrderList(ref);
    expect(await failure(binance.cancelOrderList(ref))).toMatchObject({ code: -2011 });
  });

  it('cancelling one leg with cancelOrder cancels its partner too', async () => {
    await binance.placeOrderList(oco());
    const leg = await binance.cancelOrder({ symbol: 'BTCUSDT', clientOrderId: 'oco-1-tp' });
    expect(leg).toMatchObject({ clientOrderId: 'oco-1-tp', status: 'CANCELED', orderListId: expect.any(String) });
    expect(await binance.getOrder({ symbol: 'BTCUSDT', clientOrderId: 'oco-1-sl' })).toMatchObject({ status: 'CANCELED' });
  });
});

describe('single orders with the new terms', () => {
  it('passes trailingDelta through and reads it back; a lone order has no orderListId', async () => {
    const order = await binance.placeOrder({ symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', trailingDelta: 100, clientOrderId: 't-1' });
    expect(order).toMatchObject({ type: 'STOP_LOSS', trailingDelta: 100 });
    expect(order.orderListId).toBeUndefined();
    fake.setPrice('BTCUSDT', '62000.00');
    fake.setPrice('BTCUSDT', '61380.00');
    expect(await binance.getOrder({ symbol: 'BTCUSDT', clientOrderId: 't-1' })).toMatchObject({ status: 'FILLED', trailingDelta: 100 });
  });

  it('places a LIMIT_MAKER without a timeInForce, and maps "would immediately match" to a rejection', async () => {
    expect(await binance.placeOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.01', price: '59000.00', clientOrderId: 'lm-1' })).toMatchObject({
      status: 'NEW',
      type: 'LIMIT_MAKER',
    });
    const err = await failure(binance.placeOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.01', price: '60001.00', clientOrderId: 'lm-2' }));
    expect(err).toMatchObject({ code: -2010, venueMessage: 'Order would immediately match and take.' });
  });

  it('maps a trailing delta outside the filter to -1013', async () => {
    const err = await failure(binance.placeOrder({ symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', trailingDelta: 5000, clientOrderId: 't-2' }));
    expect(err).toMatchObject({ code: -1013, venueMessage: 'Filter failure: TRAILING_DELTA' });
  });
});
