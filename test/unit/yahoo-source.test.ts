/**
 * The Yahoo source through the real yahoo-finance2 library (cookie + crumb flow, parsing, schema
 * validation) against the local fake over HTTP on 127.0.0.1.
 */
import { Decimal } from 'decimal.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { candleOpen, INTERVAL_MS } from '../../domain/market-data/intervals.js';
import { createYahooPriceSource, YahooError, YahooRateLimitError } from '../../venues/market-data/yahoo.js';
import { RATE_LIMIT_RETRY_AFTER_S, startYahooFake, type YahooFake } from '../fakes/yahoo/index.js';

let yahoo: YahooFake;
beforeEach(async () => {
  yahoo = await startYahooFake();
});
afterEach(async () => {
  await yahoo.close();
});

const source = (timeoutMs = 5_000) => createYahooPriceSource({ baseUrl: yahoo.url, timeoutMs });
const paths = () => yahoo.requests().map((r) => r.path);
const HOUR = 3_600_000;

describe('latest prices', () => {
  it('returns the fake’s prices for AAPL and MSFT in one batch, marked yahoo with the quote time', async () => {
    const before = Date.now();
    const quotes = await source().latest(['AAPL', 'MSFT']);
    expect(quotes.map(({ symbol, price, source }) => ({ symbol, price, source }))).toEqual([
      { symbol: 'AAPL', price: '227.52', source: 'yahoo' },
      { symbol: 'MSFT', price: '415.26', source: 'yahoo' },
    ]);
    for (const q of quotes) expect(Math.abs(Date.parse(q.asOf) - before)).toBeLessThan(60_000);
    expect(paths().filter((p) => p === '/v7/finance/quote')).toHaveLength(1);
  });

  it('gets a session cookie and then a crumb before asking for quotes, and sends both', async () => {
    await source().latest(['AAPL', 'MSFT']);
    const [page, getcrumb, quote] = yahoo.requests();
    expect([page?.host, page?.path]).toEqual(['finance.yahoo.com', '/quote/AAPL']);
    expect([getcrumb?.host, getcrumb?.path]).toEqual(['query1.finance.yahoo.com', '/v1/test/getcrumb']);
    expect(getcrumb?.cookie).toMatch(/A3=d=/);
    expect([quote?.host, quote?.path, quote?.query.symbols]).toEqual(['query2.finance.yahoo.com', '/v7/finance/quote', 'AAPL,MSFT']);
    expect(quote?.query.crumb).toMatch(/^[A-Za-z0-9]{11}$/);
    expect(quote?.cookie).toMatch(/A3=d=/);
  });

  it('reuses the crumb for the next batch instead of repeating the handshake', async () => {
    const yahooSource = source();
    await yahooSource.latest(['AAPL']);
    await yahooSource.latest(['MSFT']);
    expect(paths().filter((p) => p === '/v1/test/getcrumb')).toHaveLength(1);
    expect(paths().filter((p) => p === '/v7/finance/quote')).toHaveLength(2);
  });

  it('leaves a symbol Yahoo does not know out of the result', async () => {
    const quotes = await source().latest(['AAPL', 'NOSUCH']);
    expect(quotes.map((q) => q.symbol)).toEqual(['AAPL']);
  });

  it('reports a price exactly as Yahoo sent it, without float noise or rounding', async () => {
    yahoo.setPrice('TSLA', '1234.5678');
    const [quote] = await source().latest(['TSLA']);
    expect(quote?.price).toBe('1234.5678');
  });

  it("carries the day's change, change percent and volume as Yahoo sent them", async () => {
    yahoo.setPrice('MSFT', '420.5');
    const [quote] = await source().latest(['MSFT']);
    const { change, changePercent, volume, price } = quote!;
    expect(change).toMatch(/^-?\d+(\.\d+)?$/);
    expect(volume).toMatch(/^\d+$/);
    // Yahoo's percentage is of the previous close: price minus change.
    const previous = new Decimal(price).minus(change!);
    expect(new Decimal(changePercent!).minus(new Decimal(change!).div(previous).times(100)).abs().lt('0.000001')).toBe(true);
  });

  it('leaves the volume null for a mutual fund, which Yahoo quotes without one', async () => {
    yahoo.setPrice('VFIAX', '512.34', { quoteType: 'MUTUALFUND', name: 'Vanguard 500 Index Fund Admiral Shares' });
    const [fund] = await source().latest(['VFIAX']);
    expect(fund).toMatchObject({ symbol: 'VFIAX', price: '512.34', volume: null, change: expect.stringMatching(/^-?\d/), changePercent: expect.stringMatching(/^-?\d/) });
  });

  it('quotes a walking price differently a few steps later when the fake has a price walk', async () => {
    await yahoo.close();
    yahoo = await startYahooFake({ priceWalk: { seed: 3, intervalMs: 50, volatilityBps: 500 } });
    const yahooSource = source();
    const [first] = await yahooSource.latest(['AAPL']);
    await new Promise((resolve) => setTimeout(resolve, 250));
    const [second] = await yahooSource.latest(['AAPL']);
    expect(second?.price).not.toBe(first?.price);
  });
});

