/**
 * The paper venue's LIMIT_MAKER, trailing stops and OCO order lists, against PostgreSQL: what
 * Binance refuses is refused with its code, a trailing stop follows the market as Binance's
 * trailing-stop FAQ tells (its scenarios C and E replayed price by price), an OCO holds one
 * reservation and never fills both legs, and the price refresh's wake-up reads trailing orders on
 * every move.
 */
import { randomUUID } from 'node:crypto';
import { MockActivityEnvironment } from '@temporalio/testing';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderWakeActivities } from '../../activities/market-data/refresh-activities.js';
import type { Exchange, OrderListLeg, PlaceOcoRequest } from '../../domain/exchange.js';
import type { VenueOrderEvent } from '../../domain/venue-events.js';
import { ExchangeRejectedError } from '../../domain/venue-errors.js';
import type { Sql } from '../../lib/db.js';
import { createPaperExchange } from '../../venues/paper/exchange.js';
import { testSql } from '../helpers/env.js';

// Symbols of this file only: the price map below is this file's market.
const SYM = 'POLXUSDT';
const market = new Map<string, string>();
const accounts: string[] = [];

let sql: Sql;
beforeAll(() => {
  sql = testSql();
});
afterAll(async () => {
  // Other files refresh the symbols of open orders and held balances: leave nothing behind.
  if (accounts.length > 0) {
    await sql`DELETE FROM orders WHERE account_id IN ${sql(accounts)}`;
    await sql`DELETE FROM paper_trades WHERE client_order_id IN (SELECT client_order_id FROM paper_orders WHERE account_id IN ${sql(accounts)})`;
    await sql`DELETE FROM paper_orders WHERE account_id IN ${sql(accounts)}`;
    await sql`DELETE FROM paper_order_lists WHERE account_id IN ${sql(accounts)}`;
    await sql`DELETE FROM paper_balances WHERE account_id IN ${sql(accounts)}`;
    await sql`DELETE FROM accounts WHERE id IN ${sql(accounts)}`;
  }
  await sql.end({ timeout: 2 });
});

function paperFor(accountId: string): Exchange {
  return createPaperExchange({
    sql,
    accountId,
    prices: async (symbol) => (market.has(symbol) ? { price: market.get(symbol)!, asOf: new Date() } : null),
    feeBps: '10',
    slippageBps: '5',
    startingCash: '100000',
    staleAfterMs: 120_000,
  });
}

/** A new account at this price, 100000 USDT and `base` POLX: each test its own balances. */
async function account(price: string, base = '0'): Promise<{ id: string; paper: Exchange }> {
  const id = randomUUID();
  accounts.push(id);
  await sql`INSERT INTO accounts (id) VALUES (${id})`;
  market.set(SYM, price);
  const paper = paperFor(id);
  await paper.getBalances();
  if (base !== '0') await sql`INSERT INTO paper_balances (account_id, asset, free) VALUES (${id}, 'POLX', ${base})`;
  return { id, paper };
}

async function balance(paper: Exchange, asset: string): Promise<{ free: string; locked: string }> {
  const b = (await paper.getBalances()).find((x) => x.asset === asset);
  return { free: new Decimal(b?.free ?? 0).toString(), locked: new Decimal(b?.locked ?? 0).toString() };
}

async function rejection(p: Promise<unknown>): Promise<{ code: number; message: string }> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  if (!(err instanceof ExchangeRejectedError)) throw new Error(`expected ExchangeRejectedError, got ${String(err)}`);
  return { code: err.code, message: err.venueMessage };
}

const id = (tag: string) => `${tag}-${randomUUID().slice(0, 8)}`;

/** Reads the order at each price in turn (as the wake-up does after each refresh), returning what it showed. */
async function walk(paper: Exchange, clientOrderId: string, prices: string[]) {
  const seen = [];
  for (const price of prices) {
    market.set(SYM, price);
    const o = (await paper.getOrder({ symbol: SYM, clientOrderId }))!;
    seen.push({ price, status: o.status, stopPrice: o.stopPrice === undefined ? undefined : new Decimal(o.stopPrice).toString() });
  }
  return seen;
}

function oco(side: 'BUY' | 'SELL', above: Omit<OrderListLeg, 'clientOrderId'>, below: Omit<OrderListLeg, 'clientOrderId'>, quantity = '1'): PlaceOcoRequest {
  return {
    kind: 'OCO',
    symbol: SYM,
    side,
    quantity,
    listClientOrderId: id('list'),
    above: { ...above, clientOrderId: id('above') },
    below: { ...below, clientOrderId: id('below') },
  };
}

