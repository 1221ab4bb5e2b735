/**
 * The Binance fake's order lists and trailing stops over raw signed HTTP (and its user data stream
 * over a plain WebSocket client), checked against rest-api.md "Order lists", errors.md,
 * filters.md TRAILING_DELTA, faqs/trailing-stop-faq.md and user-data-stream.md.
 * BTCUSDT starts at 60000.00; the default symbols allow trailing deltas of 10–2000 BIPS.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { rawBinanceClient, type RawClient } from '../fakes/binance/raw-client.js';
import { connectRawWs, type RawWsClient } from '../fakes/binance/raw-ws-client.js';

const KEY = 'lists-key';
const SECRET = 'lists-secret';

let fake: BinanceFake;
let rest: RawClient;
const sockets: RawWsClient[] = [];

beforeEach(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  rest = rawBinanceClient(fake.url, KEY, SECRET);
});
afterEach(async () => {
  for (const s of sockets.splice(0)) s.close();
  await fake.close();
});

/** A SELL OCO on 0.01 BTC: take profit at 61000 (LIMIT_MAKER above), stop loss at 59000 (below). */
const sellOco = (overrides: Record<string, string> = {}) =>
  rest.signed('POST', '/api/v3/orderList/oco', {
    symbol: 'BTCUSDT',
    side: 'SELL',
    quantity: '0.01',
    listClientOrderId: 'list-1',
    aboveType: 'LIMIT_MAKER',
    abovePrice: '61000',
    aboveClientOrderId: 'tp-1',
    belowType: 'STOP_LOSS',
    belowStopPrice: '59000',
    belowClientOrderId: 'sl-1',
    newOrderRespType: 'RESULT',
    ...overrides,
  });

/** Buy 0.01 BTC at 59000 (LIMIT), then a SELL OCO: LIMIT_MAKER at 62000, STOP_LOSS at 58000. */
const buyOtoco = (overrides: Record<string, string> = {}) =>
  rest.signed('POST', '/api/v3/orderList/otoco', {
    symbol: 'BTCUSDT',
    listClientOrderId: 'bracket-1',
    workingType: 'LIMIT',
    workingSide: 'BUY',
    workingPrice: '59000',
    workingQuantity: '0.01',
    workingTimeInForce: 'GTC',
    workingClientOrderId: 'entry-1',
    pendingSide: 'SELL',
    pendingQuantity: '0.01',
    pendingAboveType: 'LIMIT_MAKER',
    pendingAbovePrice: '62000',
    pendingAboveClientOrderId: 'tp-1',
    pendingBelowType: 'STOP_LOSS',
    pendingBelowStopPrice: '58000',
    pendingBelowClientOrderId: 'sl-1',
    ...overrides,
  });

const getOrder = async (clientId: string) => (await rest.signed('GET', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: clientId })).json;
const getList = async (listClientId: string) => rest.signed('GET', '/api/v3/orderList', { origClientOrderId: listClientId });
const statuses = async (...ids: string[]) => Promise.all(ids.map(async (id) => (await getOrder(id)).status));

