/**
 * Values a portfolio state at given prices: one row per (symbol, venue) in the symbol's quote
 * currency, and totals in USD. Math runs at full precision; only the output is rounded:
 * money 8 dp, average cost 12 dp, percentages and ratios 4 dp (half-even, trailing zeros
 * trimmed), quantities and prices exactly as they are, counts as integer strings.
 */
import { splitSymbol } from '../symbols.js';
import { Dec, InvalidInputError, MissingQuoteRateError, readAmount } from './types.js';
import type { Decimal, PortfolioState, PositionState, TradeVenue } from './types.js';
import type { CashBook } from './cash.js';

const ZERO = new Dec(0);
const ONE = new Dec(1);
const HUNDRED = new Dec(100);

export interface SummarizeOptions {
  /** USD per USDT. When omitted 1 is used and `totals.usdtRateAssumed` is true. */
  usdtUsdRate?: string | undefined;
  /** USD per unit of any other quote asset, e.g. `{ USDC: '0.9998', EUR: '1.08' }`. */
  quoteUsdRates?: Record<string, string> | undefined;
}

/** One (symbol, venue). Amounts are in `quoteAsset`; multiply by `usdRate` for USD. */
export interface PositionSummary {
  symbol: string;
  venue: TradeVenue;
  quoteAsset: string;
  quantity: string;
  avgCost: string;
  marketPrice: string;
  /** 'last-trade' when `prices` had no entry and the latest fill price stands in for it. */
  priceSource: 'market' | 'last-trade';
  marketValue: string;
  costBasis: string;
  unrealizedPnl: string;
  realizedPnl: string;
  feesPaid: string;
  /** DIVIDENDs received on this position, in `quoteAsset` (income: not subtracted from the cost basis). */
  dividends: string;
  /** Share of `totals.totalValue`; the column sums to exactly 100 (largest remainder). */
  allocationPct: string;
  usdRate: string;
  trades: string;
}

/** One currency's cash, amounts in that currency. */
export interface CashSummary {
  currency: string;
  balance: string;
  usdRate: string;
  deposits: string;
  withdrawals: string;
  implicitFunding: string;
  dividends: string;
  fees: string;
}

export interface SummaryTotals {
  baseCurrency: 'USD';
  totalValue: string;
  /** Cost basis of what is still held. */
  totalCost: string;
  realizedPnl: string;
  unrealizedPnl: string;
  feesPaid: string;
  /** Cost of every BUY ever made, fees included: the ROI denominator. */
  capitalInvested: string;
  /** (realized + unrealized + dividends − fees not tied to a trade) / capitalInvested × 100; '0' before any buy. */
  roiPct: string;
  /** DIVIDENDs received, USD. */
  dividends: string;
  /** Cash held, USD (see `cash` per currency). */
  cashValue: string;
  /** totalValue (positions) + cashValue. */
  netWorth: string;
  deposits: string;
  withdrawals: string;
  /** Purchases and fees paid from outside because cash was short (domain/portfolio/cash.ts). */
  implicitFunding: string;
  cash: CashSummary[];
  /** Winning closed round trips ÷ closed round trips, a ratio from 0 to 1; '0' when none closed. */
  winRate: string;
  trades: string;
  /** SELL fills: each is one closed round trip. */
  closedTrades: string;
  usdtRateAssumed: boolean;
  /** Open positions valued at their last fill price because `prices` lacked them. */
  missingPrices: string[];
  /** True when some fee in a third asset came without a price and counts as 0 in `feesPaid`. */
  feesUnpriced: boolean;
  unpricedFees: Record<string, string>;
}

export interface PortfolioSummary {
  positions: PositionSummary[];
  totals: SummaryTotals;
}

