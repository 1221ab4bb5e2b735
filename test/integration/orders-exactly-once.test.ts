/**
 * Exactly once under the faults that used to break it: an accepted order that stays invisible for
 * longer than the not-found window, "Duplicate order sent", workflow cancellation and
 * termination, a cancel the venue refuses or never answers. Venue truth comes from the fake.
 */
import { randomUUID } from 'node:crypto';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { ORDER_WORKFLOW_TYPE } from '../../domain/order-search.js';
import { orderSettingsFrom } from '../../lib/order-settings.js';
import { clientOrderIdFor, orderWorkflowId, type OrderRequest } from '../../workflows/definitions.js';
import type { reconcileOrders } from '../../workflows/reconcile-orders.js';
import { rawBinanceClient } from '../fakes/binance/raw-client.js';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { recordHistory } from '../helpers/histories.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'eo-key-0001';
const SECRET = 'eo-secret-never-logged';
const WINDOW_MS = 2000;

let fake: BinanceFake;
let e: TestEngine;
beforeAll(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  e = await startEngine({
    BINANCE_BASE_URL: fake.url, BINANCE_WS_API_URL: fake.wsApiUrl,
    BINANCE_API_KEY: KEY,
    BINANCE_API_SECRET: SECRET,
    BINANCE_TIMEOUT: '1s',
    ORDER_NOT_FOUND_WINDOW: `${WINDOW_MS}ms`,
    ORDER_POLL_MAX_INTERVAL: '2s',
    ORDER_CANCEL_WAIT: '2s',
  });
  await e.setPrice('BTCUSDT', fake.price('BTCUSDT'));
  await e.setPrice('ETHUSDT', fake.price('ETHUSDT'));
});
afterAll(async () => {
  await e.stop();
  await fake.close();
});
beforeEach(() => fake.clearFaults());

const post = (body: Record<string, unknown>) => e.call('POST', '/v1/orders', { venue: 'binance', ...body });
const venueOrders = (clientOrderId: string) => fake.orders().filter((o) => o.clientOrderId === clientOrderId);
const restingBuy = () => (BigInt(Math.round(Number(fake.price('ETHUSDT')))) - 100n).toString();
const submissions = () => fake.requests().filter((r) => r.method === 'POST' && r.path === '/api/v3/order').length;
const statusOf = async (id: string) => (await e.call('GET', `/v1/orders/${id}`)).body;

