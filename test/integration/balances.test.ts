/**
 * GET /v1/balances through the real API, PostgreSQL, Temporal workers and the Binance fake over
 * HTTP: paper balances from the paper ledger after real paper orders, Binance's from
 * GET /api/v3/account (read once per 10 s per account, by an accountBalances workflow's activity on
 * the orders worker), and what the caller gets when Binance cannot be reached, rate limits us, or
 * the caller has no key pair.
 */
import type { WorkflowExecutionInfo } from '@temporalio/client';
import { Decimal } from 'decimal.js';
import { afterAll, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { createApp } from '../../api/app.js';
import { withTotals, type AssetBalance } from '../../domain/balances.js';
import { createLogger } from '../../lib/logger.js';
import { createPriceLookup } from '../../store/prices.js';
import { paperVenues } from '../../workers/activities.js';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { rawBinanceClient } from '../fakes/binance/raw-client.js';
import { startEngine, type TestEngine } from '../helpers/engine.js';
import { enforceContract, expectContractKept } from '../helpers/openapi-contract.js';
import { startWorkers, testConfig } from '../helpers/env.js';
import { freePort } from '../helpers/ports.js';
import { waitFor } from '../helpers/wait.js';

const KEY = 'balances-it-key';
const SECRET = 'balances-it-secret';

let fake: BinanceFake;
let e: TestEngine;
beforeAll(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  // No environment pair: an account reads Binance with the pair it stored, or not at all.
  e = await startEngine({ BINANCE_BASE_URL: fake.url, BINANCE_WS_API_URL: fake.wsApiUrl, BINANCE_TIMEOUT: '2s' });
  await enforceContract(e.app);
});
afterAll(async () => {
  await e.stop();
  await fake.close();
});
beforeEach(() => fake.clearFaults());
expectContractKept();

const balancesOf = (accountId: string, query = '') => e.callAs(accountId, 'GET', `/v1/balances${query}`);
const accountReads = () => fake.requests().filter((r) => r.path === '/api/v3/account').length;

/** The accountBalances workflows Temporal lists for an account (ids `balances-<accountId>-<uuid>`). */
async function balanceRuns(accountId: string): Promise<WorkflowExecutionInfo[]> {
  const runs: WorkflowExecutionInfo[] = [];
  for await (const w of e.temporal.workflow.list({ query: `WorkflowType = 'accountBalances' AND TaskQueue = '${e.config.taskQueues.orders}'` })) {
    if (w.workflowId.startsWith(`balances-${accountId}-`)) runs.push(w);
  }
  return runs;
}

/** An account of ours that stored the fake's key pair. */
async function binanceAccount(): Promise<string> {
  const id = await e.newAccount();
  expect((await e.callAs(id, 'PUT', '/v1/exchange-credentials/binance', { apiKey: KEY, apiSecret: SECRET })).status).toBe(204);
  return id;
}

/** Waits for an order of `accountId` (waitForStatus reads as the engine's own account) to reach `status`. */
const statusOf = (accountId: string, orderId: string, status: string) =>
  waitFor(() => e.callAs(accountId, 'GET', `/v1/orders/${orderId}`), (r) => r.body?.status === status, { what: `order ${orderId} to reach ${status}` });

const byAsset = (balances: AssetBalance[]): Record<string, AssetBalance | undefined> => Object.fromEntries(balances.map((b) => [b.asset, b]));