function plain(d: Decimal): string {
  return d.isZero() ? '0' : d.toString();
}
const byText = (a: string, b: string) => (a < b ? -1 : a > b ? 1 : 0);
const money = (d: Decimal) => plain(d.toDecimalPlaces(8, Dec.ROUND_HALF_EVEN));
const unitPrice = (d: Decimal) => plain(d.toDecimalPlaces(12, Dec.ROUND_HALF_EVEN));
const pct = (d: Decimal) => plain(d.toDecimalPlaces(4, Dec.ROUND_HALF_EVEN));

/** Rounds shares down to 4 dp, then gives the missing 0.0001s to the largest remainders. */
function allocations(values: readonly Decimal[], total: Decimal): Decimal[] {
  if (total.isZero()) return values.map(() => ZERO);
  const exact = values.map((v) => v.div(total).mul(HUNDRED));
  const shares = exact.map((e) => e.toDecimalPlaces(4, Dec.ROUND_DOWN));
  const missing = HUNDRED.minus(Dec.sum(ZERO, ...shares)).mul(10_000).round().toNumber();
  const byRemainder = values
    .map((_, i) => i)
    .filter((i) => values[i]!.gt(0))
    .sort((a, b) => exact[b]!.minus(shares[b]!).cmp(exact[a]!.minus(shares[a]!)) || a - b);
  for (const i of byRemainder.slice(0, missing)) shares[i] = shares[i]!.plus('0.0001');
  return shares;
}

function quoteRates(positions: readonly PositionState[], cashCurrencies: readonly string[], options: SummarizeOptions) {
  const rates = new Map<string, Decimal>([['USD', ONE]]);
  let usdtRateAssumed = false;
  const usdt = options.usdtUsdRate ?? options.quoteUsdRates?.['USDT'];
  if (usdt !== undefined) rates.set('USDT', readAmount(usdt, 'usdtUsdRate'));
  for (const [asset, rate] of Object.entries(options.quoteUsdRates ?? {})) {
    if (!rates.has(asset)) rates.set(asset, readAmount(rate, `quoteUsdRates.${asset}`));
  }
  for (const [asset, rate] of rates) if (rate.isZero()) throw new InvalidInputError(`The USD rate of ${asset} must be above zero`);
  const quotes = positions.map((p) => splitSymbol(p.symbol, p.venue).quote);
  for (const quote of quotes) {
    if (rates.has(quote)) continue;
    if (quote === 'USDT') {
      rates.set('USDT', ONE);
      usdtRateAssumed = true;
      continue;
    }
    throw new MissingQuoteRateError(quote, positions.filter((_, j) => quotes[j] === quote).map((p) => p.symbol));
  }
  for (const currency of cashCurrencies) {
    if (rates.has(currency)) continue;
    if (currency === 'USDT') {
      rates.set('USDT', ONE);
      usdtRateAssumed = true;
      continue;
    }
    throw new MissingQuoteRateError(currency, [`cash in ${currency}`]);
  }
  return { quotes, rates, usdtRateAssumed };
}

/**
 * Values every position at `prices` (keyed by symbol, in its quote currency) and adds up USD totals.
 * @example
 * const { positions, totals } = summarize(state, { BTCUSDT: '64000.5', AAPL: '189.2' }, { usdtUsdRate: '0.9995' });
 */
