/**
 * Activities of the price refresh: which symbols matter, one provider batch of latest prices,
 * storing them, and matching the open paper orders a move may fill. Errors follow the taxonomy: a
 * rate limit or a provider's "no" is a non-retryable ApplicationFailure with a type; anything else
 * is transient and left to the caller's retry policy.
 */
import { ApplicationFailure, Context, log } from '@temporalio/activity';
import { WorkflowNotFoundError } from '@temporalio/client';
import { Decimal } from 'decimal.js';
import type { Sql } from '../../lib/db.js';
import type { WorkerMetrics } from '../../lib/metrics.js';
import { ExchangeRejectedError } from '../../domain/venue-errors.js';
import { latestPrices, storeQuotes } from '../../store/prices.js';
import { recordProviderOutcome } from '../../store/price-providers.js';
import { isValidSymbol, routeSymbols, type RoutedProvider, type RoutedSymbols } from '../../domain/market-data/routing.js';
import { ProviderRateLimitedError, type PriceSources } from '../../venues/market-data/sources.js';
import type { PriceQuote } from '../../domain/market-data/types.js';
import type { Exchange } from '../../domain/exchange.js';
import type { VenueOrderEvent } from '../../domain/venue-events.js';
import { snapshot } from '../orders/venue-activities.js';
import { estimateBinanceTrails } from './trail-estimates.js';

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
  /** The price age per provider (the worker's metrics). */
  metrics?: Pick<WorkerMetrics, 'notePrices'> | undefined;
}

/**
 * @example const activities = createRefreshActivities({ sql, marketData: createPriceSources(config) });
 */
