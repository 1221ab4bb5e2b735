/**
 * Composes every activity factory with its real clients. Tests call this with a config that points
 * the clients at local fakes; nothing here is a singleton.
 */
import type { Client } from '@temporalio/client';
import type { Config } from '../lib/config.js';
import type { Sql } from '../lib/db.js';
import type { WorkerMetrics } from '../lib/metrics.js';
import { createOrderDbActivities } from '../activities/orders/record-activities.js';
import { findCredentials } from '../store/exchange-credentials.js';
import { createAccountBinance, type CredentialPin } from '../activities/account-venues.js';
import { createAccountBalanceActivities } from '../activities/account-balances.js';
import { createBinanceExchange } from '../venues/binance/exchange.js';
import { requestBudgetFromConfig } from '../venues/binance/request-budget.js';
import { createPgRequestLedger } from '../store/request-budget.js';
import { createOrderExchangeActivities } from '../activities/orders/venue-activities.js';
import { createOrderListActivities } from '../activities/orders/order-list-activities.js';
import { createPaperExchange } from '../venues/paper/exchange.js';
import { createPortfolioActivities, createPortfolioNotifyActivities, wakeClaimStaleMs } from '../activities/portfolio/portfolio-activities.js';
import { createPerformanceActivities } from '../activities/portfolio/performance-activities.js';
import type { Exchange } from '../domain/exchange.js';
import { createPriceLookup } from '../store/prices.js';
import { createOrderWakeActivities, createRefreshActivities } from '../activities/market-data/refresh-activities.js';
import { createPriceAlertActivities } from '../activities/market-data/alert-activities.js';
import { orderStarter } from '../workflows/start-order.js';
import { orderSettingsFrom } from '../lib/order-settings.js';
import { createReconcileActivities } from '../activities/reconcile/reconcile-activities.js';
import { createTwapActivities } from '../activities/twap/twap-activities.js';
import { createDcaActivities } from '../activities/orders/dca-activities.js';
import { createPriceSources, type PriceSources } from '../venues/market-data/sources.js';
import type { PriceQuote } from '../domain/market-data/types.js';
import { credentialBoxFor } from '../lib/secrets.js';
import { createWorkflowClients } from '../workflows/clients.js';
import type { Venue } from '../domain/exchange.js';

export interface ActivityDeps {
  config: Config;
  sql: Sql;
  /** For activities that message other workflows (signal-with-start to the portfolio). */
  temporal: Client;
  /** Fetches prices the store does not have yet (the market-data providers). */
  fetchLatest?: (symbols: string[]) => Promise<PriceQuote[]>;
  /** The routed Binance and Yahoo price sources; built from config when absent. Share one per process. */
  marketData?: PriceSources;
  /** The process's business metrics (lib/metrics.ts); the activities record nothing without it. */
  metrics?: WorkerMetrics | undefined;
}

