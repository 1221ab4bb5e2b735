/**
 * Binance public market data as a PriceSource: `ticker/24hr` for the latest prices with the day's
 * change and volume, and `klines` for history. ticker/24hr weighs 2 for up to 20 symbols but 40
 * from 21 on (rest-api.md), so symbols are asked 20 at a time: less than ticker/price's 4 per
 * batch up to 20 symbols, and 10 for 100 symbols instead of 40. Binance rejects a whole batch with
 * -1121 when one symbol is unknown, so a rejected batch is split in halves until the unknown
 * symbols are isolated and left out.
 */
import { z } from 'zod';
import { createBinanceHttp, type FetchLike } from '../binance/http.js';
import { ExchangeRejectedError, ExchangeUnknownOutcomeError } from '../../domain/venue-errors.js';
import type { RequestBudget } from '../binance/request-budget.js';
import { INTERVAL_MS } from '../../domain/market-data/intervals.js';
import type { Candle, HistoryRequest, PriceQuote, PriceSource } from '../../domain/market-data/types.js';

export interface BinancePriceSourceOptions {
  baseUrl: string;
  fetch?: FetchLike;
  /** Per HTTP request. Default 10 000 ms. */
  timeoutMs?: number;
  /** Quotes are stamped with this clock: ticker/24hr's closeTime is the end of its window, not the last trade's time. */
  now?: () => Date;
  /** The Binance request budget of this process, shared with the exchange adapters (weight is counted per IP). Market data spends it as polls do. */
  requestBudget?: RequestBudget;
}

const decimal = z.string().regex(/^\d+(\.\d+)?$/);
const signedDecimal = z.string().regex(/^-?\d+(\.\d+)?$/);
const tickerSchema = z.array(z.object({ symbol: z.string(), lastPrice: decimal, priceChange: signedDecimal, priceChangePercent: signedDecimal, volume: decimal }));
type Ticker = z.infer<typeof tickerSchema>[number];
const klineSchema = z.array(z.tuple([z.number(), decimal, decimal, decimal, decimal], z.unknown()));

/** Binance symbol syntax; anything else cannot be listed and is left out without asking. */
const SYMBOL = /^[A-Z0-9-_.]{1,20}$/;
const KLINES_MAX = 1000;
/** ticker/24hr's cheapest batch: weight 2 for 1 to 20 symbols. */
const TICKER_BATCH = 20;

function parse<T>(schema: z.ZodType<T>, json: unknown, label: string): T {
  const parsed = schema.safeParse(json);
  if (!parsed.success) throw new ExchangeUnknownOutcomeError(`${label}: unexpected response shape`);
  return parsed.data;
}

const isInvalidSymbol = (err: unknown): boolean => err instanceof ExchangeRejectedError && err.code === -1121;

/**
 * Creates the Binance price source.
 * @example
 * const prices = createBinancePriceSource({ baseUrl: 'https://api.binance.com' });
 * const [btc] = await prices.latest(['BTCUSDT']);
 */
export function createBinancePriceSource(options: BinancePriceSourceOptions): PriceSource {
  const http = createBinanceHttp(options);
  const now = options.now ?? (() => new Date());

  /** One batched request of at most 20 symbols; on -1121 the batch is halved and each half asked again. */
  async function tickers(symbols: string[]): Promise<Ticker[]> {
    if (symbols.length === 0) return [];
    try {
      const query = `symbols=${encodeURIComponent(JSON.stringify(symbols))}&type=FULL`;
      return parse(tickerSchema, await http({ method: 'GET', path: '/api/v3/ticker/24hr', query, weight: 2, priority: 'poll' }), 'GET /api/v3/ticker/24hr');
    } catch (err) {
      if (!isInvalidSymbol(err)) throw err;
      if (symbols.length === 1) return [];
      const mid = Math.ceil(symbols.length / 2);
      const [left, right] = await Promise.all([tickers(symbols.slice(0, mid)), tickers(symbols.slice(mid))]);
      return [...left, ...right];
    }
  }

  return {
    name: 'binance',

    async latest(symbols: string[]): Promise<PriceQuote[]> {
      const wanted = [...new Set(symbols)].filter((s) => SYMBOL.test(s));
      const batches: string[][] = [];
      for (let i = 0; i < wanted.length; i += TICKER_BATCH) batches.push(wanted.slice(i, i + TICKER_BATCH));
      const rows = (await Promise.all(batches.map(tickers))).flat();
      const asOf = now().toISOString();
      return rows.map((r) => ({
        symbol: r.symbol,
        price: r.lastPrice,
        source: 'binance',
        asOf,
        change: r.priceChange,
        changePercent: r.priceChangePercent,
        volume: r.volume,
      }));
    },

    /** Candles whose open time lies in [from, to], paged 1000 at a time. An unknown symbol throws ExchangeRejectedError -1121. */
    async history(req: HistoryRequest): Promise<Candle[]> {
      const step = INTERVAL_MS[req.interval];
      const end = req.to.getTime();
      const candles: Candle[] = [];
      let start = req.from.getTime();
      while (start <= end) {
        const query = new URLSearchParams({
          symbol: req.symbol,
          interval: req.interval,
          startTime: String(start),
          endTime: String(end),
          limit: String(KLINES_MAX),
        }).toString();
        const rows = parse(klineSchema, await http({ method: 'GET', path: '/api/v3/klines', query, weight: 2, priority: 'poll' }), 'GET /api/v3/klines');
        for (const [openTime, open, high, low, close] of rows) {
          candles.push({ t: new Date(openTime).toISOString(), open, high, low, close });
        }
        const last = rows[rows.length - 1];
        if (rows.length < KLINES_MAX || last === undefined) break;
        start = last[0] + step;
      }
      return candles;
    },
  };
}
