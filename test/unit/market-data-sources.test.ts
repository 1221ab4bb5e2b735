/**
 * The routed price sources (venues/market-data/sources.ts) over HTTP against the Binance and
 * Yahoo fakes, and the config that feeds them.
 */
import { afterEach, beforeEach, describe, expect, it } from 'vitest';
import { createPriceSources, ProviderRateLimitedError } from '../../venues/market-data/sources.js';
import { ConfigError, loadConfig } from '../../lib/config.js';
import { PriceUnavailableError } from '../../domain/market-data/errors.js';
import { priceRefreshSchedule, priceRefreshScheduleId } from '../../workflows/schedules.js';
import { startBinanceFake, type BinanceFake } from '../fakes/binance/index.js';
import { startYahooFake, type YahooFake } from '../fakes/yahoo/index.js';

let binance: BinanceFake;
let yahoo: YahooFake;
beforeEach(async () => {
  binance = await startBinanceFake({ apiKey: 'k', apiSecret: 's' });
  yahoo = await startYahooFake();
});
afterEach(async () => {
  await Promise.all([binance.close(), yahoo.close()]);
});

const config = (env: Record<string, string> = {}) => loadConfig({ BINANCE_BASE_URL: binance.url, YAHOO_BASE_URL: yahoo.url, MARKET_DATA_TIMEOUT: '2s', ...env });
const yahooQuoteCalls = () => yahoo.requests().filter((r) => r.path === '/v7/finance/quote').length;

describe('createPriceSources', () => {
  it('prices a crypto pair through Binance and an equity through Yahoo in one call', async () => {
    const quotes = await createPriceSources(config()).fetchLatest(['BTCUSDT', 'AAPL']);
    expect(quotes.map(({ symbol, price, source }) => ({ symbol, price, source })).sort((a, b) => a.symbol.localeCompare(b.symbol))).toEqual([
      { symbol: 'AAPL', price: '227.52', source: 'yahoo' },
      { symbol: 'BTCUSDT', price: '60000.00000000', source: 'binance' },
    ]);
  });

  it('explains a price it could not get: which provider failed, its error, and OFFLINE=1', async () => {
    yahoo.setFailure('down');
    const sources = createPriceSources(config());
    const err = await sources.fetchLatestOrExplain(['AAPL']).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(PriceUnavailableError);
    expect((err as PriceUnavailableError).failures).toEqual([{ provider: 'yahoo', error: expect.any(String) }]);
    expect((err as Error).message).toMatch(/^No price for AAPL: yahoo failed \(.+\);.*OFFLINE=1/);
    // A symbol the provider answered for but does not know is absent, not an error.
    expect(await sources.fetchLatestOrExplain(['NOPEUSDT'])).toEqual([]);
  });

  it('returns the Binance prices and reports the Yahoo failure when Yahoo is down', async () => {
    yahoo.setFailure('down');
    const failures: string[] = [];
    const sources = createPriceSources(config(), { onFailure: (f) => failures.push(`${f.provider}:${f.symbols.join(',')}`) });
    const quotes = await sources.fetchLatest(['BTCUSDT', 'AAPL', 'ETHUSDT']);
    expect(quotes.map((q) => q.symbol).sort()).toEqual(['BTCUSDT', 'ETHUSDT']);
    expect(failures).toEqual(['yahoo:AAPL']);
    const settled = await sources.fetchLatestSettled(['AAPL']);
    expect(settled.failures[0]?.error.message).toMatch(/HTTP 503/);
  });

  it('does not wait for a Yahoo that hangs longer than its timeout before answering with Binance prices', async () => {
    yahoo.setFailure('timeout');
    const started = Date.now();
    const { quotes, failures } = await createPriceSources(config({ MARKET_DATA_TIMEOUT: '500ms' })).fetchLatestSettled(['BTCUSDT', 'AAPL']);
    expect(quotes.map((q) => q.symbol)).toEqual(['BTCUSDT']);
    expect(failures.map((f) => f.provider)).toEqual(['yahoo']);
    expect(Date.now() - started).toBeLessThan(5_000);
  });

  it('leaves a rate-limited Yahoo alone for its Retry-After instead of asking again on the next fetch', async () => {
    const sources = createPriceSources(config());
    await sources.fetchLatest(['AAPL']);
    yahoo.setFailure('rate-limit');
    const first = await sources.fetchLatestSettled(['AAPL']);
    expect(first.failures[0]?.error).toBeInstanceOf(ProviderRateLimitedError);
    expect((first.failures[0]?.error as ProviderRateLimitedError).retryAfterMs).toBe(7_000);
    const calls = yahooQuoteCalls();
    yahoo.setFailure(null);
    const second = await sources.fetchLatestSettled(['AAPL']);
    expect(second.failures[0]?.error).toBeInstanceOf(ProviderRateLimitedError);
    expect(yahooQuoteCalls()).toBe(calls);
  });

  it('sends a symbol to the provider MARKET_DATA_ROUTES names for it', async () => {
    binance.setPrice('BNBUSDT', '612.5');
    yahoo.setPrice('BNBUSDT', '1.23');
    const sources = createPriceSources(config({ MARKET_DATA_ROUTES: 'BNBUSDT=yahoo' }));
    expect(sources.providerFor('BNBUSDT')).toBe('yahoo');
    expect(await sources.fetchLatest(['BNBUSDT'])).toMatchObject([{ symbol: 'BNBUSDT', price: '1.23', source: 'yahoo' }]);
  });

  it('routes history to the symbol’s provider and names it', async () => {
    const to = new Date();
    const { provider, candles } = await createPriceSources(config()).history({ symbol: 'BTCUSDT', from: new Date(to.getTime() - 3 * 3_600_000), to, interval: '1h' });
    expect(provider).toBe('binance');
    expect(candles.length).toBeGreaterThanOrEqual(3);
  });
});

