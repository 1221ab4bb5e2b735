import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createPaperExchange } from '../../venues/paper/exchange.js';
import type { Exchange, PlaceOrderRequest } from '../../domain/exchange.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { activitySteps } from '../../lib/history-steps.js';
import { recordHistory } from '../helpers/histories.js';
import { TERMINAL_STATUSES } from '../../workflows/definitions.js';

// Symbols of this file only, so prices set here do not move other files' orders.
const BTC = 'PBTCUSDT';
const STOCK = 'PAAPL';

let e: TestEngine;
beforeAll(async () => {
  e = await startEngine();
  await e.setPrice(BTC, '50000');
  await e.setPrice(STOCK, '200');
});
afterAll(() => e.stop());

const post = (body: unknown, headers?: Record<string, string>) => e.call('POST', '/v1/orders', body, headers);

describe('orders on the paper venue', () => {
  it('fills a MARKET buy at the stored price plus slippage and records the fill and every transition', async () => {
    const res = await post({ symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '0.01', venue: 'paper' });
    expect(res.status).toBe(202);
    expect(res.body.workflowId).toBe(`order-${res.body.id}`);
    expect(res.body.links.temporalUi).toBe(`${e.config.temporalUiUrl}/namespaces/default/workflows/order-${res.body.id}/${res.body.runId}/history`);
    const order = await e.waitForStatus(res.body.id, ['FILLED']);
    expect(order.executedQty).toBe('0.01');
    expect(order.fills).toHaveLength(1);
    // 50000 × (1 + 5 bps) = 50025; fee 10 bps of 500.25 = 0.50025
    expect(order.fills[0].price).toBe('50025');
    expect(order.fills[0].commission).toBe('0.50025');
    expect(order.events.map((ev: { status: string }) => ev.status)).toEqual(['RECEIVED', 'PENDING_NEW', 'FILLED']);
    await recordHistory(e.temporal, `order-${res.body.id}`, 'paper-market-filled');
  });

  it('runs only the placement as an ordinary activity and the short keyed steps as local activities', async () => {
    const res = await post({ symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '0.01', venue: 'paper' });
    await e.waitForStatus(res.body.id, ['FILLED']);
    const handle = e.temporal.workflow.getHandle(`order-${res.body.id}`);
    await handle.result();
    const steps = activitySteps((await handle.fetchHistory()).events ?? []);
    expect(steps).toEqual([
      { name: 'recordOrderReceived', local: true },
      { name: 'validateOrder', local: true },
      { name: 'checkRisk', local: true },
      { name: 'recordTransition', local: true },
      { name: 'submitOrder', local: false },
      { name: 'recordTransition', local: true },
      { name: 'notifyPortfolio', local: true },
    ]);
  });

  it('rests a LIMIT buy below the market and fills it once the price crosses', async () => {
    const res = await post({ symbol: STOCK, side: 'BUY', type: 'LIMIT', quantity: '2', price: '190', venue: 'paper' });
    await e.waitForStatus(res.body.id, ['NEW']);
    await e.setPrice(STOCK, '189.5');
    const order = await e.waitForStatus(res.body.id, ['FILLED']);
    expect(order.fills[0].price).toBe('190');
    await recordHistory(e.temporal, `order-${res.body.id}`, 'paper-limit-filled');
    await e.setPrice(STOCK, '200');
  });

  it('cancels a resting LIMIT order at its good-till-date, with a worker restart in between', async () => {
    const expireAt = new Date(Date.now() + 4000).toISOString();
    const res = await post({ symbol: STOCK, side: 'BUY', type: 'LIMIT', quantity: '1', price: '100', venue: 'paper', expireAt });
    expect(res.status).toBe(202);
    const open = await e.waitForStatus(res.body.id, ['NEW']);
    expect(open.expireAt).toBe(expireAt);
    // The timer is the workflow's: no worker holds it, so a restart changes nothing.
    await e.restartWorkers();
    // Up to 50 s: a restart can cost a workflow task the old worker polled but never completed (10 s each).
    const canceled = await e.waitForStatus(res.body.id, ['CANCELED'], 50_000);
    expect(Date.now()).toBeGreaterThanOrEqual(Date.parse(expireAt));
    const causes = canceled.events.map((ev: { cause: string }) => ev.cause);
    expect(causes).toContain('good-till-date reached');
    expect(canceled.events.find((ev: { status: string }) => ev.status === 'PENDING_CANCEL')?.detail.reason).toBe(`good-till-date ${expireAt} reached`);
    const [venueOrder] = await e.sql<{ status: string }[]>`SELECT status FROM paper_orders WHERE client_order_id = ${canceled.clientOrderId}`;
    expect(venueOrder?.status).toBe('CANCELED');
    await recordHistory(e.temporal, `order-${res.body.id}`, 'paper-limit-good-till-date');
  });

  it('cancels an open LIMIT order through the workflow update and then refuses a second cancel with 409', async () => {
    const res = await post({ symbol: STOCK, side: 'BUY', type: 'LIMIT', quantity: '1', price: '100', venue: 'paper' });
    await e.waitForStatus(res.body.id, ['NEW']);
    const cancel = await e.call('DELETE', `/v1/orders/${res.body.id}`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('CANCELED');
    await recordHistory(e.temporal, `order-${res.body.id}`, 'paper-limit-canceled');
    const again = await e.call('DELETE', `/v1/orders/${res.body.id}`);
    expect(again.status).toBe(409);
    expect(again.body.error.code).toBe('order_not_cancelable');
  });

  it('refuses to cancel a FILLED order with 409', async () => {
    const res = await post({ symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '0.001', venue: 'paper' });
    await e.waitForStatus(res.body.id, ['FILLED']);
    const cancel = await e.call('DELETE', `/v1/orders/${res.body.id}`);
    expect(cancel.status).toBe(409);
  });

  it('triggers a STOP_LOSS sell when the price falls through the stop', async () => {
    const buy = await post({ symbol: STOCK, side: 'BUY', type: 'MARKET', quantity: '3', venue: 'paper' });
    await e.waitForStatus(buy.body.id, ['FILLED']);
    const stop = await post({ symbol: STOCK, side: 'SELL', type: 'STOP_LOSS', quantity: '3', stopPrice: '180', venue: 'paper' });
    await e.waitForStatus(stop.body.id, ['NEW']);
    await e.setPrice(STOCK, '179');
    const order = await e.waitForStatus(stop.body.id, ['FILLED']);
    expect(order.executedQty).toBe('3');
    await recordHistory(e.temporal, `order-${stop.body.id}`, 'paper-stop-loss-filled');
    await e.setPrice(STOCK, '200');
  });

  it('rejects a MARKET order against a stale price with a reason naming the symbol and its age', async () => {
    await e.setPrice('PSTALE', '10', new Date(Date.now() - 10 * 60_000));
    const res = await post({ symbol: 'PSTALE', side: 'BUY', type: 'MARKET', quantity: '1', venue: 'paper' });
    const order = await e.waitForStatus(res.body.id, ['REJECTED']);
    expect(order.rejectReason).toMatch(/PSTALE is stale: last update 6\d\d s ago/);
    await recordHistory(e.temporal, `order-${res.body.id}`, 'paper-rejected');
  });

  it('rejects an order whose price no provider could give with a reason naming the provider, its error and OFFLINE=1, not as an invalid symbol', async () => {
    // The test engine's providers point at a closed port, as on a machine that cannot reach Binance.
    const res = await post({ symbol: 'NOSUCHUSDT', side: 'BUY', type: 'MARKET', quantity: '1', venue: 'paper' });
    const order = await e.waitForStatus(res.body.id, ['REJECTED']);
    expect(order.rejectCode).toBe('NO_PRICE');
    expect(order.rejectReason).toMatch(/^No price for NOSUCHUSDT: binance failed \(.+\);.*OFFLINE=1/);
    expect(order.rejectReason).not.toMatch(/not traded/);
  });

  it('rejects a sell larger than the paper balance with the insufficient-balance reason', async () => {
    const res = await post({ symbol: BTC, side: 'SELL', type: 'MARKET', quantity: '0.5', venue: 'paper' });
    const order = await e.waitForStatus(res.body.id, ['REJECTED']);
    expect(order.rejectReason).toMatch(/insufficient balance/);
  });

  it('rejects an order over the per-order notional limit before it reaches the venue', async () => {
    const res = await post({ symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '5', venue: 'paper' });
    const order = await e.waitForStatus(res.body.id, ['REJECTED']);
    expect(order.rejectCode).toBe('RISK_MAX_ORDER_NOTIONAL');
    expect(order.exchangeOrderId).toBeNull();
  });
});

describe('POST /v1/orders idempotency', () => {
  it('returns the same order for the same key and body, and starts nothing new', async () => {
    const body = { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '0.002', venue: 'paper' };
    const first = await post(body, { 'Idempotency-Key': 'key-same-1' });
    const second = await post(body, { 'Idempotency-Key': 'key-same-1' });
    expect(first.status).toBe(202);
    expect(second.status).toBe(202);
    expect(second.body.id).toBe(first.body.id);
    expect(second.body.runId).toBe(first.body.runId);
    await e.waitForStatus(first.body.id, ['FILLED']);
    const third = await post(body, { 'Idempotency-Key': 'key-same-1' });
    expect(third.body.id).toBe(first.body.id);
    const [{ count }] = (await e.sql`SELECT count(*)::int AS count FROM orders WHERE id = ${first.body.id}`) as unknown as [{ count: number }];
    expect(count).toBe(1);
  });

  it('answers 422 when the same key comes with another body', async () => {
    await post({ symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '0.001', venue: 'paper' }, { 'Idempotency-Key': 'key-diff-1' });
    const res = await post({ symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '0.003', venue: 'paper' }, { 'Idempotency-Key': 'key-diff-1' });
    expect(res.status).toBe(422);
    expect(res.body.error.code).toBe('idempotency_key_reused');
  });
});

const RESTING = { symbol: BTC, side: 'BUY', type: 'LIMIT', quantity: '1', price: '1', venue: 'paper' };
const inHours = (h: number) => new Date(Date.now() + h * 3_600_000).toISOString();

describe('POST /v1/orders validation', () => {
  const cases: Array<[string, unknown, number, RegExp]> = [
    ['LIMIT without price', { symbol: BTC, side: 'BUY', type: 'LIMIT', quantity: '1' }, 422, /^price: is required for LIMIT/],
    ['price on a MARKET order', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '1', price: '1' }, 422, /^price: is not allowed for MARKET/],
    ['STOP_LOSS without stopPrice', { symbol: BTC, side: 'SELL', type: 'STOP_LOSS', quantity: '1' }, 422, /^stopPrice: is required/],
    ['a JSON number as quantity', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: 1 }, 422, /^quantity: must be a decimal string/],
    ['an exponent', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '1e400' }, 422, /^quantity:/],
    ['NaN', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: 'NaN' }, 422, /^quantity:/],
    ['a negative quantity', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '-0.5' }, 422, /^quantity:/],
    ['zero', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '0' }, 422, /^quantity: must be greater than zero/],
    ['hex', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '0x10' }, 422, /^quantity:/],
    ['padding', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: ' 1' }, 422, /^quantity:/],
    ['41 digits', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '1'.repeat(41) }, 422, /^quantity:/],
    ['an unknown field', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '1', leverage: '10' }, 422, /leverage|Unrecognized/],
    ['a lower-case side', { symbol: BTC, side: 'buy', type: 'MARKET', quantity: '1' }, 422, /^side:/],
    ['a good-till-date in the past', { ...RESTING, expireAt: '2020-01-01T00:00:00Z' }, 422, /^expireAt: must be in the future/],
    ['a good-till-date more than a year ahead', { ...RESTING, expireAt: inHours(24 * 400) }, 422, /^expireAt: must be within a year/],
    ['a good-till-date on a MARKET order', { symbol: BTC, side: 'BUY', type: 'MARKET', quantity: '1', expireAt: inHours(1) }, 422, /^expireAt: is only for orders that can rest on the book, not MARKET/],
    ['a good-till-date on an IOC order', { ...RESTING, timeInForce: 'IOC', expireAt: inHours(1) }, 422, /^expireAt: is only for orders that can rest on the book, not IOC/],
    ['a good-till-date that is not a time', { ...RESTING, expireAt: 'tomorrow' }, 422, /^expireAt:/],
  ];
  for (const [name, body, status, message] of cases) {
    it(`refuses ${name} with ${status}, naming the field, and stores nothing`, async () => {
      const before = await e.sql`SELECT count(*)::int AS n FROM orders`;
      const res = await post(body);
      expect(res.status).toBe(status);
      expect(res.body.error.message).toMatch(message);
      const after = await e.sql`SELECT count(*)::int AS n FROM orders`;
      expect(after[0]!.n).toBe(before[0]!.n);
    });
  }

  it('refuses malformed JSON with 400', async () => {
    const res = await post('{"symbol": ');
    expect(res.status).toBe(400);
    expect(res.body.error.code).toBe('invalid_json');
  });

  it('answers 404 for an unknown order id and for a malformed one', async () => {
    expect((await e.call('GET', '/v1/orders/7b0e8f7e-0000-4000-8000-000000000000')).status).toBe(404);
    expect((await e.call('GET', '/v1/orders/not-a-uuid')).status).toBe(404);
    expect((await e.call('DELETE', '/v1/orders/7b0e8f7e-0000-4000-8000-000000000000')).status).toBe(404);
  });
});

