import { Decimal } from 'decimal.js';
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { ExchangeRateLimitError, ExchangeRejectedError, ExchangeUnknownOutcomeError } from '../../domain/venue-errors.js';
import { candleOpen, INTERVAL_MS } from '../../domain/market-data/intervals.js';
import { createBinancePriceSource } from '../../venues/market-data/binance.js';
import type { PriceSource } from '../../domain/market-data/types.js';
import { type BinanceFake, startBinanceFake } from '../fakes/binance/index.js';
import { DEFAULT_SYMBOLS } from '../fakes/binance/symbols.js';
import { failure } from '../helpers/failure.js';

const AS_OF = new Date('2026-03-02T10:00:00.000Z');

let fake: BinanceFake;
let prices: PriceSource;

beforeEach(async () => {
  fake = await startBinanceFake({ apiKey: 'k', apiSecret: 's' });
  prices = createBinancePriceSource({ baseUrl: fake.url, timeoutMs: 2000, now: () => AS_OF });
});
afterEach(async () => {
  await fake.close();
});


const tickerCalls = () => fake.requests().filter((r) => r.path === '/api/v3/ticker/24hr');
const DAY_STATS = { change: expect.stringMatching(/^-?\d+\.\d{8}$/), changePercent: expect.stringMatching(/^-?\d+\.\d{3}$/), volume: expect.stringMatching(/^\d+\.\d{8}$/) };
const HOUR = 3_600_000;

describe('latest', () => {
  it('prices a batch of symbols in one ticker/24hr request of weight 2, stamped with the clock', async () => {
    const quotes = await prices.latest(['BTCUSDT', 'ETHUSDT']);
    expect(quotes).toEqual([
      { symbol: 'BTCUSDT', price: '60000.00000000', source: 'binance', asOf: AS_OF.toISOString(), ...DAY_STATS },
      { symbol: 'ETHUSDT', price: '3000.00000000', source: 'binance', asOf: AS_OF.toISOString(), ...DAY_STATS },
    ]);
    expect(tickerCalls().map((r) => r.weight)).toEqual([2]);
  });

  it("carries the day's change, change percent and volume exactly as ticker/24hr prints them", async () => {
    fake.setPrice('BNBUSDT', '612.5');
    type Stats = { lastPrice: string; priceChange: string; priceChangePercent: string; volume: string; openPrice: string };
    const ticker = async () => (await (await fetch(`${fake.url}/api/v3/ticker/24hr?symbol=BNBUSDT`)).json()) as Stats;
    // The 24 hours move with the clock: the quote matches what Binance answered just before or just after.
    const before = await ticker();
    const [quote] = await prices.latest(['BNBUSDT']);
    const after = await ticker();
    const stats = [before, after].find((t) => t.priceChange === quote?.change);
    expect(stats).toBeDefined();
    expect(quote).toMatchObject({ price: stats!.lastPrice, change: stats!.priceChange, changePercent: stats!.priceChangePercent, volume: stats!.volume });
    expect(new Decimal(stats!.lastPrice).minus(stats!.openPrice).eq(stats!.priceChange)).toBe(true);
  });

  it('asks 20 symbols per request, where ticker/24hr weighs 2 (21 to 100 in one would weigh 40)', async () => {
    await fake.close();
    const symbols = Array.from({ length: 25 }, (_, i) => `C${i}USDT`);
    fake = await startBinanceFake({
      apiKey: 'k',
      apiSecret: 's',
      symbols: symbols.map((symbol, i) => ({ ...DEFAULT_SYMBOLS[0]!, symbol, baseAsset: `C${i}` })),
      prices: Object.fromEntries(symbols.map((s) => [s, '10.00'])),
    });
    prices = createBinancePriceSource({ baseUrl: fake.url, timeoutMs: 2000, now: () => AS_OF });
    expect(await prices.latest(symbols)).toHaveLength(25);
    expect(tickerCalls().map((r) => r.weight)).toEqual([2, 2]);
  });

  it('follows the market as it moves', async () => {
    fake.setPrice('SOLUSDT', '151.25');
    expect(await prices.latest(['SOLUSDT'])).toMatchObject([{ price: '151.25000000' }]);
  });

  it('leaves out a symbol Binance does not list and still prices the others', async () => {
    const quotes = await prices.latest(['BTCUSDT', 'NOPEUSDT', 'BNBUSDT', 'SOLUSDT']);
    expect(quotes.map((q) => q.symbol).sort()).toEqual(['BNBUSDT', 'BTCUSDT', 'SOLUSDT']);
  });

  it('isolates an unknown symbol by splitting the batch rather than asking symbol by symbol', async () => {
    await prices.latest(['BTCUSDT', 'ETHUSDT', 'BNBUSDT', 'SOLUSDT', 'NOPEUSDT']);
    expect(tickerCalls().length).toBeLessThan(5 + 1);
  });

  it('answers an empty list when no symbol is known', async () => {
    expect(await prices.latest(['NOPEUSDT', 'NADAUSDT'])).toEqual([]);
  });

  it('leaves out symbols that cannot be Binance symbols without sending a request', async () => {
    expect(await prices.latest(['btc usd', 'AAPL?'])).toEqual([]);
    expect(tickerCalls()).toHaveLength(0);
  });

  it('maps 429 to ExchangeRateLimitError with Retry-After in milliseconds', async () => {
    fake.injectFault({ kind: 'rate-limit-429', retryAfterSeconds: 3 });
    const err = await failure(prices.latest(['BTCUSDT']));
    expect(err).toBeInstanceOf(ExchangeRateLimitError);
    expect(err).toMatchObject({ retryAfterMs: 3000 });
  });

  it('throws on a provider failure instead of answering fewer prices', async () => {
    fake.injectFault({ kind: 'server-503' });
    expect(await failure(prices.latest(['BTCUSDT']))).toBeInstanceOf(ExchangeUnknownOutcomeError);
  });
});

