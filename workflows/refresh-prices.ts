/**
 * One price refresh, started by the `price-refresh` schedule. Each provider batch is its own
 * pipeline (fetch → store → wake the orders it moved), so Binance prices are stored and pushed
 * while a failing Yahoo is still being retried. A batch that fails after its retries is recorded
 * in the result and the run still completes: the next run is the long-term retry.
 */
import { ActivityFailure, ApplicationFailure, getExternalWorkflowHandle, log, patched, proxyActivities, setCurrentDetails } from '@temporalio/workflow';
import type { MovedPrice, OrderWakeActivities, RefreshActivities } from '../activities/market-data/refresh-activities.js';
import type { PortfolioNotifyActivities } from '../activities/portfolio/portfolio-activities.js';
import type { PriceAlertActivities } from '../activities/market-data/alert-activities.js';
import type { RoutedProvider } from '../domain/market-data/routing.js';
import { priceMovedSignal } from './definitions.js';
import { presets } from './presets.js';

export interface RefreshPricesInput {
  /** Longest a provider batch may take with its retries, so one run never outlasts a few intervals. */
  fetchDeadlineMs: number;
  batchSize: Record<RoutedProvider, number>;
}

export interface BatchFailure {
  symbols: string[];
  type: string;
  message: string;
}

export interface ProviderOutcome {
  status: 'idle' | 'ok' | 'partial' | 'failed';
  requested: number;
  priced: number;
  failures: BatchFailure[];
}

export interface RefreshOutcome {
  providers: Record<RoutedProvider, ProviderOutcome>;
  stored: number;
  moved: string[];
  /** Order workflows sent `priceMoved`. */
  woken: number;
  /** Portfolio workflows told to revalue. */
  portfoliosNotified: number;
  /** Price alerts fired (absent in runs recorded before the `price-alerts` patch). */
  alertsFired?: number;
}

const db = proxyActivities<RefreshActivities>(presets.db);
const portfolios = proxyActivities<PortfolioNotifyActivities>(presets.db);
const waker = proxyActivities<OrderWakeActivities>(presets.wakeOrders);
const alerts = proxyActivities<PriceAlertActivities>(presets.priceAlerts);

export async function refreshPrices(input: RefreshPricesInput): Promise<RefreshOutcome> {
  const fetchers = {
    binance: proxyActivities<RefreshActivities>({ ...presets.marketDataBinance, scheduleToCloseTimeout: input.fetchDeadlineMs }),
    yahoo: proxyActivities<RefreshActivities>({ ...presets.marketDataYahoo, scheduleToCloseTimeout: input.fetchDeadlineMs }),
  };
  const routed = await db.symbolsToRefresh();
  const outcome: RefreshOutcome = { providers: { binance: idle(), yahoo: idle() }, stored: 0, moved: [], woken: 0, portfoliosNotified: 0 };

  async function refreshBatch(provider: RoutedProvider, symbols: string[]): Promise<void> {
    const result = outcome.providers[provider];
    result.requested += symbols.length;
    let quotes;
    try {
      quotes = await fetchers[provider].fetchQuotes.executeWithOptions({ summary: `fetch ${symbols.length} ${provider} prices` }, [{ provider, symbols }]);
    } catch (err) {
      const failure = describeFailure(symbols, err);
      result.failures.push(failure);
      log.warn('price batch failed', { provider, ...failure });
      return;
    }
    result.priced += quotes.length;
    const { stored, moved } = await db.storePrices.executeWithOptions({ summary: `store ${quotes.length} ${provider} prices` }, [{ quotes }]);
    outcome.stored += stored;
    outcome.moved.push(...moved.map((m) => m.symbol));
    outcome.woken += await wakeOrders(moved);
    // Revalue the portfolios holding what moved (patched: runs already in flight replay unchanged).
    if (moved.length > 0 && patched('portfolio-revalue')) {
      const symbols = moved.map((m) => m.symbol);
      outcome.portfoliosNotified += (await portfolios.notifyPortfoliosOfPrices.executeWithOptions({ summary: `revalue the portfolios holding ${symbols.length} moved symbols` }, [{ symbols }])).notified;
    }
    if (moved.length > 0 && patched('price-alerts')) outcome.alertsFired = (outcome.alertsFired ?? 0) + (await fireAlerts(moved));
  }

  await Promise.all(
    (['binance', 'yahoo'] as const).flatMap((provider) => chunk(routed[provider], input.batchSize[provider]).map((batch) => refreshBatch(provider, batch))),
  );
  for (const result of Object.values(outcome.providers)) result.status = statusOf(result);
  setCurrentDetails(
    [
      ...(['binance', 'yahoo'] as const).map((p) => `${p}: **${outcome.providers[p].status}**, ${outcome.providers[p].priced} of ${outcome.providers[p].requested} priced`),
      `${outcome.stored} stored · ${outcome.moved.length} moved · ${outcome.woken} orders woken · ${outcome.portfoliosNotified} portfolios told${outcome.alertsFired === undefined ? '' : ` · ${outcome.alertsFired} alerts fired`}`,
    ].join('\n\n'),
  );
  return outcome;
}

