/**
 * One interface for every market-data provider (Binance public REST, Yahoo Finance through
 * yahoo-finance2, and a seeded simulation). Prices are decimal strings.
 */
export type PriceSourceName = 'binance' | 'yahoo' | 'simulated';
export type CandleInterval = '1m' | '1h' | '1d';

export interface PriceQuote {
  symbol: string;
  price: string;
  source: PriceSourceName;
  /** When the provider says the price was current (ISO-8601). */
  asOf: string;
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
