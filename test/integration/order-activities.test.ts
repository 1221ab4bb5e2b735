/**
 * The order activities' own guards, called as the worker calls them, against real PostgreSQL and
 * the Binance fake: a Binance order is POSTed at most once while an earlier POST is in doubt,
 * checks decide once per order, an event number already taken by another step stops the run, and
 * the API and the worker writing the same new order row at once both succeed.
 */
import { randomUUID } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { createOrderDbActivities } from '../../activities/orders/record-activities.js';
import { createOrderExchangeActivities } from '../../activities/orders/venue-activities.js';
import { createBinanceExchange } from '../../venues/binance/exchange.js';
import { createPaperExchange } from '../../venues/paper/exchange.js';
import { insertReceivedOrder } from '../../store/orders.js';
import { clientOrderIdFor, type OrderRequest } from '../../workflows/definitions.js';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { testSql } from '../helpers/env.js';

const sql = testSql();
let fake: BinanceFake;
let price = '60000';
let activities: ReturnType<typeof createOrderExchangeActivities>;
const db = createOrderDbActivities({ sql });

beforeAll(async () => {
  fake = await startBinanceFake({ apiKey: 'k', apiSecret: 's' });
  const binance = createBinanceExchange({ baseUrl: fake.url, apiKey: 'k', apiSecret: 's', timeoutMs: 1000 });
  activities = createOrderExchangeActivities({
    sql,
    exchangeFor: async (venue, accountId) =>
      venue === 'paper'
        ? createPaperExchange({ sql, accountId, prices: async () => ({ price, asOf: new Date() }), feeBps: '10', slippageBps: '0', startingCash: '1000000', staleAfterMs: 60_000 })
        : binance,
    referencePrice: async () => price,
    risk: { maxOrderNotional: '1000000', maxDailyNotional: '100000000' },
    credentialSource: async () => ({ source: 'environment' }),
  });
});
afterAll(async () => {
  await fake.close();
  await sql.end({ timeout: 2 });
});

