import { Decimal } from 'decimal.js';
import { describe, expect, it } from 'vitest';
import { createSimulatedPriceSource, priceAt, WALK_ORIGIN } from '../../venues/market-data/simulated.js';

const walk = { seed: 42, symbol: 'AAPL', basePrice: '227.52', volatilityBps: 5 };
const path = (overrides: Partial<typeof walk>, steps = 20) =>
  Array.from({ length: steps }, (_, step) => priceAt({ ...walk, ...overrides, step }));
const at = (iso: string) => () => new Date(iso);
const HOUR = 3_600_000;

describe('priceAt', () => {
  it('gives the pinned price for a seed, symbol and step, so every run and process agrees', () => {
    expect(priceAt({ ...walk, step: 1440 })).toBe('234');
    expect(priceAt({ ...walk, step: -100_000 })).toBe('213.73');
  });

  it('starts the walk exactly at the base price', () => {
    expect(priceAt({ ...walk, step: 0 })).toBe('227.52');
  });

  it('follows a different path under a different seed', () => {
    expect(path({ seed: 43 })).not.toEqual(path({}));
  });

  it('walks each symbol independently even from the same base price', () => {
    expect(path({ symbol: 'MSFT' })).not.toEqual(path({}));
  });

  it('rounds to cents above 1 and to four decimals below', () => {
    for (const p of path({}, 200)) expect(new Decimal(p).decimalPlaces()).toBeLessThanOrEqual(2);
    for (const p of path({ basePrice: '0.5432' }, 200)) expect(new Decimal(p).decimalPlaces()).toBeLessThanOrEqual(4);
  });

  it('moves one step with the requested volatility (standard deviation of log returns)', () => {
    const prices = path({ basePrice: '1000000', volatilityBps: 100 }, 3_001).map((p) => new Decimal(p));
    const returns = prices.slice(1).map((p, i) => p.div(prices[i] ?? p).ln());
    const mean = Decimal.sum(...returns).div(returns.length);
    const variance = Decimal.sum(...returns.map((r) => r.minus(mean).pow(2))).div(returns.length);
    expect(variance.sqrt().toNumber()).toBeCloseTo(0.01, 3);
  });
});

describe('createSimulatedPriceSource', () => {
  it('quotes known symbols at the current step and leaves unknown ones out', async () => {
    const source = createSimulatedPriceSource({ seed: 42, now: at('2025-06-02T10:30:45Z') });
    const step = (Date.parse('2025-06-02T10:30:00Z') - WALK_ORIGIN.getTime()) / 60_000;
    expect(await source.latest(['AAPL', 'NOSUCH'])).toEqual([
      { symbol: 'AAPL', price: priceAt({ ...walk, step }), source: 'simulated', asOf: '2025-06-02T10:30:00.000Z' },
    ]);
  });

  it('gives the same prices for the same seed and time, and different ones for another seed', async () => {
    const make = (seed: number) => createSimulatedPriceSource({ seed, now: at('2025-06-02T10:30:45Z') });
    const symbols = ['AAPL', 'MSFT', 'BTCUSDT'];
    expect(await make(7).latest(symbols)).toEqual(await make(7).latest(symbols));
    expect(await make(8).latest(symbols)).not.toEqual(await make(7).latest(symbols));
  });

  it('uses the given base prices and knows only those symbols', async () => {
    const source = createSimulatedPriceSource({ seed: 1, basePrices: { XYZ: '10.00' }, now: () => WALK_ORIGIN });
    expect((await source.latest(['XYZ', 'AAPL'])).map((q) => [q.symbol, q.price])).toEqual([['XYZ', '10']]);
  });

  it('builds hourly candles from the same walk: each close is the next open and the last close is the latest price', async () => {
    const source = createSimulatedPriceSource({ seed: 42, now: at('2025-06-02T10:00:00Z') });
    const candles = await source.history({ symbol: 'AAPL', from: new Date('2025-06-02T04:00:00Z'), to: new Date('2025-06-02T10:00:00Z'), interval: '1h' });
    expect(candles.map((c) => c.t.slice(11, 16))).toEqual(['04:00', '05:00', '06:00', '07:00', '08:00', '09:00']);
    candles.slice(1).forEach((c, i) => expect(c.open).toBe(candles[i]?.close));
    const [latest] = await source.latest(['AAPL']);
    expect(candles.at(-1)?.close).toBe(latest?.price);
  });

  it('keeps high and low around open and close in every candle', async () => {
    const source = createSimulatedPriceSource({ seed: 5, now: at('2025-09-01T00:00:00Z') });
    const candles = await source.history({ symbol: 'TSLA', from: new Date('2025-08-01T00:00:00Z'), to: new Date('2025-09-01T00:00:00Z'), interval: '1d' });
    expect(candles).toHaveLength(31);
    for (const c of candles) {
      const [open, high, low, close] = [c.open, c.high, c.low, c.close].map((p) => new Decimal(p)) as [Decimal, Decimal, Decimal, Decimal];
      expect(high.gte(Decimal.max(open, close)) && low.lte(Decimal.min(open, close))).toBe(true);
    }
  });

  it('opens weekly candles on Mondays and 4h candles every four hours from midnight UTC', async () => {
    const source = createSimulatedPriceSource({ seed: 42, now: at('2025-07-01T00:00:00Z') });
    const weeks = await source.history({ symbol: 'AAPL', from: new Date('2025-06-01T00:00:00Z'), to: new Date('2025-06-30T00:00:00Z'), interval: '1w' });
    expect(weeks.map((c) => c.t.slice(0, 10))).toEqual(['2025-06-02', '2025-06-09', '2025-06-16', '2025-06-23']);
    const fours = await source.history({ symbol: 'AAPL', from: new Date('2025-06-02T01:00:00Z'), to: new Date('2025-06-02T13:00:00Z'), interval: '4h' });
    expect(fours.map((c) => c.t.slice(11, 16))).toEqual(['04:00', '08:00', '12:00']);
  });

  it('leaves out a bar that has not closed yet', async () => {
    const source = createSimulatedPriceSource({ seed: 42, now: at('2025-06-02T10:59:00Z') });
    const candles = await source.history({ symbol: 'AAPL', from: new Date('2025-06-02T08:00:00Z'), to: new Date('2025-06-02T12:00:00Z'), interval: '1h' });
    expect(candles.map((c) => c.t)).toEqual(['2025-06-02T08:00:00.000Z', '2025-06-02T09:00:00.000Z']);
  });

  it('returns no candles for a symbol it does not know', async () => {
    const source = createSimulatedPriceSource({ seed: 42, now: at('2025-06-02T10:00:00Z') });
    expect(await source.history({ symbol: 'NOSUCH', from: new Date('2025-06-01T00:00:00Z'), to: new Date('2025-06-02T00:00:00Z'), interval: '1h' })).toEqual([]);
  });

  it('refuses a request for more than 5 000 candles', async () => {
    const source = createSimulatedPriceSource({ seed: 42, now: at('2025-06-02T10:00:00Z') });
    const request = { symbol: 'AAPL', from: new Date('2025-01-01T00:00:00Z'), to: new Date('2025-06-01T00:00:00Z'), interval: '1m' as const };
    await expect(source.history(request)).rejects.toThrow(RangeError);
  });
});
