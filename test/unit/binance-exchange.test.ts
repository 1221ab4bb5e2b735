import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBinanceExchange } from '../../venues/binance/exchange.js';
import { ExchangeRejectedError } from '../../domain/venue-errors.js';
import type { Exchange, PlaceOrderRequest } from '../../domain/exchange.js';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { failure } from '../helpers/failure.js';

const KEY = 'adapter-test-key';
const SECRET = 'adapter-test-secret-0123456789';

let fake: BinanceFake;
let binance: Exchange;

beforeEach(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  binance = createBinanceExchange({ baseUrl: fake.url, apiKey: KEY, apiSecret: SECRET, timeoutMs: 2000 });
});
afterEach(async () => {
  await fake.close();
});


const marketBuy = (clientOrderId: string, quantity = '0.01'): PlaceOrderRequest => ({
  symbol: 'BTCUSDT',
  side: 'BUY',
  type: 'MARKET',
  quantity,
  clientOrderId,
});
const limitBuy = (clientOrderId: string, price: string, quantity = '0.01'): PlaceOrderRequest => ({
  symbol: 'BTCUSDT',
  side: 'BUY',
  type: 'LIMIT',
  timeInForce: 'GTC',
  quantity,
  price,
  clientOrderId,
});
const ordersWithId = (id: string) => fake.orders().filter((o) => o.clientOrderId === id);

describe('placing orders', () => {
  it('fills a MARKET buy at once at the current price', async () => {
    const order = await binance.placeOrder(marketBuy('m-1'));
    expect(order).toMatchObject({ status: 'FILLED', executedQty: '0.01000000', cummulativeQuoteQty: '600.00000000', clientOrderId: 'm-1' });
  });

  it('fills a marketable LIMIT buy at once at the market price, better than its limit', async () => {
    const order = await binance.placeOrder(limitBuy('l-1', '61000.00'));
    expect(order).toMatchObject({ status: 'FILLED', cummulativeQuoteQty: '600.00000000' });
  });

  it('rests a LIMIT buy below the market as NEW', async () => {
    const order = await binance.placeOrder(limitBuy('l-2', '59000.00'));
    expect(order).toMatchObject({ status: 'NEW', executedQty: '0.00000000', price: '59000.00000000' });
  });

  it('partially fills a resting LIMIT order when the price crosses with little liquidity', async () => {
    await binance.placeOrder(limitBuy('l-3', '59000.00'));
    fake.setPrice('BTCUSDT', '58990.00', { liquidity: '0.004' });
    expect(await binance.getOrder({ symbol: 'BTCUSDT', clientOrderId: 'l-3' })).toMatchObject({ status: 'PARTIALLY_FILLED', executedQty: '0.00400000' });
  });

  it('completes a partially filled LIMIT order on a later crossing move', async () => {
    await binance.placeOrder(limitBuy('l-4', '59000.00'));
    fake.setPrice('BTCUSDT', '58990.00', { liquidity: '0.004' });
    fake.setPrice('BTCUSDT', '58980.00', { liquidity: '1' });
    expect(await binance.getOrder({ symbol: 'BTCUSDT', clientOrderId: 'l-4' })).toMatchObject({ status: 'FILLED', cummulativeQuoteQty: '590.00000000' });
  });

  it.each([
    { type: 'STOP_LOSS', side: 'SELL', stopPrice: '59000.00', price: undefined, move: '58900.00' },
    { type: 'STOP_LOSS_LIMIT', side: 'SELL', stopPrice: '59000.00', price: '58800.00', move: '58900.00' },
    { type: 'TAKE_PROFIT', side: 'SELL', stopPrice: '61000.00', price: undefined, move: '61100.00' },
    { type: 'TAKE_PROFIT_LIMIT', side: 'SELL', stopPrice: '61000.00', price: '61050.00', move: '61100.00' },
  ] as const)('rests a $type $side order until the price crosses $stopPrice, then fills it', async ({ type, side, stopPrice, price, move }) => {
    const req: PlaceOrderRequest = { symbol: 'BTCUSDT', side, type, quantity: '0.01', stopPrice, price, clientOrderId: `s-${type}` };
    expect(await binance.placeOrder(req)).toMatchObject({ status: 'NEW', stopPrice: `${stopPrice}000000` });
    fake.setPrice('BTCUSDT', move);
    expect(await binance.getOrder({ symbol: 'BTCUSDT', clientOrderId: req.clientOrderId })).toMatchObject({ status: 'FILLED', executedQty: '0.01000000' });
  });

  it('surfaces a stop on the wrong side of the market as -2010 "Order would trigger immediately."', async () => {
    const err = await failure(binance.placeOrder({ symbol: 'BTCUSDT', side: 'SELL', type: 'STOP_LOSS', quantity: '0.01', stopPrice: '61000.00', clientOrderId: 'w-1' }));
    expect(err).toMatchObject({ code: -2010, venueMessage: 'Order would trigger immediately.' });
  });
});

