/** What /v1/prices, /v1/watchlist and the stream read and answer about prices. */
import { z } from '@hono/zod-openapi';
import { CANDLE_INTERVALS } from '../../domain/market-data/intervals.js';
import { isValidSymbol } from '../../domain/market-data/routing.js';
import { decimal, isoTime, unsignedDecimal } from './common.js';

/** A symbol any provider could know: BTCUSDT, AAPL, BRK-B, ^GSPC, EURUSD=X. */
export const marketSymbol = z.string().refine(isValidSymbol, 'must be an upper-case symbol such as "BTCUSDT", "AAPL" or "BRK-B"');

export const MAX_SYMBOLS = 100;

const symbolList = z
  .string()
  .transform((s) => [...new Set(s.split(',').map((x) => x.trim()))])
  .pipe(z.array(marketSymbol).min(1).max(MAX_SYMBOLS, `at most ${MAX_SYMBOLS} symbols`))
  .openapi({ type: 'string', description: `Comma-separated, at most ${MAX_SYMBOLS}: BTCUSDT,AAPL`, example: 'BTCUSDT,AAPL' });

export const pricesQuery = z.strictObject({ symbols: symbolList });

const dateTime = z.iso
  .datetime({ offset: true, error: 'must be an ISO-8601 date-time such as "2025-01-01T00:00:00Z"' })
  .transform((s) => new Date(s))
  .openapi({ type: 'string', format: 'date-time' });

const candleInterval = z.enum(CANDLE_INTERVALS).openapi({
  description: 'Candles open on the UTC grid of their length (00:00, 04:00 … for 4h); weekly ones on Mondays 00:00 UTC, as Binance\'s',
});

export const candlesQuery = z.strictObject({
  from: dateTime.optional().openapi({ description: '100 candles before `to` when left out' }),
  to: dateTime.optional().openapi({ description: 'Now when left out' }),
  interval: candleInterval.default('1h'),
});

export const symbolParams = z.strictObject({
  symbol: marketSymbol.openapi({ param: { name: 'symbol', in: 'path', description: 'Symbol' }, example: 'BTCUSDT' }),
});

export const putWatchlistBody = z.strictObject({
  symbols: z
    .array(marketSymbol)
    .max(MAX_SYMBOLS, `at most ${MAX_SYMBOLS} symbols`)
    .transform((s) => [...new Set(s)]),
});

// --- Answers --------------------------------------------------------------------------------------

export const priceSchema = z
  .strictObject({
    symbol: z.string(),
    price: unsignedDecimal.nullable(),
    source: z.string().nullable().openapi({ description: 'The provider, e.g. "binance", "yahoo"' }),
    asOf: isoTime.nullable(),
    stale: z.boolean().openapi({ description: 'Older than PRICE_STALE_AFTER, or never priced' }),
    change: decimal.nullable().openapi({
      description: "The day's change as the provider reported it with this price (Binance: over the rolling 24 hours; Yahoo: since the previous close); null when it gives none",
      example: '-250.5',
    }),
    changePercent: decimal.nullable().openapi({ description: 'The change in percent of the price the day started at ("-0.41" is a fall of 0.41 %); null when unknown', example: '-0.41' }),
    volume: unsignedDecimal.nullable().openapi({ description: "The day's traded quantity in the symbol's units (coins, shares); null when unknown", example: '12873.5' }),
  })
  .openapi('Price', { description: 'A symbol never priced has price, source and asOf null and is stale; change, changePercent and volume are null where the provider gives none' });

export type PriceView = z.infer<typeof priceSchema>;

export const pricesSchema = z.array(priceSchema);

const candle = z.strictObject({ t: isoTime.openapi({ description: 'Opening time of the candle' }), open: unsignedDecimal, high: unsignedDecimal, low: unsignedDecimal, close: unsignedDecimal });

export const candlesSchema = z
  .strictObject({
    symbol: z.string(),
    interval: candleInterval,
    from: isoTime,
    to: isoTime,
    candles: z.array(candle),
    backfill: z
      .union([
        z.strictObject({ provider: z.string(), stored: z.number().int().min(0).openapi({ description: 'Finished candles stored' }) }),
        z.strictObject({ provider: z.string(), error: z.strictObject({ code: z.string(), message: z.string() }) }),
      ])
      .nullable()
      .openapi({ description: 'null when the stored history covered the range; else what the provider gave, or why it failed' }),
  })
  .openapi('Candles');

export const watchlistSchema = z.strictObject({ symbols: z.array(z.string()) }).openapi('Watchlist');
