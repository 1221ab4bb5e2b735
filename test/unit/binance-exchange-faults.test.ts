import { createServer } from 'node:net';
import type { AddressInfo } from 'node:net';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createBinanceExchange } from '../../venues/binance/exchange.js';
import {
  ExchangeRateLimitError,
  ExchangeRejectedError,
  ExchangeUnavailableError,
  ExchangeUnknownOutcomeError,
} from '../../domain/venue-errors.js';
import type { Exchange, PlaceOrderRequest } from '../../domain/exchange.js';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { failure } from '../helpers/failure.js';

const KEY = 'fault-test-key';
const SECRET = 'fault-test-secret';

let fake: BinanceFake;
let binance: Exchange;

beforeEach(async () => {
  fake = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET });
  binance = createBinanceExchange({ baseUrl: fake.url, apiKey: KEY, apiSecret: SECRET, timeoutMs: 500 });
});
afterEach(async () => {
  await fake.close();
});


const buy = (clientOrderId: string): PlaceOrderRequest => ({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.01', clientOrderId });
const placed = (id: string) => fake.orders().filter((o) => o.clientOrderId === id);
const calls = (method: string, path: string) => fake.requests().filter((r) => r.method === method && r.path === path).length;

async function closedPort(): Promise<number> {
  const server = createServer();
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

describe('answers with an unknown outcome', () => {
  it('maps an HTTP 500 after the order was accepted to ExchangeUnknownOutcomeError, and the order exists', async () => {
    fake.injectFault({ kind: 'accept-then-500' });
    expect(await failure(binance.placeOrder(buy('u-1')))).toBeInstanceOf(ExchangeUnknownOutcomeError);
    expect(placed('u-1')).toMatchObject([{ status: 'FILLED' }]);
  });

  it('maps an HTML 500 page to ExchangeUnknownOutcomeError with the HTTP status', async () => {
    fake.injectFault({ kind: 'accept-then-500', body: 'html' });
    expect(await failure(binance.placeOrder(buy('u-2')))).toMatchObject({ name: 'ExchangeUnknownOutcomeError', httpStatus: 500 });
  });

  it('maps a response that never comes to ExchangeUnknownOutcomeError after the timeout', async () => {
    fake.injectFault({ kind: 'accept-then-timeout' });
    const started = Date.now();
    expect(await failure(binance.placeOrder(buy('u-3')))).toBeInstanceOf(ExchangeUnknownOutcomeError);
    expect(Date.now() - started).toBeLessThan(2000);
    expect(placed('u-3')).toHaveLength(1);
  });

  it('maps a connection dropped after the order was accepted to ExchangeUnknownOutcomeError', async () => {
    fake.injectFault({ kind: 'accept-then-drop' });
    expect(await failure(binance.placeOrder(buy('u-4')))).toBeInstanceOf(ExchangeUnknownOutcomeError);
    expect(placed('u-4')).toHaveLength(1);
  });

  it('finds the order by its client order id after an unknown outcome, without placing it twice', async () => {
    fake.injectFault({ kind: 'accept-then-drop' });
    await failure(binance.placeOrder(buy('u-5')));
    expect(await binance.getOrder({ symbol: 'BTCUSDT', clientOrderId: 'u-5' })).toMatchObject({ status: 'FILLED' });
    expect(placed('u-5')).toHaveLength(1);
  });

  it('maps a plain HTTP 500 before anything happened to ExchangeUnknownOutcomeError, with no order placed', async () => {
    fake.injectFault({ kind: 'server-500' });
    expect(await failure(binance.placeOrder(buy('u-6')))).toBeInstanceOf(ExchangeUnknownOutcomeError);
    expect(placed('u-6')).toHaveLength(0);
  });

  it('maps HTTP 503 to ExchangeUnknownOutcomeError', async () => {
    fake.injectFault({ kind: 'server-503', path: '/api/v3/order' });
    expect(await failure(binance.placeOrder(buy('u-7')))).toMatchObject({ name: 'ExchangeUnknownOutcomeError', httpStatus: 503 });
  });

  it('maps -1006 "execution status unknown" to ExchangeUnknownOutcomeError with the code', async () => {
    fake.injectFault({ kind: 'unknown-1006' });
    expect(await failure(binance.placeOrder(buy('u-8')))).toMatchObject({ name: 'ExchangeUnknownOutcomeError', code: -1006 });
  });

  it('maps -1007 to ExchangeUnknownOutcomeError even though it comes with a 4xx status', async () => {
    fake.injectFault({ kind: 'unknown-1007' });
    expect(await failure(binance.placeOrder(buy('u-9')))).toMatchObject({ name: 'ExchangeUnknownOutcomeError', code: -1007, httpStatus: 408 });
  });
});

describe('rate limits and outages', () => {
  it('maps 429 to ExchangeRateLimitError with Retry-After in milliseconds', async () => {
    fake.injectFault({ kind: 'rate-limit-429', retryAfterSeconds: 7 });
    const err = await failure(binance.getBalances());
    expect(err).toBeInstanceOf(ExchangeRateLimitError);
    expect(err).toMatchObject({ retryAfterMs: 7000, httpStatus: 429, code: -1003 });
  });

  it('maps a 418 IP ban to ExchangeRateLimitError with its Retry-After', async () => {
    fake.injectFault({ kind: 'ip-ban-418' });
    expect(await failure(binance.getBalances())).toMatchObject({ name: 'ExchangeRateLimitError', httpStatus: 418, retryAfterMs: 120_000 });
  });

  it('maps a refused connection to ExchangeUnavailableError', async () => {
    const offline = createBinanceExchange({ baseUrl: `http://127.0.0.1:${await closedPort()}`, apiKey: KEY, apiSecret: SECRET });
    expect(await failure(offline.placeOrder(buy('o-1')))).toBeInstanceOf(ExchangeUnavailableError);
  });
});

describe('eventual visibility', () => {
  it('answers null while a just-accepted order is not yet visible, then finds it', async () => {
    const clock = { now: Date.now() };
    const slow = await startBinanceFake({ apiKey: KEY, apiSecret: SECRET, now: () => clock.now });
    try {
      const client = createBinanceExchange({ baseUrl: slow.url, apiKey: KEY, apiSecret: SECRET, now: () => clock.now });
      slow.injectFault({ kind: 'not-found-after-accept', durationMs: 3000 });
      await client.placeOrder(buy('v-1'));
      expect(await client.getOrder({ symbol: 'BTCUSDT', clientOrderId: 'v-1' })).toBeNull();
      clock.now += 3000;
      expect(await client.getOrder({ symbol: 'BTCUSDT', clientOrderId: 'v-1' })).toMatchObject({ status: 'FILLED' });
    } finally {
      await slow.close();
    }
  });
});

describe('clock skew (-1021)', () => {
  it('re-measures the clock and retries once when Binance answers -1021', async () => {
    fake.injectFault({ kind: 'timestamp-1021', path: '/api/v3/order' });
    expect(await binance.placeOrder(buy('k-1'))).toMatchObject({ status: 'FILLED' });
    expect(calls('GET', '/api/v3/time')).toBe(1);
    expect(placed('k-1')).toHaveLength(1);
  });

  it('recovers from a server clock 30 s ahead of ours', async () => {
    fake.serverTimeOffsetMs = 30_000;
    expect(await binance.getBalances()).not.toHaveLength(0);
  });

  it('recovers from a server clock 30 s behind ours', async () => {
    fake.serverTimeOffsetMs = -30_000;
    expect(await binance.getBalances()).not.toHaveLength(0);
  });

  it('keeps the measured offset for later requests', async () => {
    fake.serverTimeOffsetMs = 30_000;
    await binance.getBalances();
    await binance.getBalances();
    expect(calls('GET', '/api/v3/time')).toBe(1);
  });

  it('surfaces -1021 as ExchangeRejectedError when the retry fails too, after exactly one retry', async () => {
    fake.injectFault({ kind: 'timestamp-1021', path: '/api/v3/order', times: 2 });
    const err = await failure(binance.placeOrder(buy('k-2')));
    expect(err).toBeInstanceOf(ExchangeRejectedError);
    expect(err).toMatchObject({ code: -1021 });
    expect(calls('POST', '/api/v3/order')).toBe(2);
  });
});