export function summarize(state: PortfolioState, prices: Readonly<Record<string, string>>, options: SummarizeOptions = {}): PortfolioSummary {
  const held = [...state.positions.values()].sort((a, b) => byText(a.symbol, b.symbol) || byText(a.venue, b.venue));
  const books = [...state.cash.values()].sort((a, b) => byText(a.currency, b.currency));
  const { quotes, rates, usdtRateAssumed } = quoteRates(held, books.map((b) => b.currency), options);
  const missingPrices = new Set<string>();
  const rows = held.map((p, i) => {
    const quoteAsset = quotes[i]!;
    const rate = rates.get(quoteAsset)!;
    const quoted = Object.hasOwn(prices, p.symbol) ? prices[p.symbol] : undefined;
    const price = quoted === undefined ? p.lastPrice : readAmount(quoted, `Price of ${p.symbol}`);
    if (quoted === undefined && !p.quantity.isZero()) missingPrices.add(p.symbol);
    const marketValue = p.quantity.mul(price);
    const unrealized = marketValue.minus(p.costBasis);
    return { p, quoteAsset, rate, price, quoted: quoted !== undefined, marketValue, unrealized, usdValue: marketValue.mul(rate) };
  });
  const sum = (f: (r: (typeof rows)[number]) => Decimal) => rows.reduce((acc, r) => acc.plus(f(r).mul(r.rate)), ZERO);
  const totalValue = rows.reduce((acc, r) => acc.plus(r.usdValue), ZERO);
  const shares = allocations(rows.map((r) => r.usdValue), totalValue);
  const realized = sum((r) => r.p.realizedPnl);
  const unrealized = sum((r) => r.unrealized);
  const capital = sum((r) => r.p.capitalInvested);
  const closed = held.reduce((n, p) => n + p.closedTrades, 0);
  const wins = held.reduce((n, p) => n + p.wins, 0);
  const usd = (f: (b: CashBook) => Decimal) => books.reduce((acc, b) => acc.plus(f(b).mul(rates.get(b.currency)!)), ZERO);
  const cashValue = usd((b) => b.balance);
  const dividends = usd((b) => b.dividends);
  const otherFees = usd((b) => b.fees);
  const gain = realized.plus(unrealized).plus(dividends).minus(otherFees);
  const unpriced = new Map<string, Decimal>();
  for (const p of held) for (const [asset, amount] of Object.entries(p.unpricedFees)) unpriced.set(asset, (unpriced.get(asset) ?? ZERO).plus(amount));

  return {
    positions: rows.map((r, i) => ({
      symbol: r.p.symbol,
      venue: r.p.venue,
      quoteAsset: r.quoteAsset,
      quantity: plain(r.p.quantity),
      avgCost: r.p.quantity.isZero() ? '0' : unitPrice(r.p.costBasis.div(r.p.quantity)),
      marketPrice: plain(r.price),
      priceSource: r.quoted ? 'market' : 'last-trade',
      marketValue: money(r.marketValue),
      costBasis: money(r.p.costBasis),
      unrealizedPnl: money(r.unrealized),
      realizedPnl: money(r.p.realizedPnl),
      feesPaid: money(r.p.feesPaid),
      dividends: money(r.p.dividends),
      allocationPct: pct(shares[i]!),
      usdRate: plain(r.rate),
      trades: String(r.p.trades),
    })),
    totals: {
      baseCurrency: 'USD',
      totalValue: money(totalValue),
      totalCost: money(sum((r) => r.p.costBasis)),
      realizedPnl: money(realized),
      unrealizedPnl: money(unrealized),
      feesPaid: money(sum((r) => r.p.feesPaid).plus(otherFees)),
      capitalInvested: money(capital),
      roiPct: capital.isZero() ? '0' : pct(gain.div(capital).mul(HUNDRED)),
      dividends: money(dividends),
      cashValue: money(cashValue),
      netWorth: money(totalValue.plus(cashValue)),
      deposits: money(usd((b) => b.deposits)),
      withdrawals: money(usd((b) => b.withdrawals)),
      implicitFunding: money(usd((b) => b.implicitFunding)),
      cash: books.map((b) => ({
        currency: b.currency,
        balance: plain(b.balance),
        usdRate: plain(rates.get(b.currency)!),
        deposits: plain(b.deposits),
        withdrawals: plain(b.withdrawals),
        implicitFunding: plain(b.implicitFunding),
        dividends: plain(b.dividends),
        fees: plain(b.fees),
      })),
      winRate: closed === 0 ? '0' : pct(new Dec(wins).div(closed)),
      trades: String(state.trades),
      closedTrades: String(closed),
      usdtRateAssumed,
      missingPrices: [...missingPrices],
      feesUnpriced: unpriced.size > 0,
      unpricedFees: Object.fromEntries([...unpriced].map(([asset, amount]) => [asset, plain(amount)])),
    },
  };
}