describe('market-data config', () => {
  it('refuses a malformed MARKET_DATA_ROUTES at start-up, naming the entry', () => {
    expect(() => loadConfig({ MARKET_DATA_ROUTES: 'XYZ=nasdaq' })).toThrow(ConfigError);
    expect(() => loadConfig({ MARKET_DATA_ROUTES: 'XYZ=nasdaq' })).toThrow(/MARKET_DATA_ROUTES.*"XYZ=nasdaq" is not SYMBOL=yahoo\|binance/);
  });

  it('parses MARKET_DATA_ROUTES into overrides and defaults it to none', () => {
    expect(loadConfig({ MARKET_DATA_ROUTES: 'XYZ=yahoo, FOOUSDT=binance' }).MARKET_DATA_ROUTES).toEqual({ XYZ: 'yahoo', FOOUSDT: 'binance' });
    expect(loadConfig({}).MARKET_DATA_ROUTES).toEqual({});
  });
});

describe('priceRefreshSchedule', () => {
  it('runs refreshPrices on the market-data queue every PRICE_REFRESH_INTERVAL, skipping overlaps', () => {
    const c = loadConfig({ PRICE_REFRESH_INTERVAL: '20s', TASK_QUEUE_PREFIX: 'staging-' });
    const s = priceRefreshSchedule(c);
    expect(priceRefreshScheduleId(c)).toBe('staging-price-refresh');
    expect(s.spec.intervals).toEqual([{ every: 20_000 }]);
    expect(s.policies).toEqual({ overlap: 'SKIP', catchupWindow: 20_000, pauseOnFailure: false });
    expect(s.action).toMatchObject({ workflowType: 'refreshPrices', taskQueue: 'staging-market-data', args: [{ fetchDeadlineMs: 16_000 }] });
  });

  it('raises a sub-second interval to the one second Temporal Schedules accept', () => {
    const s = priceRefreshSchedule(loadConfig({ PRICE_REFRESH_INTERVAL: '500ms' }));
    expect(s.spec.intervals).toEqual([{ every: 1_000 }]);
    expect(s.policies.catchupWindow).toBe(10_000);
  });
});
