/**
 * Activities of the price refresh: which symbols matter, one provider batch of latest prices,
 * storing them, and the open paper orders a move should wake. Errors follow the taxonomy: a rate
 * limit or a provider's "no" is a non-retryable ApplicationFailure with a type; anything else is
 * transient and left to the caller's retry policy.
 */
import { ApplicationFailure } from '@temporalio/activity';
import { Decimal } from 'decimal.js';
import type { Sql } from '../../lib/db.js';
import { ExchangeRejectedError } from '../exchange/errors.js';
import { latestPrices, storeQuotes } from './price-store.js';
import { isValidSymbol, routeSymbols, type RoutedProvider, type RoutedSymbols } from './routing.js';
import { ProviderRateLimitedError, type PriceSources } from './sources.js';
import type { PriceQuote } from './types.js';

export interface FetchQuotesInput {
  provider: RoutedProvider;
  symbols: string[];
}

export interface MovedPrice {
  symbol: string;
  price: string;
}

export interface StorePricesResult {
  stored: number;
  /** Symbols whose latest price is new or different from the one stored before. */
  moved: MovedPrice[];
}

export interface OrderToWake {
  workflowId: string;
  symbol: string;
}

export interface RefreshActivitiesOptions {
  sql: Sql;
  marketData: Pick<PriceSources, 'sources' | 'routes'>;
}

/**
 * @example const activities = createRefreshActivities({ sql, marketData: createPriceSources(config) });
 */
export function createRefreshActivities({ sql, marketData }: RefreshActivitiesOptions) {
  return {
    /**
     * Symbols of open orders, of held positions (net fills, or a paper balance in the base asset)
     * and of every watchlist, split by provider.
     */
    async symbolsToRefresh(): Promise<RoutedSymbols> {
      const rows = await sql<{ symbol: string }[]>`
        SELECT symbol FROM orders WHERE status_rank < 9
        UNION
        SELECT symbol FROM fills GROUP BY account_id, symbol
          HAVING sum(CASE WHEN side = 'BUY' THEN quantity ELSE -quantity END) <> 0
        UNION
        SELECT po.symbol FROM paper_orders po
          JOIN paper_balances pb ON pb.account_id = po.account_id AND pb.asset = po.base_asset
          WHERE pb.free + pb.locked > 0
        UNION
        SELECT symbol FROM trades GROUP BY account_id, symbol
          HAVING sum(CASE WHEN side = 'BUY' THEN quantity ELSE -quantity END) <> 0
        UNION
        SELECT symbol FROM watchlists
        ORDER BY symbol`;
      return routeSymbols(rows.map((r) => r.symbol).filter(isValidSymbol), marketData.routes);
    },

    /** One batch from one provider. Symbols the provider does not know are simply absent. */
    async fetchQuotes({ provider, symbols }: FetchQuotesInput): Promise<PriceQuote[]> {
      try {
        return await marketData.sources[provider].latest(symbols);
      } catch (err) {
        if (err instanceof ProviderRateLimitedError) {
          throw ApplicationFailure.create({
            type: 'ProviderRateLimited',
            nonRetryable: true,
            message: err.message,
            details: [{ provider, retryAfterMs: err.retryAfterMs }],
          });
        }
        if (err instanceof ExchangeRejectedError) {
          throw ApplicationFailure.create({ type: 'ProviderRejected', nonRetryable: true, message: `${provider}: ${err.message}` });
        }
        throw err;
      }
    },

    /** Upserts the latest prices and appends to the history; idempotent per (symbol, asOf). */
    async storePrices({ quotes }: { quotes: PriceQuote[] }): Promise<StorePricesResult> {
      if (quotes.length === 0) return { stored: 0, moved: [] };
      const before = new Map((await latestPrices(sql, quotes.map((q) => q.symbol))).map((p) => [p.symbol, p.price]));
      await storeQuotes(sql, quotes);
      const moved = quotes
        .filter((q) => {
          const previous = before.get(q.symbol);
          return previous === undefined || !new Decimal(previous).eq(q.price);
        })
        .map(({ symbol, price }) => ({ symbol, price }));
      return { stored: quotes.length, moved };
    },

    /** Working paper-venue orders on these symbols: the ones a price move can fill or trigger. */
    async paperOrdersToWake({ symbols }: { symbols: string[] }): Promise<OrderToWake[]> {
      if (symbols.length === 0) return [];
      const rows = await sql<{ workflow_id: string; symbol: string }[]>`
        SELECT workflow_id, symbol FROM orders
        WHERE venue = 'paper' AND status IN ('NEW', 'PARTIALLY_FILLED') AND symbol IN ${sql(symbols)}
        ORDER BY created_at`;
      return rows.map((r) => ({ workflowId: r.workflow_id, symbol: r.symbol }));
    },
  };
}

export type RefreshActivities = ReturnType<typeof createRefreshActivities>;
