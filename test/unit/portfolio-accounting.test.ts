import { describe, expect, it } from 'vitest';
import {
  applyTrade,
  emptyState,
  InsufficientPositionError,
  InvalidInputError,
  InvalidStateError,
  MissingQuoteRateError,
  parseState,
  recompute,
  serializeState,
  summarize,
  TradeOutOfOrderError,
  type AccountingMethod,
  type PortfolioState,
  type Trade,
} from '../../domain/portfolio/accounting.js';
import { splitSymbol } from '../../domain/symbols.js';

let clock = 0;
/** A fill of AAPL on the manual venue, one second after the previous one, no fee unless given. */
function fill(side: Trade['side'], quantity: string, price: string, extra: Partial<Trade> = {}): Trade {
  clock += 1;
  return {
    id: `t-${clock}`,
    symbol: 'AAPL',
    venue: 'manual',
    side,
    quantity,
    price,
    fee: '0',
    feeAsset: null,
    executedAt: new Date(Date.UTC(2024, 0, 1, 0, 0, clock)).toISOString(),
    ...extra,
  };
}

function fold(trades: Trade[], method: AccountingMethod = 'average'): PortfolioState {
  return trades.reduce((state, trade) => applyTrade(state, trade, method), emptyState(method));
}

function row(state: PortfolioState, prices: Record<string, string> = {}, symbol = 'AAPL') {
  const found = summarize(state, prices, { usdtUsdRate: '1' }).positions.find((p) => p.symbol === symbol);
  if (!found) throw new Error(`no ${symbol} row`);
  return found;
}

const twoBuys = () => [fill('BUY', '10', '100'), fill('BUY', '10', '120')];
// 0.1% fees in USD: 1 on 1000, 1.2 on 1200, 0.65 on 650.
const twoBuysWithFees = () => [
  fill('BUY', '10', '100', { fee: '1', feeAsset: 'USD' }),
  fill('BUY', '10', '120', { fee: '1.2', feeAsset: 'USD' }),
];
const sellWithFee = () => fill('SELL', '5', '130', { fee: '0.65', feeAsset: 'USD' });

describe('average cost', () => {
  it('two buys of 10 at 100 and 120 have an average cost of 110', () => {
    expect(row(fold(twoBuys())).avgCost).toBe('110');
  });

  it('selling 5 at 130 from an average cost of 110 realizes 100 and leaves 15', () => {
    const position = row(fold([...twoBuys(), fill('SELL', '5', '130')]), { AAPL: '130' });
    // 5 × 130 − 5 × 110 = 100; 15 left at 110 each = 1650, worth 15 × 130 = 1950.
    expect(position).toMatchObject({ quantity: '15', realizedPnl: '100', avgCost: '110', costBasis: '1650', unrealizedPnl: '300' });
  });

  it('adds buy fees in the quote currency to the cost basis and takes sell fees from the proceeds', () => {
    const position = row(fold([...twoBuysWithFees(), sellWithFee()]));
    // Cost: 1000 + 1 + 1200 + 1.2 = 2202.2 for 20, so 110.11 each.
    // Sell: proceeds 650 − 0.65 = 649.35; cost of 5 = 5 × 110.11 = 550.55; realized 98.8.
    // Left: 15 × 110.11 = 1651.65. Fees: 1 + 1.2 + 0.65 = 2.85.
    expect(position).toMatchObject({ quantity: '15', avgCost: '110.11', realizedPnl: '98.8', costBasis: '1651.65', feesPaid: '2.85' });
  });

  it('starts a fresh average cost when a position closed to zero is reopened', () => {
    const position = row(fold([fill('BUY', '2', '100'), fill('SELL', '2', '150'), fill('BUY', '1', '300')]));
    // The first round trip realizes 2 × (150 − 100) = 100; the reopened lot alone sets the cost.
    expect(position).toMatchObject({ quantity: '1', avgCost: '300', costBasis: '300', realizedPnl: '100' });
  });
});