/** Fires the price alerts the moved prices satisfy (and starts their conditional orders). */
async function fireAlerts(moved: MovedPrice[]): Promise<number> {
  try {
    return (await alerts.evaluatePriceAlerts.executeWithOptions({ summary: `evaluate the price alerts of ${moved.length} moved symbols` }, [{ moved }])).fired;
  } catch (err) {
    // What fired is recorded; an order a fired alert still owes is started by the next run's call,
    // and an alert that did not fire is evaluated again on the next move.
    log.warn('price alerts not evaluated', { symbols: moved.map((m) => m.symbol), error: String(err instanceof ActivityFailure && err.cause ? err.cause : err) });
    return 0;
  }
}

/** Sends priceMoved to every working paper order on a moved symbol; a finished one is skipped. */
async function wakeOrders(moved: MovedPrice[]): Promise<number> {
  if (moved.length === 0) return 0;
  // Patched: runs recorded before signalled each order from here, two history events per order.
  if (patched('wake-orders-in-activity')) {
    try {
      return (await waker.wakePaperOrders.executeWithOptions({ summary: `wake the paper orders of ${moved.length} moved symbols` }, [{ moved }])).woken;
    } catch (err) {
      // The prices are stored: a missed wake only delays fills until the orders' own poll.
      log.warn('paper orders not woken', { symbols: moved.map((m) => m.symbol), error: String(err instanceof ActivityFailure && err.cause ? err.cause : err) });
      return 0;
    }
  }
  const priceOf = new Map(moved.map((m) => [m.symbol, m.price]));
  const orders = await db.paperOrdersToWake({ symbols: [...priceOf.keys()] });
  const sent = await Promise.all(
    orders.map(async ({ workflowId, symbol }) => {
      try {
        await getExternalWorkflowHandle(workflowId).signal(priceMovedSignal, { symbol, price: priceOf.get(symbol)! });
        return 1;
      } catch (err) {
        // Not found: the order finished between the query and the signal, nothing to wake. Any
        // other refusal must not fail the refresh either: the order also polls on its own.
        if (!(err instanceof ApplicationFailure && /not found/i.test(err.message))) log.warn('priceMoved not delivered', { workflowId, error: String(err) });
        return 0;
      }
    }),
  );
  return sent.reduce<number>((a, b) => a + b, 0);
}

function describeFailure(symbols: string[], err: unknown): BatchFailure {
  const cause = err instanceof ActivityFailure && err.cause ? err.cause : err;
  const type = cause instanceof ApplicationFailure ? (cause.type ?? 'Error') : cause instanceof Error ? cause.name : 'Error';
  return { symbols, type, message: cause instanceof Error ? cause.message : String(cause) };
}

function statusOf(r: ProviderOutcome): ProviderOutcome['status'] {
  if (r.requested === 0) return 'idle';
  if (r.failures.length === 0) return 'ok';
  return r.failures.reduce((n, f) => n + f.symbols.length, 0) === r.requested ? 'failed' : 'partial';
}

function idle(): ProviderOutcome {
  return { status: 'idle', requested: 0, priced: 0, failures: [] };
}

function chunk<T>(items: T[], size: number): T[][] {
  const out: T[][] = [];
  for (let i = 0; i < items.length; i += size) out.push(items.slice(i, i + size));
  return out;
}
