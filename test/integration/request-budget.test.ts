/**
 * The Binance request budget (venues/binance/request-budget.ts) on its PostgreSQL ledger
 * (store/request-budget.ts), through the exchange adapter and the fake: priorities, windows, the
 * venue's counts, order counts, and a 429/418 that holds back every budget sharing the ledger.
 * "Alice" and "Bob" are two worker processes: each has its own postgres.js pool and its own budget.
 * The fake, the ledger and the budget's waits run on one test clock.
 */
import { createHash } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/activity';
import { afterAll, afterEach, beforeEach, describe, expect, inject, it } from 'vitest';
import { toFailure } from '../../activities/orders/venue-activities.js';
import { ExchangeRateLimitError, ExchangeUnavailableError } from '../../domain/venue-errors.js';
import type { Exchange, OrderRef } from '../../domain/exchange.js';
import { createSql } from '../../lib/db.js';
import { createLogger } from '../../lib/logger.js';
import { createPgRequestLedger } from '../../store/request-budget.js';
import { createBinanceExchange } from '../../venues/binance/exchange.js';
import { createRequestBudget, ipScope, keyScope, withRequestPriority, type RequestBudgetOptions } from '../../venues/binance/request-budget.js';
import { createBinancePriceSource } from '../../venues/market-data/binance.js';
import { createPriceSources } from '../../venues/market-data/sources.js';
import { startBinanceFake, type BinanceFake, type BinanceFakeOptions } from '../fakes/binance/index.js';
import { rawBinanceClient } from '../fakes/binance/raw-client.js';
import { testConfig, testSql } from '../helpers/env.js';
import { failure } from '../helpers/failure.js';

const KEY = 'budget-test-key-0123456789';
const SECRET = 'budget-test-secret-never-stored';
/** Aligned on every window the tests use, so each test starts at the start of one. */
const T0 = Date.UTC(2026, 2, 2, 10);
/** 100 per 10 s: polls stop at 60, reconciliation at 75, orders at 90, cancels at 98. */
const LIMITS: BinanceFakeOptions['rateLimits'] = { requestWeight: { interval: 'SECOND', intervalNum: 10, limit: 100 } };
const WEIGHT = 'REQUEST_WEIGHT:10S';

const aliceSql = testSql(2);
const bobSql = testSql(2);
let clock: { now: number };
let fake: BinanceFake;
const now = () => clock.now;

async function startFake(options: Partial<BinanceFakeOptions> = {}): Promise<void> {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, now, rateLimits: LIMITS, ...options });
  // Ports come back: forget what an earlier test's fake on this one left.
  await aliceSql`DELETE FROM request_budget WHERE scope IN (${ipScope(fake.url)}, ${keyScope(KEY)})`;
}

const budgetOn = (sql = aliceSql, options: Partial<RequestBudgetOptions> = {}) =>
  createRequestBudget({ ledger: createPgRequestLedger(sql, { now }), baseUrl: fake.url, maxWaitMs: 0, now, ...options });
const adapterOf = (requestBudget?: ReturnType<typeof budgetOn>): Exchange =>
  createBinanceExchange({ baseUrl: fake.url, apiKey: KEY, apiSecret: SECRET, timeoutMs: 2000, now, requestBudget });

async function row(limiter: string, scope = ipScope(fake.url)) {
  const [r] = await aliceSql<[{ used: number; window_limit: number; window_start: Date; blocked_until: Date | null }?]>`
    SELECT used, window_limit, window_start, blocked_until FROM request_budget WHERE scope = ${scope} AND limiter = ${limiter}`;
  if (!r) throw new Error(`no budget row ${scope} ${limiter}`);
  return r;
}

/** A resting BUY far below the market: it stays open to be polled and cancelled. */
async function restingOrder(exchange: Exchange, clientOrderId: string): Promise<OrderRef> {
  await exchange.placeOrder({ clientOrderId, symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '59000.00' });
  return { symbol: 'BTCUSDT', clientOrderId };
}

/** Polls until the budget holds one back; returns that refusal. */
async function pollUntilRefused(exchange: Exchange, ref: OrderRef): Promise<unknown> {
  for (let i = 0; i < 50; i += 1) {
    const err = await exchange.getOrder(ref).then(() => undefined, (e: unknown) => e);
    if (err) return err;
  }
  throw new Error('the budget never held a poll back');
}

beforeEach(() => {
  clock = { now: T0 };
});
afterEach(async () => {
  await fake.close();
});
const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

afterAll(async () => {
  await aliceSql.end();
  await bobSql.end();
});

