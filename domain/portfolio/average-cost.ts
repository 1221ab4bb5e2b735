/**
 * How one fill changes a position: the fee rules both methods share (`readFill`, `settle`) and
 * the average-cost step, which is the default method. fifo.ts swaps in its own cost of units sold.
 */
import { splitSymbol } from '../symbols.js';
import {
  Dec,
  InsufficientPositionError,
  InvalidInputError,
  readAmount,
  type AccountingMethod,
  type Decimal,
  type LotQueue,
  type PositionState,
  type Trade,
  type TradeSide,
  type TradeVenue,
} from './types.js';

const ZERO = new Dec(0);
const SYMBOL = /^[A-Z0-9][A-Z0-9./-]*$/;

/** A trade translated into what it does to a position, in the symbol's quote currency. */
export interface Fill {
  readonly id: string;
  readonly symbol: string;
  readonly venue: TradeVenue;
  readonly side: TradeSide;
  readonly executedAt: string;
  readonly price: Decimal;
  /** Base units added (BUY, net of a base-asset fee) or removed (SELL, plus a base-asset fee). */
  readonly units: Decimal;
  /** BUY: everything paid, fees included. SELL: proceeds net of fees. */
  readonly cash: Decimal;
  /** The fee's value in quote currency; zero for an unpriced third-asset fee. */
  readonly feeValue: Decimal;
  readonly unpricedFee: { readonly asset: string; readonly amount: Decimal } | null;
  /** The quote currency, whose cash the trade moves. */
  readonly quote: string;
  /** What the quote currency's cash moves by: the gross value, plus (BUY) or minus (SELL) a fee charged in that currency. */
  readonly quoteCash: Decimal;
}

/**
 * Validates a trade and applies the fee rules. A fee in the quote asset is paid on top of a BUY
 * and taken from a SELL's proceeds; a fee in the base asset shrinks what a BUY receives and adds
 * to what a SELL gives up; a fee in a third asset counts at `feeAssetPrice`, or at zero and is
 * reported as unpriced when that price is missing.
 * @example readFill({ ...trade, side: 'BUY', quantity: '1', price: '100', fee: '0.001', feeAsset: 'BTC' }).units // 0.999
 */
export function readFill(trade: Trade): Fill {
  const id = trade.id;
  if (typeof id !== 'string' || id === '') throw new InvalidInputError(`A trade needs a non-empty string id, got ${JSON.stringify(id)}`);
  const symbol = typeof trade.symbol === 'string' ? trade.symbol.trim().toUpperCase() : '';
  if (!SYMBOL.test(symbol)) throw new InvalidInputError(`Trade ${id}: symbol must look like 'BTCUSDT' or 'AAPL', got ${JSON.stringify(trade.symbol)}`);
  const { side, venue } = trade;
  if (side !== 'BUY' && side !== 'SELL') throw new InvalidInputError(`Trade ${id}: side must be 'BUY' or 'SELL', got ${JSON.stringify(side)}`);
  if (venue !== 'binance' && venue !== 'paper' && venue !== 'manual') {
    throw new InvalidInputError(`Trade ${id}: venue must be 'paper', 'binance' or 'manual', got ${JSON.stringify(venue)}`);
  }
  const quantity = readAmount(trade.quantity, 'quantity', id);
  if (quantity.isZero()) throw new InvalidInputError(`Trade ${id}: quantity must be above zero`);
  const price = readAmount(trade.price, 'price', id);
  const fee = trade.fee === '0' ? ZERO : readAmount(trade.fee, 'fee', id);
  const buy = side === 'BUY';
  const gross = quantity.mul(price);
  const pair = splitSymbol(symbol, venue);
  // A plain call, not a closure: this runs once per fill of a full recompute.
  const base = { id, symbol, venue, side, executedAt: trade.executedAt, price, quote: pair.quote, gross };
  if (fee.isZero()) return fillOf(base, quantity, gross, ZERO, null);

  const feeAsset = typeof trade.feeAsset === 'string' ? trade.feeAsset.trim().toUpperCase() : '';
  if (feeAsset === '') throw new InvalidInputError(`Trade ${id}: a fee of ${trade.fee} needs its feeAsset`);
  if (feeAsset === pair.base) {
    if (buy && fee.gte(quantity)) throw new InvalidInputError(`Trade ${id}: a fee of ${trade.fee} ${feeAsset} leaves nothing of the ${trade.quantity} bought`);
    return fillOf(base, buy ? quantity.minus(fee) : quantity.plus(fee), gross, fee.mul(price), null);
  }
  if (feeAsset === pair.quote) {
    const cash = buy ? gross.plus(fee) : gross.minus(fee);
    return fillOf(base, quantity, cash, fee, null, cash);
  }
  if (trade.feeAssetPrice === undefined) return fillOf(base, quantity, gross, ZERO, { asset: feeAsset, amount: fee });
  const feeValue = fee.mul(readAmount(trade.feeAssetPrice, 'feeAssetPrice', id));
  return fillOf(base, quantity, buy ? gross.plus(feeValue) : gross.minus(feeValue), feeValue, null);
}

