/**
 * The portfolio accounting core: pure functions, no I/O. `applyTrade` folds one fill into a
 * state, `recompute` folds a whole history, and both go through the same step so they agree to
 * the last digit. `serializeState`/`parseState` turn the state into strings-only JSON (Postgres
 * JSONB, Temporal payloads) and back. docs/portfolio-accounting.md has the worked examples.
 */
import { z } from 'zod';
import { averageCostStep, emptyPosition, readFill } from './average-cost.js';
import { fifoStep, lotsFromJson, lotsToJson } from './fifo.js';
import { stateSchema, STATE_FORMAT, type CashBookJson, type PortfolioStateJson, type PositionStateJson } from './state-json.js';
import { Dec, InvalidInputError, InvalidStateError, TradeOutOfOrderError } from './types.js';
import type { AccountingMethod, Decimal, PortfolioState, PositionState, Trade } from './types.js';
import { InsufficientCashError } from './cash.js';
import { bookList, cashEntryStep, emptyBook, readCashEntry, readSplitRatio, splitPosition, tradeCash, type CashBook } from './cash.js';

export * from './types.js';
export { STATE_FORMAT, type PortfolioStateJson, type PositionStateJson } from './state-json.js';
export { InsufficientCashError, CASH_KINDS, isCashKind, type CashBook, type CashKind } from './cash.js';
export { summarize, type CashSummary, type PortfolioSummary, type PositionSummary, type SummarizeOptions, type SummaryTotals } from './summary.js';

/**
 * A portfolio with no trades.
 * @example const state = emptyState('fifo');
 */
export function emptyState(method: AccountingMethod = 'average'): PortfolioState {
  return makeState(method, new Map(), 0, null, new Map());
}

function makeState(
  method: AccountingMethod,
  positions: ReadonlyMap<string, PositionState>,
  trades: number,
  lastExecutedAt: string | null,
  cash: ReadonlyMap<string, CashBook>,
): PortfolioState {
  return {
    method,
    positions,
    trades,
    lastExecutedAt,
    cash,
    toJSON() {
      return serializeState(this);
    },
  };
}

function executedMs(trade: Trade): number {
  const ms = typeof trade.executedAt === 'string' ? Date.parse(trade.executedAt) : NaN;
  if (Number.isNaN(ms)) throw new InvalidInputError(`Trade ${trade.id}: executedAt must be an ISO-8601 time, got ${JSON.stringify(trade.executedAt)}`);
  return ms;
}

/** How strictly cash is checked: the API's validation refuses an overdrawing WITHDRAWAL, the fold does not. */
export interface FoldOptions {
  strictCash?: boolean | undefined;
  /**
   * With strictCash: report each refusal (the entry and why) and carry on as the lenient fold
   * would, instead of throwing at the first. Lets a caller tell what a new entry breaks from what
   * the history already had.
   */
  onViolation?: ((entryId: string, error: Error) => void) | undefined;
}

/** A strict check failed: throw, or report it and let the fold carry on. */
function violate(options: FoldOptions, entryId: string, error: Error): void {
  if (!options.onViolation) throw error;
  options.onViolation(entryId, error);
}

type Positions = Map<string, PositionState>;
type Books = Map<string, CashBook>;

/**
 * The one step both `applyTrade` and `recompute` take, on mutable copies of the state's maps.
 * Only the order within a position (or, for cash entries, within a currency) matters, so only
 * that order is enforced.
 */