const sellBracket = () => oco('SELL', { type: 'LIMIT_MAKER', price: '110' }, { type: 'STOP_LOSS', stopPrice: '90' });

describe('LIMIT_MAKER on the paper venue', () => {
  it('refuses a LIMIT_MAKER that would take on arrival, and records the refusal under its client id', async () => {
    const { paper } = await account('100');
    const clientOrderId = id('lm');
    const req = { clientOrderId, symbol: SYM, side: 'BUY' as const, type: 'LIMIT_MAKER' as const, quantity: '1', price: '100' };
    expect(await rejection(paper.placeOrder(req))).toEqual({ code: -2010, message: 'Order would immediately match and take.' });
    expect((await paper.getOrder({ symbol: SYM, clientOrderId }))?.status).toBe('REJECTED');
    expect(await balance(paper, 'USDT')).toEqual({ free: '100000', locked: '0' });
  });

  it('rests a LIMIT_MAKER that does not cross, holding its quote, and fills it at its price once the market reaches it', async () => {
    const { paper } = await account('100');
    const clientOrderId = id('lm');
    const placed = await paper.placeOrder({ clientOrderId, symbol: SYM, side: 'BUY', type: 'LIMIT_MAKER', quantity: '1', price: '99' });
    expect(placed.status).toBe('NEW');
    expect(await balance(paper, 'USDT')).toEqual({ free: '99900.901', locked: '99.099' });
    expect(await walk(paper, clientOrderId, ['99.5', '98.5'])).toMatchObject([{ status: 'NEW' }, { status: 'FILLED' }]);
    const [trade] = await paper.getTrades({ symbol: SYM, clientOrderId, exchangeOrderId: placed.exchangeOrderId });
    expect(trade?.price).toBe('99');
    expect(await balance(paper, 'USDT')).toEqual({ free: '99900.901', locked: '0' });
    expect(await balance(paper, 'POLX')).toEqual({ free: '1', locked: '0' });
  });
});

