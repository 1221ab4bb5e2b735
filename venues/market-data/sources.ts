/**
 * The engine's market data: the Binance and Yahoo price sources built from config, the routing
 * between them, and a fetch that asks each provider on its own so one provider failing or rate
 * limited never holds up the other. A provider that answered 429/418 is left alone until its
 * Retry-After has passed (per process), instead of being asked again on every refresh. Binance
 * requests spend the request budget every worker shares (at poll priority), with the exchange adapters.
 */
import type { Config } from '../../lib/config.js';
import { ExchangeRateLimitError } from '../../domain/venue-errors.js';
import { PriceUnavailableError } from '../../domain/market-data/errors.js';
import type { RequestLedger } from '../../domain/request-budget.js';
import { requestBudgetFromConfig, type RequestBudget } from '../binance/request-budget.js';
import { createBinancePriceSource } from './binance.js';
import { providerFor, routeSymbols, type RoutedProvider, type RouteOverrides } from '../../domain/market-data/routing.js';
import type { Candle, HistoryRequest, PriceQuote, PriceSource } from '../../domain/market-data/types.js';
import { createYahooPriceSource, YahooRateLimitError } from './yahoo.js';

export const PROVIDERS: readonly RoutedProvider[] = ['binance', 'yahoo'];

/** A provider said "too many requests", or still is within the wait it asked for. */
export class ProviderRateLimitedError extends Error {
  override name = 'ProviderRateLimitedError';
  constructor(
    readonly provider: RoutedProvider,
    readonly retryAfterMs: number,
    options?: ErrorOptions,
  ) {
    super(`${provider} is rate limiting us; retry after ${Math.ceil(retryAfterMs / 1000)} s`, options);
  }
}

export interface ProviderFailure {
  provider: RoutedProvider;
  symbols: string[];
  error: Error;
}

export interface LatestResult {
  quotes: PriceQuote[];
  /** Providers that failed for their part of the request (their symbols have no quote). */
  failures: ProviderFailure[];
}

export interface PriceSources {
  sources: Record<RoutedProvider, PriceSource>;
  routes: RouteOverrides;
  /** The Binance request budget of this process, when it has a ledger: hand it to the Binance exchange adapters too. */
  requestBudget: RequestBudget | undefined;
  /** Which provider prices a symbol. */
  providerFor(symbol: string): RoutedProvider;
  /** Latest prices from every provider concerned; what failed is reported, not thrown. */
  fetchLatestSettled(symbols: string[]): Promise<LatestResult>;
  /** The quotes of fetchLatestSettled: whatever the providers that answered returned. */
  fetchLatest(symbols: string[]): Promise<PriceQuote[]>;
  /**
   * As fetchLatest, but a symbol left without a quote because its provider failed is a
   * PriceUnavailableError naming the provider and its error (a symbol the provider does not know
   * is simply absent).
   */
  fetchLatestOrExplain(symbols: string[]): Promise<PriceQuote[]>;
  /** Candles from the symbol's provider. */
  history(req: HistoryRequest): Promise<{ provider: RoutedProvider; candles: Candle[] }>;
}

export type PriceSourcesConfig = Pick<Config, 'BINANCE_BASE_URL' | 'YAHOO_BASE_URL' | 'MARKET_DATA_TIMEOUT' | 'MARKET_DATA_ROUTES' | 'BINANCE_BUDGET_MAX_WAIT' | 'BINANCE_TIMEOUT' | 'LOG_LEVEL'>;

export interface PriceSourcesOptions {
  /** Replaces a provider (tests, or a simulated feed). */
  sources?: Partial<Record<RoutedProvider, PriceSource>>;
  /** Called once per provider failure of fetchLatest, e.g. to log it. */
  onFailure?: (failure: ProviderFailure) => void;
  now?: () => number;
  /**
   * Where the Binance request budget keeps its counts (store/request-budget.ts: PostgreSQL, shared
   * by every worker). Without one, Binance requests go unbudgeted (a 429 still pauses the provider).
   */
  requestLedger?: RequestLedger;
  /** A budget built already (one per process); wins over `requestLedger`. */
  requestBudget?: RequestBudget;
}

