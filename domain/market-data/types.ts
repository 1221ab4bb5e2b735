/**
 * One interface for every market-data provider (Binance public REST, Yahoo Finance through
 * yahoo-finance2, and a seeded simulation). Prices are decimal strings.
 */
import type { CandleInterval } from './intervals.js';

export type { CandleInterval } from './intervals.js';
export type PriceSourceName = 'binance' | 'yahoo' | 'simulated';

export interface PriceQuote {
  symbol: string;
  price: string;
  source: PriceSourceName;
  /** When the provider says the price was current (ISO-8601). */
  asOf: string;
  /**
   * The day's move and volume where the provider gives them (absent or null where it does not):
   * Binance's over the rolling 24 hours (ticker/24hr), Yahoo's over the regular session against
   * the previous close.
   */
  change?: string | null;
  /** The change in percent of the day's starting price: "-1.25" is a fall of 1.25 %. */
  changePercent?: string | null;
  /** Quantity traded, in the symbol's own units (coins, shares). */
  volume?: string | null;
}

export interface Candle {
  /** Open time (ISO-8601). */
  t: string;
  open: string;
  high: string;
  low: string;
  close: string;
}

export interface HistoryRequest {
  symbol: string;
  from: Date;
  to: Date;
  interval: CandleInterval;
}

export interface PriceSource {
  readonly name: PriceSourceName;
  /**
   * Latest prices for a batch of symbols. Symbols the provider does not know are left out of the
   * result (not an error); a provider failure throws.
   */
  latest(symbols: string[]): Promise<PriceQuote[]>;
  history(req: HistoryRequest): Promise<Candle[]>;
}