describe('the request budget', () => {
  it('reads the limits from exchangeInfo and counts each request before sending it', async () => {
    await startFake();
    const alice = adapterOf(budgetOn());
    await alice.getBalances();
    // exchangeInfo (20) then the account (20), as the fake counted them.
    expect(await row(WEIGHT)).toMatchObject({ used: 40, window_limit: 100, window_start: new Date(T0) });
    expect(fake.usedWeight()).toBe(40);
  });

  it('holds polls back at their share of the window while a cancel still goes', async () => {
    await startFake();
    const alice = adapterOf(budgetOn());
    const ref = await restingOrder(alice, 'poll-1');
    const refused = await pollUntilRefused(alice, ref);
    expect(refused).toBeInstanceOf(ExchangeRateLimitError);
    expect(refused).toMatchObject({ name: 'RequestBudgetError', sent: false, priority: 'poll', limiter: WEIGHT, retryAfterMs: 10_000 });
    const { used } = await row(WEIGHT);
    expect(used).toBeLessThanOrEqual(60);
    expect(used + 4).toBeGreaterThan(60);
    const sent = fake.requests().length;
    expect((await alice.cancelOrder(ref)).status).toBe('CANCELED');
    expect(fake.requests()).toHaveLength(sent + 1);
    expect(fake.rateLimitedResponses()).toBe(0);
  });

  it('lets a caller raise a call above its method\'s priority', async () => {
    await startFake();
    const alice = adapterOf(budgetOn());
    const ref = await restingOrder(alice, 'raised-1');
    await pollUntilRefused(alice, ref);
    // The lookup before a submission is part of the submission.
    expect(await withRequestPriority('order', () => alice.getOrder(ref))).toMatchObject({ clientOrderId: 'raised-1' });
  });

  it('gives polls room again once the window turns', async () => {
    await startFake();
    const alice = adapterOf(budgetOn());
    const ref = await restingOrder(alice, 'turn-1');
    await pollUntilRefused(alice, ref);
    clock.now += 10_000;
    expect(await alice.getOrder(ref)).toMatchObject({ status: 'NEW' });
    expect(await row(WEIGHT)).toMatchObject({ used: 4, window_start: new Date(T0 + 10_000) });
  });

  it('waits for the next window when it is within the wait allowed, instead of failing', async () => {
    await startFake();
    const slept: number[] = [];
    const alice = adapterOf(budgetOn(aliceSql, { maxWaitMs: 10_000, sleep: async (ms) => void (slept.push(ms), (clock.now += ms)) }));
    const ref = await restingOrder(alice, 'wait-1');
    for (let i = 0; i < 12; i += 1) await alice.getOrder(ref);
    expect(slept).toEqual([10_005]);
    expect(fake.rateLimitedResponses()).toBe(0);
  });

  it('raises its count to the venue\'s, which also counts requests it did not budget', async () => {
    await startFake();
    const alice = adapterOf(budgetOn());
    const ref = await restingOrder(alice, 'feed-1');
    const before = (await row(WEIGHT)).used;
    // Another client on the same IP: 40 weight the budget never saw.
    const raw = rawBinanceClient(fake.url, KEY, SECRET, now);
    await raw.call('GET', '/api/v3/exchangeInfo');
    await raw.call('GET', '/api/v3/exchangeInfo');
    await alice.getOrder(ref);
    expect(await row(WEIGHT)).toMatchObject({ used: before + 40 + 4 });
    expect(fake.usedWeight()).toBe(before + 40 + 4);
  });

  it('reserves a new order from the key\'s ORDERS window and sends none past it', async () => {
    await startFake({ rateLimits: { ...LIMITS, orders: [{ interval: 'SECOND', intervalNum: 10, limit: 2 }] } });
    const alice = adapterOf(budgetOn());
    await restingOrder(alice, 'count-1');
    await restingOrder(alice, 'count-2');
    const weight = (await row(WEIGHT)).used;
    const err = await failure(restingOrder(alice, 'count-3'));
    expect(err).toMatchObject({ name: 'RequestBudgetError', sent: false, limiter: 'ORDERS:10S', priority: 'order' });
    expect(fake.orders()).toHaveLength(2);
    expect(await row('ORDERS:10S', keyScope(KEY))).toMatchObject({ used: 2, window_limit: 2 });
    expect((await row(WEIGHT)).used).toBe(weight);
  });

  it('gives the order count back when the weight refuses the order', async () => {
    await startFake();
    const alice = adapterOf(budgetOn());
    const ref = await restingOrder(alice, 'back-1');
    // Cancels may fill the window past the 90 % where orders stop.
    while ((await row(WEIGHT)).used < 90) await withRequestPriority('cancel', () => alice.getOrder(ref));
    expect(await failure(restingOrder(alice, 'back-2'))).toMatchObject({ name: 'RequestBudgetError', limiter: WEIGHT });
    expect(await row('ORDERS:10S', keyScope(KEY))).toMatchObject({ used: 1 });
  });

  it('holds the market data back with the polls, from the budget the price sources hand the adapters', async () => {
    await startFake();
    const marketData = createPriceSources(testConfig({ BINANCE_BASE_URL: fake.url, BINANCE_BUDGET_MAX_WAIT: '0s' }), { requestLedger: createPgRequestLedger(aliceSql, { now }) });
    const alice = adapterOf(marketData.requestBudget);
    await pollUntilRefused(alice, await restingOrder(alice, 'market-1'));
    // What the polls left of their share (less than a poll's 4) may still take one ticker/24hr (2); then nothing.
    let settled = await marketData.fetchLatestSettled(['BTCUSDT']);
    if (settled.failures.length === 0) settled = await marketData.fetchLatestSettled(['BTCUSDT']);
    const { quotes, failures } = settled;
    expect(quotes).toEqual([]);
    expect(failures[0]?.error).toMatchObject({ name: 'ProviderRateLimitedError', cause: { name: 'RequestBudgetError', priority: 'poll' } });
    expect(fake.requests().filter((r) => r.path.startsWith('/api/v3/ticker/')).length).toBeLessThanOrEqual(1);
    expect((await row(WEIGHT)).used).toBeLessThanOrEqual(60);
  });

  it('fails without sending when the ledger cannot be reached', async () => {
    await startFake();
    const closed = createSql(inject('databaseUrl'), { connectTimeout: 1 });
    await closed.end();
    const alice = adapterOf(createRequestBudget({ ledger: createPgRequestLedger(closed), baseUrl: fake.url, rateLimits: [{ type: 'REQUEST_WEIGHT', limiter: WEIGHT, windowMs: 10_000, limit: 100 }] }));
    expect(await failure(alice.getBalances())).toBeInstanceOf(ExchangeUnavailableError);
    expect(fake.requests()).toHaveLength(0);
  });

  it('spends Binance\'s documented limits when exchangeInfo cannot be read', async () => {
    await startFake();
    fake.injectFault({ kind: 'server-500', path: '/api/v3/exchangeInfo' });
    await adapterOf(budgetOn()).getBalances();
    expect(await row('REQUEST_WEIGHT:1M')).toMatchObject({ used: 40, window_limit: 6000 });
  });

  it('keeps no API key or secret in its rows or its log', async () => {
    await startFake();
    const lines: string[] = [];
    const log = createLogger('binance-budget', { level: 'debug', format: 'text', write: (l) => lines.push(l) });
    const alice = adapterOf(budgetOn(aliceSql, { log }));
    await alice.cancelOrder(await restingOrder(alice, 'secret-1'));
    const rows = await aliceSql`SELECT * FROM request_budget WHERE scope IN (${ipScope(fake.url)}, ${keyScope(KEY)})`;
    expect(rows.map((r) => r.scope)).toContain(`key:${createHash('sha256').update(KEY).digest('hex').slice(0, 16)}`);
    const stored = JSON.stringify(rows);
    const logged = lines.join('\n');
    for (const secret of [KEY, SECRET]) {
      expect(stored).not.toContain(secret);
      expect(logged).not.toContain(secret);
    }
    expect(logged).toMatch(/binance budget: reserved .*"priority":"cancel".*"limiter":"REQUEST_WEIGHT:10S".*"used":\d+,"cap":98,"limit":100/);
  });
});

