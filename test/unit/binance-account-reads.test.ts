/**
 * Binance balance reads against the fake over HTTP: one GET /api/v3/account per account per
 * 10 s (callers in between share the answer or the read under way), a new key pair reads afresh,
 * a failure is never cached nor papered over with an older answer, and the read spends weight 20
 * at poll priority from the request budget.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import type { BudgetClaim, BudgetState, RequestLedger } from '../../domain/request-budget.js';
import { ExchangeRateLimitError, ExchangeUnavailableError, ExchangeUnknownOutcomeError } from '../../domain/venue-errors.js';
import { createBinanceAccountReads, type BinanceAccountReads } from '../../venues/binance/account-reads.js';
import { createRequestBudget, DEFAULT_RATE_LIMITS, PRIORITY_SHARES } from '../../venues/binance/request-budget.js';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { rawBinanceClient } from '../fakes/binance/raw-client.js';
import { failure } from '../helpers/failure.js';
import { freePort } from '../helpers/ports.js';

const KEY = 'reads-key';
const SECRET = 'reads-secret';
const credentials = () => ({ apiKey: KEY, apiSecret: SECRET });
const alice = { accountId: 'alice', credentialsVersion: 'v1' };

let fake: BinanceFake;
let clock: number;
let reads: BinanceAccountReads;

beforeEach(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  clock = Date.now();
  reads = createBinanceAccountReads({ baseUrl: fake.url, timeoutMs: 2000, now: () => clock });
});
afterEach(async () => {
  await fake.close();
});

const accountCalls = () => fake.requests().filter((r) => r.path === '/api/v3/account').length;

describe('balances', () => {
  it('reads the non-zero balances once, and answers from that read for 10 s', async () => {
    const first = await reads.balances(alice, credentials);
    expect(first).toEqual({ balances: fake.balances(), readAt: new Date(clock), cached: false });
    clock += 9_999;
    let opened = 0;
    const again = await reads.balances(alice, () => (opened++, credentials()));
    expect(again).toEqual({ ...first, cached: true });
    expect(opened).toBe(0);
    expect(accountCalls()).toBe(1);
  });

  it('reads again once 10 s have passed, and shows what the fake filled since', async () => {
    const before = await reads.balances(alice, credentials);
    await rawBinanceClient(fake.url, KEY, SECRET).signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    clock += 10_000;
    const later = await reads.balances(alice, credentials);
    expect(later).toEqual({ balances: fake.balances(), readAt: new Date(clock), cached: false });
    expect(later.balances).not.toEqual(before.balances);
    expect(accountCalls()).toBe(2);
  });

  it('lets callers that ask while a read is under way share it', async () => {
    const answers = await Promise.all([reads.balances(alice, credentials), reads.balances(alice, credentials), reads.balances(alice, credentials)]);
    expect(answers.map((a) => a.cached)).toEqual([false, false, false]);
    expect(accountCalls()).toBe(1);
  });

  it('reads afresh for another account, and for a new key pair of the same one', async () => {
    await reads.balances(alice, credentials);
    await reads.balances({ accountId: 'bob', credentialsVersion: 'v1' }, credentials);
    const rotated = await reads.balances({ ...alice, credentialsVersion: 'v2' }, credentials);
    expect(rotated.cached).toBe(false);
    expect(accountCalls()).toBe(3);
  });

  it('throws a failed read instead of answering with the older one, and caches no failure', async () => {
    await reads.balances(alice, credentials);
    clock += 10_000;
    fake.injectFault({ kind: 'server-503', path: '/api/v3/account' });
    expect(await failure(reads.balances(alice, credentials))).toBeInstanceOf(ExchangeUnknownOutcomeError);
    expect(await reads.balances(alice, credentials)).toMatchObject({ cached: false, readAt: new Date(clock) });
  });

  it('throws ExchangeRateLimitError with the Retry-After of a 429', async () => {
    fake.injectFault({ kind: 'rate-limit-429', path: '/api/v3/account', retryAfterSeconds: 3 });
    expect(await failure(reads.balances(alice, credentials))).toMatchObject({ name: 'ExchangeRateLimitError', retryAfterMs: 3000, httpStatus: 429 });
  });

  it('throws ExchangeUnavailableError when nothing listens', async () => {
    const nowhere = createBinanceAccountReads({ baseUrl: `http://127.0.0.1:${await freePort()}`, timeoutMs: 2000 });
    expect(await failure(nowhere.balances(alice, credentials))).toBeInstanceOf(ExchangeUnavailableError);
  });
});

describe('the request budget', () => {
  /** A ledger that grants everything and records the claims. */
  function recordingLedger(claims: BudgetClaim[]): RequestLedger {
    const state = (granted: boolean): BudgetState => ({ granted, used: 0, windowStart: 0, now: Date.now(), blockedUntil: 0, blockedStatus: undefined, blockedCode: undefined });
    return {
      reserve: async (claim) => (claims.push(claim), state(true)),
      release: async () => {},
      observe: async () => {},
      block: async () => {},
      knownLimits: async () => [],
    };
  }

  it('spends weight 20 at poll priority, which gives way first when the weight runs short', async () => {
    const claims: BudgetClaim[] = [];
    const requestBudget = createRequestBudget({ ledger: recordingLedger(claims), baseUrl: fake.url, rateLimits: DEFAULT_RATE_LIMITS });
    await createBinanceAccountReads({ baseUrl: fake.url, requestBudget }).balances(alice, credentials);
    const weight = DEFAULT_RATE_LIMITS.find((l) => l.type === 'REQUEST_WEIGHT')!;
    expect(claims).toEqual([expect.objectContaining({ limiter: weight.limiter, cost: 20, cap: Math.floor(weight.limit * PRIORITY_SHARES.poll) })]);
  });

  it('sends nothing while a 429 it heard still holds', async () => {
    const requestBudget = createRequestBudget({ ledger: recordingLedger([]), baseUrl: fake.url, rateLimits: DEFAULT_RATE_LIMITS });
    const budgeted = createBinanceAccountReads({ baseUrl: fake.url, requestBudget });
    fake.injectFault({ kind: 'rate-limit-429', path: '/api/v3/account', retryAfterSeconds: 30 });
    await failure(budgeted.balances(alice, credentials));
    const held = await failure(budgeted.balances({ accountId: 'bob', credentialsVersion: 'v1' }, credentials));
    expect(held).toBeInstanceOf(ExchangeRateLimitError);
    expect(held).toMatchObject({ sent: false });
    expect(accountCalls()).toBe(1);
  });
});
