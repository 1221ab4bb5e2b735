/**
 * Binance balance reads. The `readBinanceBalances` activity, wired as the worker wires it (the
 * account's venue from createAccountBinance, the real adapter) to the fake over HTTP, with the
 * repository stubbed: balances and the read time out, never a key; each failure a typed,
 * non-retryable ApplicationFailure; weight 20 at poll priority from the request budget. And the
 * API's 10 s cache of those reads: one read per account per 10 s, shared while under way, never a
 * failure kept nor an older answer served in its place.
 */
import { randomBytes } from 'node:crypto';
import { ApplicationFailure } from '@temporalio/common';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createAccountBalanceActivities } from '../../activities/account-balances.js';
import { createAccountBinance } from '../../activities/account-venues.js';
import { createBalanceCache } from '../../api/balance-cache.js';
import { withTotals, type AccountBalancesRead } from '../../domain/balances.js';
import type { BudgetClaim, BudgetState, RequestLedger } from '../../domain/request-budget.js';
import type { Sql } from '../../lib/db.js';
import { createSecretBox, type SecretBox } from '../../lib/security/secret-box.js';
import type { VersionedCredentialsRow } from '../../store/exchange-credentials.js';
import { sealCredentials } from '../../store/sealed-credentials.js';
import { createBinanceExchange } from '../../venues/binance/exchange.js';
import { createRequestBudget, DEFAULT_RATE_LIMITS, PRIORITY_SHARES, type RequestBudget } from '../../venues/binance/request-budget.js';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { rawBinanceClient } from '../fakes/binance/raw-client.js';
import { failure } from '../helpers/failure.js';
import { freePort } from '../helpers/ports.js';

const KEY = 'reads-key';
const SECRET = 'reads-secret';
const box = createSecretBox({ keys: { k1: randomBytes(32) }, currentKeyId: 'k1' });
const stored = (pair = { apiKey: KEY, apiSecret: SECRET }, sealer: SecretBox = box): VersionedCredentialsRow => ({ ...sealCredentials(sealer, 'alice', 'binance', pair), version: 'v1' });

let fake: BinanceFake;
let clock: number;
beforeEach(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  clock = Date.now();
});
afterEach(async () => {
  await fake.close();
});

const accountCalls = () => fake.requests().filter((r) => r.path === '/api/v3/account').length;

interface Wiring {
  /** What the repository answers for the account: its stored pair, or none. */
  row?: VersionedCredentialsRow | undefined;
  /** The worker's CREDENTIALS_KEYS. */
  box?: SecretBox | undefined;
  /** The environment's pair, for accounts that stored none. */
  environment?: boolean;
  baseUrl?: string;
  requestBudget?: RequestBudget;
}

/** The activity as workers/activities.ts builds it, against the fake. */
function readBalances(o: Wiring = {}) {
  const row = 'row' in o ? o.row : stored();
  const { environment = false, requestBudget } = o;
  const sql = (async () => (row ? [row] : [])) as unknown as Sql;
  const create = (c: { apiKey: string; apiSecret: string }) => createBinanceExchange({ baseUrl: o.baseUrl ?? fake.url, ...c, timeoutMs: 2000, requestBudget });
  const binanceFor = createAccountBinance({ sql, box: 'box' in o ? o.box : box, create, fallback: environment ? create({ apiKey: KEY, apiSecret: SECRET }) : undefined });
  const { readBinanceBalances } = createAccountBalanceActivities({ binanceFor, now: () => clock });
  return () => readBinanceBalances({ accountId: 'alice' });
}

/** The failure's type, details and retryability, as the API receives them. */
async function failureOf(read: Promise<unknown>) {
  const err = await failure(read);
  expect(err).toBeInstanceOf(ApplicationFailure);
  const { type, nonRetryable, details, message } = err as ApplicationFailure;
  return { type, nonRetryable, details: details?.[0], message };
}

