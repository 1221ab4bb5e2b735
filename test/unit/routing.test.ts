import { describe, expect, it } from 'vitest';
import { isValidSymbol, parseRoutes, providerFor, routeSymbols } from '../../domain/market-data/routing.js';

describe('routeSymbols', () => {
  it('sends pairs quoted in USDT, BUSD, USDC, FDUSD, BTC, ETH and BNB to binance', () => {
    const pairs = ['BTCUSDT', 'ETHBUSD', 'SOLUSDC', 'BTCFDUSD', 'ETHBTC', 'LINKETH', 'ADABNB'];
    expect(routeSymbols(pairs)).toEqual({ binance: pairs, yahoo: [] });
  });

  it('sends equities, ETFs, share classes, indices and Yahoo FX or crypto tickers to yahoo', () => {
    const yahooSymbols = ['AAPL', 'MSFT', 'SPY', 'BRK-B', '^GSPC', 'EURUSD=X', 'BTC-USD', 'VOD.L'];
    expect(routeSymbols(yahooSymbols)).toEqual({ binance: [], yahoo: yahooSymbols });
  });

  it('does not take short tickers that end in a coin name for pairs', () => {
    expect(routeSymbols(['ETH', 'SETH', 'WBTC', 'BNB'])).toEqual({ binance: [], yahoo: ['ETH', 'SETH', 'WBTC', 'BNB'] });
  });

  it('lets an override win over the rules in both directions', () => {
    const overrides = parseRoutes('XYZ=binance,FOOUSDT=yahoo');
    expect(routeSymbols(['XYZ', 'FOOUSDT', 'AAPL', 'BTCUSDT'], overrides)).toEqual({
      binance: ['XYZ', 'BTCUSDT'],
      yahoo: ['FOOUSDT', 'AAPL'],
    });
  });

  it('drops duplicates and keeps first-seen order', () => {
    expect(routeSymbols(['MSFT', 'BTCUSDT', 'AAPL', 'MSFT', 'BTCUSDT'])).toEqual({ binance: ['BTCUSDT'], yahoo: ['MSFT', 'AAPL'] });
  });

  it('throws a RangeError naming every invalid symbol', () => {
    expect(() => routeSymbols(['AAPL', 'aapl', 'BAD SYMBOL'])).toThrow(/Invalid symbols: "aapl", "BAD SYMBOL"/);
  });
});

describe('providerFor', () => {
  it('answers for a single symbol with the same rules', () => {
    expect([providerFor('ETHUSDT'), providerFor('SPY'), providerFor('SPY', { SPY: 'binance' })]).toEqual(['binance', 'yahoo', 'binance']);
  });
});

describe('parseRoutes', () => {
  it('reads the MARKET_DATA_ROUTES format, tolerating spaces and upper-case provider names', () => {
    expect(parseRoutes(' XYZ = yahoo , FOOUSDT=BINANCE ')).toEqual({ XYZ: 'yahoo', FOOUSDT: 'binance' });
  });

  it('treats a blank or missing value as no overrides', () => {
    expect([parseRoutes(undefined), parseRoutes(''), parseRoutes(' , ')]).toEqual([{}, {}, {}]);
  });

  it('keeps an equals sign inside the symbol, splitting on the last one', () => {
    expect(parseRoutes('EURUSD=X=yahoo')).toEqual({ 'EURUSD=X': 'yahoo' });
  });

  it('rejects an unknown provider, naming the entry', () => {
    expect(() => parseRoutes('XYZ=yahoo,ABC=kraken')).toThrow(/"ABC=kraken" is not SYMBOL=yahoo\|binance/);
  });

  it('rejects an invalid symbol in an entry', () => {
    expect(() => parseRoutes('abc=yahoo')).toThrow(/"abc=yahoo"/);
  });
});

describe('isValidSymbol', () => {
  it('accepts upper-case symbols of 1 to 20 characters from A-Z, 0-9 and . ^ = -', () => {
    for (const s of ['A', 'AAPL', 'BRK-B', '^GSPC', 'EURUSD=X', 'VOD.L', '1INCHUSDT', 'A'.repeat(20)]) {
      expect(isValidSymbol(s), s).toBe(true);
    }
  });

  it('rejects lower case, spaces, other punctuation, empty and over-long symbols', () => {
    for (const s of ['aapl', 'AAPL ', 'BTC/USDT', 'AAPL;', '', 'A'.repeat(21)]) {
      expect(isValidSymbol(s), JSON.stringify(s)).toBe(false);
    }
  });
});