describe('trailing stops on the paper venue', () => {
  it('trails a STOP_LOSS_LIMIT sell without stopPrice from placement and fires on a 700 BIPS retrace from the highest price (FAQ scenario E)', async () => {
    const { paper } = await account('40000', '0.01');
    const clientOrderId = id('trail');
    const placed = await paper.placeOrder({ clientOrderId, symbol: SYM, side: 'SELL', type: 'STOP_LOSS_LIMIT', timeInForce: 'GTC', quantity: '0.01', price: '39000', trailingDelta: 700 });
    // The stopPrice shown is the current trigger: 7% under the best price so far.
    expect(placed).toMatchObject({ status: 'NEW', stopPrice: '37200', trailingDelta: 700 });
    expect(await walk(paper, clientOrderId, ['42000', '39500', '45500', '42316', '42315'])).toEqual([
      { price: '42000', status: 'NEW', stopPrice: '39060' },
      { price: '39500', status: 'NEW', stopPrice: '39060' },
      { price: '45500', status: 'NEW', stopPrice: '42315' },
      { price: '42316', status: 'NEW', stopPrice: '42315' },
      // Triggered, and its limit of 39000 is marketable: it takes the market; the trigger it fired at stays shown.
      { price: '42315', status: 'FILLED', stopPrice: '42315' },
    ]);
    const [trade] = await paper.getTrades({ symbol: SYM, clientOrderId, exchangeOrderId: placed.exchangeOrderId });
    expect(trade?.price).toBe('42315');
    expect(await balance(paper, 'POLX')).toEqual({ free: '0', locked: '0' });
  });

  it('ignores any move before a trailing TAKE_PROFIT_LIMIT buy reaches its stopPrice, then fires on an 850 BIPS rise from the lowest price (FAQ scenario C)', async () => {
    const { paper } = await account('40000');
    const clientOrderId = id('trail');
    const placed = await paper.placeOrder({
      clientOrderId,
      symbol: SYM,
      side: 'BUY',
      type: 'TAKE_PROFIT_LIMIT',
      timeInForce: 'GTC',
      quantity: '0.01',
      price: '38500',
      stopPrice: '38000',
      trailingDelta: 850,
    });
    expect(placed).toMatchObject({ status: 'NEW', stopPrice: '38000' });
    expect(await walk(paper, clientOrderId, ['42000', '45000', '38000', '37000', '39000', '38000', '40144', '40145'])).toEqual([
      // 12.5% over the placement price: a trailing order would have fired, this one is not trailing yet.
      { price: '42000', status: 'NEW', stopPrice: '38000' },
      { price: '45000', status: 'NEW', stopPrice: '38000' },
      // The stop condition is met: trailing starts from this price.
      { price: '38000', status: 'NEW', stopPrice: '41230' },
      { price: '37000', status: 'NEW', stopPrice: '40145' },
      { price: '39000', status: 'NEW', stopPrice: '40145' },
      { price: '38000', status: 'NEW', stopPrice: '40145' },
      { price: '40144', status: 'NEW', stopPrice: '40145' },
      // Triggered; its limit of 38500 is under the market, so it works as a resting limit.
      { price: '40145', status: 'NEW', stopPrice: '40145' },
    ]);
    const [row] = await sql<{ triggered: boolean }[]>`SELECT triggered FROM paper_orders WHERE client_order_id = ${clientOrderId}`;
    expect(row?.triggered).toBe(true);
    expect(await walk(paper, clientOrderId, ['38400'])).toMatchObject([{ status: 'FILLED' }]);
  });

  it('fires a trailing STOP_LOSS buy on a rise from the lowest price, and a trailing TAKE_PROFIT sell on a fall from the highest', async () => {
    const { paper } = await account('100', '1');
    const buy = id('trail-buy');
    const sell = id('trail-sell');
    await paper.placeOrder({ clientOrderId: buy, symbol: SYM, side: 'BUY', type: 'STOP_LOSS', quantity: '1', trailingDelta: 1000 });
    await paper.placeOrder({ clientOrderId: sell, symbol: SYM, side: 'SELL', type: 'TAKE_PROFIT', quantity: '1', stopPrice: '105', trailingDelta: 1000 });
    expect(await walk(paper, buy, ['80', '87.9', '88'])).toEqual([
      { price: '80', status: 'NEW', stopPrice: '88' },
      { price: '87.9', status: 'NEW', stopPrice: '88' },
      { price: '88', status: 'FILLED', stopPrice: '88' },
    ]);
    expect(await walk(paper, sell, ['100', '110', '120', '108.1', '108'])).toEqual([
      { price: '100', status: 'NEW', stopPrice: '105' },
      { price: '110', status: 'NEW', stopPrice: '99' },
      { price: '120', status: 'NEW', stopPrice: '108' },
      { price: '108.1', status: 'NEW', stopPrice: '108' },
      { price: '108', status: 'FILLED', stopPrice: '108' },
    ]);
  });

  it.each([5, 2001, 12.5])('refuses a trailingDelta of %s BIPS with the TRAILING_DELTA filter failure', async (trailingDelta) => {
    const { paper } = await account('100', '1');
    const req = { clientOrderId: id('trail'), symbol: SYM, side: 'SELL' as const, type: 'STOP_LOSS' as const, quantity: '1', trailingDelta };
    expect(await rejection(paper.placeOrder(req))).toEqual({ code: -1013, message: 'Filter failure: TRAILING_DELTA' });
  });
});

