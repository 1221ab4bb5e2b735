/**
 * The vocabulary shared by the portfolio accounting files: the trade they read, the state they
 * fold it into, the errors they throw and the one Decimal configuration they all compute with.
 * docs/portfolio-accounting.md explains the rules with worked examples.
 */
import { Decimal } from 'decimal.js';
import type { PortfolioStateJson } from './state-json.js';

/**
 * Every number in the accounting core is made by this constructor, so results never depend on
 * the global Decimal settings of whoever imports us. 40 significant digits hold a 18-dp quantity
 * times a price with room to spare; `toExpNeg`/`toExpPos` keep `toString()` free of exponents,
 * which makes it an exact, Postgres-friendly round trip.
 * @example new Dec('0.1').plus('0.2').toString() // '0.3'
 */
export const Dec = Decimal.clone({
  precision: 40,
  rounding: Decimal.ROUND_HALF_EVEN,
  toExpNeg: -9e15,
  toExpPos: 9e15,
});
export type { Decimal };

const DECIMAL = /^\d+(\.\d+)?$/;

/**
 * Reads a non-negative decimal string, naming the field (and trade) in the error when it is not one.
 * @example readAmount('0.25', 'quantity', 't-1') // Dec 0.25
 */
export function readAmount(value: unknown, field: string, tradeId?: string): Decimal {
  if (typeof value !== 'string' || !DECIMAL.test(value)) {
    const where = tradeId === undefined ? field : `Trade ${tradeId}: ${field}`;
    throw new InvalidInputError(`${where} must be a non-negative decimal string like '12.5', got ${JSON.stringify(value)}`);
  }
  return new Dec(value);
}

/** Where a fill happened; 'manual' is a trade the user typed in. */
export type TradeVenue = 'paper' | 'binance' | 'manual';
export type TradeSide = 'BUY' | 'SELL';
/** What a ledger entry is: a trade, or a cash/income entry (domain/portfolio/cash.ts). */
export type EntryKind = TradeSide | 'DIVIDEND' | 'DEPOSIT' | 'WITHDRAWAL' | 'FEE' | 'SPLIT';
/** Average cost is the default; FIFO lots can be chosen per portfolio. */
export type AccountingMethod = 'average' | 'fifo';

/**
 * One fill as the accounting core reads it. Amounts are decimal strings (`'0.5'`, not `0.5`).
 * @example
 * const fill: Trade = { id: 't-1', symbol: 'BTCUSDT', venue: 'binance', side: 'BUY', quantity: '0.5',
 *   price: '60000', fee: '30', feeAsset: 'USDT', executedAt: '2024-05-01T12:00:00Z' };
 */
export interface Trade {
  id: string;
  symbol: string;
  venue: TradeVenue;
  /** BUY/SELL, or the kind of a cash entry (then `quantity`/`price` are unused and `amount`, `currency` or `ratio` say what it is). */
  side: EntryKind;
  /** Base units bought or sold, before any fee charged in the base asset. */
  quantity: string;
  /** Quote currency per base unit. */
  price: string;
  fee: string;
  /** Asset the fee was charged in; may be null when `fee` is zero. */
  feeAsset: string | null;
  /** Quote-currency price of one unit of `feeAsset`, for fees in a third asset such as BNB. */
  feeAssetPrice?: string | undefined;
  /** ISO-8601 execution time; trades must be applied in this order. */
  executedAt: string;
  /** DIVIDEND, DEPOSIT, WITHDRAWAL, FEE: the cash amount, in `currency`. */
  amount?: string | null | undefined;
  currency?: string | null | undefined;
  /** SPLIT: new units per old unit. */
  ratio?: string | null | undefined;
}

/** A FIFO lot as bought; never changed after creation (the head's remainder lives in `LotQueue`). */
export interface Lot {
  readonly tradeId: string;
  readonly quantity: Decimal;
  /** Total cost of `quantity`, fees included, in quote currency. */
  readonly cost: Decimal;
}

/**
 * Open lots, oldest first, as a window `[head, end)` over an append-only array that successive
 * states share. A state may append only while it owns the array's tail (`end === items.length`),
 * so older states keep seeing exactly their own window. The head lot's remainder is held here
 * because lots themselves are immutable.
 */
export interface LotQueue {
  readonly items: Lot[];
  readonly head: number;
  readonly end: number;
  readonly headQuantity: Decimal;
  readonly headCost: Decimal;
}