describe('a 429 or 418 heard by one worker', () => {
  /** Alice's balance request hears 429 with Retry-After 2. */
  async function aliceHears429(alice: Exchange): Promise<void> {
    fake.injectFault({ kind: 'rate-limit-429', path: '/api/v3/account', retryAfterSeconds: 2 });
    expect(await failure(alice.getBalances())).toMatchObject({ name: 'ExchangeRateLimitError', httpStatus: 429, retryAfterMs: 2000, sent: true });
  }

  it('holds back the other worker\'s call on another endpoint, without sending it', async () => {
    await startFake();
    await aliceHears429(adapterOf(budgetOn(aliceSql)));
    const sent = fake.requests().length;
    clock.now += 500;
    const err = await failure(adapterOf(budgetOn(bobSql)).getOpenOrders('BTCUSDT'));
    expect(err).toBeInstanceOf(ExchangeRateLimitError);
    expect(err).toMatchObject({ retryAfterMs: 1500, httpStatus: 429, code: -1003, sent: false });
    expect(fake.requests()).toHaveLength(sent);
  });

  it('lets the other worker through once the Retry-After has passed', async () => {
    await startFake();
    await aliceHears429(adapterOf(budgetOn(aliceSql)));
    clock.now += 2000;
    expect(await adapterOf(budgetOn(bobSql)).getOpenOrders('BTCUSDT')).toEqual([]);
    expect(fake.banViolations()).toEqual([]);
  });

  it('holds back the other worker\'s price source', async () => {
    await startFake();
    await aliceHears429(adapterOf(budgetOn(aliceSql)));
    const prices = createBinancePriceSource({ baseUrl: fake.url, requestBudget: budgetOn(bobSql) });
    expect(await failure(prices.latest(['BTCUSDT']))).toMatchObject({ name: 'ExchangeRateLimitError', sent: false });
    expect(fake.requests().filter((r) => r.path.startsWith('/api/v3/ticker/'))).toHaveLength(0);
  });

  it('waits out a 418 IP ban for its Retry-After, which a shorter 429 after it does not shorten', async () => {
    await startFake();
    const alice = adapterOf(budgetOn(aliceSql));
    await alice.getBalances();
    fake.injectFault({ kind: 'ip-ban-418', retryAfterSeconds: 180 });
    expect(await failure(alice.getBalances())).toMatchObject({ httpStatus: 418, sent: true });
    await createPgRequestLedger(aliceSql, { now }).block({ scope: ipScope(fake.url), limiter: WEIGHT, windowMs: 10_000, limit: 100 }, 1000, 429, -1003);
    expect(await failure(adapterOf(budgetOn(bobSql)).getBalances())).toMatchObject({ httpStatus: 418, retryAfterMs: 180_000, sent: false });
    expect(await row(WEIGHT)).toMatchObject({ blocked_until: new Date(T0 + 180_000) });
  });

  it('keeps an escalating Binance from banning the IP: nothing is sent inside the Retry-After', async () => {
    await startFake({ rateLimits: { requestWeight: { interval: 'SECOND', intervalNum: 10, limit: 1000 } } });
    const alice = adapterOf(budgetOn(aliceSql));
    const bob = adapterOf(budgetOn(bobSql));
    const prices = createBinancePriceSource({ baseUrl: fake.url, requestBudget: budgetOn(bobSql) });
    await alice.getBalances();
    await bob.getBalances();
    const from = fake.requests().length;
    fake.injectFault({ kind: 'rate-limit-escalation', path: '/api/v3/openOrders', retryAfterSeconds: 1 });
    await failure(alice.getOpenOrders('BTCUSDT'));
    await failure(bob.getBalances());
    await failure(prices.latest(['BTCUSDT']));
    clock.now += 1000;
    expect(await prices.latest(['BTCUSDT'])).toHaveLength(1);
    expect(fake.requests().slice(from).map((r) => r.status)).toEqual([429, 200]);
    expect(fake.banViolations()).toEqual([]);
  });

  it('is what stands between a second request and a ban: without a budget the next request hears 418', async () => {
    await startFake();
    fake.injectFault({ kind: 'rate-limit-escalation', path: '/api/v3/openOrders', retryAfterSeconds: 1 });
    const unbudgeted = adapterOf();
    await failure(unbudgeted.getOpenOrders('BTCUSDT'));
    clock.now += 500;
    expect(await failure(unbudgeted.getBalances())).toMatchObject({ httpStatus: 418, retryAfterMs: 3000 });
    expect(fake.banViolations()).toMatchObject([{ path: '/api/v3/account', window: 429 }]);
  });

  it('holds back only that key\'s new orders after a -1015, not its polls', async () => {
    await startFake({ rateLimits: { ...LIMITS, orders: [{ interval: 'SECOND', intervalNum: 10, limit: 2 }] } });
    const alice = adapterOf(budgetOn(aliceSql));
    const bob = adapterOf(budgetOn(bobSql, { rateLimits: [{ type: 'REQUEST_WEIGHT', limiter: WEIGHT, windowMs: 10_000, limit: 100 }] }));
    const ref = await restingOrder(alice, 'key-1');
    await bob.getOrder(ref);
    // An order placed by another client with the same key, after Alice last heard the venue's count.
    await rawBinanceClient(fake.url, KEY, SECRET, now).signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '59000.00' });
    expect(await failure(restingOrder(alice, 'key-2'))).toMatchObject({ httpStatus: 429, code: -1015, sent: true });
    expect(await failure(adapterOf(budgetOn(bobSql)).placeOrder({ clientOrderId: 'key-3', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '59000.00' }))).toMatchObject({
      httpStatus: 429,
      code: -1015,
      sent: false,
    });
    // Bob was listening all along: the notice of a key's back-off does not stop his polls.
    await sleep(200);
    expect(await bob.getOrder(ref)).toMatchObject({ clientOrderId: 'key-1' });
  });

  it('tells the other worker at once while every connection of its own pool is busy', async () => {
    await startFake();
    const scope = ipScope(fake.url);
    const claim = { scope, limiter: WEIGHT, windowMs: 10_000, limit: 100 };
    let heard!: (at: number) => void;
    const heardAt = new Promise<number>((resolve) => (heard = resolve));
    await createPgRequestLedger(bobSql, { now }).onBlock?.((n) => {
      if (n.scope === scope) heard(Date.now());
    });
    // Alice's two connections are held for 2 s (a full recalculation, a slow report); her 429 comes now.
    const busy = Promise.all([aliceSql`SELECT pg_sleep(2)`, aliceSql`SELECT pg_sleep(2)`]);
    await sleep(200);
    const aliceBlockSql = testSql(1);
    try {
      // Connected first: the limit below is the notice's. (A process logs in on its first 429, a few ms.)
      await aliceBlockSql`SELECT 1`;
      const blockedAt = Date.now();
      await createPgRequestLedger(aliceSql, { now, blockSql: aliceBlockSql }).block(claim, 1000, 429, -1003);
      const unheard = sleep(3000).then(() => Infinity);
      expect((await Promise.race([heardAt, unheard])) - blockedAt).toBeLessThan(1000);
    } finally {
      await busy;
      await aliceBlockSql.end();
    }
    expect(await row(WEIGHT)).toMatchObject({ blocked_until: new Date(T0 + 1000) });
  });

  it('stops a request the other worker reserved just before the 429, without sending it', async () => {
    await startFake();
    const alice = adapterOf(budgetOn(aliceSql));
    await alice.getBalances();
    // Bob's reservation is granted, then his process stalls before sending (a busy event loop).
    const ledger = createPgRequestLedger(bobSql, { now });
    let granted!: () => void;
    let resume!: () => void;
    const reserved = new Promise<void>((resolve) => (granted = resolve));
    const stalled = new Promise<void>((resolve) => (resume = resolve));
    const bobBudget = createRequestBudget({
      ledger: { ...ledger, reserve: async (c) => { const state = await ledger.reserve(c); granted(); await stalled; return state; } },
      baseUrl: fake.url,
      maxWaitMs: 0,
      now,
      rateLimits: [{ type: 'REQUEST_WEIGHT', limiter: WEIGHT, windowMs: 10_000, limit: 100 }],
    });
    const bobCall = failure(adapterOf(bobBudget).getOpenOrders('BTCUSDT'));
    await reserved;
    await aliceHears429(alice);
    const holdsBack = () => {
      try {
        bobBudget.assertOpen();
        return false;
      } catch {
        return true;
      }
    };
    for (const heardAt = Date.now(); !holdsBack() && Date.now() - heardAt < 2000; ) await sleep(10);
    resume();
    expect(await bobCall).toMatchObject({ name: 'ExchangeRateLimitError', httpStatus: 429, sent: false });
    expect(fake.requests().filter((r) => r.path === '/api/v3/openOrders')).toHaveLength(0);
  });
});

describe('the activity failure of a held-back call', () => {
  it('carries the wait left as nextRetryDelay', async () => {
    await startFake();
    fake.injectFault({ kind: 'rate-limit-429', path: '/api/v3/account', retryAfterSeconds: 2 });
    await failure(adapterOf(budgetOn(aliceSql)).getBalances());
    clock.now += 500;
    const err = await failure(adapterOf(budgetOn(bobSql)).getBalances());
    let mapped: unknown;
    try {
      toFailure(err);
    } catch (e) {
      mapped = e;
    }
    expect(mapped).toBeInstanceOf(ApplicationFailure);
    expect(mapped).toMatchObject({ type: 'ExchangeBusy', nextRetryDelay: 1500, details: [{ retryAfterMs: 1500 }] });
  });
});