describe('history', () => {
  it('turns a chart into hourly candles that join up, with decimal-string prices', async () => {
    const to = new Date();
    const candles = await source().history({ symbol: 'AAPL', from: new Date(to.getTime() - 6 * HOUR), to, interval: '1h' });
    expect(candles.length).toBeGreaterThanOrEqual(5);
    candles.forEach((c, i) => {
      for (const price of [c.open, c.high, c.low, c.close]) expect(price).toMatch(/^\d+(\.\d{1,2})?$/);
      expect(Number(c.high)).toBeGreaterThanOrEqual(Number(c.low));
      const next = candles[i + 1];
      if (next) {
        expect(Date.parse(next.t) - Date.parse(c.t)).toBe(HOUR);
        expect(next.open).toBe(c.close);
      }
    });
    const chart = yahoo.requests().find((r) => r.path === '/v8/finance/chart/AAPL');
    expect(chart?.query.interval).toBe('1h');
  });

  it.each([
    ['5m', '5m'],
    ['15m', '15m'],
    ['1d', '1d'],
  ] as const)('asks the chart for %s bars and returns them on the UTC grid', async (interval, chartInterval) => {
    const step = INTERVAL_MS[interval];
    const to = new Date(candleOpen(Date.now(), interval) - step);
    const candles = await source().history({ symbol: 'AAPL', from: new Date(to.getTime() - 4 * step), to, interval });
    expect(candles.length).toBe(4);
    for (const c of candles) expect(Date.parse(c.t) % step).toBe(0);
    expect(yahoo.requests().find((r) => r.path === '/v8/finance/chart/AAPL')?.query.interval).toBe(chartInterval);
  });

  it('builds 4h candles from the hourly chart, Yahoo having no 4h bars: first open, highest high, lowest low, last close', async () => {
    const FOUR = INTERVAL_MS['4h'];
    const to = new Date(candleOpen(Date.now(), '4h') - FOUR);
    const from = new Date(to.getTime() - FOUR);
    const yahooSource = source();
    const candles = await yahooSource.history({ symbol: 'MSFT', from, to, interval: '4h' });
    expect(candles.map((c) => c.t)).toEqual([from.toISOString()]);
    expect(yahoo.requests().filter((r) => r.path === '/v8/finance/chart/MSFT').map((r) => r.query.interval)).toEqual(['1h']);
    const hours = await yahooSource.history({ symbol: 'MSFT', from, to: new Date(to.getTime() - 1), interval: '1h' });
    expect(hours).toHaveLength(4);
    expect(candles[0]).toEqual({
      t: from.toISOString(),
      open: hours[0]!.open,
      high: Decimal.max(...hours.map((h) => h.high)).toString(),
      low: Decimal.min(...hours.map((h) => h.low)).toString(),
      close: hours[3]!.close,
    });
  });

  it('asks the chart for 1wk bars and returns weekly candles opening on Mondays 00:00 UTC', async () => {
    const WEEK = INTERVAL_MS['1w'];
    const to = new Date(candleOpen(Date.now(), '1w') - WEEK);
    const candles = await source().history({ symbol: 'SPY', from: new Date(to.getTime() - 2 * WEEK), to, interval: '1w' });
    expect(candles).toHaveLength(2);
    for (const c of candles) expect([new Date(c.t).getUTCDay(), new Date(c.t).getUTCHours()]).toEqual([1, 0]);
    expect(yahoo.requests().find((r) => r.path === '/v8/finance/chart/SPY')?.query.interval).toBe('1wk');
  });

  it('returns no candles for a symbol Yahoo does not know', async () => {
    const to = new Date();
    const candles = await source().history({ symbol: 'NOSUCH', from: new Date(to.getTime() - 6 * HOUR), to, interval: '1h' });
    expect(candles).toEqual([]);
    expect(yahoo.requests().at(-1)?.status).toBe(404);
  });
});

