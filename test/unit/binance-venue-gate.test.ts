/**
 * The process-wide Binance back-off (venues/binance/venue-gate.ts) through the HTTP client:
 * once any request hears 429/418, no client sharing the gate sends anything until the Retry-After
 * has passed, whatever the account or the endpoint.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBinanceExchange } from '../../venues/binance/exchange.js';
import { ExchangeRateLimitError } from '../../domain/venue-errors.js';
import { toFailure } from '../../activities/orders/venue-activities.js';
import type { Exchange } from '../../domain/exchange.js';
import { createVenueGate, type VenueGate } from '../../venues/binance/venue-gate.js';
import { createBinancePriceSource } from '../../venues/market-data/binance.js';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { failure } from '../helpers/failure.js';

const KEY = 'gate-test-key';
const SECRET = 'gate-test-secret';

let clock: { now: number };
let fake: BinanceFake;
let gate: VenueGate;
/** Two accounts' adapters in one process. */
let alice: Exchange;
let bob: Exchange;

const now = () => clock.now;
const adapter = (venueGate?: VenueGate) => createBinanceExchange({ baseUrl: fake.url, apiKey: KEY, apiSecret: SECRET, timeoutMs: 2000, now, venueGate });

beforeEach(async () => {
  clock = { now: Date.UTC(2026, 2, 2, 10) };
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, now });
  gate = createVenueGate({ now });
  alice = adapter(gate);
  bob = adapter(gate);
});
afterEach(async () => {
  await fake.close();
});

/** Alice's balance request hears 429 with Retry-After 2. */
async function aliceHears429(): Promise<void> {
  fake.injectFault({ kind: 'rate-limit-429', path: '/api/v3/account', retryAfterSeconds: 2 });
  expect(await failure(alice.getBalances())).toMatchObject({ name: 'ExchangeRateLimitError', httpStatus: 429, retryAfterMs: 2000, sent: true });
}

describe('the venue gate', () => {
  it('fails another account\'s call on another endpoint with the wait left, without sending it', async () => {
    await aliceHears429();
    const sentSoFar = fake.requests().length;
    clock.now += 500;
    const err = await failure(bob.getOpenOrders('BTCUSDT'));
    expect(err).toBeInstanceOf(ExchangeRateLimitError);
    expect(err).toMatchObject({ retryAfterMs: 1500, httpStatus: 429, code: -1003, sent: false });
    expect(fake.requests()).toHaveLength(sentSoFar);
  });

  it('lets the call through once the Retry-After has passed', async () => {
    await aliceHears429();
    clock.now += 2000;
    expect(await bob.getOpenOrders('BTCUSDT')).toEqual([]);
    expect(fake.banViolations()).toEqual([]);
  });

  it('holds back the Binance price source that shares it', async () => {
    await aliceHears429();
    const prices = createBinancePriceSource({ baseUrl: fake.url, venueGate: gate });
    expect(await failure(prices.latest(['BTCUSDT']))).toMatchObject({ name: 'ExchangeRateLimitError', sent: false });
    expect(fake.requests().filter((r) => r.path === '/api/v3/ticker/price')).toHaveLength(0);
  });

  it('waits out a 418 IP ban for its Retry-After', async () => {
    fake.injectFault({ kind: 'ip-ban-418', retryAfterSeconds: 180 });
    await failure(alice.getBalances());
    expect(await failure(bob.getBalances())).toMatchObject({ httpStatus: 418, retryAfterMs: 180_000, sent: false });
  });

  it('never shortens a running wait: a shorter 429 after a ban leaves the ban\'s end', () => {
    gate.backOff(120_000, 418, -1003);
    gate.backOff(1000, 429, -1003);
    expect(gate.remainingMs()).toBe(120_000);
    expect(() => gate.assertOpen()).toThrow(expect.objectContaining({ httpStatus: 418 }));
  });

  it('is left alone by an adapter that has no gate', async () => {
    await aliceHears429();
    expect(await adapter().getBalances()).not.toHaveLength(0);
  });

  it('keeps an escalating Binance from banning the process: nothing is sent inside the Retry-After', async () => {
    fake.injectFault({ kind: 'rate-limit-escalation', path: '/api/v3/openOrders', retryAfterSeconds: 1 });
    const prices = createBinancePriceSource({ baseUrl: fake.url, venueGate: gate });
    await failure(alice.getOpenOrders('BTCUSDT'));
    await failure(bob.getBalances());
    await failure(prices.latest(['BTCUSDT']));
    clock.now += 1000;
    expect(await prices.latest(['BTCUSDT'])).toHaveLength(1);
    expect(fake.requests().map((r) => r.status)).toEqual([429, 200]);
    expect(fake.banViolations()).toEqual([]);
  });

  it('is what stands between a second request and a ban: without it the next request hears 418', async () => {
    fake.injectFault({ kind: 'rate-limit-escalation', path: '/api/v3/openOrders', retryAfterSeconds: 1 });
    const ungated = adapter();
    await failure(ungated.getOpenOrders('BTCUSDT'));
    clock.now += 500;
    expect(await failure(ungated.getBalances())).toMatchObject({ httpStatus: 418, retryAfterMs: 3000 });
    expect(fake.banViolations()).toMatchObject([{ path: '/api/v3/account', window: 429 }]);
  });
});

describe('the activity failure of a held-back call', () => {
  it('carries the wait left as nextRetryDelay', async () => {
    await aliceHears429();
    clock.now += 500;
    const err = await failure(bob.getBalances());
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