describe('OCO placement', () => {
  it('places both legs as one list and reports each with its orderListId', async () => {
    const { status, json } = await sellOco();
    expect(status).toBe(200);
    expect(json).toMatchObject({ contingencyType: 'OCO', listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING', listClientOrderId: 'list-1', symbol: 'BTCUSDT' });
    expect(json.orders.map((o: { clientOrderId: string }) => o.clientOrderId)).toEqual(['sl-1', 'tp-1']);
    expect(json.orderReports).toEqual([
      expect.objectContaining({ clientOrderId: 'sl-1', type: 'STOP_LOSS', status: 'NEW', stopPrice: '59000.00000000', orderListId: json.orderListId, workingTime: -1 }),
      expect.objectContaining({ clientOrderId: 'tp-1', type: 'LIMIT_MAKER', status: 'NEW', price: '61000.00000000', orderListId: json.orderListId }),
    ]);
    expect((await getOrder('tp-1')).orderListId).toBe(json.orderListId);
    const open = (await rest.signed('GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).json;
    expect(open.map((o: { orderListId: number }) => o.orderListId)).toEqual([json.orderListId, json.orderListId]);
  });

  it('locks the quantity once for the pair', async () => {
    await sellOco();
    expect(fake.balances().find((b) => b.asset === 'BTC')).toEqual({ asset: 'BTC', free: '0.99000000', locked: '0.01000000' });
  });

  it('counts two orders against the ORDERS limits', async () => {
    const { headers } = await sellOco();
    expect(headers.get('x-mbx-order-count-10s')).toBe('2');
  });

  it('refuses a SELL OCO whose stop is above the last price with "The relationship of the prices for the orders is not correct."', async () => {
    const { status, json } = await sellOco({ belowStopPrice: '60500' });
    expect(status).toBe(400);
    expect(json).toEqual({ code: -2010, msg: 'The relationship of the prices for the orders is not correct.' });
  });

  it('refuses a BUY OCO whose limit is above the last price', async () => {
    const { json } = await rest.signed('POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'BUY',
      quantity: '0.01',
      aboveType: 'STOP_LOSS',
      aboveStopPrice: '61000',
      belowType: 'LIMIT_MAKER',
      belowPrice: '60100',
    });
    expect(json).toEqual({ code: -2010, msg: 'The relationship of the prices for the orders is not correct.' });
  });

  it('refuses a SELL OCO with its limit order below (-1166) and two stop losses (-1158)', async () => {
    const swapped = await rest.signed('POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.01',
      aboveType: 'STOP_LOSS',
      aboveStopPrice: '59000',
      belowType: 'LIMIT_MAKER',
      belowPrice: '61000',
    });
    expect(swapped.json).toEqual({ code: -1166, msg: 'A limit order in a sell OCO must be above.' });
    const { json } = await rest.signed('POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.01',
      aboveType: 'STOP_LOSS_LIMIT',
      aboveStopPrice: '61000',
      abovePrice: '61000',
      aboveTimeInForce: 'GTC',
      belowType: 'STOP_LOSS',
      belowStopPrice: '59000',
    });
    expect(json).toEqual({ code: -1158, msg: 'Order type not supported in OCO.' });
  });

  it('wants a stop price or a trailing delta on a stop leg, and a timeInForce on a *_LIMIT leg', async () => {
    const noStop = await rest.signed('POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.01',
      aboveType: 'LIMIT_MAKER',
      abovePrice: '61000',
      belowType: 'STOP_LOSS',
    });
    expect(noStop.json).toEqual({ code: -1102, msg: "Param 'belowStopPrice' or 'belowTrailingDelta' must be sent, but both were empty/null!" });
    const noTif = await sellOco({ belowType: 'STOP_LOSS_LIMIT', belowPrice: '58900' });
    expect(noTif.json).toEqual({ code: -1102, msg: "Mandatory parameter 'belowTimeInForce' was not sent, was empty/null, or malformed." });
  });

  it('refuses a second list with the same listClientOrderId while the first executes, and leg ids already in use', async () => {
    await sellOco();
    expect((await sellOco({ aboveClientOrderId: 'tp-2', belowClientOrderId: 'sl-2' })).json).toEqual({ code: -2010, msg: 'Duplicate order sent.' });
    expect((await sellOco({ listClientOrderId: 'list-2' })).json).toEqual({ code: -2010, msg: 'Duplicate order sent.' });
    expect((await sellOco({ listClientOrderId: 'list-3', aboveClientOrderId: 'same', belowClientOrderId: 'same' })).json).toEqual({ code: -2010, msg: 'Duplicate order sent.' });
  });
});

