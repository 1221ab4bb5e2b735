/**
 * Cash and income: what every ledger entry does to the portfolio's cash, one book per currency,
 * and the entries that are not trades (DIVIDEND, DEPOSIT, WITHDRAWAL, FEE, SPLIT).
 *
 * The rules (docs/portfolio-accounting.md has worked examples):
 * - A BUY pays its quote currency out of cash; when cash is short, the shortfall is an *implicit
 *   deposit* (money brought in from outside to pay for it), so a portfolio recorded without any
 *   deposits still has a value series whose flows are its purchases. A SELL adds its proceeds.
 * - DEPOSIT adds cash and is an external inflow; WITHDRAWAL takes cash out and is an outflow (the
 *   API refuses one beyond the cash held at its time; the fold never refuses, it lets cash go
 *   below zero if a later correction made it so).
 * - DIVIDEND is income: it adds cash, counts in the return, and does NOT lower the cost basis.
 * - FEE (a fee not tied to a trade) takes cash like a BUY does and counts in fees and the return.
 * - SPLIT multiplies the units of every position in the symbol by its ratio; cost is unchanged.
 */
import type { Fill } from './average-cost.js';
import { Dec, InvalidInputError, readAmount, type CashBook, type Decimal, type PositionState, type Trade } from './types.js';

export type { CashBook } from './types.js';

const ZERO = new Dec(0);

export const CASH_KINDS = ['DIVIDEND', 'DEPOSIT', 'WITHDRAWAL', 'FEE', 'SPLIT'] as const;
export type CashKind = (typeof CASH_KINDS)[number];
export const isCashKind = (side: string): side is CashKind => (CASH_KINDS as readonly string[]).includes(side);

/**
 * Cash held below what a WITHDRAWAL asks for; the API answers 422.
 * @example if (e instanceof InsufficientCashError) throw new ApiError(422, 'insufficient_cash', e.message);
 */
export class InsufficientCashError extends Error {
  override name = 'InsufficientCashError';
  constructor(
    readonly currency: string,
    readonly held: string,
    readonly requested: string,
    readonly at: string,
  ) {
    super(`Cannot withdraw ${requested} ${currency} at ${at}: only ${held} ${currency} is held in cash then. Lower the amount, or record the deposit or sale that paid for it first.`);
  }
}

export function emptyBook(currency: string): CashBook {
  return { currency, balance: ZERO, deposits: ZERO, withdrawals: ZERO, implicitFunding: ZERO, dividends: ZERO, fees: ZERO, lastExecutedAt: null };
}

/** Takes `amount` out of the book, funding any shortfall from outside, as of `lastExecutedAt`. One object: this runs for every purchase of a full recompute. */
function pay(book: CashBook, amount: Decimal, lastExecutedAt: string): CashBook {
  const available = book.balance.gt(0) ? book.balance : ZERO;
  if (!amount.gt(available)) return { ...book, balance: book.balance.minus(amount), lastExecutedAt };
  const shortfall = amount.minus(available);
  return { ...book, balance: book.balance.plus(shortfall).minus(amount), implicitFunding: book.implicitFunding.plus(shortfall), lastExecutedAt };
}

/**
 * What a BUY or SELL does to the cash of its quote currency: gross value, plus (BUY) or minus
 * (SELL) a fee charged in the quote currency (the fill's `quoteCash`). Fees in the base or a third
 * asset leave quote cash alone.
 * @example tradeCash(book, readFill(trade)) // BUY 2 @ 100 fee 1 USDT: balance −201, funded from outside when short
 */
export function tradeCash(book: CashBook, fill: Fill): CashBook {
  if (fill.side === 'BUY') return pay(book, fill.quoteCash, fill.executedAt);
  return { ...book, balance: book.balance.plus(fill.quoteCash), lastExecutedAt: fill.executedAt };
}

/** A cash entry's currency and positive amount, validated. */
export function readCashEntry(trade: Trade): { currency: string; amount: Decimal } {
  const currency = typeof trade.currency === 'string' ? trade.currency.trim().toUpperCase() : '';
  if (!/^[A-Z0-9]{2,12}$/.test(currency)) throw new InvalidInputError(`Entry ${trade.id}: currency must look like 'USD' or 'USDT', got ${JSON.stringify(trade.currency)}`);
  const amount = readAmount(trade.amount, 'amount', trade.id);
  if (amount.isZero()) throw new InvalidInputError(`Entry ${trade.id}: amount must be above zero`);
  return { currency, amount };
}

/**
 * Applies a DEPOSIT, WITHDRAWAL, DIVIDEND or FEE to its currency's book. With `strict`, a
 * WITHDRAWAL beyond the balance throws `InsufficientCashError`.
 */
export function cashEntryStep(book: CashBook, trade: Trade, amount: Decimal, strict: boolean): CashBook {
  const at = trade.executedAt;
  switch (trade.side) {
    case 'DEPOSIT':
      return { ...book, balance: book.balance.plus(amount), deposits: book.deposits.plus(amount), lastExecutedAt: at };
    case 'WITHDRAWAL':
      if (strict && amount.gt(book.balance)) throw new InsufficientCashError(book.currency, book.balance.toString(), amount.toString(), at);
      return { ...book, balance: book.balance.minus(amount), withdrawals: book.withdrawals.plus(amount), lastExecutedAt: at };
    case 'DIVIDEND':
      return { ...book, balance: book.balance.plus(amount), dividends: book.dividends.plus(amount), lastExecutedAt: at };
    case 'FEE':
      return { ...pay(book, amount, at), fees: book.fees.plus(amount) };
    default:
      throw new InvalidInputError(`Entry ${trade.id}: ${trade.side} is not a cash entry`);
  }
}

/**
 * A SPLIT's ratio: new units per old unit, above zero ('4' for 4-for-1, '0.5' for 1-for-2).
 * @example readSplitRatio({ ...entry, ratio: '0' }) // throws InvalidInputError
 */
export function readSplitRatio(trade: Trade): Decimal {
  const ratio = readAmount(trade.ratio, 'ratio', trade.id);
  if (ratio.isZero()) throw new InvalidInputError(`Entry ${trade.id}: a split ratio must be above zero (new units per old unit, e.g. '4' for a 4-for-1 split), got '${trade.ratio}'`);
  return ratio;
}

/** A position after a split: units × ratio, the same cost, the last price ÷ ratio, every lot split alike. */
export function splitPosition(p: PositionState, ratio: Decimal, at: string): PositionState {
  const lots = p.lots && {
    items: p.lots.items.map((l) => ({ tradeId: l.tradeId, quantity: l.quantity.mul(ratio), cost: l.cost })),
    head: p.lots.head,
    end: p.lots.end,
    headQuantity: p.lots.headQuantity.mul(ratio),
    headCost: p.lots.headCost,
  };
  return { ...p, quantity: p.quantity.mul(ratio), lastPrice: p.lastPrice.div(ratio), lastExecutedAt: at, lots };
}

/** The USD-free totals of a set of books, for tests and summaries. */
export function bookList(books: ReadonlyMap<string, CashBook>): CashBook[] {
  return [...books.values()].sort((a, b) => (a.currency < b.currency ? -1 : a.currency > b.currency ? 1 : 0));
}
