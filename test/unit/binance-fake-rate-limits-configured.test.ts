/**
 * The Binance fake's configurable limits (rest-api.md "LIMITS", web-socket-api.md "Rate limits"):
 * exchangeInfo lists them, the used-weight header is named after the weight interval, weight past
 * the limit is 429 -1003 with Retry-After, new orders past an ORDERS limit are 429 -1015, and the
 * WebSocket API spends the same per-IP weight.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { rawBinanceClient, type RawClient } from '../fakes/binance/raw-client.js';
import { connectRawWs } from '../fakes/binance/raw-ws-client.js';

/** On a 10-second boundary, so windows are easy to reason about. */
const T0 = Date.UTC(2026, 2, 2, 10);
const WEIGHT_LIMIT = 50;

let clock: { now: number };
let fake: BinanceFake;
let raw: RawClient;

beforeEach(async () => {
  clock = { now: T0 };
  fake = await startBinanceFake({
    apiKey: 'k',
    apiSecret: 's',
    now: () => clock.now,
    rateLimits: {
      requestWeight: { interval: 'SECOND', intervalNum: 10, limit: WEIGHT_LIMIT },
      orders: [
        { interval: 'SECOND', intervalNum: 10, limit: 2 },
        { interval: 'DAY', intervalNum: 1, limit: 1000 },
      ],
    },
  });
  raw = rawBinanceClient(fake.url, 'k', 's', () => clock.now);
});
afterEach(async () => {
  await fake.close();
});

const exchangeInfo = () => raw.call('GET', '/api/v3/exchangeInfo', { query: 'symbol=BTCUSDT' });
const time = () => raw.call('GET', '/api/v3/time');
const restingBuy = () => raw.signed('POST', '/api/v3/order', { symbol: 'BTCUSDT', side: 'BUY', type: 'LIMIT', timeInForce: 'GTC', quantity: '0.001', price: '50000' });

describe('configured request weight', () => {
  it('is listed by exchangeInfo with its interval, beside the ORDERS limits', async () => {
    const { json } = await exchangeInfo();
    expect(json.rateLimits).toEqual([
      { rateLimitType: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 10, limit: WEIGHT_LIMIT },
      { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 2 },
      { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 1000 },
      { rateLimitType: 'RAW_REQUESTS', interval: 'MINUTE', intervalNum: 5, limit: 61000 },
    ]);
  });

  it('names the used-weight header after its interval: X-MBX-USED-WEIGHT-10S', async () => {
    await time();
    const { headers } = await exchangeInfo();
    expect([headers.get('x-mbx-used-weight-10s'), headers.get('x-mbx-used-weight-1m')]).toEqual(['21', null]);
  });

  it('answers 429 -1003 quoting the limit, with the seconds left in the window as Retry-After', async () => {
    await exchangeInfo();
    await exchangeInfo();
    clock.now += 3000;
    const { status, headers, json } = await exchangeInfo();
    expect([status, headers.get('retry-after'), headers.get('x-mbx-used-weight-10s')]).toEqual([429, '7', '60']);
    expect(json).toEqual({
      code: -1003,
      msg: `Too much request weight used; current limit is ${WEIGHT_LIMIT} request weight per 10 SECOND. Please use WebSocket Streams for live updates to avoid polling the API.`,
    });
    expect(fake.rateLimitedResponses()).toBe(1);
  });

  it('starts counting again when the next 10-second window begins', async () => {
    await exchangeInfo();
    await exchangeInfo();
    clock.now += 10_000;
    const { status, headers } = await exchangeInfo();
    expect([status, headers.get('x-mbx-used-weight-10s')]).toEqual([200, '20']);
    expect(fake.usedWeight()).toBe(20);
  });

  it('keeps the default limits when none are configured', async () => {
    const plain = await startBinanceFake({ apiKey: 'k', apiSecret: 's' });
    try {
      const res = await fetch(`${plain.url}/api/v3/exchangeInfo?symbol=BTCUSDT`);
      const json = (await res.json()) as { rateLimits: unknown[] };
      expect(res.headers.get('x-mbx-used-weight-1m')).toBe('20');
      expect(json.rateLimits.slice(0, 3)).toEqual([
        { rateLimitType: 'REQUEST_WEIGHT', interval: 'MINUTE', intervalNum: 1, limit: 6000 },
        { rateLimitType: 'ORDERS', interval: 'SECOND', intervalNum: 10, limit: 50 },
        { rateLimitType: 'ORDERS', interval: 'DAY', intervalNum: 1, limit: 160000 },
      ]);
    } finally {
      await plain.close();
    }
  });
});

