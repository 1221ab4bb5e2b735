/**
 * Activities of the TWAP workflow: the venue's rules for its slices (read once at start), its
 * progress in the read model, and the figures of slices it cannot learn from a child's result.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { Decimal } from 'decimal.js';
import type { Exchange, Venue } from '../../domain/exchange.js';
import { ExchangeRejectedError } from '../../domain/venue-errors.js';
import { PAPER_SLICE_RULES, type SliceRules } from '../../domain/twap.js';
import type { Sql } from '../../lib/db.js';
import { loadSymbolRules } from '../../store/symbol-rules.js';
import { ordersByIds, recordTwapProgress, type SliceOrderRow, type TwapProgress } from '../../store/twap-orders.js';
import { toFailure } from '../orders/venue-activities.js';

export interface TwapActivityDeps {
  sql: Sql;
  exchangeFor(venue: Venue, accountId: string): Promise<Exchange>;
  /** Latest known price, the reference for MARKET slices' notional. */
  referencePrice(symbol: string): Promise<string | null>;
  rulesMaxAgeMs?: number;
}

/**
 * @example worker activities: { ...createTwapActivities({ sql, exchangeFor, referencePrice }) }
 */
export function createTwapActivities({ sql, exchangeFor, referencePrice, rulesMaxAgeMs = 3_600_000 }: TwapActivityDeps) {
  return {
    /**
     * What every slice must meet (LOT_SIZE and NOTIONAL) and the price it is checked at. A symbol
     * the venue does not trade, or no price to size MARKET slices by, is a TwapRejected failure.
     */
    async twapSliceRules(input: { venue: Venue; accountId: string; symbol: string; limitPrice?: string | undefined }): Promise<SliceRules & { price: string }> {
      const exchange = await exchangeFor(input.venue, input.accountId);
      let rules;
      try {
        rules = await loadSymbolRules(sql, exchange, input.symbol, rulesMaxAgeMs);
      } catch (err) {
        if (err instanceof ExchangeRejectedError && err.code === -1121) rules = null;
        else return toFailure(err);
      }
      if (!rules || rules.status !== 'TRADING') {
        throw ApplicationFailure.create({ type: 'TwapRejected', nonRetryable: true, message: `${input.symbol} is not trading on ${input.venue}` });
      }
      const price = input.limitPrice ?? (await referencePrice(input.symbol));
      if (!price) throw ApplicationFailure.create({ type: 'TwapRejected', nonRetryable: true, message: `No price known for ${input.symbol}; cannot size the slices. Retry once prices have refreshed.` });
      const lot = rules.lotSize ?? rules.marketLotSize;
      const base = input.venue === 'paper' ? PAPER_SLICE_RULES : { minQty: '0', stepSize: '0', minNotional: '0' };
      return {
        minQty: lot?.minQty ?? base.minQty,
        stepSize: lot?.stepSize ?? base.stepSize,
        minNotional: rules.notional?.minNotional ?? base.minNotional,
        price: new Decimal(price).toString(),
      };
    },

    /** Returns at `atMs` (epoch ms; at once when it has passed) with the time it returned. */
    async waitUntil({ atMs }: { atMs: number }): Promise<number> {
      const wait = atMs - Date.now();
      if (wait > 0) await new Promise((resolve) => setTimeout(resolve, wait));
      return Date.now();
    },

    /** The TWAP's status and progress in `twap_orders` (a write older than the stored one changes nothing). */
    async recordTwapProgress(progress: TwapProgress): Promise<void> {
      await recordTwapProgress(sql, progress);
    },

    /** Slices' figures from the orders table: for a slice whose workflow ended cancelled or was started by an earlier run. */
    async sliceOrders(input: { accountId: string; orderIds: string[] }): Promise<Pick<SliceOrderRow, 'id' | 'status' | 'executed_qty' | 'cumulative_quote_qty'>[]> {
      const rows = await ordersByIds(sql, input.accountId, input.orderIds);
      return rows.map((r) => ({ id: r.id, status: r.status, executed_qty: new Decimal(r.executed_qty).toString(), cumulative_quote_qty: new Decimal(r.cumulative_quote_qty).toString() }));
    },
  };
}

export type TwapActivities = ReturnType<typeof createTwapActivities>;