/** Everything the core remembers about one (symbol, venue); amounts in the symbol's quote currency. */
export interface PositionState {
  readonly symbol: string;
  readonly venue: TradeVenue;
  readonly quantity: Decimal;
  /** Cost of the units still held, fees included; zero whenever `quantity` is zero. */
  readonly costBasis: Decimal;
  readonly realizedPnl: Decimal;
  readonly feesPaid: Decimal;
  /** Sum of the cost of every BUY, fees included (the ROI denominator). */
  readonly capitalInvested: Decimal;
  readonly trades: number;
  /** SELL fills, each one closed round trip. */
  readonly closedTrades: number;
  /** SELL fills whose realized P&L was above zero. */
  readonly wins: number;
  /** Price of the latest fill, used when no market price is given. */
  readonly lastPrice: Decimal;
  /** `executedAt` of the latest fill; fills of this position must not be older. */
  readonly lastExecutedAt: string | null;
  /** Fees in a third asset that came without a price, by asset; not in `feesPaid`. */
  readonly unpricedFees: Readonly<Record<string, Decimal>>;
  /** DIVIDENDs received on this position, in their currency (usually the quote currency). */
  readonly dividends: Decimal;
  /** FIFO only; null under average cost. */
  readonly lots: LotQueue | null;
}

/** One currency's cash, and where it came from; all amounts in that currency. */
export interface CashBook {
  readonly currency: string;
  readonly balance: Decimal;
  readonly deposits: Decimal;
  readonly withdrawals: Decimal;
  /** Shortfalls of BUYs and FEEs paid from outside (see the file comment). */
  readonly implicitFunding: Decimal;
  readonly dividends: Decimal;
  readonly fees: Decimal;
  /** Time of the latest entry that moved this cash; entries must not be older (else recompute). */
  readonly lastExecutedAt: string | null;
}

/** The in-memory portfolio. Treat as immutable; store it with `serializeState`. */
export interface PortfolioState {
  readonly method: AccountingMethod;
  /** Keyed by `${venue}:${symbol}`. */
  readonly positions: ReadonlyMap<string, PositionState>;
  readonly trades: number;
  /** The latest `executedAt` of any fill applied. */
  readonly lastExecutedAt: string | null;
  /** Cash by currency (domain/portfolio/cash.ts). */
  readonly cash: ReadonlyMap<string, CashBook>;
  /** Same as `serializeState(state)`, so `JSON.stringify(state)` never loses the Map of positions. */
  toJSON(): PortfolioStateJson;
}

/**
 * Selling more than is held; the API answers 422 for manual trades.
 * @example if (e instanceof InsufficientPositionError) throw new HTTPException(422, { message: e.message });
 */
export class InsufficientPositionError extends Error {
  override name = 'InsufficientPositionError';
  constructor(
    readonly symbol: string,
    readonly venue: TradeVenue,
    readonly held: string,
    readonly requested: string,
  ) {
    super(
      `Cannot sell ${requested} ${symbol} on ${venue}: only ${held} is held. ` +
        'Lower the quantity, or record the missing buy first.',
    );
  }
}

/**
 * A trade, price or rate that is not a usable input (bad decimal, unknown side, bad date…).
 * @example throw new InvalidInputError("Trade t-1: quantity must be a non-negative decimal string like '12.5', got '1e3'");
 */
export class InvalidInputError extends Error {
  override name = 'InvalidInputError';
}

/**
 * A fill older than the last one applied to its position; the caller should `recompute` from all trades.
 * @example catch (e) { if (e instanceof TradeOutOfOrderError) state = recompute(await loadFills(sql, accountId), method); }
 */
export class TradeOutOfOrderError extends Error {
  override name = 'TradeOutOfOrderError';
  constructor(
    readonly tradeId: string,
    readonly executedAt: string,
    readonly lastExecutedAt: string,
  ) {
    super(
      `Trade ${tradeId} executed at ${executedAt}, before the last trade applied to its position (${lastExecutedAt}); ` +
        'recompute the portfolio from all its trades instead of applying this one.',
    );
  }
}

/**
 * Stored state that cannot be read, or that was built with another accounting method.
 * @example parseState({}) // throws InvalidStateError: Not a stored portfolio state …
 */
export class InvalidStateError extends Error {
  override name = 'InvalidStateError';
}

/**
 * A symbol quoted in a currency with no known USD rate.
 * @example summarize(state, prices, { quoteUsdRates: { EUR: '1.08' } }) // avoids it for EUR-quoted symbols
 */
export class MissingQuoteRateError extends Error {
  override name = 'MissingQuoteRateError';
  constructor(
    readonly quoteAsset: string,
    readonly symbols: string[],
  ) {
    super(
      `No USD rate for ${quoteAsset} (needed by ${symbols.join(', ')}); ` +
        `pass quoteUsdRates: { ${quoteAsset}: '<USD per ${quoteAsset}>' } to summarize.`,
    );
  }
}