function step(method: AccountingMethod, positions: Positions, cash: Books, trade: Trade, ms: number, options: FoldOptions): void {
  const side = trade.side;
  if (side === 'BUY' || side === 'SELL') {
    const fill = readFill(trade);
    const key = `${fill.venue}:${fill.symbol}`;
    const current = positions.get(key) ?? emptyPosition(fill.symbol, fill.venue, method);
    if (current.lastExecutedAt !== null && ms < Date.parse(current.lastExecutedAt)) {
      throw new TradeOutOfOrderError(fill.id, fill.executedAt, current.lastExecutedAt);
    }
    // Cash is order-dependent too (what a sale brought in can pay for a later purchase).
    const currency = fill.quote;
    const book = cash.get(currency) ?? emptyBook(currency);
    if (book.lastExecutedAt !== null && ms < Date.parse(book.lastExecutedAt)) throw new TradeOutOfOrderError(fill.id, fill.executedAt, book.lastExecutedAt);
    positions.set(key, method === 'fifo' ? fifoStep(current, fill) : averageCostStep(current, fill));
    cash.set(currency, tradeCash(book, fill));
    return;
  }
  if (side === 'SPLIT') {
    // Splits are recorded by hand and apply to the manual position: a venue's own balances
    // already show the new units, in their own fills.
    const ratio = readSplitRatio(trade);
    const symbol = (trade.symbol ?? '').trim().toUpperCase();
    const key = `manual:${symbol}`;
    const current = positions.get(key) ?? emptyPosition(symbol, 'manual', method);
    if (current.lastExecutedAt !== null && ms < Date.parse(current.lastExecutedAt)) throw new TradeOutOfOrderError(trade.id, trade.executedAt, current.lastExecutedAt);
    if (current.quantity.isZero() && options.strictCash) {
      violate(options, trade.id, new InvalidInputError(`Cannot split ${symbol} at ${trade.executedAt}: no units of it are held then (a split applies to trades recorded by hand). Record the purchase first, or check the symbol and date.`));
    }
    // Stamped even when nothing is held, so a purchase recorded later with an earlier time recomputes.
    positions.set(key, splitPosition(current, ratio, trade.executedAt));
    return;
  }
  if (side === 'DEPOSIT' || side === 'WITHDRAWAL' || side === 'DIVIDEND' || side === 'FEE') {
    const { currency, amount } = readCashEntry(trade);
    const book = cash.get(currency) ?? emptyBook(currency);
    if (book.lastExecutedAt !== null && ms < Date.parse(book.lastExecutedAt)) throw new TradeOutOfOrderError(trade.id, trade.executedAt, book.lastExecutedAt);
    if (side === 'DIVIDEND') creditDividend(positions, trade, amount, options);
    if (side === 'WITHDRAWAL' && options.strictCash && amount.gt(book.balance)) {
      violate(options, trade.id, new InsufficientCashError(currency, book.balance.toString(), amount.toString(), trade.executedAt));
    }
    cash.set(currency, cashEntryStep(book, trade, amount, false));
    return;
  }
  throw new InvalidInputError(`Entry ${trade.id}: kind must be BUY, SELL, DIVIDEND, DEPOSIT, WITHDRAWAL, FEE or SPLIT, got ${JSON.stringify(side)}`);
}

/** Books a dividend on the position of its symbol holding the most units (a dividend on nothing held is refused when strict). */
function creditDividend(positions: Positions, trade: Trade, amount: Decimal, options: FoldOptions): void {
  const symbol = (trade.symbol ?? '').trim().toUpperCase();
  let best: [string, PositionState] | undefined;
  for (const entry of positions) {
    if (entry[1].symbol === symbol && (!best || entry[1].quantity.gt(best[1].quantity))) best = entry;
  }
  if (!best || best[1].quantity.isZero()) {
    if (options.strictCash) violate(options, trade.id, new InvalidInputError(`Cannot record a dividend on ${symbol} at ${trade.executedAt}: no units of it are held then. Record the purchase first, or check the symbol and date.`));
    if (!best) return;
  }
  positions.set(best[0], { ...best[1], dividends: best[1].dividends.plus(amount) });
}

/** The later of two times; a tie goes to the newer fill, as in `recompute`'s stable sort. */
const later = (a: string | null, b: string, bMs: number) => (a !== null && Date.parse(a) > bMs ? a : b);

/**
 * Folds one fill into the state and returns a new state; the input is left as it was. O(1) in the
 * length of the history for average cost, O(lots touched) for FIFO, plus a shallow copy of the
 * position index. Throws `InsufficientPositionError`, `InvalidInputError`, and `TradeOutOfOrderError`
 * for a fill older than the last one of the same position (other positions do not constrain it).
 * @example
 * let state = emptyState();
 * state = applyTrade(state, { id: 't-1', symbol: 'AAPL', venue: 'manual', side: 'BUY', quantity: '10',
 *   price: '100', fee: '0', feeAsset: null, executedAt: '2024-05-01T14:30:00Z' }, 'average');
 */
export function applyTrade(state: PortfolioState, trade: Trade, method: AccountingMethod = state.method, options: FoldOptions = {}): PortfolioState {
  if (method !== state.method) {
    throw new InvalidStateError(`This state was built with the '${state.method}' method, not '${method}'; call recompute(trades, '${method}') to switch methods`);
  }
  const ms = executedMs(trade);
  const positions = new Map(state.positions);
  const cash = new Map(state.cash);
  step(method, positions, cash, trade, ms, options);
  return makeState(method, positions, state.trades + 1, later(state.lastExecutedAt, trade.executedAt, ms), cash);
}

/**
 * Folds a whole history from scratch, in execution order (a stable sort by `executedAt`, skipped
 * when the trades already are in order); equal to applying the same trades one by one in that order.
 * @example const state = recompute(fills, 'fifo');
 */
export function recompute(trades: readonly Trade[], method: AccountingMethod = 'average', options: FoldOptions = {}): PortfolioState {
  const times = trades.map(executedMs);
  let order = trades.map((_, i) => i);
  if (times.some((t, i) => i > 0 && t < times[i - 1]!)) order = order.sort((a, b) => times[a]! - times[b]! || a - b);
  const positions: Positions = new Map();
  const cash: Books = new Map();
  for (const i of order) step(method, positions, cash, trades[i]!, times[i]!, options);
  const last = order[order.length - 1];
  return makeState(method, positions, trades.length, last === undefined ? null : trades[last]!.executedAt, cash);
}

