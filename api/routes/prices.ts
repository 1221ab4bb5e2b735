/**
 * /v1/prices: the latest stored prices with the day's change and volume where the provider gives
 * them (a symbol never seen is fetched once from its provider), and candles (1m to 1w) built from
 * the stored history. A history range we hold nothing for (at its start, or at all) is fetched
 * from the symbol's provider (Binance klines, Yahoo chart) once, stored in price_candles and
 * served from there afterwards.
 */
import { createRoute } from '@hono/zod-openapi';
import { ExchangeRejectedError } from '../../domain/venue-errors.js';
import { latestPrices, storedPriceOf, storeQuotes, type StoredPrice } from '../../store/prices.js';
import { ProviderRateLimitedError, type PriceSources } from '../../venues/market-data/sources.js';
import { candleGridOffsetMs, candleOpen, INTERVAL_MS, isCandleOpen, type CandleInterval } from '../../domain/market-data/intervals.js';
import type { Candle } from '../../domain/market-data/types.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { ApiError } from '../errors.js';
import { bearerAuth, errors, json } from '../openapi/responses.js';
import { createRouter } from '../router.js';
import { candlesQuery, candlesSchema, MAX_SYMBOLS, pricesQuery, pricesSchema, symbolParams, type PriceView } from '../schemas/prices.js';

export interface PriceRoutesOptions {
  config: Config;
  sql: Sql;
  marketData: PriceSources;
  now?: () => number;
}

/** A stored price as the API shows it; the day's figures are null where the provider gave none. */
export function presentPrice(
  symbol: string,
  stored: Pick<StoredPrice, 'price' | 'source' | 'asOf'> & Partial<Pick<StoredPrice, 'change' | 'changePercent' | 'volume'>> | undefined,
  staleAfterMs: number,
  now: number,
): PriceView {
  if (!stored) return { symbol, price: null, source: null, asOf: null, stale: true, change: null, changePercent: null, volume: null };
  return {
    symbol,
    price: stored.price,
    source: stored.source,
    asOf: stored.asOf.toISOString(),
    stale: now - stored.asOf.getTime() > staleAfterMs,
    change: stored.change ?? null,
    changePercent: stored.changePercent ?? null,
    volume: stored.volume ?? null,
  };
}

const NOW = '2025-05-01T14:30:00.000Z';
const tags = ['market data'];

const getPrices = createRoute({
  method: 'get',
  path: '/',
  tags,
  operationId: 'getPrices',
  summary: 'Latest stored prices',
  description: 'A symbol asked for the first time is fetched once from its provider.',
  security: bearerAuth,
  request: { query: pricesQuery },
  responses: {
    200: json('One entry per symbol; never priced: nulls and stale', pricesSchema, [
      { symbol: 'BTCUSDT', price: '61000.5', source: 'binance', asOf: NOW, stale: false, change: '-250.5', changePercent: '-0.409', volume: '12873.5' },
      { symbol: 'AAPL', price: '227.52', source: 'yahoo', asOf: NOW, stale: false, change: '1.84', changePercent: '0.815314', volume: '41233100' },
    ]),
    ...errors({ auth: true }, { 422: `symbols missing, malformed or more than ${MAX_SYMBOLS}` }),
  },
});

const getCandles = createRoute({
  method: 'get',
  path: '/{symbol}/history',
  tags,
  operationId: 'getCandles',
  summary: 'Candles from stored prices, backfilled from the provider once',
  security: bearerAuth,
  request: { params: symbolParams, query: candlesQuery },
  responses: {
    200: json('Candles, oldest first', candlesSchema, {
      symbol: 'BTCUSDT',
      interval: '1h',
      from: NOW,
      to: NOW,
      candles: [{ t: NOW, open: '61000', high: '61200', low: '60900', close: '61100' }],
      backfill: null,
    }),
    ...errors(
      { auth: true },
      { 404: 'The provider does not list the symbol', 422: 'A malformed symbol, or a range that is reversed or spans more than 1000 candles', 502: 'The provider did not answer', 503: 'The provider is rate limiting' },
    ),
  },
});

export const MAX_CANDLES = 1000;
/** Candles returned when `from` is left out. */
const DEFAULT_CANDLES = 100;

/** Candles of our own samples: first, highest, lowest and last price of each interval. */
async function aggregatedCandles(sql: Sql, symbol: string, interval: CandleInterval, fromMs: number, endMs: number): Promise<Candle[]> {
  const stepS = INTERVAL_MS[interval] / 1000;
  // Weeks open on Mondays: the grid is shifted off the epoch (a Thursday).
  const offsetS = candleGridOffsetMs(interval) / 1000;
  const rows = await sql<{ t: Date; open: string; high: string; low: string; close: string }[]>`
    SELECT to_timestamp(floor((extract(epoch FROM at) - ${offsetS}::numeric) / ${stepS}::numeric) * ${stepS}::numeric + ${offsetS}::numeric) AS t,
      (array_agg(price::text ORDER BY at))[1] AS open, max(price)::text AS high,
      min(price)::text AS low, (array_agg(price::text ORDER BY at DESC))[1] AS close
    FROM price_history WHERE symbol = ${symbol} AND at >= ${new Date(fromMs)} AND at < ${new Date(endMs)}
    GROUP BY 1 ORDER BY 1`;
  return rows.map((r) => ({ t: r.t.toISOString(), open: r.open, high: r.high, low: r.low, close: r.close }));
}