describe('OCO execution', () => {
  it('fills the limit leg and expires the stop in the same step: the list is ALL_DONE', async () => {
    await sellOco();
    fake.setPrice('BTCUSDT', '61000.00');
    expect(await statuses('tp-1', 'sl-1')).toEqual(['FILLED', 'EXPIRED']);
    const { json } = await getList('list-1');
    expect(json).toMatchObject({ listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE' });
    expect(fake.balances().find((b) => b.asset === 'BTC')).toEqual({ asset: 'BTC', free: '0.99000000', locked: '0.00000000' });
  });

  it('never fills both legs, even when the market crosses both in turn', async () => {
    await sellOco();
    fake.setPrice('BTCUSDT', '58000.00');
    fake.setPrice('BTCUSDT', '62000.00');
    expect(await statuses('sl-1', 'tp-1')).toEqual(['FILLED', 'EXPIRED']);
    expect(fake.trades()).toHaveLength(1);
  });

  it('expires the stop on the first partial fill of the limit leg', async () => {
    await sellOco();
    fake.fillPartially('tp-1', '0.004');
    expect(await statuses('tp-1', 'sl-1')).toEqual(['PARTIALLY_FILLED', 'EXPIRED']);
    expect((await getList('list-1')).json.listOrderStatus).toBe('EXECUTING');
  });

  it('cancels the whole list when one leg is cancelled', async () => {
    await sellOco();
    const { json } = await rest.signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'sl-1' });
    expect(json).toMatchObject({ origClientOrderId: 'sl-1', status: 'CANCELED', orderListId: expect.any(Number) });
    expect(await statuses('sl-1', 'tp-1')).toEqual(['CANCELED', 'CANCELED']);
    expect((await getList('list-1')).json.listOrderStatus).toBe('ALL_DONE');
    expect(fake.balances().find((b) => b.asset === 'BTC')?.locked).toBe('0.00000000');
  });

  it('cancels a list by listClientOrderId, then says -2011 for it', async () => {
    await sellOco();
    const { json } = await rest.signed('DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', listClientOrderId: 'list-1' });
    expect(json).toMatchObject({ listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE' });
    expect(json.orderReports.map((r: { origClientOrderId: string; status: string }) => [r.origClientOrderId, r.status])).toEqual([
      ['sl-1', 'CANCELED'],
      ['tp-1', 'CANCELED'],
    ]);
    const again = await rest.signed('DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', listClientOrderId: 'list-1' });
    expect(again.json).toEqual({ code: -2011, msg: 'Order list does not exist.' });
  });

  it('accepts the same listClientOrderId again once the first list is done', async () => {
    await sellOco();
    fake.setPrice('BTCUSDT', '61000.00');
    fake.setPrice('BTCUSDT', '60000.00');
    expect((await sellOco({ aboveClientOrderId: 'tp-2', belowClientOrderId: 'sl-2' })).status).toBe(200);
  });
});

describe('order list queries', () => {
  it('finds a list by orderListId or by its client id, and answers -2018 for an unknown one', async () => {
    const { json: placed } = await sellOco();
    const byId = await rest.signed('GET', '/api/v3/orderList', { orderListId: String(placed.orderListId) });
    expect(byId.json).toEqual({
      orderListId: placed.orderListId,
      contingencyType: 'OCO',
      listStatusType: 'EXEC_STARTED',
      listOrderStatus: 'EXECUTING',
      listClientOrderId: 'list-1',
      transactionTime: placed.transactionTime,
      symbol: 'BTCUSDT',
      orders: placed.orders,
    });
    expect((await getList('list-1')).json.orderListId).toBe(placed.orderListId);
    expect((await getList('nope')).json).toEqual({ code: -2018, msg: 'Order list does not exist.' });
  });

  it('refuses a symbol on GET /api/v3/orderList (-1104): the endpoint does not read it', async () => {
    await sellOco();
    const { json } = await rest.signed('GET', '/api/v3/orderList', { symbol: 'BTCUSDT', origClientOrderId: 'list-1' });
    expect(json.code).toBe(-1104);
  });

  it('lists open lists and all lists', async () => {
    await sellOco();
    await sellOco({ listClientOrderId: 'list-2', aboveClientOrderId: 'tp-2', belowClientOrderId: 'sl-2' });
    await rest.signed('DELETE', '/api/v3/orderList', { symbol: 'BTCUSDT', listClientOrderId: 'list-1' });
    const open = (await rest.signed('GET', '/api/v3/openOrderList')).json;
    expect(open.map((l: { listClientOrderId: string }) => l.listClientOrderId)).toEqual(['list-2']);
    const all = (await rest.signed('GET', '/api/v3/allOrderList')).json;
    expect(all.map((l: { listClientOrderId: string }) => l.listClientOrderId)).toEqual(['list-1', 'list-2']);
  });
});

