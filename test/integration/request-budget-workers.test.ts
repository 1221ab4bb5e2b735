/**
 * Two worker processes against one Binance IP, on real clocks: each has its own postgres.js pool,
 * its own request budget and its own exchange adapter, as two `npm run worker`s would. The fake
 * allows 200 weight per 5 s; the load bursts more than that at a window's start. With the budget
 * in PostgreSQL the venue never answers 429, the cancels go through at once and the polls wait
 * for later windows. The control run gives each worker counts of its own (a per-process budget):
 * the same load then overruns the limit.
 */
import { afterAll, afterEach, describe, expect, it } from 'vitest';
import type { RequestLedger } from '../../domain/request-budget.js';
import { ExchangeRateLimitError } from '../../domain/venue-errors.js';
import type { Exchange, OrderRef } from '../../domain/exchange.js';
import type { Sql } from '../../lib/db.js';
import { createPgRequestLedger } from '../../store/request-budget.js';
import { createBinanceExchange } from '../../venues/binance/exchange.js';
import { createRequestBudget, ipScope, keyScope, type RequestPriority } from '../../venues/binance/request-budget.js';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { testSql } from '../helpers/env.js';

const KEY = 'two-workers-key';
const SECRET = 'two-workers-secret';
const LIMIT = 200;
const WINDOW_MS = 5000;
const ORDERS_PER_WORKER = 8;
/** Each worker alone could send all its polls in one window: 30 × 4 = 120, its poll share of 200. */
const POLLS_PER_WORKER = 30;

const pools: Sql[] = [];
let fake: BinanceFake;

afterEach(async () => {
  await fake.close();
});
afterAll(async () => {
  for (const sql of pools) await sql.end();
});

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

/** One worker's own counts, as a budget per process would keep them: the same table, scopes of its own. */
function privateLedger(ledger: RequestLedger, worker: string): RequestLedger {
  const own = <T extends { scope: string }>(c: T): T => ({ ...c, scope: `${worker}/${c.scope}` });
  return {
    reserve: (c) => ledger.reserve(own(c)),
    release: (c, windowStart) => ledger.release(own(c), windowStart),
    observe: (c, windowStart, used) => ledger.observe(own(c), windowStart, used),
    block: (c, retryAfterMs, status, code) => ledger.block(own(c), retryAfterMs, status, code),
    knownLimits: (scope) => ledger.knownLimits(`${worker}/${scope}`),
  };
}

interface Worker {
  name: string;
  exchange: Exchange;
}

async function startWorkers(shared: boolean): Promise<Worker[]> {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, rateLimits: { requestWeight: { interval: 'SECOND', intervalNum: WINDOW_MS / 1000, limit: LIMIT } } });
  const sqls = [testSql(4), testSql(4)];
  pools.push(...sqls);
  await forget(sqls[0]!);
  return ['alice', 'bob'].map((name, i) => {
    const sql = sqls[i]!;
    const ledger = shared ? createPgRequestLedger(sql) : privateLedger(createPgRequestLedger(sql), name);
    const requestBudget = createRequestBudget({ ledger, baseUrl: fake.url, maxWaitMs: 0 });
    return { name, exchange: createBinanceExchange({ baseUrl: fake.url, apiKey: KEY, apiSecret: SECRET, timeoutMs: 5000, requestBudget }) };
  });
}

interface LoadResult {
  /** Calls the budget held back (not sent), by priority. */
  heldBack: Record<RequestPriority, number>;
  /** Calls the venue refused with 429/418. */
  rateLimited: number;
  canceled: number;
  polled: number;
  /** When the burst started, the last cancel and the last poll ended (epoch ms). */
  burstAt: number;
  cancelsDoneAt: number;
  pollsDoneAt: number;
}

/**
 * Each worker places its resting orders, then, at the start of a window, polls them and cancels
 * them all at once. A call the budget held back is tried again after the wait it named, as the
 * order workflow waits out an ExchangeBusy; with `retry` false it is only counted.
 */
