/**
 * Which provider prices a symbol: Binance spot pairs go to Binance, everything Yahoo-shaped
 * (equities, ETFs, indices, share classes) to Yahoo. Overrides win over the rules.
 */
export type RoutedProvider = 'binance' | 'yahoo';
export type RouteOverrides = Readonly<Record<string, RoutedProvider>>;

export interface RoutedSymbols {
  binance: string[];
  yahoo: string[];
}

/**
 * Quote assets that mark a Binance pair, longest first so FDUSD wins over USD-like endings.
 * Stablecoins may follow a one-letter base (TUSDT); the short coin tickers need a base of at least
 * two letters so equities like SETH or WBTC are not taken for pairs.
 */
const STABLE_QUOTES = ['FDUSD', 'USDT', 'BUSD', 'USDC'] as const;
const COIN_QUOTES = ['BTC', 'ETH', 'BNB'] as const;

const SYMBOL = /^[A-Z0-9.^=-]{1,20}$/;

/**
 * Upper-case, 1–20 characters of A–Z, 0–9 and `. ^ = -` (BRK-B, ^GSPC, EURUSD=X, BTCUSDT).
 * @example isValidSymbol('BRK-B') // true; isValidSymbol('aapl') // false
 */
export function isValidSymbol(symbol: string): boolean {
  return SYMBOL.test(symbol);
}

function looksLikeBinancePair(symbol: string): boolean {
  // Yahoo-only punctuation: share classes (BRK-B), indices (^GSPC), FX (EURUSD=X), venues (VOD.L).
  if (!/^[A-Z0-9]+$/.test(symbol)) return false;
  const endsWith = (quotes: readonly string[], minBase: number) =>
    quotes.some((q) => symbol.endsWith(q) && symbol.length - q.length >= minBase);
  return endsWith(STABLE_QUOTES, 1) || endsWith(COIN_QUOTES, 2);
}

/**
 * The provider for one valid symbol.
 * @example providerFor('ETHUSDT') // 'binance'; providerFor('SPY') // 'yahoo'
 */
export function providerFor(symbol: string, overrides: RouteOverrides = {}): RoutedProvider {
  return overrides[symbol] ?? (looksLikeBinancePair(symbol) ? 'binance' : 'yahoo');
}

/**
 * Splits a batch by provider, keeping first-seen order and dropping duplicates.
 * Throws a RangeError naming every invalid symbol: callers validate at the edge, so one here is a bug.
 * @example
 * routeSymbols(['AAPL', 'BTCUSDT', 'XYZ'], parseRoutes('XYZ=binance'))
 * // { binance: ['BTCUSDT', 'XYZ'], yahoo: ['AAPL'] }
 */
export function routeSymbols(symbols: readonly string[], overrides: RouteOverrides = {}): RoutedSymbols {
  const invalid = symbols.filter((s) => !isValidSymbol(s));
  if (invalid.length > 0) throw new RangeError(`Invalid symbols: ${invalid.map((s) => JSON.stringify(s)).join(', ')}`);
  const routed: RoutedSymbols = { binance: [], yahoo: [] };
  for (const symbol of new Set(symbols)) routed[providerFor(symbol, overrides)].push(symbol);
  return routed;
}

/**
 * Parses `SYMBOL=provider` pairs separated by commas (the MARKET_DATA_ROUTES format). Blank input
 * means no overrides; a malformed entry throws, naming it, so a typo stops start-up.
 * @example parseRoutes('XYZ=yahoo, FOOUSDT=binance') // { XYZ: 'yahoo', FOOUSDT: 'binance' }
 */
export function parseRoutes(spec: string | undefined): Record<string, RoutedProvider> {
  const routes: Record<string, RoutedProvider> = {};
  for (const entry of (spec ?? '').split(',')) {
    const trimmed = entry.trim();
    if (trimmed === '') continue;
    // The last `=` separates, so symbols like EURUSD=X can be routed too.
    const match = /^(\S+?)\s*=\s*(yahoo|binance)$/i.exec(trimmed);
    const symbol = match?.[1];
    const provider = match?.[2]?.toLowerCase();
    if (symbol === undefined || !isValidSymbol(symbol) || (provider !== 'yahoo' && provider !== 'binance')) {
      throw new Error(`MARKET_DATA_ROUTES: ${JSON.stringify(trimmed)} is not SYMBOL=yahoo|binance (e.g. "XYZ=yahoo,FOOUSDT=binance")`);
    }
    routes[symbol] = provider;
  }
  return routes;
}
