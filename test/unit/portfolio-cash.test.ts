/**
 * Cash and income in the accounting core: the rules of docs/portfolio-accounting.md ("Cash and
 * income") as hand-computed cases, and the fold's agreement with a full recompute.
 */
import fc from 'fast-check';
import { describe, expect, it } from 'vitest';
import {
  InsufficientCashError,
  InvalidInputError,
  TradeOutOfOrderError,
  applyTrade,
  emptyState,
  parseState,
  recompute,
  serializeState,
  summarize,
  type Trade,
  Dec,
} from '../../domain/portfolio/accounting.js';
import { bookFlows } from '../../domain/portfolio/flow-books.js';

const at = (n: number) => new Date(Date.UTC(2024, 0, 1) + n * 60_000).toISOString();
let seq = 0;
const buy = (n: number, symbol: string, quantity: string, price: string, fee = '0'): Trade => ({
  id: `t-${++seq}`, symbol, venue: 'manual', side: 'BUY', quantity, price, fee, feeAsset: fee === '0' ? null : 'USD', executedAt: at(n),
});
const sell = (n: number, symbol: string, quantity: string, price: string): Trade => ({ ...buy(n, symbol, quantity, price), side: 'SELL' });
const cash = (n: number, side: 'DEPOSIT' | 'WITHDRAWAL' | 'DIVIDEND' | 'FEE', amount: string, symbol = ''): Trade => ({
  id: `c-${++seq}`, symbol, venue: 'manual', side, quantity: '0', price: '0', fee: '0', feeAsset: null, amount, currency: 'USD', executedAt: at(n),
});
const split = (n: number, symbol: string, ratio: string): Trade => ({
  id: `s-${++seq}`, symbol, venue: 'manual', side: 'SPLIT', quantity: '0', price: '0', fee: '0', feeAsset: null, ratio, executedAt: at(n),
});
const usd = (state: ReturnType<typeof recompute>) => state.cash.get('USD')!;