describe('queries and cancels', () => {
  it('cancels a resting order and reports it under its own client order id', async () => {
    await binance.placeOrder(limitBuy('c-1', '59000.00'));
    expect(await binance.cancelOrder({ symbol: 'BTCUSDT', clientOrderId: 'c-1' })).toMatchObject({ status: 'CANCELED', clientOrderId: 'c-1' });
  });

  it('rejects the cancel of a filled order with -2011 "Unknown order sent."', async () => {
    await binance.placeOrder(marketBuy('c-2'));
    const err = await failure(binance.cancelOrder({ symbol: 'BTCUSDT', clientOrderId: 'c-2' }));
    expect(err).toBeInstanceOf(ExchangeRejectedError);
    expect(err).toMatchObject({ code: -2011, venueMessage: 'Unknown order sent.' });
  });

  it('returns null for an order Binance says does not exist (-2013)', async () => {
    expect(await binance.getOrder({ symbol: 'BTCUSDT', clientOrderId: 'never-placed' })).toBeNull();
  });

  it('lists the trades of an order with the commission taken in the received asset', async () => {
    const order = await binance.placeOrder(marketBuy('t-1'));
    const fills = await binance.getTrades({ symbol: 'BTCUSDT', clientOrderId: 't-1', exchangeOrderId: order.exchangeOrderId });
    expect(fills).toEqual([expect.objectContaining({ price: '60000.00000000', qty: '0.01000000', commission: '0.00001000', commissionAsset: 'BTC' })]);
  });

  it('reports balances moved by a fill, net of commission', async () => {
    await binance.placeOrder(marketBuy('b-1'));
    const balances = await binance.getBalances();
    expect(balances).toEqual(
      expect.arrayContaining([
        { asset: 'USDT', free: '99400.00000000', locked: '0.00000000' },
        { asset: 'BTC', free: '1.00999000', locked: '0.00000000' },
      ]),
    );
  });

  it('reports the funds a resting order locks', async () => {
    await binance.placeOrder(limitBuy('b-2', '50000.00', '0.1'));
    expect(await binance.getBalances()).toContainEqual({ asset: 'USDT', free: '95000.00000000', locked: '5000.00000000' });
  });
});

describe('symbol rules', () => {
  it('parses exchangeInfo filters into SymbolRules', async () => {
    const [rules] = await binance.getSymbolRules(['BTCUSDT']);
    expect(rules).toMatchObject({
      symbol: 'BTCUSDT',
      baseAsset: 'BTC',
      quoteAsset: 'USDT',
      priceFilter: { tickSize: '0.01000000' },
      lotSize: { stepSize: '0.00001000' },
      notional: { minNotional: '5.00000000', applyMinToMarket: true },
    });
  });

  it('normalises a legacy MIN_NOTIONAL filter', async () => {
    const legacy = await startBinanceFake({
      apiKey: KEY,
      apiSecret: SECRET,
      symbols: [
        {
          symbol: 'LTCBTC',
          baseAsset: 'LTC',
          quoteAsset: 'BTC',
          price: { minPrice: '0.000001', maxPrice: '1000', tickSize: '0.000001' },
          lot: { minQty: '0.001', maxQty: '90000', stepSize: '0.001' },
          notional: { minNotional: '0.0001', maxNotional: '0', applyMinToMarket: true, applyMaxToMarket: false, avgPriceMins: 5 },
          legacyMinNotional: true,
        },
      ],
      prices: { LTCBTC: '0.001200' },
    });
    try {
      const rules = await createBinanceExchange({ baseUrl: legacy.url, apiKey: KEY, apiSecret: SECRET }).getSymbolRules();
      expect(rules[0]?.notional).toEqual({ minNotional: '0.00010000', applyMinToMarket: true, applyMaxToMarket: false, avgPriceMins: 5 });
    } finally {
      await legacy.close();
    }
  });
});