describe('an accepted order hidden from every query for 3× the not-found window', () => {
  it('a MARKET order shows UNKNOWN, is never sent again, and ends FILLED once the venue shows it', async () => {
    fake.injectFault({ kind: 'accept-then-500', hiddenForMs: 3 * WINDOW_MS });
    const sent = submissions();
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const unknown = await e.waitForStatus(res.body.id, ['UNKNOWN'], 20_000);
    expect(unknown.events.map((ev: { cause: string }) => ev.cause)).toContain('submit outcome unknown');
    const filled = await e.waitForStatus(res.body.id, ['FILLED'], 40_000);
    expect(venueOrders(filled.clientOrderId)).toHaveLength(1);
    expect(submissions() - sent).toBe(1);
    await recordHistory(e.temporal, `order-${res.body.id}`, 'binance-hidden-unknown-filled');
  });

  it('a resting LIMIT order is never REJECTED: it ends NEW, tracked, with one venue order', async () => {
    fake.injectFault({ kind: 'accept-then-500', hiddenForMs: 3 * WINDOW_MS });
    const res = await post({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.2', price: restingBuy(), timeInForce: 'GTC' });
    await e.waitForStatus(res.body.id, ['UNKNOWN'], 20_000);
    const open = await e.waitForStatus(res.body.id, ['NEW', 'REJECTED'], 40_000);
    expect(open.status).toBe('NEW');
    expect(venueOrders(open.clientOrderId)).toHaveLength(1);
    expect((await e.call('DELETE', `/v1/orders/${res.body.id}`)).status).toBe(200);
    expect(venueOrders(open.clientOrderId)[0]!.status).toBe('CANCELED');
  });

  it('a DELETE while UNKNOWN answers 202 and cancels the order as soon as the venue shows it', async () => {
    fake.injectFault({ kind: 'accept-then-500', hiddenForMs: 3 * WINDOW_MS });
    const res = await post({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.2', price: restingBuy(), timeInForce: 'GTC' });
    await e.waitForStatus(res.body.id, ['UNKNOWN'], 20_000);
    const cancel = await e.call('DELETE', `/v1/orders/${res.body.id}`);
    expect(cancel.status).toBe(202);
    expect(cancel.body).toMatchObject({ status: 'UNKNOWN', cancel: 'pending' });
    const final = await e.waitForStatus(res.body.id, ['CANCELED'], 40_000);
    expect(venueOrders(final.clientOrderId).map((o) => o.status)).toEqual(['CANCELED']);
  });
});

describe('ambiguous answers are settled by the venue, never by a second submission', () => {
  it('keeps an order UNKNOWN (not REJECTED) when every answer about it is a 5xx', async () => {
    fake.injectFault({ kind: 'accept-then-500', hiddenForMs: 60_000 });
    const sent = submissions();
    const res = await post({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.1', price: restingBuy(), timeInForce: 'GTC' });
    await e.waitForStatus(res.body.id, ['UNKNOWN'], 20_000);
    // Several windows later it is still UNKNOWN and was sent once.
    await new Promise((r) => setTimeout(r, 3 * WINDOW_MS));
    const still = await statusOf(res.body.id);
    expect(still.status).toBe('UNKNOWN');
    expect(submissions() - sent).toBe(1);
    fake.clearFaults();
    await e.waitForStatus(res.body.id, ['NEW'], 30_000);
    await e.call('DELETE', `/v1/orders/${res.body.id}`);
  });

  it('waits out a rate limit (Retry-After) and places the order once', async () => {
    fake.injectFault({ kind: 'rate-limit-429', method: 'POST', path: '/api/v3/order', retryAfterSeconds: 1, times: 4 });
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const order = await e.waitForStatus(res.body.id, ['FILLED', 'REJECTED'], 30_000);
    expect(order.status).toBe('FILLED');
    expect(venueOrders(order.clientOrderId)).toHaveLength(1);
  });

  it('submits again only once the venue has shown the order nowhere for long past the POST\'s recvWindow', async () => {
    // A 500 before the venue acted: the POST never created an order, but the engine cannot know that yet.
    fake.injectFault({ kind: 'server-500', method: 'POST', path: '/api/v3/order', times: 1 });
    const sent = submissions();
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    await e.waitForStatus(res.body.id, ['UNKNOWN'], 20_000);
    expect(submissions() - sent).toBe(1);
    const filled = await e.waitForStatus(res.body.id, ['FILLED'], 100_000);
    expect(submissions() - sent).toBe(2);
    expect(venueOrders(filled.clientOrderId)).toHaveLength(1);
    expect(filled.events.map((ev: { cause: string }) => ev.cause)).toContain('submission never reached the venue');
  }, 120_000);

  it('gives up with SUBMIT_FAILED only when every attempt was refused before reaching the matching engine', async () => {
    fake.injectFault({ kind: 'timestamp-1021', method: 'POST', path: '/api/v3/order', times: 20 });
    const res = await post({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const order = await e.waitForStatus(res.body.id, ['REJECTED'], 30_000);
    expect(order.rejectCode).toBe('SUBMIT_FAILED');
    expect(order.rejectReason).toMatch(/nothing was placed/);
    expect(venueOrders(order.clientOrderId)).toHaveLength(0);
  });
});

describe('"Duplicate order sent." on submission', () => {
  it('means the order exists: it is adopted (UNKNOWN until the venue shows it), never REJECTED', async () => {
    // An open order already has the client id our order will use, and queries do not show it yet.
    const orderId = randomUUID();
    const clientOrderId = clientOrderIdFor(orderId);
    const price = restingBuy();
    const raw = rawBinanceClient(fake.url, KEY, SECRET);
    const placed = await raw.signed('POST', '/api/v3/order', { symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.1', price, newClientOrderId: clientOrderId });
    expect(placed.status).toBe(200);
    fake.hide(clientOrderId, 3 * WINDOW_MS);
    const order: OrderRequest = { orderId, accountId: e.account.id, venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.1', price, timeInForce: 'GTC' };
    await e.temporal.workflow.start(ORDER_WORKFLOW_TYPE, { workflowId: orderWorkflowId(orderId), taskQueue: e.config.taskQueues.orders, args: [{ order, settings: orderSettingsFrom(e.config) }] });
    const adopted = await e.waitForStatus(orderId, ['NEW', 'REJECTED'], 40_000);
    expect(adopted.status).toBe('NEW');
    expect(adopted.exchangeOrderId).toBe(String(placed.json.orderId));
    expect(adopted.events.map((ev: { detail: { why?: string } }) => ev.detail.why ?? '').join(' ')).toMatch(/already exists/);
    expect(venueOrders(clientOrderId)).toHaveLength(1);
    expect((await e.call('DELETE', `/v1/orders/${orderId}`)).status).toBe(200);
  });
});

describe('cancellation and termination of the order workflow', () => {
  it('cancelling the workflow (UI, CLI) cancels the venue order and records CANCELED', async () => {
    const res = await post({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.2', price: restingBuy(), timeInForce: 'GTC' });
    const open = await e.waitForStatus(res.body.id, ['NEW']);
    const handle = e.temporal.workflow.getHandle(open.workflowId);
    await handle.cancel();
    const final = await e.waitForStatus(res.body.id, ['CANCELED']);
    expect(final.events.map((ev: { cause: string }) => ev.cause)).toContain('workflow cancelled');
    expect(venueOrders(open.clientOrderId).map((o) => o.status)).toEqual(['CANCELED']);
    await waitFor(async () => (await handle.describe()).status.name, (s) => s === 'CANCELLED', { timeoutMs: 10_000, what: 'the workflow to end cancelled' });
    const [reservation] = await e.sql<{ risk_day: Date | null }[]>`SELECT risk_day FROM orders WHERE id = ${res.body.id}`;
    expect(reservation?.risk_day).toBeNull();
    await recordHistory(e.temporal, open.workflowId, 'binance-workflow-cancelled');
  });
});

describe('a cancel under way when the workflow is terminated', () => {
  it('is carried out by the run the reconciler restarts', async () => {
    const res = await post({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.2', price: restingBuy(), timeInForce: 'GTC' });
    const open = await e.waitForStatus(res.body.id, ['NEW']);
    fake.injectFault({ kind: 'server-503', method: 'DELETE', path: '/api/v3/order', times: 1000 });
    expect((await e.call('DELETE', `/v1/orders/${res.body.id}`)).status).toBe(202);
    await e.waitForStatus(res.body.id, ['PENDING_CANCEL']);
    await e.temporal.workflow.getHandle(open.workflowId).terminate('test: tracking lost mid-cancel');
    fake.clearFaults();
    const result = await e.temporal.workflow.execute<typeof reconcileOrders>('reconcileOrders', {
      workflowId: `reconcile-test-${randomUUID()}`,
      taskQueue: e.config.taskQueues.orders,
      args: [{ graceMs: 0, accountIds: [e.account.id] }],
    });
    expect(result.binance.restarted.map((r) => r.orderId)).toContain(res.body.id);
    await e.waitForStatus(res.body.id, ['CANCELED'], 30_000);
    expect(venueOrders(open.clientOrderId).map((o) => o.status)).toEqual(['CANCELED']);
  });
});

describe('DELETE /v1/orders/:id', () => {
  it('answers 202 within ORDER_CANCEL_WAIT when the venue does not answer the cancel', async () => {
    const res = await post({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.2', price: restingBuy(), timeInForce: 'GTC' });
    await e.waitForStatus(res.body.id, ['NEW']);
    fake.injectFault({ kind: 'server-503', method: 'DELETE', path: '/api/v3/order', times: 3 });
    const started = Date.now();
    const cancel = await e.call('DELETE', `/v1/orders/${res.body.id}`);
    expect(Date.now() - started).toBeLessThan(6000);
    expect(cancel.status).toBe(202);
    expect(cancel.body.cancel).toBe('pending');
    await e.waitForStatus(res.body.id, ['CANCELED'], 30_000);
  });

  it('a cancel the venue refuses puts the order back to NEW in the database and answers 409 with why', async () => {
    const res = await post({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.2', price: restingBuy(), timeInForce: 'GTC' });
    const open = await e.waitForStatus(res.body.id, ['NEW']);
    // -2015: the key may not cancel (e.g. its permissions changed): a refusal, not a transient fault.
    fake.injectFault({ kind: 'reject', method: 'DELETE', path: '/api/v3/order', status: 401, code: -2015, msg: 'Invalid API-key, IP, or permissions for action.', times: 100 });
    const cancel = await e.call('DELETE', `/v1/orders/${res.body.id}`);
    expect(cancel.status).toBe(409);
    expect(cancel.body.error.message).toMatch(/did not cancel.*-2015/);
    const back = await e.waitForStatus(res.body.id, ['NEW']);
    expect(back.events.map((ev: { cause: string }) => ev.cause)).toContain('cancel failed');
    fake.clearFaults();
    expect((await e.call('DELETE', `/v1/orders/${res.body.id}`)).status).toBe(200);
  });
});

describe('the key pair that placed an order', () => {
  it('keeps tracking the order when the account stores another pair mid-order', async () => {
    const account = await e.newAccount();
    const price = restingBuy();
    const res = await e.callAs(account, 'POST', '/v1/orders', { venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.1', price, timeInForce: 'GTC' });
    const open = await waitFor(async () => (await e.callAs(account, 'GET', `/v1/orders/${res.body.id}`)).body, (o) => o.status === 'NEW', { timeoutMs: 20_000, what: 'the order to rest' });
    // A pair of another Binance account: it cannot see this order.
    expect((await e.callAs(account, 'PUT', '/v1/exchange-credentials/binance', { apiKey: 'other-account-key-0001', apiSecret: 'other-account-secret-0001' })).status).toBe(204);
    fake.setPrice('ETHUSDT', (BigInt(price) - 1n).toString());
    try {
      const filled = await waitFor(async () => (await e.callAs(account, 'GET', `/v1/orders/${res.body.id}`)).body, (o) => o.status === 'FILLED', { timeoutMs: 30_000, what: 'the order to fill' });
      expect(filled.fills.length).toBeGreaterThan(0);
      expect(venueOrders(open.clientOrderId)).toHaveLength(1);
    } finally {
      fake.setPrice('ETHUSDT', (BigInt(price) + 100n).toString());
    }
  });
});

describe('a stored key pair replaced mid-order', () => {
  it('keeps tracking and cancelling the order with the pair that placed it, and forgets that pair once the order ends', async () => {
    const account = await e.newAccount();
    expect((await e.callAs(account, 'PUT', '/v1/exchange-credentials/binance', { apiKey: KEY, apiSecret: SECRET })).status).toBe(204);
    const res = await e.callAs(account, 'POST', '/v1/orders', { venue: 'binance', symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.1', price: restingBuy(), timeInForce: 'GTC' });
    const read = async () => (await e.callAs(account, 'GET', `/v1/orders/${res.body.id}`)).body;
    const open = await waitFor(read, (o) => o.status === 'NEW', { timeoutMs: 20_000, what: 'the order to rest' });
    // The new pair belongs to another Binance account: it cannot see (or cancel) this order.
    expect((await e.callAs(account, 'PUT', '/v1/exchange-credentials/binance', { apiKey: 'another-account-key-0002', apiSecret: 'another-account-secret-0002' })).status).toBe(204);
    const cancel = await e.callAs(account, 'DELETE', `/v1/orders/${res.body.id}`);
    expect(cancel.status).toBe(200);
    expect(cancel.body.status).toBe('CANCELED');
    expect(venueOrders(open.clientOrderId).map((o) => o.status)).toEqual(['CANCELED']);
    // The replaced pair was kept only for that order: saving again drops it.
    expect((await e.callAs(account, 'PUT', '/v1/exchange-credentials/binance', { apiKey: 'another-account-key-0003', apiSecret: 'another-account-secret-0003' })).status).toBe(204);
    expect(await e.sql`SELECT 1 FROM exchange_credentials_retired WHERE account_id = ${account}`).toHaveLength(0);
  });
});

describe('the daily notional reservation', () => {
  it('is given back when an order ends CANCELED unfilled, and shrinks to what a partly filled one traded', async () => {
    const today = async () =>
      (await e.sql<{ n: string }[]>`SELECT coalesce(sum(notional), 0)::text AS n FROM risk_daily_notional WHERE account_id = ${e.account.id}`)[0]!.n;
    const before = await today();
    const price = restingBuy();
    const res = await post({ symbol: 'ETHUSDT', side: 'BUY', type: 'LIMIT', quantity: '1', price, timeInForce: 'GTC' });
    const open = await e.waitForStatus(res.body.id, ['NEW']);
    fake.fillPartially(open.clientOrderId, '0.25');
    const partial = await e.waitForStatus(res.body.id, ['PARTIALLY_FILLED']);
    expect((await e.call('DELETE', `/v1/orders/${res.body.id}`)).status).toBe(200);
    const after = await today();
    const { Decimal } = await import('decimal.js');
    expect(new Decimal(after).minus(before).toString()).toBe(new Decimal(partial.cumulativeQuoteQty).toString());
  });
});