describe('cash', () => {
  it('pays purchases from cash and funds the shortfall from outside', () => {
    const s = recompute([cash(1, 'DEPOSIT', '300'), buy(2, 'AAPL', '5', '100', '1')]);
    expect(usd(s).balance.toString()).toBe('0');
    expect(usd(s).implicitFunding.toString()).toBe('201');
    const after = applyTrade(s, sell(3, 'AAPL', '5', '110'));
    expect(usd(after).balance.toString()).toBe('550');
    expect(usd(after).implicitFunding.toString()).toBe('201');
  });

  it('moves quote cash by the gross value and a fee only when the fee is in the quote currency', () => {
    const binance = (side: 'BUY' | 'SELL', n: number, fee: string, feeAsset: string, feeAssetPrice?: string): Trade => ({
      id: `b-${++seq}`, symbol: 'BNBUSDT', venue: 'binance', side, quantity: '2', price: '300', fee, feeAsset, executedAt: at(n), ...(feeAssetPrice ? { feeAssetPrice } : {}),
    });
    const usdt = (trades: Trade[]) => recompute(trades).cash.get('USDT')!;
    // In the quote: 600 + 0.6 paid (funded from outside), then 600 − 0.6 received.
    expect(usdt([binance('BUY', 1, '0.6', 'USDT')]).implicitFunding.toString()).toBe('600.6');
    expect(usdt([binance('BUY', 1, '0.6', 'USDT'), binance('SELL', 2, '0.6', 'USDT')]).balance.toString()).toBe('599.4');
    // In the base, or in a third asset (priced or not): the fee leaves USDT alone, though a priced one is in the cost.
    expect(usdt([binance('BUY', 1, '0.002', 'BNB')]).implicitFunding.toString()).toBe('600');
    const priced = recompute([binance('BUY', 1, '0.001', 'ETH', '3000')]);
    expect(priced.cash.get('USDT')!.implicitFunding.toString()).toBe('600');
    expect(priced.positions.get('binance:BNBUSDT')!.costBasis.toString()).toBe('603');
    expect(usdt([binance('BUY', 1, '0.001', 'ETH')]).implicitFunding.toString()).toBe('600');
  });

  it('counts a dividend as income: cash and return go up, the cost basis does not move', () => {
    const s = recompute([buy(1, 'AAPL', '10', '100'), cash(2, 'DIVIDEND', '25', 'AAPL')]);
    const p = s.positions.get('manual:AAPL')!;
    expect(p.costBasis.toString()).toBe('1000');
    expect(p.dividends.toString()).toBe('25');
    const { totals, positions } = summarize(s, { AAPL: '100' });
    expect(totals).toMatchObject({ dividends: '25', cashValue: '25', netWorth: '1025', roiPct: '2.5', totalCost: '1000' });
    expect(positions[0]).toMatchObject({ avgCost: '100', dividends: '25' });
  });

  it('takes a standalone fee from cash and from the return', () => {
    const s = recompute([cash(1, 'DEPOSIT', '1000'), buy(2, 'AAPL', '10', '100'), cash(3, 'FEE', '5')]);
    expect(usd(s).implicitFunding.toString()).toBe('5');
    expect(summarize(s, { AAPL: '100' }).totals).toMatchObject({ feesPaid: '5', roiPct: '-0.5', netWorth: '1000' });
  });

  it('refuses a withdrawal beyond cash when strict, and lets the fold carry it', () => {
    const entries = [cash(1, 'DEPOSIT', '100'), buy(2, 'AAPL', '1', '60'), cash(3, 'WITHDRAWAL', '40.01')];
    expect(() => recompute(entries, 'average', { strictCash: true })).toThrow(InsufficientCashError);
    expect(usd(recompute(entries)).balance.toString()).toBe('-0.01');
    expect(() => recompute([cash(1, 'DEPOSIT', '100'), cash(2, 'WITHDRAWAL', '100')], 'average', { strictCash: true })).not.toThrow();
  });

  it('refuses, when strict, a dividend or split on a symbol not held at its time, and a split ratio of 0 always', () => {
    expect(() => recompute([cash(1, 'DIVIDEND', '1', 'AAPL')], 'average', { strictCash: true })).toThrow(InvalidInputError);
    expect(() => recompute([buy(2, 'AAPL', '1', '1'), cash(1, 'DIVIDEND', '1', 'AAPL')], 'average', { strictCash: true })).toThrow(/no units/);
    expect(() => recompute([buy(1, 'AAPL', '1', '1'), sell(2, 'AAPL', '1', '1'), split(3, 'AAPL', '2')], 'average', { strictCash: true })).toThrow(InvalidInputError);
    expect(() => recompute([buy(1, 'AAPL', '1', '1'), split(2, 'AAPL', '0')])).toThrow(/ratio must be above zero/);
  });

  it('splits every lot: a 4-for-1 split then a sale of the first lot under FIFO realizes against a quarter of its price', () => {
    const s = recompute([buy(1, 'AAPL', '10', '200'), buy(2, 'AAPL', '10', '400'), split(3, 'AAPL', '4'), sell(4, 'AAPL', '40', '60')], 'fifo');
    const p = s.positions.get('manual:AAPL')!;
    expect(p.quantity.toString()).toBe('40');
    expect(p.realizedPnl.toString()).toBe('400'); // 40 × 60 − 2000
    expect(p.costBasis.toString()).toBe('4000');
    const avg = recompute([buy(1, 'AAPL', '10', '200'), split(2, 'AAPL', '0.5')]).positions.get('manual:AAPL')!;
    expect(avg.quantity.toString()).toBe('5');
    expect(avg.costBasis.toString()).toBe('2000');
  });

  it('gives up the incremental fold (recompute instead) for an entry older than the last one that moved its cash', () => {
    const s = recompute([buy(5, 'AAPL', '1', '10')]);
    expect(() => applyTrade(s, cash(4, 'DEPOSIT', '10'))).toThrow(TradeOutOfOrderError);
    expect(() => applyTrade(s, buy(4, 'MSFT', '1', '10'))).toThrow(TradeOutOfOrderError);
  });

  it('keeps cash through serializeState and parseState, and refuses a state stored before cash was tracked', () => {
    const s = recompute([cash(1, 'DEPOSIT', '100'), buy(2, 'AAPL', '1', '60'), cash(3, 'DIVIDEND', '2', 'AAPL')]);
    const back = parseState(JSON.parse(JSON.stringify(serializeState(s))));
    expect(serializeState(back)).toEqual(serializeState(s));
    const old = { ...serializeState(s), format: 'durable-trader/portfolio-state@1' };
    expect(() => parseState(old)).toThrow(/Not a stored portfolio state/);
  });
});