describe('OCO order lists on the paper venue', () => {
  it.each([
    ['a SELL with its LIMIT_MAKER below', oco('SELL', { type: 'STOP_LOSS', stopPrice: '90' }, { type: 'LIMIT_MAKER', price: '110' }), -1166],
    ['a SELL with its take-profit below', oco('SELL', { type: 'STOP_LOSS', stopPrice: '90' }, { type: 'TAKE_PROFIT', stopPrice: '110' }), -1199],
    ['a BUY with its take-profit above', oco('BUY', { type: 'TAKE_PROFIT', stopPrice: '90' }, { type: 'STOP_LOSS', stopPrice: '110' }), -1198],
    ['a BUY with a stop-loss below', oco('BUY', { type: 'STOP_LOSS', stopPrice: '110' }, { type: 'STOP_LOSS', stopPrice: '90' }), -1196],
    ['a BUY with its LIMIT_MAKER above', oco('BUY', { type: 'LIMIT_MAKER', price: '90' }, { type: 'STOP_LOSS', stopPrice: '110' }), -1165],
    ['two LIMIT_MAKER legs', oco('SELL', { type: 'LIMIT_MAKER', price: '110' }, { type: 'LIMIT_MAKER', price: '90' }), -1168],
    ['a LIMIT leg', oco('SELL', { type: 'LIMIT', price: '110', timeInForce: 'GTC' }, { type: 'STOP_LOSS', stopPrice: '90' }), -1158],
    ['a SELL whose limit is under the last price', oco('SELL', { type: 'LIMIT_MAKER', price: '99' }, { type: 'STOP_LOSS', stopPrice: '90' }), -2010],
    ['a SELL whose stop is over the last price', oco('SELL', { type: 'LIMIT_MAKER', price: '110' }, { type: 'STOP_LOSS', stopPrice: '101' }), -2010],
    ['a BUY whose stop is under the last price', oco('BUY', { type: 'STOP_LOSS', stopPrice: '99' }, { type: 'LIMIT_MAKER', price: '90' }), -2010],
    ['a stop-limit leg without timeInForce', oco('SELL', { type: 'LIMIT_MAKER', price: '110' }, { type: 'STOP_LOSS_LIMIT', stopPrice: '90', price: '89' }), -1102],
    ['a trailing leg out of the TRAILING_DELTA range', oco('SELL', { type: 'LIMIT_MAKER', price: '110' }, { type: 'STOP_LOSS', trailingDelta: 3000 }), -1013],
  ])('refuses %s, placing no leg', async (_name, req, code) => {
    const { paper } = await account('100', '1');
    expect((await rejection(paper.placeOrderList(req))).code).toBe(code);
    expect(await paper.getOpenOrders(SYM)).toEqual([]);
    expect(await balance(paper, 'POLX')).toEqual({ free: '1', locked: '0' });
    expect(await paper.getOrderList({ symbol: SYM, listClientOrderId: req.listClientOrderId })).toMatchObject({ listStatusType: 'RESPONSE', listOrderStatus: 'REJECT' });
  });

  it('places both legs of a sell OCO, each naming the list, and holds the quantity once', async () => {
    const { paper } = await account('100', '1.5');
    const req = sellBracket();
    const list = await paper.placeOrderList(req);
    expect(list).toMatchObject({ symbol: SYM, listClientOrderId: req.listClientOrderId, contingencyType: 'OCO', listStatusType: 'EXEC_STARTED', listOrderStatus: 'EXECUTING' });
    expect(list.orders.map((l) => [l.clientOrderId, l.type, l.status, l.orderListId])).toEqual([
      [req.below.clientOrderId, 'STOP_LOSS', 'NEW', list.orderListId],
      [req.above.clientOrderId, 'LIMIT_MAKER', 'NEW', list.orderListId],
    ]);
    expect(await balance(paper, 'POLX')).toEqual({ free: '0.5', locked: '1' });
  });

  it('holds a buy OCO at the larger need of its legs, not their sum', async () => {
    const { paper } = await account('100');
    await paper.placeOrderList(oco('BUY', { type: 'STOP_LOSS_LIMIT', stopPrice: '105', price: '106', timeInForce: 'GTC' }, { type: 'LIMIT_MAKER', price: '95' }));
    // max(106, 95) × 1 × (1 + 10 bps)
    expect(await balance(paper, 'USDT')).toEqual({ free: '99893.894', locked: '106.106' });
  });

  it('expires the stop leg when the limit leg fills, settling the balances once', async () => {
    const { paper } = await account('100', '1');
    const req = sellBracket();
    const list = await paper.placeOrderList(req);
    market.set(SYM, '111');
    expect((await paper.getOrder({ symbol: SYM, clientOrderId: req.below.clientOrderId }))?.status).toBe('EXPIRED');
    expect((await paper.getOrder({ symbol: SYM, clientOrderId: req.above.clientOrderId }))?.status).toBe('FILLED');
    expect(await paper.getOrderList({ symbol: SYM, listClientOrderId: req.listClientOrderId })).toMatchObject({
      orderListId: list.orderListId,
      listStatusType: 'ALL_DONE',
      listOrderStatus: 'ALL_DONE',
    });
    // Sold 1 at the limit, 110, less 10 bps.
    expect(await balance(paper, 'POLX')).toEqual({ free: '0', locked: '0' });
    expect(await balance(paper, 'USDT')).toEqual({ free: '100109.89', locked: '0' });
    market.set(SYM, '80');
    expect((await paper.getOrder({ symbol: SYM, clientOrderId: req.below.clientOrderId }))?.status).toBe('EXPIRED');
  });

  it('fills exactly one leg when one price fires both, whichever leg is read first: the stop-loss', async () => {
    const { paper } = await account('100', '1');
    // A trailing take-profit that started trailing at 120 and a stop at 90: a gap to 85 fires both.
    const req = oco('SELL', { type: 'TAKE_PROFIT', stopPrice: '110', trailingDelta: 100 }, { type: 'STOP_LOSS', stopPrice: '90' });
    await paper.placeOrderList(req);
    await walk(paper, req.above.clientOrderId, ['120']);
    market.set(SYM, '85');
    const [above, below] = await Promise.all([
      paper.getOrder({ symbol: SYM, clientOrderId: req.above.clientOrderId }),
      paper.getOrder({ symbol: SYM, clientOrderId: req.below.clientOrderId }),
    ]);
    expect([above?.status, below?.status]).toEqual(['EXPIRED', 'FILLED']);
    const trades = await sql`SELECT 1 FROM paper_trades WHERE client_order_id IN ${sql([req.above.clientOrderId, req.below.clientOrderId])}`;
    expect(trades).toHaveLength(1);
    expect(await balance(paper, 'POLX')).toEqual({ free: '0', locked: '0' });
  });

  it('cancels the whole list when one leg is cancelled, giving the reservation back', async () => {
    const { paper } = await account('100', '1');
    const req = sellBracket();
    await paper.placeOrderList(req);
    expect((await paper.cancelOrder({ symbol: SYM, clientOrderId: req.above.clientOrderId })).status).toBe('CANCELED');
    const list = await paper.getOrderList({ symbol: SYM, listClientOrderId: req.listClientOrderId });
    expect(list?.listOrderStatus).toBe('ALL_DONE');
    expect(list?.orders.map((o) => o.status)).toEqual(['CANCELED', 'CANCELED']);
    expect(await balance(paper, 'POLX')).toEqual({ free: '1', locked: '0' });
    expect(await rejection(paper.cancelOrderList({ symbol: SYM, listClientOrderId: req.listClientOrderId }))).toEqual({ code: -2011, message: 'Unknown order sent.' });
  });

  it('cancels a list by its client id, and says -2011 for a list it does not know', async () => {
    const { paper } = await account('100', '1');
    const req = sellBracket();
    await paper.placeOrderList(req);
    const canceled = await paper.cancelOrderList({ symbol: SYM, listClientOrderId: req.listClientOrderId });
    expect(canceled).toMatchObject({ listStatusType: 'ALL_DONE', listOrderStatus: 'ALL_DONE' });
    expect(canceled.orders.map((o) => o.status)).toEqual(['CANCELED', 'CANCELED']);
    expect(await balance(paper, 'POLX')).toEqual({ free: '1', locked: '0' });
    expect((await rejection(paper.cancelOrderList({ symbol: SYM, listClientOrderId: 'no-such-list' }))).code).toBe(-2011);
    expect(await paper.getOrderList({ symbol: SYM, listClientOrderId: 'no-such-list' })).toBeNull();
  });

  it('answers a repeat of a listClientOrderId with the first list, reserving nothing more', async () => {
    const { paper } = await account('100', '2');
    const req = sellBracket();
    const first = await paper.placeOrderList(req);
    const again = await paper.placeOrderList({ ...req, quantity: '2' });
    expect(again.orderListId).toBe(first.orderListId);
    expect(again.orders.map((o) => o.origQty)).toEqual(['1', '1']);
    expect(await balance(paper, 'POLX')).toEqual({ free: '1', locked: '1' });
  });

  it('keeps a refused list refused: a late repeat places nothing even once the balance is there', async () => {
    const { id: accountId, paper } = await account('100');
    const req = sellBracket();
    const refused = { code: -2010, message: 'Account has insufficient balance for requested action.' };
    expect(await rejection(paper.placeOrderList(req))).toEqual(refused);
    await sql`INSERT INTO paper_balances (account_id, asset, free) VALUES (${accountId}, 'POLX', 1)`;
    expect(await rejection(paper.placeOrderList(req))).toEqual(refused);
    expect((await paper.getOrder({ symbol: SYM, clientOrderId: req.above.clientOrderId }))?.status).toBe('REJECTED');
    expect(await balance(paper, 'POLX')).toEqual({ free: '1', locked: '0' });
  });

  it('refuses an OTOCO, saying the engine runs paper brackets', async () => {
    const { paper } = await account('100');
    const err = await rejection(
      paper.placeOrderList({
        kind: 'OTOCO',
        symbol: SYM,
        listClientOrderId: id('otoco'),
        working: { side: 'BUY', type: 'LIMIT', price: '99', quantity: '1', timeInForce: 'GTC', clientOrderId: id('w') },
        pending: { side: 'SELL', quantity: '1', above: { type: 'LIMIT_MAKER', price: '110', clientOrderId: id('a') }, below: { type: 'STOP_LOSS', stopPrice: '90', clientOrderId: id('b') } },
      }),
    );
    expect(err.message).toMatch(/OTOCO.*paper.*engine/);
  });
});

