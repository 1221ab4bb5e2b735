/** Splits a trading symbol into base and quote assets: BTCUSDT → BTC/USDT, AAPL → AAPL/USD. */
const CRYPTO_QUOTES = ['FDUSD', 'USDT', 'USDC', 'BUSD', 'TUSD', 'BTC', 'ETH', 'BNB'] as const;

export function splitSymbol(symbol: string): { base: string; quote: string } {
  for (const q of CRYPTO_QUOTES) {
    if (symbol.length > q.length && symbol.endsWith(q)) return { base: symbol.slice(0, -q.length), quote: q };
  }
  return { base: symbol, quote: 'USD' };
}