/**
 * The state as strings-only JSON, positions sorted by venue and symbol.
 * @example await sql`UPDATE portfolios SET state = ${sql.json(serializeState(state))} WHERE id = ${id}`
 */
export function serializeState(state: PortfolioState): PortfolioStateJson {
  const keys = [...state.positions.keys()].sort();
  const positions = keys.map((key): PositionStateJson => {
    const p = state.positions.get(key)!;
    const unpricedFees: Record<string, string> = {};
    for (const [asset, amount] of Object.entries(p.unpricedFees)) unpricedFees[asset] = amount.toString();
    return {
      symbol: p.symbol,
      venue: p.venue,
      quantity: p.quantity.toString(),
      costBasis: p.costBasis.toString(),
      realizedPnl: p.realizedPnl.toString(),
      feesPaid: p.feesPaid.toString(),
      capitalInvested: p.capitalInvested.toString(),
      trades: String(p.trades),
      closedTrades: String(p.closedTrades),
      wins: String(p.wins),
      lastPrice: p.lastPrice.toString(),
      lastExecutedAt: p.lastExecutedAt,
      unpricedFees,
      dividends: p.dividends.toString(),
      lots: p.lots ? lotsToJson(p.lots) : [],
    };
  });
  const cash = bookList(state.cash).map((b): CashBookJson => ({
    currency: b.currency,
    balance: b.balance.toString(),
    deposits: b.deposits.toString(),
    withdrawals: b.withdrawals.toString(),
    implicitFunding: b.implicitFunding.toString(),
    dividends: b.dividends.toString(),
    fees: b.fees.toString(),
    ...(b.lastExecutedAt === null ? {} : { lastExecutedAt: b.lastExecutedAt }),
  }));
  return { format: STATE_FORMAT, method: state.method, trades: String(state.trades), lastExecutedAt: state.lastExecutedAt, positions, cash };
}

function readPosition(json: PositionStateJson, method: AccountingMethod): PositionState {
  const where = `position ${json.venue}:${json.symbol}`;
  const quantity = new Dec(json.quantity);
  if (quantity.isNeg()) throw new InvalidStateError(`Stored ${where} has a negative quantity (${json.quantity})`);
  const lots = method === 'fifo' ? lotsFromJson(json.lots) : null;
  if (!lots && json.lots.length > 0) throw new InvalidStateError(`Stored ${where} has FIFO lots in an average-cost state`);
  if (lots && !json.lots.reduce((sum, l) => sum.plus(l.quantity), new Dec(0)).eq(quantity)) {
    throw new InvalidStateError(`Stored ${where}: its lots do not add up to its quantity ${json.quantity}; recompute it from its trades`);
  }
  const unpricedFees: Record<string, Decimal> = {};
  for (const [asset, amount] of Object.entries(json.unpricedFees)) unpricedFees[asset] = new Dec(amount);
  return {
    symbol: json.symbol,
    venue: json.venue,
    quantity,
    costBasis: new Dec(json.costBasis),
    realizedPnl: new Dec(json.realizedPnl),
    feesPaid: new Dec(json.feesPaid),
    capitalInvested: new Dec(json.capitalInvested),
    trades: Number(json.trades),
    closedTrades: Number(json.closedTrades),
    wins: Number(json.wins),
    lastPrice: new Dec(json.lastPrice),
    lastExecutedAt: json.lastExecutedAt,
    unpricedFees,
    dividends: new Dec(json.dividends),
    lots,
  };
}

/**
 * Reads what `serializeState` wrote (e.g. a JSONB column); throws `InvalidStateError` saying
 * what is wrong when it is not such a state.
 * @example const state = parseState(row.state);
 */
export function parseState(json: unknown): PortfolioState {
  const parsed = stateSchema.safeParse(json);
  if (!parsed.success) {
    throw new InvalidStateError(`Not a stored portfolio state (${STATE_FORMAT}): ${z.prettifyError(parsed.error)}`);
  }
  const positions = new Map<string, PositionState>();
  for (const p of parsed.data.positions) {
    const position = readPosition(p, parsed.data.method);
    const key = `${position.venue}:${position.symbol}`;
    if (positions.has(key)) throw new InvalidStateError(`Stored state lists position ${key} twice`);
    positions.set(key, position);
  }
  const cash = new Map<string, CashBook>();
  for (const b of parsed.data.cash) {
    cash.set(b.currency, {
      currency: b.currency,
      balance: new Dec(b.balance),
      deposits: new Dec(b.deposits),
      withdrawals: new Dec(b.withdrawals),
      implicitFunding: new Dec(b.implicitFunding),
      dividends: new Dec(b.dividends),
      fees: new Dec(b.fees),
      lastExecutedAt: b.lastExecutedAt ?? null,
    });
  }
  return makeState(parsed.data.method, positions, Number(parsed.data.trades), parsed.data.lastExecutedAt, cash);
}