describe('the readBinanceBalances activity', () => {
  it('returns the non-zero balances with their totals and when the read began, and no part of the key pair', async () => {
    await rawBinanceClient(fake.url, KEY, SECRET).signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01' });
    const read = await readBalances()();
    expect(read).toEqual({ balances: withTotals(fake.balances()), readAt: new Date(clock).toISOString() });
    expect(JSON.stringify(read)).not.toMatch(new RegExp(`${KEY}|${SECRET}`));
    expect(accountCalls()).toBe(1);
  });

  it("reads with the environment's pair when the account stored none", async () => {
    expect((await readBalances({ row: undefined, environment: true })()).balances).toEqual(withTotals(fake.balances()));
  });

  it('fails VenueUnavailable, asking Binance nothing, when the account has no key pair', async () => {
    expect(await failureOf(readBalances({ row: undefined })())).toMatchObject({ type: 'VenueUnavailable', nonRetryable: true, details: { reason: expect.stringMatching(/PUT \/v1\/exchange-credentials\/binance/) } });
    expect(accountCalls()).toBe(0);
  });

  it('fails CredentialsUnavailable when the worker has no CREDENTIALS_KEYS, or they do not open the stored pair', async () => {
    expect(await failureOf(readBalances({ box: undefined })())).toMatchObject({ type: 'CredentialsUnavailable', nonRetryable: true, details: { reason: expect.stringMatching(/CREDENTIALS_KEYS/) } });
    const otherKeys = createSecretBox({ keys: { k1: randomBytes(32) }, currentKeyId: 'k1' });
    expect(await failureOf(readBalances({ row: stored(undefined, otherKeys) })())).toMatchObject({ type: 'CredentialsUnavailable', nonRetryable: true });
    expect(accountCalls()).toBe(0);
  });

  it("fails CredentialsRejected with Binance's code when it refuses the key pair", async () => {
    const refused = await failureOf(readBalances({ row: stored({ apiKey: 'not-the-fakes-key', apiSecret: SECRET }) })());
    expect(refused).toMatchObject({ type: 'CredentialsRejected', nonRetryable: true, details: { code: -2015 } });
    expect(JSON.stringify(refused)).not.toMatch(/not-the-fakes-key|reads-secret/);
  });

  it('fails VenueRejected when Binance refuses the read for another reason', async () => {
    fake.injectFault({ kind: 'reject', path: '/api/v3/account', code: -1000, msg: 'An unknown error occurred while processing the request.' });
    expect(await failureOf(readBalances()())).toMatchObject({ type: 'VenueRejected', nonRetryable: true, details: { code: -1000, reason: 'An unknown error occurred while processing the request.' } });
  });

  it('fails VenueUnreachable on a 5xx, naming the method and path and nothing of the signed query', async () => {
    fake.injectFault({ kind: 'server-503', path: '/api/v3/account' });
    const unreachable = await failureOf(readBalances()());
    expect(unreachable).toMatchObject({ type: 'VenueUnreachable', nonRetryable: true, details: { reason: 'GET /api/v3/account: HTTP 503' } });
    expect(unreachable.message).not.toMatch(/signature|timestamp/);
  });

  it('fails VenueUnreachable when nothing listens', async () => {
    expect(await failureOf(readBalances({ baseUrl: `http://127.0.0.1:${await freePort()}` })())).toMatchObject({ type: 'VenueUnreachable', nonRetryable: true, details: { reason: expect.stringMatching(/ECONNREFUSED/) } });
  });

  it('fails VenueRateLimited with the Retry-After of a 429', async () => {
    fake.injectFault({ kind: 'rate-limit-429', path: '/api/v3/account', retryAfterSeconds: 3 });
    expect(await failureOf(readBalances()())).toMatchObject({ type: 'VenueRateLimited', nonRetryable: true, details: { retryAfterSeconds: 3, sent: true, httpStatus: 429 } });
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
    await readBalances({ requestBudget: createRequestBudget({ ledger: recordingLedger(claims), baseUrl: fake.url, rateLimits: DEFAULT_RATE_LIMITS }) })();
    const weight = DEFAULT_RATE_LIMITS.find((l) => l.type === 'REQUEST_WEIGHT')!;
    expect(claims).toEqual([expect.objectContaining({ limiter: weight.limiter, cost: 20, cap: Math.floor(weight.limit * PRIORITY_SHARES.poll) })]);
  });

  it('sends nothing while a 429 it heard still holds, and says so', async () => {
    const requestBudget = createRequestBudget({ ledger: recordingLedger([]), baseUrl: fake.url, rateLimits: DEFAULT_RATE_LIMITS });
    fake.injectFault({ kind: 'rate-limit-429', path: '/api/v3/account', retryAfterSeconds: 30 });
    await failure(readBalances({ requestBudget })());
    expect(await failureOf(readBalances({ requestBudget })())).toMatchObject({ type: 'VenueRateLimited', details: { sent: false, httpStatus: 429 } });
    expect(accountCalls()).toBe(1);
  });
});

describe("the API's balance cache", () => {
  const alice = { accountId: 'alice', credentialsVersion: 'v1' };
  let reads = 0;
  /** A read as the workflow answers it, at the clock's time. */
  const read = async (): Promise<AccountBalancesRead> => (reads++, { balances: [{ asset: 'BTC', free: String(reads), locked: '0', total: String(reads) }], readAt: new Date(clock).toISOString() });
  beforeEach(() => {
    reads = 0;
  });

  it('answers from a read for 10 s without reading again', async () => {
    const cache = createBalanceCache({ now: () => clock });
    const first = await cache.balances(alice, read);
    expect(first).toEqual({ balances: [{ asset: 'BTC', free: '1', locked: '0', total: '1' }], readAt: new Date(clock).toISOString(), cached: false });
    clock += 9_999;
    expect(await cache.balances(alice, read)).toEqual({ ...first, cached: true });
    expect(reads).toBe(1);
  });

  it('reads again once 10 s have passed', async () => {
    const cache = createBalanceCache({ now: () => clock });
    await cache.balances(alice, read);
    clock += 10_000;
    expect(await cache.balances(alice, read)).toMatchObject({ cached: false, readAt: new Date(clock).toISOString(), balances: [{ free: '2' }] });
    expect(reads).toBe(2);
  });

  it('lets callers that ask while a read is under way share it', async () => {
    const cache = createBalanceCache({ now: () => clock });
    const answers = await Promise.all([cache.balances(alice, read), cache.balances(alice, read), cache.balances(alice, read)]);
    expect(answers.map((a) => a.cached)).toEqual([false, false, false]);
    expect(reads).toBe(1);
  });

  it('reads afresh for another account, and for a new key pair of the same one', async () => {
    const cache = createBalanceCache({ now: () => clock });
    await cache.balances(alice, read);
    await cache.balances({ accountId: 'bob', credentialsVersion: 'v1' }, read);
    expect(await cache.balances({ ...alice, credentialsVersion: 'v2' }, read)).toMatchObject({ cached: false });
    expect(reads).toBe(3);
  });

  it('gives the failure of a read instead of the older answer, and keeps no failure', async () => {
    const cache = createBalanceCache({ now: () => clock });
    await cache.balances(alice, read);
    clock += 10_000;
    const unreachable = new Error('VenueUnreachable');
    expect(await failure(cache.balances(alice, () => Promise.reject(unreachable)))).toBe(unreachable);
    expect(await cache.balances(alice, read)).toMatchObject({ cached: false, balances: [{ free: '2' }] });
  });
});