describe('FIFO lots', () => {
  it('realizes 5 × (130 − 100) = 150 on the same sequence', () => {
    const position = row(fold([...twoBuys(), fill('SELL', '5', '130')], 'fifo'));
    // 5 left of the 100 lot (500) plus the 120 lot (1200) = 1700 for 15.
    expect(position).toMatchObject({ quantity: '15', realizedPnl: '150', costBasis: '1700', avgCost: '113.333333333333' });
  });

  it('sells against the first lot at its cost including its fee', () => {
    const position = row(fold([...twoBuysWithFees(), sellWithFee()], 'fifo'));
    // First lot: 10 for 1001, so 5 cost 500.5. Realized: 649.35 − 500.5 = 148.85.
    // Left: 500.5 + 1201.2 = 1701.7 for 15 = 113.44666… (12 dp in the output).
    expect(position).toMatchObject({ quantity: '15', realizedPnl: '148.85', costBasis: '1701.7', avgCost: '113.446666666667' });
  });

  it('starts from the new lot when a position closed to zero is reopened', () => {
    const position = row(fold([fill('BUY', '2', '100'), fill('BUY', '1', '110'), fill('SELL', '3', '150'), fill('BUY', '1', '300')], 'fifo'));
    // Realized: 3 × 150 − (200 + 110) = 140.
    expect(position).toMatchObject({ quantity: '1', avgCost: '300', realizedPnl: '140' });
  });

  it('consumes several lots in one sell, splitting the last one it touches', () => {
    const position = row(fold([fill('BUY', '1', '10'), fill('BUY', '1', '20'), fill('BUY', '2', '30'), fill('SELL', '3', '40')], 'fifo'));
    // Cost of 3: 10 + 20 + 30 = 60; realized 120 − 60 = 60; 1 left at 30.
    expect(position).toMatchObject({ quantity: '1', realizedPnl: '60', costBasis: '30' });
  });
});

