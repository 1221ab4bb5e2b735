/**
 * The portfolio accounting core: pure functions, no I/O. `applyTrade` folds one fill into a
 * state, `recompute` folds a whole history, and both go through the same step so they agree to
 * the last digit. `serializeState`/`parseState` turn the state into strings-only JSON (Postgres
 * JSONB, Temporal payloads) and back. docs/portfolio-accounting.md has the worked examples.
 */
import { z } from 'zod';
import { averageCostStep, emptyPosition, readFill } from './average-cost.js';
import { fifoStep, lotsFromJson, lotsToJson } from './fifo.js';
import { stateSchema, STATE_FORMAT, type PortfolioStateJson, type PositionStateJson } from './state-json.js';
import { Dec, InvalidInputError, InvalidStateError, TradeOutOfOrderError } from './types.js';
import type { AccountingMethod, Decimal, PortfolioState, PositionState, Trade } from './types.js';

export * from './types.js';
export { STATE_FORMAT, type PortfolioStateJson, type PositionStateJson } from './state-json.js';
export { summarize, type PortfolioSummary, type PositionSummary, type SummarizeOptions, type SummaryTotals } from './summary.js';

/**
 * A portfolio with no trades.
 * @example const state = emptyState('fifo');
 */
export function emptyState(method: AccountingMethod = 'average'): PortfolioState {
  return makeState(method, new Map(), 0, null);
}

function makeState(method: AccountingMethod, positions: ReadonlyMap<string, PositionState>, trades: number, lastExecutedAt: string | null): PortfolioState {
  return {
    method,
    positions,
    trades,
    lastExecutedAt,
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

/**
 * The one step both `applyTrade` and `recompute` take; returns the position's key and new value.
 * Only the order within a position matters, so only that order is enforced.
 */
function step(method: AccountingMethod, positions: ReadonlyMap<string, PositionState>, trade: Trade, ms: number): [string, PositionState] {
  const fill = readFill(trade);
  const key = `${fill.venue}:${fill.symbol}`;
  const current = positions.get(key) ?? emptyPosition(fill.symbol, fill.venue, method);
  if (current.lastExecutedAt !== null && ms < Date.parse(current.lastExecutedAt)) {
    throw new TradeOutOfOrderError(fill.id, fill.executedAt, current.lastExecutedAt);
  }
  return [key, method === 'fifo' ? fifoStep(current, fill) : averageCostStep(current, fill)];
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
export function applyTrade(state: PortfolioState, trade: Trade, method: AccountingMethod = state.method): PortfolioState {
  if (method !== state.method) {
    throw new InvalidStateError(`This state was built with the '${state.method}' method, not '${method}'; call recompute(trades, '${method}') to switch methods`);
  }
  const ms = executedMs(trade);
  const [key, position] = step(method, state.positions, trade, ms);
  const positions = new Map(state.positions).set(key, position);
  return makeState(method, positions, state.trades + 1, later(state.lastExecutedAt, trade.executedAt, ms));
}

/**
 * Folds a whole history from scratch, in execution order (a stable sort by `executedAt`, skipped
 * when the trades already are in order); equal to applying the same trades one by one in that order.
 * @example const state = recompute(fills, 'fifo');
 */
export function recompute(trades: readonly Trade[], method: AccountingMethod = 'average'): PortfolioState {
  const times = trades.map(executedMs);
  let order = trades.map((_, i) => i);
  if (times.some((t, i) => i > 0 && t < times[i - 1]!)) order = order.sort((a, b) => times[a]! - times[b]! || a - b);
  const positions = new Map<string, PositionState>();
  for (const i of order) {
    const [key, position] = step(method, positions, trades[i]!, times[i]!);
    positions.set(key, position);
  }
  const last = order[order.length - 1];
  return makeState(method, positions, trades.length, last === undefined ? null : trades[last]!.executedAt);
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
      lots: p.lots ? lotsToJson(p.lots) : [],
    };
  });
  return { format: STATE_FORMAT, method: state.method, trades: String(state.trades), lastExecutedAt: state.lastExecutedAt, positions };
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
  return makeState(parsed.data.method, positions, Number(parsed.data.trades), parsed.data.lastExecutedAt);
}