describe('GET /v1/orders', () => {
  it('lists newest first with filters and a cursor that pages through everything once', async () => {
    const all = await e.call('GET', `/v1/orders?symbol=${BTC}&limit=200`);
    expect(all.status).toBe(200);
    const ids: string[] = all.body.data.map((o: { id: string }) => o.id);
    expect(ids.length).toBeGreaterThan(3);
    const seen: string[] = [];
    let cursor: string | null = null;
    do {
      const page: { body: { data: { id: string; symbol: string }[]; nextCursor: string | null } } = await e.call('GET', `/v1/orders?symbol=${BTC}&limit=2${cursor ? `&cursor=${cursor}` : ''}`);
      for (const o of page.body.data) expect(o.symbol).toBe(BTC);
      seen.push(...page.body.data.map((o) => o.id));
      cursor = page.body.nextCursor;
    } while (cursor);
    expect(seen).toEqual(ids);
    const filled = await e.call('GET', `/v1/orders?status=FILLED&symbol=${BTC}`);
    expect(filled.body.data.every((o: { status: string }) => o.status === 'FILLED')).toBe(true);
  });
});

describe('concurrent paper orders of one account', () => {
  it('all fill, with no deadlock between orders moving the same balances in opposite directions', async () => {
    await e.setPrice('PCONAUSDT', '10');
    await e.setPrice('PCONBUSDT', '20');
    const seed = await Promise.all(
      ['PCONAUSDT', 'PCONBUSDT'].map((symbol) => post({ symbol, side: 'BUY', type: 'MARKET', quantity: '50', venue: 'paper' })),
    );
    await Promise.all(seed.map((r) => e.waitForStatus(r.body.id, ['FILLED'])));
    const bodies = Array.from({ length: 24 }, (_, i) => ({
      symbol: i % 2 ? 'PCONAUSDT' : 'PCONBUSDT',
      side: i % 4 < 2 ? 'BUY' : 'SELL',
      type: 'MARKET',
      quantity: '1',
      venue: 'paper',
    }));
    const accepted = await Promise.all(bodies.map((b) => post(b)));
    const final = await Promise.all(accepted.map((r) => e.waitForStatus(r.body.id, [...TERMINAL_STATUSES], 60_000)));
    expect(final.map((o) => o.status)).toEqual(bodies.map(() => 'FILLED'));
  });
});