describe('splits and flow books', () => {
  it('splits only the manual position: a venue position keeps the units its venue reports', () => {
    const paper: Trade = { ...buy(1, 'AAPL', '10', '200'), venue: 'paper' };
    const s = recompute([paper, buy(2, 'AAPL', '1', '200'), split(3, 'AAPL', '4')]);
    expect(s.positions.get('paper:AAPL')!.quantity.toString()).toBe('10');
    expect(s.positions.get('manual:AAPL')!.quantity.toString()).toBe('4');
  });

  it('recomputes when a purchase arrives older than a split of its symbol', () => {
    const s = recompute([buy(1, 'AAPL', '1', '10'), split(5, 'AAPL', '2')]);
    expect(() => applyTrade(s, buy(4, 'AAPL', '1', '10'))).toThrow(TradeOutOfOrderError);
  });

  it('books a flow once at the rate it is first seen and reverses it at that rate', () => {
    const first = bookFlows({}, [{ currency: 'EUR', native: new Dec('1000'), usdRate: '1.08' }]);
    expect(first.netFlowsUsd).toBe('1080');
    const more = bookFlows(first.books, [{ currency: 'EUR', native: new Dec('1500'), usdRate: '1.1' }]);
    expect(more.netFlowsUsd).toBe('1630');
    const half = bookFlows(more.books, [{ currency: 'EUR', native: new Dec('750'), usdRate: '2' }]);
    expect(half.netFlowsUsd).toBe('815');
    // A currency gone from the books (its only deposit voided) returns to exactly 0.
    expect(bookFlows(half.books, []).netFlowsUsd).toBe('0');
  });
});

describe('the fold with cash entries', () => {
  const entry = fc.record({
    kind: fc.constantFrom('BUY', 'SELL', 'DEPOSIT', 'WITHDRAWAL', 'DIVIDEND', 'FEE', 'SPLIT'),
    symbol: fc.constantFrom('AAPL', 'MSFT'),
    units: fc.integer({ min: 1, max: 20 }),
    cents: fc.integer({ min: 1, max: 50_000 }),
  });

  it('ends, applied one by one in time order, exactly where a recompute ends', () => {
    fc.assert(
      fc.property(fc.array(entry, { maxLength: 40 }), (xs) => {
        const held = new Map<string, number>();
        const trades: Trade[] = [];
        xs.forEach((x, i) => {
          const have = held.get(x.symbol) ?? 0;
          const amount = (x.cents / 100).toString();
          if (x.kind === 'BUY') {
            trades.push(buy(i, x.symbol, String(x.units), amount));
            held.set(x.symbol, have + x.units);
          } else if (x.kind === 'SELL' && have > 0) {
            const q = Math.min(have, x.units);
            trades.push(sell(i, x.symbol, String(q), amount));
            held.set(x.symbol, have - q);
          } else if (x.kind === 'SPLIT' && have > 0) {
            trades.push(split(i, x.symbol, '2'));
            held.set(x.symbol, have * 2);
          } else if (x.kind === 'DEPOSIT' || x.kind === 'WITHDRAWAL' || x.kind === 'FEE' || x.kind === 'DIVIDEND') {
            trades.push(cash(i, x.kind, amount, x.kind === 'DIVIDEND' ? x.symbol : ''));
          }
        });
        let state = emptyState();
        for (const t of trades) state = applyTrade(state, t);
        expect(serializeState(state)).toEqual(serializeState(recompute(trades)));
        // Cash is conserved: what came in minus what went out.
        const book = state.cash.get('USD');
        if (book) {
          const spent = trades.filter((t) => t.side === 'BUY').reduce((a, t) => a + Number(t.quantity) * Number(t.price), 0);
          const got = trades.filter((t) => t.side === 'SELL').reduce((a, t) => a + Number(t.quantity) * Number(t.price), 0);
          const inflow = book.deposits.plus(book.implicitFunding).plus(book.dividends).minus(book.withdrawals).minus(book.fees);
          expect(book.balance.toNumber()).toBeCloseTo(inflow.toNumber() - spent + got, 6);
        }
      }),
      { numRuns: 200 },
    );
  });
});