describe('OTOCO', () => {
  it('shows the pending pair as PENDING_NEW and off the book until the working order fills', async () => {
    const { json } = await buyOtoco();
    expect(json.contingencyType).toBe('OTO');
    expect(json.orderReports.map((r: { clientOrderId: string; status: string }) => [r.clientOrderId, r.status])).toEqual([
      ['entry-1', 'NEW'],
      ['tp-1', 'PENDING_NEW'],
      ['sl-1', 'PENDING_NEW'],
    ]);
    const open = (await rest.signed('GET', '/api/v3/openOrders', { symbol: 'BTCUSDT' })).json;
    expect(open.map((o: { clientOrderId: string }) => o.clientOrderId)).toEqual(['entry-1']);
    fake.fillPartially('entry-1', '0.005');
    expect(await statuses('entry-1', 'tp-1', 'sl-1')).toEqual(['PARTIALLY_FILLED', 'PENDING_NEW', 'PENDING_NEW']);
  });

  it('places the pending pair once the working order is fully filled, and it then behaves as an OCO', async () => {
    await buyOtoco();
    fake.setPrice('BTCUSDT', '59000.00');
    expect(await statuses('entry-1', 'tp-1', 'sl-1')).toEqual(['FILLED', 'NEW', 'NEW']);
    fake.setPrice('BTCUSDT', '62000.00');
    expect(await statuses('tp-1', 'sl-1')).toEqual(['FILLED', 'EXPIRED']);
    expect((await getList('bracket-1')).json).toMatchObject({ listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE' });
  });

  it('cancels the pending pair with the working order', async () => {
    await buyOtoco();
    await rest.signed('DELETE', '/api/v3/order', { symbol: 'BTCUSDT', origClientOrderId: 'entry-1' });
    expect(await statuses('entry-1', 'tp-1', 'sl-1')).toEqual(['CANCELED', 'CANCELED', 'CANCELED']);
  });

  it('refuses a LIMIT_MAKER working order that would take', async () => {
    const { json } = await rest.signed('POST', '/api/v3/orderList/otoco', {
      symbol: 'BTCUSDT',
      workingType: 'LIMIT_MAKER',
      workingSide: 'BUY',
      workingPrice: '60500',
      workingQuantity: '0.01',
      pendingSide: 'SELL',
      pendingQuantity: '0.01',
      pendingAboveType: 'LIMIT_MAKER',
      pendingAbovePrice: '62000',
      pendingBelowType: 'STOP_LOSS',
      pendingBelowStopPrice: '58000',
    });
    expect(json).toEqual({ code: -2010, msg: 'Order would immediately match and take.' });
  });
});

describe('LIMIT_MAKER single orders', () => {
  it('rests when it would not take, and is refused when it would', async () => {
    const ok = await rest.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.01', price: '59000', newOrderRespType: 'RESULT' });
    expect(ok.json).toMatchObject({ status: 'NEW', type: 'LIMIT_MAKER', orderListId: -1 });
    const taker = await rest.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT_MAKER', quantity: '0.01', price: '60000' });
    expect(taker.json).toEqual({ code: -2010, msg: 'Order would immediately match and take.' });
  });
});

describe('trailing stops', () => {
  const trailingSell = (params: Record<string, string> = {}) =>
    rest.signed('POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'STOP_LOSS',
      quantity: '0.01',
      trailingDelta: '100',
      newClientOrderId: 'trail-1',
      newOrderRespType: 'RESULT',
      ...params,
    });

  it('advertises the TRAILING_DELTA filter and allowTrailingStop', async () => {
    const { json } = await rest.call('GET', '/api/v3/exchangeInfo', { query: 'symbol=BTCUSDT' });
    expect(json.symbols[0].allowTrailingStop).toBe(true);
    expect(json.symbols[0].filters).toContainEqual({
      filterType: 'TRAILING_DELTA',
      minTrailingAboveDelta: 10,
      maxTrailingAboveDelta: 2000,
      minTrailingBelowDelta: 10,
      maxTrailingBelowDelta: 2000,
    });
  });

  it('refuses a delta outside the filter with "Filter failure: TRAILING_DELTA"', async () => {
    expect((await trailingSell({ trailingDelta: '5' })).json).toEqual({ code: -1013, msg: 'Filter failure: TRAILING_DELTA' });
    expect((await trailingSell({ trailingDelta: '2001' })).json).toEqual({ code: -1013, msg: 'Filter failure: TRAILING_DELTA' });
  });

  it('refuses trailingDelta on a LIMIT order (-1106)', async () => {
    const { json } = await rest.signed('POST', '/api/v3/order', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      type: 'LIMIT',
      timeInForce: 'GTC',
      quantity: '0.01',
      price: '61000',
      trailingDelta: '100',
    });
    expect(json).toEqual({ code: -1106, msg: "Parameter 'trailingDelta' sent when not required." });
  });

  it('without a stop price, tracks from placement and fires on a 1 % retrace from the highest price, not before', async () => {
    const { json } = await trailingSell();
    expect(json).toMatchObject({ status: 'NEW', trailingDelta: 100, trailingTime: expect.any(Number) });
    expect(json.trailingTime).toBeGreaterThan(0);
    fake.setPrice('BTCUSDT', '62000.00');
    fake.setPrice('BTCUSDT', '61400.00'); // 0.97 % down from 62000: not yet
    expect((await getOrder('trail-1')).status).toBe('NEW');
    fake.setPrice('BTCUSDT', '61380.00'); // 62000 × 0.99
    expect(await getOrder('trail-1')).toMatchObject({ status: 'FILLED', trailingDelta: 100 });
  });

  it('with a stop price, starts tracking only once the stop price is reached', async () => {
    const { json } = await trailingSell({ stopPrice: '59000' });
    expect(json.trailingTime).toBe(-1);
    fake.setPrice('BTCUSDT', '70000.00');
    fake.setPrice('BTCUSDT', '60000.00'); // a fall far beyond 1 %, but tracking has not started
    expect(await getOrder('trail-1')).toMatchObject({ status: 'NEW', trailingTime: -1 });
    fake.setPrice('BTCUSDT', '59000.00'); // activation: the highest price is now 59000
    expect((await getOrder('trail-1')).trailingTime).toBeGreaterThan(0);
    fake.setPrice('BTCUSDT', '58500.00');
    expect((await getOrder('trail-1')).status).toBe('NEW');
    fake.setPrice('BTCUSDT', '58410.00'); // 59000 × 0.99
    expect((await getOrder('trail-1')).status).toBe('FILLED');
  });

  it('a BUY trailing stop fires on a rise from the lowest price', async () => {
    await rest.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'STOP_LOSS', quantity: '0.01', trailingDelta: '200', newClientOrderId: 'trail-b' });
    fake.setPrice('BTCUSDT', '55000.00');
    fake.setPrice('BTCUSDT', '56000.00');
    expect((await getOrder('trail-b')).status).toBe('NEW');
    fake.setPrice('BTCUSDT', '56100.00'); // 55000 × 1.02
    expect((await getOrder('trail-b')).status).toBe('FILLED');
  });

  it('a trailing stop leg of an OCO expires the limit leg when it fires', async () => {
    const { status } = await rest.signed('POST', '/api/v3/orderList/oco', {
      symbol: 'BTCUSDT',
      side: 'SELL',
      quantity: '0.01',
      listClientOrderId: 'trail-list',
      aboveType: 'LIMIT_MAKER',
      abovePrice: '65000',
      aboveClientOrderId: 'tp-t',
      belowType: 'STOP_LOSS',
      belowTrailingDelta: '100',
      belowClientOrderId: 'sl-t',
    });
    expect(status).toBe(200);
    fake.setPrice('BTCUSDT', '62000.00');
    fake.setPrice('BTCUSDT', '61380.00');
    expect(await statuses('sl-t', 'tp-t')).toEqual(['FILLED', 'EXPIRED']);
  });
});