describe('the paper venue itself', () => {
  /** The venue for a fresh account, reading prices from `prices` as they are at each call. */
  async function freshVenue(prices: Record<string, string>): Promise<Exchange> {
    return createPaperExchange({
      sql: e.sql,
      accountId: await e.newAccount(),
      prices: async (symbol) => (prices[symbol] === undefined ? null : { price: prices[symbol], asOf: new Date() }),
      feeBps: '10',
      slippageBps: '5',
      startingCash: '100000',
      staleAfterMs: 60_000,
    });
  }
  const balances = async (venue: Exchange) => Object.fromEntries((await venue.getBalances()).map((b) => [b.asset, { free: b.free, locked: b.locked }]));
  const limitBuy = (venue: Exchange, symbol: string, price: string, extra: Partial<PlaceOrderRequest> = {}) =>
    venue.placeOrder({ symbol, side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '1', price, clientOrderId: randomUUID(), ...extra });

  it.each(['IOC', 'FOK'] as const)('expires a %s LIMIT buy that does not cross on arrival and leaves free and locked cash as they were', async (timeInForce) => {
    const venue = await freshVenue({ PVIOCUSDT: '200' });
    const before = await balances(venue);
    const order = await limitBuy(venue, 'PVIOCUSDT', '190', { timeInForce, quantity: '2' });
    expect(order.status).toBe('EXPIRED');
    expect(await balances(venue)).toEqual(before);
  });

  it('records a refusal under its client id, so a late attempt with the same id places nothing', async () => {
    const venue = await freshVenue({ PVLATEUSDT: '100' });
    const clientOrderId = randomUUID();
    // 2000 × 100 is more cash than the account has: refused.
    await expect(limitBuy(venue, 'PVLATEUSDT', '100', { clientOrderId, quantity: '2000' })).rejects.toThrow(/insufficient balance/);
    const before = await balances(venue);
    // The same order arriving late, now affordable: it finds the refusal and places nothing.
    const late = await limitBuy(venue, 'PVLATEUSDT', '100', { clientOrderId, quantity: '1' });
    expect(late.status).toBe('REJECTED');
    expect(await venue.getOpenOrders()).toEqual([]);
    expect(await balances(venue)).toEqual(before);
  });

  it('treats ABNB as an equity quoted in USD, and still splits BTCUSDT into BTC and USDT', async () => {
    const venue = await freshVenue({ ABNB: '150', BTCUSDT: '60000' });
    expect(await venue.getSymbolRules(['ABNB', 'BTCUSDT'])).toMatchObject([
      { symbol: 'ABNB', baseAsset: 'ABNB', quoteAsset: 'USD' },
      { symbol: 'BTCUSDT', baseAsset: 'BTC', quoteAsset: 'USDT' },
    ]);
    const order = await venue.placeOrder({ symbol: 'ABNB', side: 'BUY', type: 'MARKET', quantity: '2', clientOrderId: randomUUID() });
    expect(order.status).toBe('FILLED');
    // 2 × 150 × (1 + 5 bps) = 300.15, plus 10 bps of fee = 300.45015, paid in USD
    expect(await balances(venue)).toEqual({
      ABNB: { free: '2', locked: '0' },
      USD: { free: '99699.54985', locked: '0' },
      USDT: { free: '100000', locked: '0' },
    });
  });

  it("lists the account's open orders oldest first, of all symbols or one, without finished ones or another account's", async () => {
    const prices = { PVOPENAUSDT: '100', PVOPENBUSDT: '10' };
    const venue = await freshVenue(prices);
    const a1 = await limitBuy(venue, 'PVOPENAUSDT', '90');
    const b1 = await limitBuy(venue, 'PVOPENBUSDT', '9');
    const a2 = await limitBuy(venue, 'PVOPENAUSDT', '80');
    await venue.cancelOrder(await limitBuy(venue, 'PVOPENAUSDT', '70'));
    await venue.placeOrder({ symbol: 'PVOPENAUSDT', side: 'BUY', type: 'MARKET', quantity: '1', clientOrderId: randomUUID() });
    await limitBuy(await freshVenue(prices), 'PVOPENAUSDT', '90');
    const ids = (orders: { clientOrderId: string }[]) => orders.map((o) => o.clientOrderId);
    expect(ids(await venue.getOpenOrders())).toEqual(ids([a1, b1, a2]));
    expect(ids(await venue.getOpenOrders('PVOPENAUSDT'))).toEqual(ids([a1, a2]));
    expect(await venue.getOpenOrders('PVOPENBUSDT')).toEqual([b1]);
  });

  it("finds an order by client id without matching it, and answers null for an unknown id or another account's order", async () => {
    const prices = { PVHISTUSDT: '100' };
    const venue = await freshVenue(prices);
    const placed = await limitBuy(venue, 'PVHISTUSDT', '90');
    const ref = { symbol: 'PVHISTUSDT', clientOrderId: placed.clientOrderId };
    prices.PVHISTUSDT = '85';
    // The price now crosses the limit: getOrder would fill the order, findInHistory only reads it.
    expect(await venue.findInHistory({ ...ref, sinceMs: Date.now() - 60_000 })).toEqual(placed);
    expect(await venue.findInHistory({ symbol: 'PVHISTUSDT', clientOrderId: randomUUID() })).toBeNull();
    expect(await (await freshVenue(prices)).findInHistory(ref)).toBeNull();
    const filled = await venue.getOrder(ref);
    expect(filled?.status).toBe('FILLED');
    expect(await venue.findInHistory(ref)).toEqual(filled);
  });
});