describe('rejections', () => {
  it.each([
    { filter: 'PRICE_FILTER', req: limitBuy('f-1', '59000.005') },
    { filter: 'LOT_SIZE', req: limitBuy('f-2', '59000.00', '0.000015') },
    { filter: 'NOTIONAL', req: limitBuy('f-3', '59000.00', '0.00001') },
    { filter: 'MARKET_LOT_SIZE', req: marketBuy('f-4', '121') },
  ])('rejects an order breaking $filter with -1013 "Filter failure: $filter"', async ({ filter, req }) => {
    const err = await failure(binance.placeOrder(req));
    expect(err).toBeInstanceOf(ExchangeRejectedError);
    expect(err).toMatchObject({ code: -1013, venueMessage: `Filter failure: ${filter}`, httpStatus: 400 });
  });

  it('rejects an order the account cannot pay for with -2010 and Binance\'s message', async () => {
    const err = await failure(binance.placeOrder(marketBuy('i-1', '2')));
    expect(err).toMatchObject({ code: -2010, venueMessage: 'Account has insufficient balance for requested action.' });
  });

  it('rejects a client order id that is in use by an open order with -2010 "Duplicate order sent."', async () => {
    await binance.placeOrder(limitBuy('d-1', '59000.00'));
    const err = await failure(binance.placeOrder(limitBuy('d-1', '59000.00')));
    expect(err).toMatchObject({ code: -2010, venueMessage: 'Duplicate order sent.' });
  });

  it('accepts the client order id of a filled order again, making a second exchange order', async () => {
    await binance.placeOrder(marketBuy('d-2'));
    await binance.placeOrder(marketBuy('d-2'));
    expect(ordersWithId('d-2')).toHaveLength(2);
  });

  it('surfaces a wrong secret as -1022 ExchangeRejectedError', async () => {
    const wrong = createBinanceExchange({ baseUrl: fake.url, apiKey: KEY, apiSecret: 'not-the-secret' });
    const err = await failure(wrong.getBalances());
    expect(err).toBeInstanceOf(ExchangeRejectedError);
    expect(err).toMatchObject({ code: -1022, venueMessage: 'Signature for this request is not valid.' });
  });

  it('surfaces a wrong API key as -2015 with HTTP 401', async () => {
    const wrong = createBinanceExchange({ baseUrl: fake.url, apiKey: 'someone-else', apiSecret: SECRET });
    expect(await failure(wrong.getBalances())).toMatchObject({ code: -2015, httpStatus: 401 });
  });

  it('never puts the secret or the signature in an error', async () => {
    fake.injectFault({ kind: 'accept-then-500' });
    const err = (await failure(binance.placeOrder(marketBuy('x-1')))) as Error;
    const text = `${err.message} ${String(err.stack)} ${JSON.stringify(err)}`;
    expect(text).not.toContain(SECRET);
    expect(text).not.toMatch(/signature=|[0-9a-f]{64}/);
  });
});