export function createRefreshActivities({ sql, marketData, metrics }: RefreshActivitiesOptions) {
  return {
    /**
     * Symbols of open orders, of held positions (net fills, a paper balance in the base asset, or a
     * portfolio's last valuation),
     * of every watchlist and of active price alerts, split by provider.
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
        -- Manual positions as the portfolios last valued them (corrections and splits included).
        SELECT p->>'symbol' FROM portfolios, jsonb_array_elements(summary->'positions') p
          WHERE summary IS NOT NULL AND (p->>'quantity')::numeric > 0
        UNION
        SELECT symbol FROM watchlists
        UNION
        SELECT symbol FROM price_alerts WHERE status = 'ACTIVE'
        ORDER BY symbol`;
      return routeSymbols(rows.map((r) => r.symbol).filter(isValidSymbol), marketData.routes);
    },

    /** One batch from one provider. Symbols the provider does not know are simply absent. */
    async fetchQuotes({ provider, symbols }: FetchQuotesInput): Promise<PriceQuote[]> {
      try {
        const quotes = await marketData.sources[provider].latest(symbols);
        metrics?.notePrices(provider, quotes.map((q) => q.asOf));
        await recordProviderOutcome(sql, provider);
        return quotes;
      } catch (err) {
        // Readiness reports "degraded" once the last call of every provider failed.
        await recordProviderOutcome(sql, provider, err instanceof Error ? err : new Error(String(err))).catch((e: unknown) =>
          log.warn('price provider outcome not recorded', { provider, error: String(e) }),
        );
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

    /**
     * Working paper-venue orders on these symbols: the ones a price move can fill or trigger.
     * Kept for refresh runs that started before `wakePaperOrders` (unbounded: do not call anew).
     */
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

export interface OrderWakeActivitiesOptions {
  sql: Sql;
  /** Delivers a venue event (workflows/clients.ts); rejects with WorkflowNotFoundError for an ended order. */
  orders: { venueEvent(workflowId: string, event: VenueOrderEvent): Promise<void> };
  /** The paper venue of an account (it matches an order against the latest price when asked for it). */
  paperFor(accountId: string): Exchange;
  /** Open orders read per query. */
  pageSize?: number;
  /** Orders matched (and signals in flight) at once. */
  concurrency?: number;
}

export interface WakeResult {
  /** Orders a move changed, whose workflows were sent the venue's event. */
  woken: number;
}

/** Heartbeat details: where a retry of the same call picks up. */
interface WakeProgress {
  afterId: string;
  woken: number;
}

interface PaperCandidate {
  id: string;
  workflow_id: string;
  account_id: string;
  symbol: string;
  client_order_id: string;
  status: string;
  executed_qty: string;
  /** A trailing stop's best price before this match. */
  trailing_best_price: string | null;
}

/**
 * The paper venue's side of the venue events: after a price move it matches the working paper
 * orders the move may fill, and tells each order it changed what happened (the same `venueEvent`
 * an execution report of Binance's user data stream becomes), so paper orders do not poll for
 * fills. Matching from an activity keeps the refresh's history at a few events however many
 * orders are open.
 * @example const activities = createOrderWakeActivities({ sql, orders: orderClients(client), paperFor });
 */
export function createOrderWakeActivities({ sql, orders, paperFor, pageSize = 500, concurrency = 16 }: OrderWakeActivitiesOptions) {
  async function trailMoved(o: PaperCandidate): Promise<boolean> {
    const [row] = await sql<{ best: string | null }[]>`SELECT trailing_best_price::text AS best FROM paper_orders WHERE client_order_id = ${o.client_order_id}`;
    return row?.best != null && row.best !== o.trailing_best_price;
  }

  async function match(o: PaperCandidate): Promise<number> {
    const venue = paperFor(o.account_id);
    const order = await venue.getOrder({ symbol: o.symbol, clientOrderId: o.client_order_id });
    if (!order) return 0;
    const now = snapshot(order);
    if (now.status === o.status && new Decimal(now.executedQty).eq(o.executed_qty)) {
      // A trailing stop that moved its trigger tells its workflow too, so its details show where it stands.
      if (order.trailingDelta === undefined || !(await trailMoved(o))) return 0;
    }
    const trades = new Decimal(now.executedQty).gt(o.executed_qty)
      ? await venue.getTrades({ symbol: o.symbol, clientOrderId: o.client_order_id, exchangeOrderId: now.exchangeOrderId })
      : [];
    const trade = trades.at(-1);
    const event: VenueOrderEvent = { kind: 'update', venue: 'paper', clientOrderId: o.client_order_id, ...now, eventTime: order.updateTime, trade };
    try {
      await orders.venueEvent(o.workflow_id, event);
      return 1;
    } catch (err) {
      // Not found: the order finished meanwhile. Any other refusal must not stop the others: every
      // order also polls the venue on its own, as a safety net.
      if (!(err instanceof WorkflowNotFoundError)) log.warn('venueEvent not delivered', { workflowId: o.workflow_id, error: String(err) });
      return 0;
    }
  }

  return {
    /**
     * Matches the working paper orders on the moved symbols (a LIMIT or LIMIT_MAKER order the new
     * price does not reach is skipped in SQL) and sends each one that changed its event. Open orders are read in
     * keyset pages of `pageSize`, at most `concurrency` matched at once, and a heartbeat after
     * each page records the progress, so a retry resumes after the last page done.
     */
    async wakePaperOrders({ moved }: { moved: MovedPrice[] }): Promise<WakeResult> {
      if (moved.length === 0) return { woken: 0 };
      const ctx = Context.current();
      const resumed = ctx.info.heartbeatDetails as WakeProgress | undefined;
      let afterId = resumed?.afterId ?? null;
      let woken = resumed?.woken ?? 0;
      const symbols = moved.map((m) => m.symbol);
      const prices = moved.map((m) => m.price);
      for (;;) {
        // status_rank < 9 holds for every open status and lets the planner use orders_open_symbol.
        const page = await sql<PaperCandidate[]>`
          SELECT o.id, o.workflow_id, o.account_id, o.symbol, o.client_order_id, o.status, o.executed_qty::text, p.trailing_best_price::text
          FROM orders o
          JOIN unnest(${symbols}::text[], ${prices}::numeric[]) AS m(symbol, price) ON m.symbol = o.symbol
          LEFT JOIN paper_orders p ON p.client_order_id = o.client_order_id
          WHERE o.venue = 'paper' AND o.status IN ('NEW', 'PARTIALLY_FILLED') AND o.status_rank < 9
            -- A resting limit the price does not reach is skipped; never a stop (a trailing one moves
            -- its trigger on every price) nor an order list's leg (its sibling's fill expires it).
            AND NOT (p.type IN ('LIMIT', 'LIMIT_MAKER') AND p.order_list_id IS NULL
              AND ((p.side = 'BUY' AND p.price < m.price) OR (p.side = 'SELL' AND p.price > m.price)))
            ${afterId === null ? sql`` : sql`AND o.id > ${afterId}`}
          ORDER BY o.id LIMIT ${pageSize}`;
        if (page.length === 0) break;
        woken += await sumBounded(page, concurrency, match);
        afterId = page.at(-1)!.id;
        ctx.heartbeat({ afterId, woken } satisfies WakeProgress);
        if (page.length < pageSize) break;
      }
      // Binance trailing stops hear where their trigger stands by our prices (Binance does not say).
      await estimateBinanceTrails(sql, moved, orders.venueEvent).catch((err: unknown) => log.warn('trailing estimates not updated', { error: String(err) }));
      return { woken };
    },
  };
}

export type OrderWakeActivities = ReturnType<typeof createOrderWakeActivities>;

/** Runs `fn` over `items` with at most `limit` calls pending, and sums what they return. */
async function sumBounded<T>(items: readonly T[], limit: number, fn: (item: T) => Promise<number>): Promise<number> {
  let next = 0;
  let total = 0;
  const lane = async () => {
    while (next < items.length) {
      // Not `total += await …`: that reads `total` before the wait and loses the other lanes' counts.
      const n = await fn(items[next++]!);
      total += n;
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
  return total;
}