describe('failures', () => {
  it('throws a YahooError naming the provider, the symbols and HTTP 503 when Yahoo is down', async () => {
    yahoo.setFailure('down');
    const error = await source().latest(['AAPL', 'MSFT']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(YahooError);
    expect((error as YahooError).message).toMatch(/^yahoo quote for AAPL,MSFT failed: HTTP 503/);
    expect((error as YahooError).httpStatus).toBe(503);
  });

  it('throws a rate-limit error whose retryAfterMs comes from Retry-After on HTTP 429', async () => {
    yahoo.setFailure('rate-limit');
    const error = await source().latest(['AAPL']).catch((e: unknown) => e);
    expect(error).toBeInstanceOf(YahooRateLimitError);
    expect((error as YahooRateLimitError).retryAfterMs).toBe(RATE_LIMIT_RETRY_AFTER_S * 1000);
  });

  it('gives up with a clear error when Yahoo does not answer within timeoutMs', async () => {
    yahoo.setFailure('timeout');
    const error = await source(300).latest(['AAPL']).catch((e: unknown) => e);
    expect((error as Error).message).toBe('yahoo quote for AAPL timed out after 300 ms');
  });

  it('redoes the cookie and crumb flow once when Yahoo rejects the crumb, then reports HTTP 401', async () => {
    yahoo.setFailure('bad-crumb');
    const error = await source().latest(['AAPL']).catch((e: unknown) => e);
    expect((error as YahooError).httpStatus).toBe(401);
    expect((error as YahooError).message).toMatch(/Invalid Crumb/);
    expect(paths().filter((p) => p === '/v1/test/getcrumb')).toHaveLength(2);
  });

  it('succeeds on the next batch after a rejected crumb, with a fresh session', async () => {
    const yahooSource = source();
    yahoo.setFailure('bad-crumb');
    await yahooSource.latest(['AAPL']).catch(() => undefined);
    yahoo.setFailure(null);
    const quotes = await yahooSource.latest(['AAPL']);
    expect(quotes.map((q) => q.price)).toEqual(['227.52']);
  });
});

describe('the hosts yahoo-finance2 calls', () => {
  it('without baseUrl, goes to Yahoo’s own hosts through the injected fetch', async () => {
    const seen: string[] = [];
    const toFake: typeof fetch = async (input, init) => {
      const url = new URL(input instanceof Request ? input.url : input);
      seen.push(url.origin + url.pathname);
      return fetch(new URL(url.pathname + url.search, yahoo.url), init);
    };
    await createYahooPriceSource({ fetch: toFake }).latest(['AAPL']);
    expect(seen).toEqual([
      'https://finance.yahoo.com/quote/AAPL',
      'https://query1.finance.yahoo.com/v1/test/getcrumb',
      'https://query2.finance.yahoo.com/v7/finance/quote',
    ]);
  });

  it('the fake answers a quote request that has a cookie but no crumb with Yahoo’s 401 Invalid Crumb', async () => {
    const page = await fetch(`${yahoo.url}/quote/AAPL`);
    const cookie = page.headers.getSetCookie().map((c) => c.split(';')[0]).join('; ');
    const response = await fetch(`${yahoo.url}/v7/finance/quote?symbols=AAPL`, { headers: { cookie } });
    expect(response.status).toBe(401);
    expect(await response.json()).toEqual({ finance: { result: null, error: { code: 'Unauthorized', description: 'Invalid Crumb' } } });
  });
});