describe('open orders', () => {
  it('lists the open orders of one symbol', async () => {
    await binance.placeOrder(limitBuy('oo-1', '59000.00'));
    await binance.placeOrder(marketBuy('oo-2'));
    expect(await binance.getOpenOrders('BTCUSDT')).toEqual([expect.objectContaining({ clientOrderId: 'oo-1', status: 'NEW', price: '59000.00000000' })]);
  });

  it('lists the open orders of every symbol when no symbol is given', async () => {
    await binance.placeOrder(limitBuy('oo-3', '59000.00'));
    await binance.placeOrder({ symbol: 'ETHUSDT', side: 'SELL', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '3100.00', clientOrderId: 'oo-4' });
    expect((await binance.getOpenOrders()).map((o) => [o.symbol, o.clientOrderId])).toEqual([
      ['BTCUSDT', 'oo-3'],
      ['ETHUSDT', 'oo-4'],
    ]);
  });

  it('leaves out an order Binance does not show yet', async () => {
    await binance.placeOrder(limitBuy('oo-5', '59000.00'));
    fake.hide('oo-5', 60_000);
    expect(await binance.getOpenOrders('BTCUSDT')).toEqual([]);
  });
});

describe('order history', () => {
  const allOrdersCalls = () => fake.requests().filter((r) => r.path === '/api/v3/allOrders');

  it('finds a filled order by its client order id', async () => {
    const since = Date.now();
    const placed = await binance.placeOrder(marketBuy('hi-1'));
    expect(await binance.findInHistory({ symbol: 'BTCUSDT', clientOrderId: 'hi-1', sinceMs: since })).toMatchObject({
      exchangeOrderId: placed.exchangeOrderId,
      status: 'FILLED',
    });
  });

  it('finds a canceled order under its own client order id', async () => {
    await binance.placeOrder(limitBuy('hi-2', '59000.00'));
    await binance.cancelOrder({ symbol: 'BTCUSDT', clientOrderId: 'hi-2' });
    expect(await binance.findInHistory({ symbol: 'BTCUSDT', clientOrderId: 'hi-2' })).toMatchObject({ clientOrderId: 'hi-2', status: 'CANCELED' });
  });

  it('answers the newest of two orders that used the same client order id', async () => {
    await binance.placeOrder(marketBuy('hi-3'));
    const second = await binance.placeOrder(marketBuy('hi-3'));
    expect((await binance.findInHistory({ symbol: 'BTCUSDT', clientOrderId: 'hi-3', sinceMs: Date.now() - 1000 }))?.exchangeOrderId).toBe(second.exchangeOrderId);
  });

  it('answers null for a client order id Binance never saw', async () => {
    await binance.placeOrder(marketBuy('hi-4'));
    expect(await binance.findInHistory({ symbol: 'BTCUSDT', clientOrderId: 'hi-never', sinceMs: Date.now() - 1000 })).toBeNull();
  });

  it('starts a margin before sinceMs, so an order stamped a little earlier by Binance\'s clock is found', async () => {
    await binance.placeOrder(marketBuy('hi-5'));
    const found = await binance.findInHistory({ symbol: 'BTCUSDT', clientOrderId: 'hi-5', sinceMs: Date.now() + 60_000 });
    expect(found).toMatchObject({ clientOrderId: 'hi-5' });
  });

  it('follows the pages past 1000 orders, by orderId, to an order placed after them', async () => {
    const since = Date.now();
    for (let batch = 0; batch < 10; batch++) {
      await Promise.all(Array.from({ length: 100 }, (_, i) => binance.placeOrder(marketBuy(`fill-${batch}-${i}`, '0.0001'))));
    }
    const target = await binance.placeOrder(marketBuy('hi-6', '0.0001'));
    expect((await binance.findInHistory({ symbol: 'BTCUSDT', clientOrderId: 'hi-6', sinceMs: since }))?.exchangeOrderId).toBe(target.exchangeOrderId);
    expect(allOrdersCalls()).toHaveLength(2);
  });

  it('does not find an order Binance does not show yet', async () => {
    await binance.placeOrder(marketBuy('hi-7'));
    fake.hide('hi-7', 60_000);
    expect(await binance.findInHistory({ symbol: 'BTCUSDT', clientOrderId: 'hi-7', sinceMs: Date.now() - 1000 })).toBeNull();
  });
});
