/**
 * Binance public market data as a PriceSource: batched `ticker/price` for the latest prices and
 * `klines` for history. Binance rejects a whole batch with -1121 when one symbol is unknown, so a
 * rejected batch is split in halves until the unknown symbols are isolated and left out.
 */
import { z } from 'zod';
import { createBinanceHttp, type FetchLike } from '../binance/http.js';
import { ExchangeRejectedError, ExchangeUnknownOutcomeError } from '../../domain/venue-errors.js';
import type { RequestBudget } from '../binance/request-budget.js';
import type { Candle, CandleInterval, HistoryRequest, PriceQuote, PriceSource } from '../../domain/market-data/types.js';

export interface BinancePriceSourceOptions {
  baseUrl: string;
  fetch?: FetchLike;
  /** Per HTTP request. Default 10 000 ms. */
  timeoutMs?: number;
  /** ticker/price carries no timestamp: quotes are stamped with this clock. */
  now?: () => Date;
  /** The Binance request budget of this process, shared with the exchange adapters (weight is counted per IP). Market data spends it as polls do. */
  requestBudget?: RequestBudget;
}

const decimal = z.string().regex(/^\d+(\.\d+)?$/);
const tickerSchema = z.array(z.object({ symbol: z.string(), price: decimal }));
const klineSchema = z.array(z.tuple([z.number(), decimal, decimal, decimal, decimal], z.unknown()));

/** Binance symbol syntax; anything else cannot be listed and is left out without asking. */
const SYMBOL = /^[A-Z0-9-_.]{1,20}$/;
const INTERVAL_MS: Record<CandleInterval, number> = { '1m': 60_000, '1h': 3_600_000, '1d': 86_400_000 };
const KLINES_MAX = 1000;

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

  /** One batched request; on -1121 the batch is halved and each half asked again. */
  async function tickers(symbols: string[]): Promise<Array<{ symbol: string; price: string }>> {
    if (symbols.length === 0) return [];
    try {
      const query = `symbols=${encodeURIComponent(JSON.stringify(symbols))}`;
      return parse(tickerSchema, await http({ method: 'GET', path: '/api/v3/ticker/price', query, weight: 4, priority: 'poll' }), 'GET /api/v3/ticker/price');
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
      const rows = await tickers(wanted);
      const asOf = now().toISOString();
      return rows.map((r) => ({ symbol: r.symbol, price: r.price, source: 'binance', asOf }));
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
