/**
 * What a trading symbol is made of, for every venue and for the portfolio: the one place that
 * decides whether `ABNB` is Airbnb or A/BNB.
 */
import type { Venue } from './exchange.js';

/** Quotes recognised at the end of a symbol on every venue (no stock ticker ends in these). */
const STABLE_QUOTES = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD'];
/** Further quotes recognised on Binance only, where every symbol is a pair (`ABNB` is a stock elsewhere). */
const ALL_QUOTES = [...STABLE_QUOTES, 'BTC', 'ETH', 'BNB', 'EUR', 'TRY', 'BRL', 'JPY', 'GBP', 'DAI', 'USD'];

/**
 * Splits a symbol into base and quote asset. `BTC/USDT` and `BTC-USD` split at the separator when
 * the part after it is a known quote (so `BRK-B` stays a stock); otherwise a known quote suffix is
 * cut off; anything else is an equity quoted in USD. `venue` is where the symbol trades ('manual'
 * for a trade the user typed in).
 * @example splitSymbol('BTCUSDT') // { base: 'BTC', quote: 'USDT' }
 * @example splitSymbol('ABNB', 'paper') // { base: 'ABNB', quote: 'USD' }
 * @example splitSymbol('ETHBTC', 'binance') // { base: 'ETH', quote: 'BTC' }
 */
export function splitSymbol(symbol: string, venue?: Venue | 'manual'): { base: string; quote: string } {
  const s = symbol.trim().toUpperCase();
  const sep = /^([A-Z0-9.]+)[/-]([A-Z0-9]+)$/.exec(s);
  if (sep && ALL_QUOTES.includes(sep[2]!)) return { base: sep[1]!, quote: sep[2]! };
  const quotes = venue === 'binance' ? ALL_QUOTES : STABLE_QUOTES;
  for (const quote of quotes) {
    if (s.length > quote.length && s.endsWith(quote)) return { base: s.slice(0, -quote.length), quote };
  }
  return { base: s, quote: 'USD' };
}
