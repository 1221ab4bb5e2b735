import { Decimal } from 'decimal.js';
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  applyTrade,
  emptyState,
  parseState,
  recompute,
  serializeState,
  summarize,
  type AccountingMethod,
  type PortfolioState,
  type Trade,
  type TradeVenue,
} from '../../domain/portfolio/accounting.js';

const D = Decimal.clone({ precision: 60, toExpNeg: -100, toExpPos: 100 });
const METHODS: AccountingMethod[] = ['average', 'fifo'];
const MARKETS = [
  { symbol: 'BTCUSDT', base: 'BTC', quote: 'USDT' },
  { symbol: 'ETHUSDT', base: 'ETH', quote: 'USDT' },
  { symbol: 'AAPL', base: 'AAPL', quote: 'USD' },
] as const;
const VENUES: TradeVenue[] = ['binance', 'manual'];
const FEE_KINDS = ['none', 'quote', 'base', 'bnb-priced', 'bnb-unpriced'] as const;

/** An integer count of 1e-8 units as a decimal string, built without floats. */
const units8 = (n: bigint | number) => new D(n.toString()).div(1e8).toString();
const floor8 = (d: Decimal) => d.toDecimalPlaces(8, Decimal.ROUND_DOWN);

const intent = fc.record({
  market: fc.nat(MARKETS.length - 1),
  venue: fc.nat(VENUES.length - 1),
  sell: fc.boolean(),
  /** Share of the holding a SELL takes, in ‰ (1000 closes the position). */
  share: fc.oneof(fc.constant(1000), fc.integer({ min: 1, max: 1000 })),
  quantity: fc.bigInt({ min: 1n, max: 10n ** 12n }),
  price: fc.bigInt({ min: 0n, max: 10n ** 13n }),
  feeKind: fc.constantFrom(...FEE_KINDS),
  /** Fee size in ‰ of the quantity (base fees) or 1e-8 units (other fees). */
  fee: fc.integer({ min: 0, max: 100_000_000 }),
  gapSeconds: fc.nat(5),
});

type Intent = typeof intent extends fc.Arbitrary<infer T> ? T : never;

/** Turns random intents into a valid history: sells never give up more than is held. */
function history(intents: Intent[]): Trade[] {
  const held = new Map<string, Decimal>();
  let at = Date.UTC(2024, 0, 1);
  return intents.map((x, i) => {
    const m = MARKETS[x.market]!;
    const venue = VENUES[x.venue]!;
    const key = `${venue}:${m.symbol}`;
    const have = held.get(key) ?? new D(0);
    let quantity = new D(units8(x.quantity));
    let side: Trade['side'] = 'BUY';
    if (x.sell && have.gt(0)) {
      const sold = floor8(have.mul(x.share).div(1000));
      if (sold.gt(0)) [side, quantity] = ['SELL', sold];
    }
    let fee = new D(units8(x.fee));
    let feeAsset: string | null = null;
    let feeAssetPrice: string | undefined;
    if (x.feeKind === 'none') fee = new D(0);
    else if (x.feeKind === 'quote') feeAsset = m.quote;
    else if (x.feeKind.startsWith('bnb')) [feeAsset, feeAssetPrice] = ['BNB', x.feeKind === 'bnb-priced' ? '312.5' : undefined];
    else {
      feeAsset = m.base;
      fee = side === 'BUY' ? floor8(quantity.mul(x.fee % 1000).div(1000)) : D.min(floor8(quantity.mul(x.fee % 1000).div(1000)), have.minus(quantity));
    }
    const received = side === 'BUY' ? quantity.minus(feeAsset === m.base ? fee : 0) : quantity.plus(feeAsset === m.base ? fee : 0).neg();
    held.set(key, have.plus(received));
    at += x.gapSeconds * 1000;
    return {
      id: `f-${i}`,
      symbol: m.symbol,
      venue,
      side,
      quantity: quantity.toString(),
      price: units8(x.price),
      fee: fee.toString(),
      feeAsset,
      feeAssetPrice,
      executedAt: new Date(at).toISOString(),
    };
  });
}

const histories = fc.array(intent, { minLength: 1, maxLength: 80, size: 'medium' }).map(history);
const prices = fc.record({
  BTCUSDT: fc.bigInt({ min: 1n, max: 10n ** 13n }).map(units8),
  ETHUSDT: fc.bigInt({ min: 1n, max: 10n ** 13n }).map(units8),
  AAPL: fc.bigInt({ min: 1n, max: 10n ** 11n }).map(units8),
});

const fold = (start: PortfolioState, trades: Trade[], method: AccountingMethod) =>
  trades.reduce((state, trade) => applyTrade(state, trade, method), start);
const view = (state: PortfolioState, at: Record<string, string>) => ({
  state: serializeState(state),
  summary: summarize(state, at, { usdtUsdRate: '0.9991' }),
});

describe.each(METHODS)('portfolio accounting properties (%s)', (method) => {
  it('applying fills one by one gives exactly what recomputing them gives', () => {
    fc.assert(
      fc.property(histories, prices, (trades, at) => {
        expect(view(fold(emptyState(method), trades, method), at)).toEqual(view(recompute(trades, method), at));
      }),
    );
  });

  it('serialising, parsing and continuing gives exactly what an uninterrupted run gives', () => {
    fc.assert(
      fc.property(histories, fc.nat(), prices, (trades, cut, at) => {
        const k = cut % (trades.length + 1);
        const stored = JSON.parse(JSON.stringify(serializeState(fold(emptyState(method), trades.slice(0, k), method)))) as unknown;
        const resumed = fold(parseState(stored), trades.slice(k), method);
        expect(view(resumed, at)).toEqual(view(fold(emptyState(method), trades, method), at));
      }),
    );
  });

  it('leaves every earlier state as it was, even when two trades branch from the same state', () => {
    fc.assert(
      fc.property(histories, fc.nat(), (trades, cut) => {
        const k = cut % trades.length;
        const before = fold(emptyState(method), trades.slice(0, k), method);
        const snapshot = JSON.stringify(serializeState(before));
        const [next] = trades.slice(k);
        const extraBuy: Trade = { ...next!, id: 'branch', side: 'BUY', fee: '0', feeAsset: null };
        const branchA = applyTrade(before, next!, method);
        const branchB = applyTrade(before, extraBuy, method);
        const branchC = applyTrade(branchA, { ...extraBuy, id: 'branch-2' }, method);
        expect(JSON.stringify(serializeState(before))).toBe(snapshot);
        expect(serializeState(branchA)).toEqual(serializeState(recompute(trades.slice(0, k + 1), method)));
        expect(serializeState(branchB)).toEqual(serializeState(recompute([...trades.slice(0, k), extraBuy], method)));
        expect(serializeState(branchC)).toEqual(serializeState(recompute([...trades.slice(0, k + 1), { ...extraBuy, id: 'branch-2' }], method)));
      }),
    );
  });
});

describe('average cost and FIFO', () => {
  it('agree on quantities and on realized P&L minus remaining cost basis', () => {
    fc.assert(
      fc.property(histories, (trades) => {
        // Both equal sell proceeds minus buy cost, whatever the method; tiny drift from divisions is rounded away.
        const facts = (method: AccountingMethod) =>
          serializeState(recompute(trades, method)).positions.map((p) => [
            p.symbol,
            p.venue,
            p.quantity,
            new D(p.realizedPnl).minus(p.costBasis).toDecimalPlaces(20).toString(),
          ]);
        expect(facts('fifo')).toEqual(facts('average'));
      }),
    );
  });
});