describe('user data stream', () => {
  it('sends executionReports with the orderListId and listStatus events as the list starts and ends', async () => {
    const ws = await connectRawWs(fake.wsApiUrl, { apiKey: KEY, apiSecret: SECRET });
    sockets.push(ws);
    await ws.subscribe();
    const { json } = await sellOco();
    fake.setPrice('BTCUSDT', '61000.00');
    await ws.waitFor((frames) => frames.filter((f) => f['event']?.['e'] === 'listStatus').length >= 2);
    const events = ws.events().filter((e) => e['e'] === 'executionReport' || e['e'] === 'listStatus');
    expect(events.map((e) => (e['e'] === 'listStatus' ? ['list', e['l'], e['L']] : [e['c'], e['x'], e['X'], e['g']]))).toEqual([
      ['sl-1', 'NEW', 'NEW', json.orderListId],
      ['tp-1', 'NEW', 'NEW', json.orderListId],
      ['list', 'EXEC_STARTED', 'EXECUTING'],
      ['sl-1', 'EXPIRED', 'EXPIRED', json.orderListId],
      ['tp-1', 'TRADE', 'FILLED', json.orderListId],
      ['list', 'ALL_DONE', 'ALL_DONE'],
    ]);
    const expired = events.find((e) => e['x'] === 'EXPIRED');
    expect(expired?.['eR']).toBe('OCO_TRIGGER');
    const done = events.filter((e) => e['e'] === 'listStatus')[1];
    expect(done).toMatchObject({ s: 'BTCUSDT', g: json.orderListId, c: 'OCO', r: 'NONE', C: 'list-1', O: json.orders.map((o: { symbol: string; orderId: number; clientOrderId: string }) => ({ s: o.symbol, i: o.orderId, c: o.clientOrderId })) });
  });
});