async function runLoad(workers: Worker[], retry: boolean): Promise<LoadResult> {
  const result: LoadResult = { heldBack: { cancel: 0, order: 0, reconcile: 0, poll: 0 }, rateLimited: 0, canceled: 0, polled: 0, burstAt: 0, cancelsDoneAt: 0, pollsDoneAt: 0 };
  async function call<T>(priority: RequestPriority, fn: () => Promise<T>): Promise<T | undefined> {
    for (;;) {
      try {
        return await fn();
      } catch (err) {
        if (!(err instanceof ExchangeRateLimitError)) throw err;
        if (err.sent) {
          result.rateLimited += 1;
          return undefined;
        }
        result.heldBack[priority] += 1;
        if (!retry) return undefined;
        await sleep(err.retryAfterMs);
      }
    }
  }
  const refs = new Map<string, OrderRef[]>();
  await Promise.all(
    workers.map(async (w) => {
      const mine: OrderRef[] = [];
      for (let i = 0; i < ORDERS_PER_WORKER; i += 1) {
        const clientOrderId = `${w.name}-${i}-${fake.url.slice(-5)}`;
        await call('order', () => w.exchange.placeOrder({ clientOrderId, symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.001', price: '59000.00' }));
        mine.push({ symbol: 'BTCUSDT', clientOrderId });
      }
      refs.set(w.name, mine);
    }),
  );
  await sleep(WINDOW_MS - (Date.now() % WINDOW_MS) + 20);
  result.burstAt = Date.now();
  await Promise.all(
    workers.flatMap((w) => {
      const mine = refs.get(w.name)!;
      const polls = Array.from({ length: POLLS_PER_WORKER }, async (_, i) => {
        if (await call('poll', () => w.exchange.getOrder(mine[i % mine.length]!))) result.polled += 1;
        result.pollsDoneAt = Math.max(result.pollsDoneAt, Date.now());
      });
      const cancels = mine.map(async (ref) => {
        if ((await call('cancel', () => w.exchange.cancelOrder(ref)))?.status === 'CANCELED') result.canceled += 1;
        result.cancelsDoneAt = Math.max(result.cancelsDoneAt, Date.now());
      });
      return [...polls, ...cancels];
    }),
  );
  return result;
}

/** Rows an earlier fake on the same port left (shared and per-worker scopes), and the key's. */
async function forget(sql: Sql): Promise<void> {
  const ip = ipScope(fake.url);
  const key = keyScope(KEY);
  await sql`DELETE FROM request_budget WHERE scope IN (${ip}, ${key}) OR scope LIKE ${`%/${ip}`} OR scope LIKE ${`%/${key}`}`;
}

/** Request weight the fake counted from `at` on. */
const weightSince = (at: number) => fake.requests().filter((r) => r.time >= at).reduce((sum, r) => sum + r.weight, 0);

describe('two workers sharing the request budget in PostgreSQL', () => {
  it('never make Binance answer 429 under a load above the limit: cancels go through, polls wait for later windows', async () => {
    const workers = await startWorkers(true);
    const load = await runLoad(workers, true);
    expect(fake.rateLimitedResponses()).toBe(0);
    expect(fake.banViolations()).toEqual([]);
    expect(load.rateLimited).toBe(0);
    // Everything got done, slowed: more weight than one window allows, spread over later ones.
    expect(load.canceled).toBe(2 * ORDERS_PER_WORKER);
    expect(load.polled).toBe(2 * POLLS_PER_WORKER);
    expect(weightSince(load.burstAt)).toBeGreaterThan(LIMIT);
    expect(load.pollsDoneAt - load.burstAt).toBeGreaterThan(WINDOW_MS / 2);
    // Cancels first: none held back, all done within the burst's window; polls held back.
    expect(load.heldBack.cancel).toBe(0);
    expect(load.heldBack.poll).toBeGreaterThan(0);
    expect(load.cancelsDoneAt).toBeLessThan(load.burstAt - (load.burstAt % WINDOW_MS) + WINDOW_MS);
    expect(load.cancelsDoneAt).toBeLessThan(load.pollsDoneAt);
    const [shared] = await pools[0]!<[{ used: number; window_limit: number }]>`
      SELECT used, window_limit FROM request_budget WHERE scope = ${ipScope(fake.url)} AND limiter = 'REQUEST_WEIGHT:5S'`;
    expect(shared).toMatchObject({ window_limit: LIMIT });
  });

  it('(control) overrun the limit with the same load when each keeps its own counts', async () => {
    const workers = await startWorkers(false);
    const load = await runLoad(workers, false);
    expect(fake.rateLimitedResponses()).toBeGreaterThan(0);
    expect(load.rateLimited).toBeGreaterThan(0);
    // And the cancels are among the requests Binance refused.
    expect(load.canceled).toBeLessThan(2 * ORDERS_PER_WORKER);
  });
});