/**
 * Builds the routed providers from config.
 * @example
 * const marketData = createPriceSources(config);
 * await marketData.fetchLatest(['BTCUSDT', 'AAPL']); // BTCUSDT from Binance, AAPL from Yahoo
 */
export function createPriceSources(config: PriceSourcesConfig, options: PriceSourcesOptions = {}): PriceSources {
  const now = options.now ?? Date.now;
  const timeoutMs = config.MARKET_DATA_TIMEOUT;
  const requestBudget = options.requestBudget ?? (options.requestLedger && requestBudgetFromConfig(config, options.requestLedger));
  const raw: Record<RoutedProvider, PriceSource> = {
    binance: options.sources?.binance ?? createBinancePriceSource({ baseUrl: config.BINANCE_BASE_URL, timeoutMs, requestBudget }),
    yahoo: options.sources?.yahoo ?? createYahooPriceSource({ baseUrl: config.YAHOO_BASE_URL, timeoutMs }),
  };
  const sources = {
    binance: withCooldown('binance', raw.binance, now),
    yahoo: withCooldown('yahoo', raw.yahoo, now),
  };
  const routes = config.MARKET_DATA_ROUTES;

  async function fetchLatestSettled(symbols: string[]): Promise<LatestResult> {
    const routed = routeSymbols(symbols, routes);
    const asked = PROVIDERS.filter((p) => routed[p].length > 0);
    const settled = await Promise.allSettled(asked.map((p) => sources[p].latest(routed[p])));
    const result: LatestResult = { quotes: [], failures: [] };
    settled.forEach((outcome, i) => {
      const provider = asked[i]!;
      if (outcome.status === 'fulfilled') result.quotes.push(...outcome.value);
      else {
        const error = outcome.reason instanceof Error ? outcome.reason : new Error(String(outcome.reason));
        result.failures.push({ provider, symbols: routed[provider], error });
      }
    });
    return result;
  }

  return {
    sources,
    routes,
    requestBudget,
    providerFor: (symbol) => providerFor(symbol, routes),
    fetchLatestSettled,
    async fetchLatest(symbols) {
      const { quotes, failures } = await fetchLatestSettled(symbols);
      for (const failure of failures) options.onFailure?.(failure);
      return quotes;
    },
    async fetchLatestOrExplain(symbols) {
      const { quotes, failures } = await fetchLatestSettled(symbols);
      const missing = symbols.find((s) => !quotes.some((q) => q.symbol === s) && failures.some((f) => f.symbols.includes(s)));
      if (missing !== undefined) {
        throw new PriceUnavailableError(missing, failures.filter((f) => f.symbols.includes(missing)).map((f) => ({ provider: f.provider, error: f.error.message })));
      }
      return quotes;
    },
    async history(req) {
      const provider = providerFor(req.symbol, routes);
      return { provider, candles: await sources[provider].history(req) };
    },
  };
}

function rateLimitOf(err: unknown): number | undefined {
  if (err instanceof ExchangeRateLimitError || err instanceof YahooRateLimitError) return err.retryAfterMs;
  return undefined;
}

/** Turns a provider's rate-limit answer into a pause of that provider for the time it asked. */
function withCooldown(provider: RoutedProvider, source: PriceSource, now: () => number): PriceSource {
  let until = 0;
  async function guarded<T>(call: () => Promise<T>): Promise<T> {
    const wait = until - now();
    if (wait > 0) throw new ProviderRateLimitedError(provider, wait);
    try {
      return await call();
    } catch (err) {
      const retryAfterMs = rateLimitOf(err);
      if (retryAfterMs === undefined) throw err;
      until = now() + retryAfterMs;
      throw new ProviderRateLimitedError(provider, retryAfterMs, { cause: err });
    }
  }
  return {
    name: source.name,
    latest: (symbols) => guarded(() => source.latest(symbols)),
    history: (req) => guarded(() => source.history(req)),
  };
}