export function createActivities({ config, sql, temporal, fetchLatest, marketData = createPriceSources(config), metrics }: ActivityDeps) {
  // A provider's failure surfaces as a PriceUnavailableError naming it, not as an unknown symbol.
  const prices = createPriceLookup({ sql, fetchLatest: fetchLatest ?? marketData.fetchLatestOrExplain });
  // Binance counts weight per IP and orders per key, over every worker process: every account's
  // adapter spends the price source's budget, kept in PostgreSQL (one is made when it has none).
  const requestBudget = marketData.requestBudget ?? requestBudgetFromConfig(config, createPgRequestLedger(sql));
  const binanceWith = ({ apiKey, apiSecret }: { apiKey: string; apiSecret: string }) =>
    createBinanceExchange({ baseUrl: config.BINANCE_BASE_URL, apiKey, apiSecret, recvWindowMs: config.BINANCE_RECV_WINDOW_MS, timeoutMs: config.BINANCE_TIMEOUT, requestBudget });
  // The caller's stored pair; the environment's pair only for accounts without one (single-user set-ups).
  const binanceFor = createAccountBinance({
    sql,
    box: credentialBoxFor(config),
    create: binanceWith,
    fallback: config.BINANCE_API_KEY && config.BINANCE_API_SECRET ? binanceWith({ apiKey: config.BINANCE_API_KEY, apiSecret: config.BINANCE_API_SECRET }) : undefined,
  });

  const paperFor = paperVenues(config, sql, prices);
  async function exchangeFor(venue: Venue, accountId: string, pinned?: CredentialPin): Promise<Exchange> {
    return venue === 'paper' ? paperFor(accountId) : binanceFor(accountId, pinned);
  }

  const credentialSource = async (accountId: string): Promise<CredentialPin> => {
    const stored = await findCredentials(sql, accountId, 'binance');
    return stored ? { source: 'stored', version: stored.version } : { source: 'environment' };
  };
  const { portfolios } = createWorkflowClients(temporal, config);
  return {
    ...createOrderDbActivities({ sql, metrics }),
    ...createPortfolioNotifyActivities({ sql, portfolios, staleAfterMs: wakeClaimStaleMs(config.PORTFOLIO_DEBOUNCE) }),
    ...createOrderExchangeActivities({
      sql,
      exchangeFor,
      referencePrice: async (symbol) => (await prices(symbol))?.price ?? null,
      risk: { maxOrderNotional: config.RISK_MAX_ORDER_NOTIONAL, maxDailyNotional: config.RISK_MAX_DAILY_NOTIONAL },
      credentialSource,
      metrics,
    }),
    ...createOrderListActivities({ sql, exchangeFor, credentialSource }),
    // The reconciliation (reconcileOrders on the orders queue) reaches the venues as the orders do.
    ...createReconcileActivities({ sql, temporal, exchangeFor, config, metrics }),
    // The TWAP parents: their slices' rules and their read model.
    ...createTwapActivities({ sql, exchangeFor, referencePrice: async (symbol) => (await prices(symbol))?.price ?? null }),
    // DCA buys (dcaBuy on the orders queue) price and size themselves as the orders' checks do.
    ...createDcaActivities({ sql, exchangeFor, referencePrice: async (symbol) => (await prices(symbol))?.price ?? null }),
    // GET /v1/balances (accountBalances on the orders queue): the key pair is opened here, never in the API.
    ...createAccountBalanceActivities({ binanceFor }),
  };
}

export type Activities = ReturnType<typeof createActivities>;

/** The paper venue of each account, matching against the stored prices. */
export function paperVenues(config: Config, sql: Sql, prices: ReturnType<typeof createPriceLookup>): (accountId: string) => Exchange {
  return (accountId) =>
    createPaperExchange({
      sql,
      accountId,
      prices,
      feeBps: config.PAPER_FEE_BPS,
      slippageBps: config.PAPER_SLIPPAGE_BPS,
      startingCash: config.PAPER_STARTING_CASH,
      staleAfterMs: config.PRICE_STALE_AFTER,
    });
}

/** Activities of the market-data worker: the price refresh. */
export function createMarketDataActivities({ config, sql, temporal, marketData = createPriceSources(config), metrics }: ActivityDeps) {
  // wakePaperOrders matches the paper orders a move may fill and sends each changed one its event;
  // notifyPortfoliosOfPrices revalues the portfolios holding what moved.
  const { portfolios, orders } = createWorkflowClients(temporal, config);
  const paperFor = paperVenues(config, sql, createPriceLookup({ sql, fetchLatest: marketData.fetchLatest }));
  return {
    ...createRefreshActivities({ sql, marketData, metrics }),
    ...createOrderWakeActivities({ sql, orders, paperFor }),
    // evaluatePriceAlerts fires the alerts the moved prices satisfy and starts their conditional orders.
    ...createPriceAlertActivities({ sql, startOrder: orderStarter(temporal, { taskQueue: config.taskQueues.orders, settings: orderSettingsFrom(config) }) }),
    ...createPortfolioNotifyActivities({ sql, portfolios }),
  };
}

/** Activities of the portfolio worker: the recalculation and the performance read. */
export function createPortfolioWorkerActivities({ sql, metrics }: Pick<ActivityDeps, 'sql' | 'metrics'>) {
  return { ...createPortfolioActivities({ sql, metrics }), ...createPerformanceActivities({ sql }) };
}