type FillHead = Pick<Fill, 'id' | 'symbol' | 'venue' | 'side' | 'executedAt' | 'price' | 'quote'> & { gross: Decimal };

/** `quoteCash` is the gross value unless the fee was charged in the quote currency. */
function fillOf(h: FillHead, units: Decimal, cash: Decimal, feeValue: Decimal, unpricedFee: Fill['unpricedFee'], quoteCash = h.gross): Fill {
  return { id: h.id, symbol: h.symbol, venue: h.venue, side: h.side, executedAt: h.executedAt, price: h.price, units, cash, feeValue, unpricedFee, quote: h.quote, quoteCash };
}

/**
 * A position with nothing in it yet.
 * @example emptyPosition('AAPL', 'manual', 'average').quantity.isZero() // true
 */
export function emptyPosition(symbol: string, venue: TradeVenue, method: AccountingMethod): PositionState {
  return {
    symbol,
    venue,
    quantity: ZERO,
    costBasis: ZERO,
    realizedPnl: ZERO,
    feesPaid: ZERO,
    capitalInvested: ZERO,
    trades: 0,
    closedTrades: 0,
    wins: 0,
    lastPrice: ZERO,
    lastExecutedAt: null,
    unpricedFees: {},
    dividends: ZERO,
    lots: method === 'fifo' ? { items: [], head: 0, end: 0, headQuantity: ZERO, headCost: ZERO } : null,
  };
}

/**
 * Throws `InsufficientPositionError` when a SELL gives up more units than the position holds.
 * @example assertHolding(position, fill) // throws when fill.units > position.quantity
 */
export function assertHolding(position: PositionState, fill: Fill): void {
  if (fill.side === 'SELL' && fill.units.gt(position.quantity)) {
    throw new InsufficientPositionError(fill.symbol, fill.venue, position.quantity.toString(), fill.units.toString());
  }
}

/**
 * The bookkeeping common to both methods, once the method has said what the units sold cost.
 * A SELL is one closed round trip; it is a win when its realized P&L is above zero. A position
 * that reaches zero keeps its realized P&L and counts but starts its cost basis afresh.
 * @example settle(position, sellFill, new Dec('550.55'), null)
 */
export function settle(position: PositionState, fill: Fill, costSold: Decimal, lots: LotQueue | null): PositionState {
  let unpricedFees = position.unpricedFees;
  if (fill.unpricedFee) {
    const { asset, amount } = fill.unpricedFee;
    unpricedFees = { ...unpricedFees, [asset]: (unpricedFees[asset] ?? ZERO).plus(amount) };
  }
  const buy = fill.side === 'BUY';
  const quantity = buy ? position.quantity.plus(fill.units) : position.quantity.minus(fill.units);
  const pnl = buy ? ZERO : fill.cash.minus(costSold);
  let costBasis: Decimal;
  if (buy) costBasis = position.costBasis.plus(fill.cash);
  else costBasis = quantity.isZero() ? ZERO : position.costBasis.minus(costSold);
  return {
    symbol: position.symbol,
    venue: position.venue,
    quantity,
    costBasis,
    realizedPnl: buy ? position.realizedPnl : position.realizedPnl.plus(pnl),
    feesPaid: fill.feeValue.isZero() ? position.feesPaid : position.feesPaid.plus(fill.feeValue),
    capitalInvested: buy ? position.capitalInvested.plus(fill.cash) : position.capitalInvested,
    trades: position.trades + 1,
    closedTrades: buy ? position.closedTrades : position.closedTrades + 1,
    wins: !buy && pnl.gt(0) ? position.wins + 1 : position.wins,
    lastPrice: fill.price,
    lastExecutedAt: fill.executedAt,
    unpricedFees,
    dividends: position.dividends,
    lots,
  };
}

/**
 * Average cost: a BUY adds its cost to the pool; a SELL takes the pool's average cost per unit.
 * @example averageCostStep(position, readFill(trade))
 */
export function averageCostStep(position: PositionState, fill: Fill): PositionState {
  assertHolding(position, fill);
  if (fill.side === 'BUY') return settle(position, fill, ZERO, null);
  const all = fill.units.eq(position.quantity);
  const costSold = all ? position.costBasis : position.costBasis.mul(fill.units).div(position.quantity);
  return settle(position, fill, costSold, null);
}