async function newOrder(overrides: Partial<OrderRequest> = {}): Promise<OrderRequest> {
  const [account] = await sql<{ id: string }[]>`INSERT INTO accounts (id, email) VALUES (${randomUUID()}, ${`oa-${randomUUID()}@test`}) RETURNING id`;
  const order: OrderRequest = { orderId: randomUUID(), accountId: account!.id, venue: 'binance', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', ...overrides };
  await db.recordOrderReceived({ order, clientOrderId: clientOrderIdFor(order.orderId), workflowId: `order-${order.orderId}` });
  return order;
}

const failureType = async (p: Promise<unknown>) => {
  try {
    await p;
  } catch (err) {
    return err instanceof ApplicationFailure ? err.type : (err as Error).name;
  }
  return 'resolved';
};

describe('submitOrder', () => {
  it('POSTs a Binance order at most once while an earlier POST is in doubt, whoever calls it again', async () => {
    const order = await newOrder();
    const clientOrderId = clientOrderIdFor(order.orderId);
    fake.injectFault({ kind: 'accept-then-500', hiddenForMs: 60_000 });
    const posts = () => fake.requests().filter((r) => r.method === 'POST' && r.path === '/api/v3/order').length;
    const before = posts();
    expect(await failureType(activities.submitOrder({ order, clientOrderId }))).toBe('SubmitOutcomeUnknown');
    // A retried, restarted or older workflow asks again while the order is still invisible.
    expect(await failureType(activities.submitOrder({ order, clientOrderId }))).toBe('SubmitOutcomeUnknown');
    expect(posts() - before).toBe(1);
    expect(fake.orders().filter((o) => o.clientOrderId === clientOrderId)).toHaveLength(1);
    fake.clearFaults();
  });

  it('sends again after a refusal that proves nothing reached the matching engine', async () => {
    const order = await newOrder();
    const clientOrderId = clientOrderIdFor(order.orderId);
    fake.injectFault({ kind: 'timestamp-1021', method: 'POST', path: '/api/v3/order', times: 2 });
    expect(await failureType(activities.submitOrder({ order, clientOrderId }))).toBe('ExchangeUnavailable');
    const placed = await activities.submitOrder({ order, clientOrderId });
    expect(placed.order.status).toBe('FILLED');
    expect(fake.orders().filter((o) => o.clientOrderId === clientOrderId)).toHaveLength(1);
  });
});

describe('submitOrder on the paper venue', () => {
  it('places once: a second call (a retried activity, a restarted order) adopts the first order and places nothing', async () => {
    const order = await newOrder({ venue: 'paper', symbol: 'BTCUSD' });
    const clientOrderId = clientOrderIdFor(order.orderId);
    const first = await activities.submitOrder({ order, clientOrderId });
    expect(first).toMatchObject({ adopted: false, order: { status: 'FILLED', executedQty: '0.01' } });
    const again = await activities.submitOrder({ order, clientOrderId });
    expect(again).toEqual({ ...first, adopted: true });
    const [placed] = await sql<{ orders: number; trades: number; fills: number }[]>`SELECT
      (SELECT count(*)::int FROM paper_orders WHERE client_order_id = ${clientOrderId}) AS orders,
      (SELECT count(*)::int FROM paper_trades WHERE client_order_id = ${clientOrderId}) AS trades,
      (SELECT count(*)::int FROM fills WHERE order_id = ${order.orderId}) AS fills`;
    expect(placed).toEqual({ orders: 1, trades: 1, fills: 1 });
  });
});

describe('the pre-trade checks', () => {
  it('decide once per order: a rerun gets the first verdict even if the market changed', async () => {
    const order = await newOrder({ type: 'LIMIT', price: '1000.005', timeInForce: 'GTC' });
    const first = await activities.validateOrder(order);
    expect(first).toMatchObject({ ok: false, code: '-1013' });
    // The same order id asked again (its workflow task ran again) answers the same.
    const again = await activities.validateOrder({ ...order, price: '1000' });
    expect(again).toEqual(first);
    price = '1';
    const risk = await activities.checkRisk({ ...order, type: 'MARKET', price: undefined });
    price = '60000';
    expect(await activities.checkRisk({ ...order, type: 'MARKET', price: undefined })).toEqual(risk);
  });

  it('judge risk on the price the validation read a moment before, not on a newer one', async () => {
    const order = await newOrder();
    expect(await activities.validateOrder(order)).toEqual({ ok: true });
    // 0.01 BTC at 60,000 fits the 1,000,000 per-order limit; at 200,000,000 it would not.
    price = '200000000';
    try {
      expect(await activities.checkRisk(order)).toEqual({ ok: true });
    } finally {
      price = '60000';
    }
  });
});

describe('recordTransition', () => {
  it('stops the run when its event number already holds another step', async () => {
    const order = await newOrder();
    const base = { orderId: order.orderId, accountId: order.accountId, venue: order.venue, symbol: order.symbol, detail: {}, state: { executedQty: '0', cumulativeQuoteQty: '0' } };
    await db.recordTransition({ ...base, seq: 2, status: 'REJECTED', cause: 'rejected' });
    // The same write again (a retried activity) is fine.
    await db.recordTransition({ ...base, seq: 2, status: 'REJECTED', cause: 'rejected' });
    expect(await failureType(db.recordTransition({ ...base, seq: 2, status: 'PENDING_NEW', cause: 'validated' }))).toBe('OrderEventConflict');
    const [row] = await sql<{ status: string }[]>`SELECT status FROM orders WHERE id = ${order.orderId}`;
    expect(row?.status).toBe('REJECTED');
  });
});

describe('recordOrderReceived', () => {
  it("races the API's insert of the same row without an error on either side", async () => {
    // POST /v1/orders inserts the row right after starting the workflow, and the workflow's first
    // step inserts it too: under load both land together. A conflict on the other unique key
    // (client_order_id) used to escape ON CONFLICT (id) and answer the POST with a 500.
    const [account] = await sql<{ id: string }[]>`INSERT INTO accounts (id, email) VALUES (${randomUUID()}, ${`race-${randomUUID()}@test`}) RETURNING id`;
    const failures: string[] = [];
    const ids: string[] = [];
    for (let batch = 0; batch < 15; batch++) {
      await Promise.all(
        Array.from({ length: 20 }, async () => {
          const order: OrderRequest = { orderId: randomUUID(), accountId: account!.id, venue: 'paper', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' };
          const clientOrderId = clientOrderIdFor(order.orderId);
          const workflowId = `order-${order.orderId}`;
          ids.push(order.orderId);
          const outcomes = await Promise.allSettled([
            insertReceivedOrder(sql, order, clientOrderId, workflowId),
            db.recordOrderReceived({ order, clientOrderId, workflowId }),
          ]);
          for (const o of outcomes) if (o.status === 'rejected') failures.push((o.reason as Error).message);
        }),
      );
    }
    expect(failures).toEqual([]);
    const [rows] = await sql<{ orders: number; events: number }[]>`SELECT
      (SELECT count(*)::int FROM orders WHERE id = ANY(${ids}::uuid[])) AS orders,
      (SELECT count(*)::int FROM order_events WHERE order_id = ANY(${ids}::uuid[]) AND seq = 1) AS events`;
    expect(rows).toEqual({ orders: ids.length, events: ids.length });
  });
});