describe('selling more than is held', () => {
  it.each<AccountingMethod>(['average', 'fifo'])('throws InsufficientPositionError with what is held and asked (%s)', (method) => {
    const state = fold([fill('BUY', '1.5', '100')], method);
    const error = (() => {
      try {
        applyTrade(state, fill('SELL', '2', '100'), method);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(InsufficientPositionError);
    expect(error).toMatchObject({ name: 'InsufficientPositionError', symbol: 'AAPL', venue: 'manual', held: '1.5', requested: '2' });
  });

  it('counts a base-asset fee on a sell as part of what is given up', () => {
    const state = fold([fill('BUY', '1', '100', { symbol: 'BTCUSDT', venue: 'binance' })]);
    const sell = fill('SELL', '1', '100', { symbol: 'BTCUSDT', venue: 'binance', fee: '0.001', feeAsset: 'BTC' });
    expect(() => applyTrade(state, sell, 'average')).toThrow(InsufficientPositionError);
  });
});

describe('fees outside the quote currency', () => {
  const btc = { symbol: 'BTCUSDT', venue: 'binance' } as const;

  it('reduces the quantity received when a buy fee is charged in the base asset', () => {
    const position = row(fold([fill('BUY', '1', '100', { ...btc, fee: '0.001', feeAsset: 'BTC' })]), {}, 'BTCUSDT');
    // Paid 100 USDT for 0.999 BTC: avg 100 / 0.999 = 100.1001001001…; fee worth 0.001 × 100 = 0.1.
    expect(position).toMatchObject({ quantity: '0.999', costBasis: '100', avgCost: '100.1001001001', feesPaid: '0.1' });
  });

  it('values a BNB fee at its given price and adds it to the cost basis', () => {
    const state = fold([fill('BUY', '1', '100', { ...btc, fee: '0.01', feeAsset: 'BNB', feeAssetPrice: '300' })]);
    // 0.01 BNB × 300 USDT = 3 USDT of fees.
    expect(row(state, {}, 'BTCUSDT')).toMatchObject({ quantity: '1', costBasis: '103', feesPaid: '3' });
  });

  it('records a BNB fee without a price at zero and flags it', () => {
    const state = fold([fill('BUY', '1', '100', { ...btc, fee: '0.01', feeAsset: 'BNB' })]);
    const { positions, totals } = summarize(state, { BTCUSDT: '100' }, { usdtUsdRate: '1' });
    expect(positions[0]).toMatchObject({ costBasis: '100', feesPaid: '0' });
    expect(totals).toMatchObject({ feesPaid: '0', feesUnpriced: true, unpricedFees: { BNB: '0.01' } });
  });
});

describe('USD totals', () => {
  const btcBuy = () => fill('BUY', '0.5', '40000', { symbol: 'BTCUSDT', venue: 'binance' });

  it('converts USDT-quoted values to USD at the given rate', () => {
    const { positions, totals } = summarize(fold([btcBuy()]), { BTCUSDT: '50000' }, { usdtUsdRate: '0.999' });
    // 0.5 × 50000 = 25000 USDT = 24975 USD; cost 20000 USDT = 19980 USD.
    expect(positions[0]).toMatchObject({ quoteAsset: 'USDT', marketValue: '25000', usdRate: '0.999' });
    expect(totals).toMatchObject({ baseCurrency: 'USD', totalValue: '24975', totalCost: '19980', unrealizedPnl: '4995', usdtRateAssumed: false });
  });

  it('uses 1 and sets usdtRateAssumed when no USDT rate is given', () => {
    const { totals } = summarize(fold([btcBuy()]), { BTCUSDT: '50000' });
    expect(totals).toMatchObject({ totalValue: '25000', usdtRateAssumed: true });
  });

  it('does not flag an assumed USDT rate for a portfolio of equities', () => {
    const { totals } = summarize(fold([fill('BUY', '2', '190')]), { AAPL: '200' });
    expect(totals).toMatchObject({ totalValue: '400', usdtRateAssumed: false });
  });

  it('refuses a quote currency it has no USD rate for', () => {
    const state = fold([fill('BUY', '1', '0.05', { symbol: 'ETHBTC', venue: 'binance' })]);
    expect(() => summarize(state, { ETHBTC: '0.05' })).toThrow(MissingQuoteRateError);
  });

  it('values an open position without a market price at its last fill price and lists it', () => {
    const { positions, totals } = summarize(fold([fill('BUY', '2', '190'), fill('BUY', '1', '193')]), {});
    expect(positions[0]).toMatchObject({ marketPrice: '193', priceSource: 'last-trade', marketValue: '579' });
    expect(totals.missingPrices).toEqual(['AAPL']);
  });
});

describe('win rate and ROI', () => {
  // Buy 10 at 100 (capital 1000), then three sells: +40, −20, +20; 3 left at 100, priced 105.
  const state = () =>
    fold([fill('BUY', '10', '100'), fill('SELL', '4', '110'), fill('SELL', '2', '90'), fill('SELL', '1', '120')]);

  it('counts each SELL as one closed round trip and wins as those with positive realized P&L', () => {
    const { totals } = summarize(state(), { AAPL: '105' });
    expect(totals).toMatchObject({ trades: '4', closedTrades: '3', winRate: '0.6667', realizedPnl: '40' });
  });

  it('divides realized plus unrealized P&L by the capital invested in buys', () => {
    const { totals } = summarize(state(), { AAPL: '105' });
    // (40 + 3 × (105 − 100)) / 1000 = 5.5 %.
    expect(totals).toMatchObject({ unrealizedPnl: '15', capitalInvested: '1000', roiPct: '5.5' });
  });
});

describe('allocation', () => {
  it('sums to exactly 100 when the shares do not divide evenly', () => {
    const state = fold([
      fill('BUY', '1', '10'),
      fill('BUY', '1', '10', { symbol: 'MSFT' }),
      fill('BUY', '1', '10', { symbol: 'BTCUSDT', venue: 'binance' }),
    ]);
    const { positions } = summarize(state, { AAPL: '10', MSFT: '10', BTCUSDT: '10' }, { usdtUsdRate: '1' });
    const shares = positions.map((p) => p.allocationPct);
    expect(shares).toEqual(['33.3334', '33.3333', '33.3333']);
    const total = shares.reduce((sum, s) => sum + BigInt(s.replace('.', '')), 0n);
    expect(total).toBe(1_000_000n); // 100.0000 in units of 0.0001
  });
});

describe('output formatting', () => {
  it('rounds money half-even to 8 dp and trims trailing zeros', () => {
    // Cost bases 1.000000005 (a tie, kept at the even 1.00000000) and 2.000000015 (up to …02).
    const state = fold([fill('BUY', '1', '1.000000005'), fill('BUY', '1', '2.000000015', { symbol: 'MSFT' })]);
    expect(row(state).costBasis).toBe('1');
    expect(row(state, {}, 'MSFT').costBasis).toBe('2.00000002');
  });
});

describe('stored state', () => {
  it('serializes to JSON whose every value is a string', () => {
    const json = serializeState(fold([...twoBuysWithFees(), sellWithFee()], 'fifo'));
    const leaves: unknown[] = [];
    const walk = (v: unknown): void => {
      if (Array.isArray(v)) v.forEach(walk);
      else if (v !== null && typeof v === 'object') Object.values(v).forEach(walk);
      else leaves.push(v);
    };
    walk(json);
    expect(leaves.filter((v) => typeof v !== 'string')).toEqual([]);
  });

  it('JSON.stringify of a state writes the same JSON as serializeState', () => {
    const state = fold(twoBuys(), 'fifo');
    expect(JSON.parse(JSON.stringify(state))).toEqual(serializeState(state));
  });

  it('rejects stored FIFO lots that do not add up to the position', () => {
    const json = serializeState(fold(twoBuys(), 'fifo'));
    json.positions[0]!.lots[0]!.quantity = '9';
    expect(() => parseState(json)).toThrow(InvalidStateError);
  });

  it('refuses to continue a state with a method other than the one it was built with', () => {
    expect(() => applyTrade(fold(twoBuys(), 'average'), fill('SELL', '1', '100'), 'fifo')).toThrow(InvalidStateError);
  });
});

describe('trade order', () => {
  it('throws TradeOutOfOrderError for a trade older than the last one applied', () => {
    const [first, second] = twoBuys();
    expect(() => applyTrade(fold([second!]), first!, 'average')).toThrow(TradeOutOfOrderError);
  });

  it('accepts a late fill for another position and matches recompute', () => {
    const aapl = fill('BUY', '1', '190');
    const lateBtc = { ...fill('BUY', '1', '100', { symbol: 'BTCUSDT', venue: 'binance' }), executedAt: '2023-12-31T00:00:00.000Z' };
    expect(serializeState(fold([aapl, lateBtc]))).toEqual(serializeState(recompute([aapl, lateBtc])));
  });

  it('recompute sorts the trades by execution time first', () => {
    const [buy1, buy2] = twoBuys();
    const sell = fill('SELL', '15', '130');
    expect(serializeState(recompute([sell, buy2!, buy1!], 'fifo'))).toEqual(serializeState(fold([buy1!, buy2!, sell], 'fifo')));
  });
});

describe('input checks', () => {
  it('names the trade and field when an amount is not a decimal string', () => {
    expect(() => applyTrade(emptyState(), fill('BUY', '1e3', '100', { id: 'bad-1' }), 'average')).toThrow(/Trade bad-1: quantity/);
  });

  it('throws InvalidInputError for a fee that needs a fee asset', () => {
    expect(() => applyTrade(emptyState(), fill('BUY', '1', '100', { fee: '1' }), 'average')).toThrow(InvalidInputError);
  });
});

describe('splitSymbol', () => {
  it.each([
    ['BTCUSDT', undefined, 'BTC', 'USDT'],
    ['AAPL', undefined, 'AAPL', 'USD'],
    ['ETHBTC', 'binance', 'ETH', 'BTC'],
    ['ABNB', 'paper', 'ABNB', 'USD'],
    ['ABNB', undefined, 'ABNB', 'USD'],
    ['ABNB', 'binance', 'A', 'BNB'],
    ['BTC-USD', undefined, 'BTC', 'USD'],
    ['BRK-B', undefined, 'BRK-B', 'USD'],
  ] as const)('splits %s (venue %s) into %s / %s', (symbol, venue, base, quote) => {
    expect(splitSymbol(symbol, venue)).toEqual({ base, quote });
  });
});