describe('history', () => {
  it('returns hourly candles over the range with ISO open times and decimal strings', async () => {
    const to = new Date(Math.floor(Date.now() / HOUR) * HOUR - 24 * HOUR);
    const from = new Date(to.getTime() - 5 * HOUR);
    const candles = await prices.history({ symbol: 'BTCUSDT', from, to, interval: '1h' });
    expect(candles.map((c) => c.t)).toEqual([0, 1, 2, 3, 4, 5].map((i) => new Date(from.getTime() + i * HOUR).toISOString()));
    expect(candles[0]).toEqual({
      t: from.toISOString(),
      open: expect.stringMatching(/^\d+\.\d{8}$/),
      high: expect.any(String),
      low: expect.any(String),
      close: expect.any(String),
    });
  });

  it('pages through more candles than one klines request returns', async () => {
    const to = new Date(Math.floor(Date.now() / 60_000) * 60_000 - 10 * 60_000);
    const from = new Date(to.getTime() - 1499 * 60_000);
    const candles = await prices.history({ symbol: 'ETHUSDT', from, to, interval: '1m' });
    expect(candles).toHaveLength(1500);
    expect(new Set(candles.map((c) => c.t)).size).toBe(1500);
  });

  it.each(['5m', '15m', '4h', '1d'] as const)('returns %s klines on the UTC grid of their length', async (interval) => {
    const step = INTERVAL_MS[interval];
    const to = new Date(candleOpen(Date.now(), interval) - 3 * step);
    const from = new Date(to.getTime() - 4 * step);
    const candles = await prices.history({ symbol: 'BTCUSDT', from, to, interval });
    expect(candles.map((c) => c.t)).toEqual([0, 1, 2, 3, 4].map((i) => new Date(from.getTime() + i * step).toISOString()));
    expect(candles.every((c) => Date.parse(c.t) % step === 0)).toBe(true);
  });

  it('returns weekly klines, which open on Mondays 00:00 UTC', async () => {
    const WEEK = INTERVAL_MS['1w'];
    const to = new Date(candleOpen(Date.now(), '1w') - WEEK);
    const from = new Date(to.getTime() - 3 * WEEK);
    const candles = await prices.history({ symbol: 'ETHUSDT', from, to, interval: '1w' });
    expect(candles).toHaveLength(4);
    for (const c of candles) expect([new Date(c.t).getUTCDay(), new Date(c.t).getUTCHours(), new Date(c.t).getUTCMinutes()]).toEqual([1, 0, 0]);
    expect(candles[0]!.t).toBe(from.toISOString());
  });

  it('rejects the history of an unknown symbol with -1121', async () => {
    const err = await failure(prices.history({ symbol: 'NOPEUSDT', from: new Date(Date.now() - HOUR), to: new Date(), interval: '1m' }));
    expect(err).toBeInstanceOf(ExchangeRejectedError);
    expect(err).toMatchObject({ code: -1121 });
  });
});
