/**
 * The Binance fake's IP limits over HTTP (rest-api.md, "IP Limits"): an escalating 429 turns into
 * a 418 ban when the client asks again inside its Retry-After, the ban answers every request, and
 * requests that ignored a Retry-After window are recorded as ban violations.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { rawBinanceClient, type RawClient } from '../fakes/binance/raw-client.js';

const T0 = Date.UTC(2026, 2, 2, 10);

let clock: { now: number };
let fake: BinanceFake;
let raw: RawClient;

beforeEach(async () => {
  clock = { now: T0 };
  fake = await startBinanceFake({ apiKey: 'k', apiSecret: 's', now: () => clock.now });
  raw = rawBinanceClient(fake.url, 'k', 's', () => clock.now);
});
afterEach(async () => {
  await fake.close();
});

const ticker = () => raw.call('GET', '/api/v3/ticker/price', { query: 'symbol=BTCUSDT' });
const time = () => raw.call('GET', '/api/v3/time');

/** The first request hears an escalating 429 with Retry-After 2; a ban lasts 5 s. */
async function firstHears429(): Promise<void> {
  fake.injectFault({ kind: 'rate-limit-escalation', path: '/api/v3/ticker/price', retryAfterSeconds: 2, banSeconds: 5 });
  const { status, headers, json } = await ticker();
  expect([status, headers.get('retry-after'), json.code]).toEqual([429, '2', -1003]);
}

describe('rate-limit escalation', () => {
  it('answers 429 with -1003 and Retry-After to the request it hits', async () => {
    await firstHears429();
  });

  it('bans the IP with 418 and the ban seconds when a request comes inside the 429 window, on any endpoint', async () => {
    await firstHears429();
    clock.now += 1000;
    const { status, headers, json } = await time();
    expect(status).toBe(418);
    expect(headers.get('retry-after')).toBe('5');
    expect(json).toEqual({
      code: -1003,
      msg: `Way too much request weight used; IP banned until ${T0 + 6000}. Please use WebSocket Streams for live updates to avoid bans.`,
    });
  });

  it('answers 418 to every request during the ban with the seconds left, signed ones included', async () => {
    await firstHears429();
    clock.now += 1000;
    await time();
    clock.now += 2500;
    const signed = await raw.signed('GET', '/api/v3/account');
    expect([signed.status, signed.headers.get('retry-after')]).toEqual([418, '3']);
  });

  it('lets requests through again once the ban is over', async () => {
    await firstHears429();
    clock.now += 1000;
    await time();
    clock.now += 5000;
    expect((await ticker()).status).toBe(200);
  });

  it('bans nobody who waits out the Retry-After', async () => {
    await firstHears429();
    clock.now += 2000;
    expect((await ticker()).status).toBe(200);
    expect(fake.banViolations()).toEqual([]);
  });
});

describe('ban violations', () => {
  it('records a request inside a 429 window past the grace with its method, path and time', async () => {
    await firstHears429();
    clock.now += 150;
    await time();
    expect(fake.banViolations()).toEqual([{ time: T0 + 150, method: 'GET', path: '/api/v3/time', window: 429, openedAt: T0 }]);
  });

  it('records requests during the ban, after the 429 window closed, against the 418 that started it', async () => {
    await firstHears429();
    clock.now += 50;
    await time();
    clock.now += 2000;
    await time();
    expect(fake.banViolations()).toEqual([{ time: T0 + 2050, method: 'GET', path: '/api/v3/time', window: 418, openedAt: T0 + 50 }]);
  });

  it('does not count a request within the grace, the one already in flight when the 429 went out', async () => {
    await firstHears429();
    clock.now += 100 - 1;
    await time();
    expect(fake.banViolations()).toEqual([]);
  });

  it('counts a request inside a plain 429 window too, without banning', async () => {
    fake.injectFault({ kind: 'rate-limit-429', retryAfterSeconds: 1 });
    await time();
    clock.now += 500;
    expect((await time()).status).toBe(200);
    expect(fake.banViolations()).toMatchObject([{ window: 429, time: T0 + 500 }]);
  });

  it('takes its grace from banGraceMs', async () => {
    const strict = await startBinanceFake({ apiKey: 'k', apiSecret: 's', now: () => clock.now, banGraceMs: 0 });
    try {
      strict.injectFault({ kind: 'rate-limit-429', retryAfterSeconds: 1 });
      await fetch(`${strict.url}/api/v3/time`);
      await fetch(`${strict.url}/api/v3/time`);
      expect(strict.banViolations()).toHaveLength(1);
    } finally {
      await strict.close();
    }
  });
});