async function storedCandles(sql: Sql, symbol: string, interval: CandleInterval, fromMs: number, endMs: number): Promise<Candle[]> {
  const rows = await sql<{ t: Date; open: string; high: string; low: string; close: string }[]>`
    SELECT t, open::text, high::text, low::text, close::text FROM price_candles
    WHERE symbol = ${symbol} AND interval = ${interval} AND t >= ${new Date(fromMs)} AND t < ${new Date(endMs)} ORDER BY t`;
  return rows.map((r) => ({ t: r.t.toISOString(), open: r.open, high: r.high, low: r.low, close: r.close }));
}

async function saveCandles(sql: Sql, symbol: string, interval: CandleInterval, source: string, candles: Candle[]): Promise<void> {
  if (candles.length === 0) return;
  const rows = candles.map((c) => ({ symbol, interval, t: c.t, open: c.open, high: c.high, low: c.low, close: c.close, source }));
  await sql`INSERT INTO price_candles ${sql(rows, 'symbol', 'interval', 't', 'open', 'high', 'low', 'close', 'source')}
    ON CONFLICT (symbol, interval, t) DO UPDATE SET open = EXCLUDED.open, high = EXCLUDED.high, low = EXCLUDED.low,
      close = EXCLUDED.close, source = EXCLUDED.source, fetched_at = now()`;
}

/** A provider failure as the API reports it. */
export function providerError(provider: string, err: unknown): ApiError {
  if (err instanceof ProviderRateLimitedError) {
    return new ApiError(503, 'provider_rate_limited', `${provider} is rate limiting requests; retry later`, { provider }, { 'Retry-After': String(Math.ceil(err.retryAfterMs / 1000)) });
  }
  const message = err instanceof Error ? err.message : String(err);
  return new ApiError(502, 'provider_unavailable', `${provider} did not answer: ${message}`, { provider });
}

/**
 * @example app.route('/v1/prices', priceRoutes({ config, sql, marketData }))
 */
export function priceRoutes({ config, sql, marketData, now = Date.now }: PriceRoutesOptions) {
  return createRouter()
    .openapi(getPrices, async (c) => {
      const { symbols } = c.req.valid('query');
      const stored = new Map((await latestPrices(sql, symbols)).map((p) => [p.symbol, p]));
      // A symbol asked for the first time is fetched once from its provider; from then on the
      // schedule keeps it fresh only while something (order, position, watchlist) needs it.
      const missing = symbols.filter((s) => !stored.has(s));
      if (missing.length > 0) {
        const quotes = await marketData.fetchLatest(missing);
        await storeQuotes(sql, quotes);
        for (const q of quotes) stored.set(q.symbol, storedPriceOf(q));
      }
      const at = now();
      return c.json(symbols.map((s) => presentPrice(s, stored.get(s), config.PRICE_STALE_AFTER, at)), 200);
    })

    .openapi(getCandles, async (c) => {
      const { symbol } = c.req.valid('param');
      const q = c.req.valid('query');
      const step = INTERVAL_MS[q.interval];
      const at = now();
      const to = q.to ?? new Date(at);
      const from = q.from ?? new Date(to.getTime() - (DEFAULT_CANDLES - 1) * step);
      if (from > to) throw new ApiError(422, 'invalid_range', 'from: must not be after to', [{ path: 'from', message: 'must not be after to' }]);
      const first = candleOpen(from.getTime(), q.interval);
      // Candles open at or before `to`, and not in the future.
      const last = Math.min(candleOpen(to.getTime(), q.interval), candleOpen(at, q.interval));
      if ((last - first) / step + 1 > MAX_CANDLES) {
        throw new ApiError(422, 'range_too_large', `from..to spans more than ${MAX_CANDLES} ${q.interval} candles; narrow the range or use a longer interval`);
      }
      const end = last + step;
      const byTime = new Map<string, Candle>();
      // Provider candles fill what our own samples do not cover.
      for (const candle of await storedCandles(sql, symbol, q.interval, first, end)) byTime.set(candle.t, candle);
      for (const candle of await aggregatedCandles(sql, symbol, q.interval, first, end)) byTime.set(candle.t, candle);

      let backfill: { provider: string; stored: number } | { provider: string; error: { code: string; message: string } } | null = null;
      const earliest = Math.min(end, ...[...byTime.keys()].map((t) => Date.parse(t)));
      if (earliest > first) {
        const provider = marketData.providerFor(symbol);
        try {
          const fetched = (await marketData.history({ symbol, from: new Date(first), to: new Date(earliest - 1), interval: q.interval })).candles.filter((k) => {
            const t = Date.parse(k.t);
            return t >= first && t < earliest && isCandleOpen(t, q.interval);
          });
          // Only finished candles are kept: a forming one would freeze half-way.
          const finished = fetched.filter((k) => Date.parse(k.t) + step <= at);
          await saveCandles(sql, symbol, q.interval, provider, finished);
          for (const candle of fetched) byTime.set(new Date(candle.t).toISOString(), candle);
          backfill = { provider, stored: finished.length };
        } catch (err) {
          if (err instanceof ExchangeRejectedError && err.code === -1121) throw new ApiError(404, 'unknown_symbol', `${provider} does not list ${symbol}`);
          const failure = providerError(provider, err);
          if (byTime.size === 0) throw failure;
          backfill = { provider, error: { code: failure.code, message: failure.message } };
        }
      }
      const candles = [...byTime.values()].sort((a, b) => Date.parse(a.t) - Date.parse(b.t));
      return c.json({ symbol, interval: q.interval, from: new Date(first).toISOString(), to: new Date(last).toISOString(), candles, backfill }, 200);
    });
}