describe('configured ORDERS limits', () => {
  it('counts accepted orders in the X-MBX-ORDER-COUNT headers named after the intervals', async () => {
    await restingBuy();
    const { headers } = await restingBuy();
    expect([headers.get('x-mbx-order-count-10s'), headers.get('x-mbx-order-count-1d')]).toEqual(['2', '2']);
  });

  it('refuses the order past the 10-second limit with 429 -1015 and Retry-After, without placing it', async () => {
    await restingBuy();
    await restingBuy();
    clock.now += 4000;
    const { status, headers, json } = await restingBuy();
    expect([status, headers.get('retry-after')]).toEqual([429, '6']);
    expect(json).toEqual({ code: -1015, msg: 'Too many new orders; current limit is 2 orders per 10 SECOND.' });
    expect(fake.orders()).toHaveLength(2);
    expect(fake.rateLimitedResponses()).toBe(1);
  });

  it('takes orders again in the next window', async () => {
    await restingBuy();
    await restingBuy();
    clock.now += 10_000;
    expect((await restingBuy()).status).toBe(200);
  });

  it('limits the account, not the IP: other requests inside the Retry-After are no ban violation', async () => {
    await restingBuy();
    await restingBuy();
    await restingBuy();
    clock.now += 1000;
    expect((await time()).status).toBe(200);
    expect(fake.banViolations()).toEqual([]);
  });
});

describe('WebSocket API weight', () => {
  it('charges 2 for the connection and each request its weight, on the same count as REST', async () => {
    await time();
    const ws = await connectRawWs(fake.wsApiUrl, { apiKey: 'k', apiSecret: 's', now: () => clock.now });
    try {
      const reply = await ws.request('time');
      expect(reply['rateLimits']).toEqual([{ rateLimitType: 'REQUEST_WEIGHT', interval: 'SECOND', intervalNum: 10, limit: WEIGHT_LIMIT, count: 4 }]);
      await ws.subscribe();
      expect(fake.usedWeight()).toBe(6);
      expect(fake.requests().map((r) => [r.method, r.wsMethod ?? r.path, r.weight])).toEqual([
        ['GET', '/api/v3/time', 1],
        ['GET', '/ws-api/v3', 2],
        ['WS', 'time', 1],
        ['WS', 'userDataStream.subscribe.signature', 2],
      ]);
    } finally {
      ws.close();
    }
  });

  it('answers a request past the limit with status 429, -1003 and retryAfter', async () => {
    await exchangeInfo();
    await exchangeInfo();
    clock.now += 2000;
    for (let i = 0; i < 8; i++) await time();
    const ws = await connectRawWs(fake.wsApiUrl, { apiKey: 'k', apiSecret: 's' });
    try {
      clock.now += 500;
      const reply = await ws.request('ping');
      expect(reply).toMatchObject({ status: 429, error: { code: -1003, data: { serverTime: T0 + 2500, retryAfter: T0 + 10_000 } } });
      expect(fake.rateLimitedResponses()).toBe(1);
    } finally {
      ws.close();
    }
  });

  it('refuses a connection attempt past the limit with HTTP 429 and Retry-After', async () => {
    await exchangeInfo();
    await exchangeInfo();
    for (let i = 0; i < 9; i++) await time();
    const refused = await connectRawWs(fake.wsApiUrl, { apiKey: 'k', apiSecret: 's' }).then(
      () => undefined,
      (e: Error) => e.message,
    );
    expect(refused).toContain('429');
    expect(fake.requests().at(-1)).toMatchObject({ method: 'GET', path: '/ws-api/v3', status: 429 });
  });

  it('leaves rateLimits out when the request says returnRateLimits: false', async () => {
    const ws = await connectRawWs(fake.wsApiUrl, { apiKey: 'k', apiSecret: 's' });
    try {
      expect(await ws.request('ping', { returnRateLimits: false })).toEqual({ id: 'req-1', status: 200, result: {} });
    } finally {
      ws.close();
    }
  });
});