describe('wakePaperOrders and the new order kinds', () => {
  /** Our order row for a paper order, as the order workflow would have written it. */
  async function ourOrder(accountId: string, clientOrderId: string, type: string) {
    await sql`INSERT INTO orders (id, account_id, venue, symbol, side, type, quantity, status, status_rank, client_order_id, workflow_id)
      VALUES (${randomUUID()}, ${accountId}, 'paper', ${SYM}, 'SELL', ${type}, 1, 'NEW', 2, ${clientOrderId}, ${'order-' + clientOrderId})`;
  }

  function waker() {
    const events: Array<{ workflowId: string; event: VenueOrderEvent }> = [];
    const read: string[] = [];
    const { wakePaperOrders } = createOrderWakeActivities({
      sql,
      orders: { venueEvent: async (workflowId, event) => void events.push({ workflowId, event }) },
      paperFor: (accountId) => {
        const paper = paperFor(accountId);
        return { ...paper, getOrder: (ref) => (read.push(ref.clientOrderId), paper.getOrder(ref)) };
      },
    });
    const wake = async (price: string) => {
      market.set(SYM, price);
      read.length = 0;
      events.length = 0;
      await new MockActivityEnvironment().run(wakePaperOrders, { moved: [{ symbol: SYM, price }] });
      return { read: [...read], events: [...events] };
    };
    return wake;
  }

  it('reads a trailing stop on every move, so it trails up and fires on the retrace, and skips a LIMIT_MAKER the price does not reach', async () => {
    const { id: accountId, paper } = await account('100', '2');
    const trailing = id('trail');
    const maker = id('lm');
    await paper.placeOrder({ clientOrderId: trailing, symbol: SYM, side: 'SELL', type: 'STOP_LOSS', quantity: '1', trailingDelta: 500 });
    await paper.placeOrder({ clientOrderId: maker, symbol: SYM, side: 'SELL', type: 'LIMIT_MAKER', quantity: '1', price: '130' });
    await ourOrder(accountId, trailing, 'STOP_LOSS');
    await ourOrder(accountId, maker, 'LIMIT_MAKER');
    const wake = waker();
    // Up: nothing changes status, but the trailing stop was read and moved its trigger, which its workflow hears.
    const up = await wake('120');
    expect(up.read).toEqual([trailing]);
    expect(up.events).toEqual([expect.objectContaining({ workflowId: `order-${trailing}`, event: expect.objectContaining({ status: 'NEW', executedQty: '0', triggerPrice: '114' }) })]);
    expect((await paper.findInHistory({ symbol: SYM, clientOrderId: trailing }))?.stopPrice).toBe('114');
    // Down 5% from 120: it fires, and its workflow hears so.
    const down = await wake('114');
    expect(down.read).toEqual([trailing]);
    expect(down.events).toHaveLength(1);
    expect(down.events[0]).toMatchObject({ workflowId: `order-${trailing}`, event: { kind: 'update', status: 'FILLED', executedQty: '1' } });
    // As its workflow would record it.
    await sql`UPDATE orders SET status = 'FILLED', status_rank = 9 WHERE client_order_id = ${trailing}`;
    // The LIMIT_MAKER once reached.
    const reached = await wake('131');
    expect(reached.read).toEqual([maker]);
    expect(reached.events[0]).toMatchObject({ workflowId: `order-${maker}`, event: { status: 'FILLED' } });
  });

  it('tells the leg its sibling expired even when the price is nowhere near that leg', async () => {
    const { id: accountId, paper } = await account('100', '1');
    const req = sellBracket();
    await paper.placeOrderList(req);
    await ourOrder(accountId, req.above.clientOrderId, 'LIMIT_MAKER');
    await ourOrder(accountId, req.below.clientOrderId, 'STOP_LOSS');
    const { events } = await waker()('89');
    expect(events.map((e) => [e.workflowId, e.event.kind === 'update' ? e.event.status : e.event.kind]).sort()).toEqual(
      [
        [`order-${req.above.clientOrderId}`, 'EXPIRED'],
        [`order-${req.below.clientOrderId}`, 'FILLED'],
      ].sort(),
    );
  });
});