describe('GET /v1/balances?venue=paper', () => {
  it('shows an account that never traded on paper what the paper venue opens it with, and opens nothing', async () => {
    const id = await e.newAccount();
    const res = await balancesOf(id, '?venue=paper');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ venue: 'paper', source: 'paper' });
    expect(Math.abs(Date.parse(res.body.asOf) - Date.now())).toBeLessThan(5_000);
    expect(res.body.balances).toEqual([
      { asset: 'USD', free: '100000', locked: '0', total: '100000' },
      { asset: 'USDT', free: '100000', locked: '0', total: '100000' },
    ]);
    expect(await e.sql`SELECT 1 FROM paper_balances WHERE account_id = ${id}`).toHaveLength(0);
    // What the venue itself gives the account once it opens it.
    const venue = paperVenues(e.config, e.sql, createPriceLookup({ sql: e.sql }))(id);
    expect(withTotals(await venue.getBalances())).toEqual(res.body.balances);
  });

  it('after a paper fill shows the bought asset free, the cash an open order reserves locked, and each total', async () => {
    const id = await e.newAccount();
    await e.setPrice('BTCUSDT', '60000');
    const bought = await e.callAs(id, 'POST', '/v1/orders', { venue: 'paper', symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    await statusOf(id, bought.body.id, 'FILLED');
    const resting = await e.callAs(id, 'POST', '/v1/orders', { venue: 'paper', symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', quantity: '0.01', price: '50000', timeInForce: 'GTC' });
    await statusOf(id, resting.body.id, 'NEW');

    const res = await balancesOf(id, '?venue=paper');
    expect(res.status).toBe(200);
    const rows = await e.sql<{ asset: string; free: string; locked: string }[]>`SELECT asset, free::text, locked::text FROM paper_balances WHERE account_id = ${id}`;
    expect(res.body.balances).toEqual(withTotals(rows));
    const { BTC, USDT } = byAsset(res.body.balances);
    expect(BTC).toMatchObject({ locked: '0' });
    expect(new Decimal(BTC!.free).gt(0)).toBe(true);
    // The resting buy holds at least its 500 USDT; the market buy spent about 600 of the 100 000.
    expect(new Decimal(USDT!.locked).gte(500)).toBe(true);
    expect(new Decimal(USDT!.free).plus(USDT!.locked).toString()).toBe(USDT!.total);
    expect(new Decimal(USDT!.total).lt(100000 - 600)).toBe(true);
  });

  it('goes to paper when no venue is named and the caller has no key pair', async () => {
    const res = await balancesOf(await e.newAccount());
    expect([res.status, res.body.venue, res.body.source]).toEqual([200, 'paper', 'paper']);
  });
});

describe('GET /v1/balances?venue=binance', () => {
  it("reads the account from Binance, with what the venue's fills moved", async () => {
    const id = await binanceAccount();
    await rawBinanceClient(fake.url, KEY, SECRET).signed('POST', '/api/v3/order', { symbol: 'ETHUSDT', side: 'BUY', type: 'MARKET', quantity: '0.1' });
    const before = Date.now();
    const res = await balancesOf(id, '?venue=binance');
    expect(res.status).toBe(200);
    expect(res.body).toMatchObject({ venue: 'binance', source: 'binance' });
    expect(Date.parse(res.body.asOf)).toBeGreaterThanOrEqual(before - 1);
    expect(res.body.balances).toEqual(withTotals(fake.balances()));
    expect(byAsset(res.body.balances).ETH).toMatchObject({ locked: '0' });
  });

  it('answers again from that read for 10 s without asking Binance (binance-cache, with the time of the read)', async () => {
    const id = await binanceAccount();
    const first = await balancesOf(id, '?venue=binance');
    const reads = accountReads();
    const second = await balancesOf(id, '?venue=binance');
    expect(second.status).toBe(200);
    expect(second.body).toEqual({ ...first.body, source: 'binance-cache' });
    expect(accountReads()).toBe(reads);
  });

  it('reads through one accountBalances workflow on the orders queue, and starts none for an answer from the cache', async () => {
    const id = await binanceAccount();
    const first = await balancesOf(id, '?venue=binance');
    expect(first.body.source).toBe('binance');
    const [run, ...more] = await waitFor(() => balanceRuns(id), (runs) => runs.length > 0, { what: `the balance read of ${id} in Temporal` });
    expect(more).toEqual([]);
    expect(run).toMatchObject({ type: 'accountBalances', taskQueue: e.config.taskQueues.orders, status: { name: 'COMPLETED' } });
    const handle = e.temporal.workflow.getHandle(run!.workflowId);
    expect(await handle.result()).toEqual({ balances: first.body.balances, readAt: first.body.asOf });
    expect(await (await handle.describe()).staticSummary()).toMatch(/Binance balances of account/);

    expect((await balancesOf(id, '?venue=binance')).body.source).toBe('binance-cache');
    // Visibility lags a little: once a later account's read shows, one the cached answer had started would too.
    const other = await binanceAccount();
    await balancesOf(other, '?venue=binance');
    await waitFor(() => balanceRuns(other), (runs) => runs.length > 0, { what: `the balance read of ${other} in Temporal` });
    expect(await balanceRuns(id)).toHaveLength(1);
  });

  it('answers 503 venue_unreachable, and no balances, when Binance answers 5xx', async () => {
    const id = await binanceAccount();
    fake.injectFault({ kind: 'server-503', path: '/api/v3/account' });
    const res = await balancesOf(id, '?venue=binance');
    expect(res.status).toBe(503);
    expect(res.body.error).toMatchObject({ code: 'venue_unreachable', details: { venue: 'binance' } });
    expect(res.body.error.message).toBe('Binance could not be read (GET /api/v3/account: HTTP 503); no balances shown, retry later');
  });

  it('answers 503 venue_unreachable when nothing listens at the Binance address of the workers', async () => {
    const user = await e.registerUser();
    expect((await e.callAs(user.id, 'PUT', '/v1/exchange-credentials/binance', { apiKey: KEY, apiSecret: SECRET })).status).toBe(204);
    // The read runs where the key pair is opened: workers (on queues of their own) whose Binance is nowhere.
    const config = testConfig({ BINANCE_BASE_URL: `http://127.0.0.1:${await freePort()}`, BINANCE_TIMEOUT: '2s', BINANCE_USER_STREAM: 'false' });
    const workers = await startWorkers(config, e.sql);
    try {
      const elsewhere = createApp({ config, sql: e.sql, temporal: e.temporal, log: createLogger('balances-test-api', { level: 'error' }), tokens: e.tokens });
      await enforceContract(elsewhere);
      const res = await elsewhere.request('/v1/balances?venue=binance', { headers: { authorization: `Bearer ${user.token}` } });
      expect(res.status).toBe(503);
      expect(((await res.json()) as { error: { code: string; message: string } }).error).toMatchObject({ code: 'venue_unreachable', message: expect.stringMatching(/could not connect \(ECONNREFUSED\)/) });
    } finally {
      await workers.stop();
    }
  });

  it('answers 503 venue_rate_limited with Retry-After on a 429, holds the next read back without sending it, and reads once it has passed', async () => {
    const id = await binanceAccount();
    fake.injectFault({ kind: 'rate-limit-429', path: '/api/v3/account', retryAfterSeconds: 1 });
    const limited = await balancesOf(id, '?venue=binance');
    expect(limited.status).toBe(503);
    expect(limited.headers.get('retry-after')).toBe('1');
    expect(limited.body.error).toMatchObject({ code: 'venue_rate_limited', details: { venue: 'binance', retryAfterSeconds: 1 } });
    const reads = accountReads();
    const held = await balancesOf(await binanceAccount(), '?venue=binance');
    expect([held.status, held.body.error.code]).toEqual([503, 'venue_rate_limited']);
    expect(held.body.error.message).toMatch(/not sent/);
    expect(Number(held.headers.get('retry-after'))).toBeGreaterThanOrEqual(1);
    expect(accountReads()).toBe(reads);
    const after = await waitFor(() => balancesOf(id, '?venue=binance'), (r) => r.status === 200, { timeoutMs: 10_000, what: 'a read after the Retry-After' });
    expect(after.body.source).toBe('binance');
    // REST requests honour the Retry-After. The worker's user data stream reconnects (GET /ws-api/v3)
    // are not held back by the REST budget yet: a known gap, noted on issue 16.
    expect(fake.banViolations().filter((v) => v.path.startsWith('/api/'))).toEqual([]);
  });

  it('answers 422 credentials_rejected when Binance refuses the stored key pair', async () => {
    const id = await e.newAccount();
    await e.callAs(id, 'PUT', '/v1/exchange-credentials/binance', { apiKey: 'not-the-fakes-key', apiSecret: SECRET });
    const res = await balancesOf(id, '?venue=binance');
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'credentials_rejected', details: { venue: 'binance', code: -2015 } });
    expect(res.body.error.message).toMatch(/PUT \/v1\/exchange-credentials\/binance/);
  });

  it('refuses venue=binance with 422 venue_unavailable when the caller has no key pair, asking Binance nothing', async () => {
    const reads = accountReads();
    const res = await balancesOf(await e.newAccount(), '?venue=binance');
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'venue_unavailable', message: expect.stringMatching(/PUT \/v1\/exchange-credentials\/binance/) });
    expect(accountReads()).toBe(reads);
  });
});

describe('GET /v1/balances', () => {
  it('refuses a venue other than paper or binance with 422 invalid_request naming the field', async () => {
    const res = await e.call('GET', '/v1/balances?venue=kraken');
    expect(res.status).toBe(422);
    expect(res.body.error).toMatchObject({ code: 'invalid_request', details: [{ path: 'venue', message: expect.any(String) }] });
  });

  it('needs a token', async () => {
    expect((await e.request('GET', '/v1/balances', { token: null })).status).toBe(401);
  });

  it('is in the OpenAPI document with an example answer and the Retry-After of its 503', async () => {
    const doc = (await e.request('GET', '/openapi.json', { token: null })).body;
    const op = doc.paths['/v1/balances'].get;
    expect(op.responses['200'].content['application/json'].example).toMatchObject({ venue: 'binance', source: 'binance-cache' });
    expect(op.responses['503'].headers['Retry-After']).toBeDefined();
    expect(op.parameters.map((p: { name: string }) => p.name)).toEqual(['venue']);
  });
});
