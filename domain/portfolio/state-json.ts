/** The stored form of a portfolio state: strings-only JSON, and the schema that reads it back. */
import { z } from 'zod';

/**
 * Tag of the stored state's layout; a layout change gets a new tag and a migration in `parseState`.
 * @example serializeState(state).format === STATE_FORMAT
 */
export const STATE_FORMAT = 'durable-trader/portfolio-state@2';

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string');
const count = z.string().regex(/^\d+$/, 'expected a count as a string');
const lotSchema = z.object({ tradeId: z.string(), quantity: decimal, cost: decimal });
export const positionSchema = z.object({
  symbol: z.string().min(1),
  venue: z.enum(['paper', 'binance', 'manual']),
  quantity: decimal,
  costBasis: decimal,
  realizedPnl: decimal,
  feesPaid: decimal,
  capitalInvested: decimal,
  trades: count,
  closedTrades: count,
  wins: count,
  lastPrice: decimal,
  lastExecutedAt: z.string().nullable(),
  unpricedFees: z.record(z.string(), decimal),
  dividends: decimal,
  lots: z.array(lotSchema),
});
export const cashBookSchema = z.object({
  currency: z.string().min(1),
  balance: decimal,
  deposits: decimal,
  withdrawals: decimal,
  implicitFunding: decimal,
  dividends: decimal,
  fees: decimal,
  /** Absent while nothing has moved this cash. */
  lastExecutedAt: z.string().optional(),
});
export const stateSchema = z.object({
  format: z.literal(STATE_FORMAT),
  method: z.enum(['average', 'fifo']),
  trades: count,
  lastExecutedAt: z.string().nullable(),
  positions: z.array(positionSchema),
  cash: z.array(cashBookSchema),
});

/** The stored form of a `PortfolioState`: JSON whose every value is a string (or null / an array / an object of strings). */
export type PortfolioStateJson = z.infer<typeof stateSchema>;
export type PositionStateJson = z.infer<typeof positionSchema>;
export type CashBookJson = z.infer<typeof cashBookSchema>;
