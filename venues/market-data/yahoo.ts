/**
 * Yahoo Finance through yahoo-finance2 3.x. The library keeps its own cookie + crumb handshake,
 * parsing and schema validation; we hand it a fetch that (a) can send every Yahoo host to one
 * base URL (the local fake / offline mode) and refuses any other host, (b) bounds each request by
 * a timeout and (c) turns 429 and 5xx into errors before the library sees them, because the
 * library drops the Retry-After header and prints the URL to stderr on every non-OK response.
 */
import { Decimal } from 'decimal.js';
import YahooFinance from 'yahoo-finance2';
import { ExtendedCookieJar } from 'yahoo-finance2/lib/cookieJar';
import { getCrumbClear } from 'yahoo-finance2/lib/getCrumb';
import { candleOpen, type CandleInterval } from '../../domain/market-data/intervals.js';
import type { Candle, HistoryRequest, PriceQuote, PriceSource } from '../../domain/market-data/types.js';

export interface YahooPriceSourceOptions {
  /** Send every *.yahoo.com request here instead, keeping path and query; no other host is reached. */
  baseUrl?: string;
  fetch?: typeof fetch;
  /** Limit for each HTTP request, headers and body (default 10 000 ms). */
  timeoutMs?: number;
}

export class YahooError extends Error {
  override name = 'YahooError';
  readonly provider = 'yahoo';
  constructor(
    message: string,
    readonly symbols: readonly string[],
    readonly httpStatus?: number,
    options?: ErrorOptions,
  ) {
    super(message, options);
  }
}

export class YahooRateLimitError extends YahooError {
  override name = 'YahooRateLimitError';
  constructor(
    readonly retryAfterMs: number,
    symbols: readonly string[],
    options?: ErrorOptions,
  ) {
    super(`yahoo rate limit (HTTP 429) for ${symbols.join(',')}; retry after ${Math.ceil(retryAfterMs / 1000)} s`, symbols, 429, options);
  }
}

/** Used when a 429 carries no usable Retry-After (Yahoo usually sends none). */
export const DEFAULT_RETRY_AFTER_MS = 60_000;
const Dec = Decimal.clone({ toExpNeg: -30, toExpPos: 30 });
const YAHOO_HOST = /(^|\.)yahoo\.com$/i;
const MAX_REDIRECTS = 5;

/** Thrown from inside the injected fetch; mapped to a YahooError once the symbols are known. */
class HttpStatusFailure extends Error {
  override name = 'HttpStatusFailure';
  constructor(
    readonly status: number,
    readonly retryAfterMs: number,
    readonly url: string,
  ) {
    super(`HTTP ${status} from ${url}`);
  }
}

function retryAfterMs(header: string | null, nowMs: number): number {
  if (header === null) return DEFAULT_RETRY_AFTER_MS;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? DEFAULT_RETRY_AFTER_MS : Math.max(0, at - nowMs);
}

function createYahooFetch(base: URL | undefined, inner: typeof fetch, timeoutMs: number): typeof fetch {
  const route = (href: string): { url: string; yahooHost?: string } => {
    const url = new URL(href);
    if (!base || url.host === base.host) return { url: href };
    if (!YAHOO_HOST.test(url.hostname)) throw new Error(`refusing to reach ${url.host}: only ${base.host} is allowed when baseUrl is set`);
    return { url: new URL(base.pathname.replace(/\/$/, '') + url.pathname + url.search, base).href, yahooHost: url.host };
  };

  return async (input, init) => {
    let href = typeof input === 'string' ? input : input instanceof URL ? input.href : input.url;
    const timeout = AbortSignal.timeout(timeoutMs);
    const signal = init?.signal ? AbortSignal.any([init.signal, timeout]) : timeout;
    // With a base URL we follow redirects ourselves so that every hop is rewritten too.
    const followHere = base !== undefined && init?.redirect !== 'manual';
    for (let hop = 0; ; hop++) {
      const { url, yahooHost } = route(href);
      const headers = new Headers(init?.headers);
      if (yahooHost) headers.set('x-forwarded-host', yahooHost);
      const response = await inner(url, { ...init, headers, signal, redirect: followHere ? 'manual' : init?.redirect });
      const location = response.headers.get('location');
      if (followHere && location && response.status >= 300 && response.status < 400 && hop < MAX_REDIRECTS) {
        await response.body?.cancel();
        href = new URL(location, href).href;
        continue;
      }
      if (response.status === 429 || response.status >= 500) {
        await response.body?.cancel();
        // Origin and path only: the query carries the crumb.
        const where = new URL(href);
        throw new HttpStatusFailure(response.status, retryAfterMs(response.headers.get('retry-after'), Date.now()), where.origin + where.pathname);
      }
      return response;
    }
  };
}

/** Yahoo answers "Invalid Crumb" / "Invalid Cookie" (401) when its session has gone stale. */
function isSessionRejection(error: unknown): boolean {
  return error instanceof Error && /^(Invalid (Crumb|Cookie)|Failed to get crumb, status 401)/.test(error.message);
}

function describe(error: unknown, what: string, symbols: readonly string[], timeoutMs: number): YahooError {
  const subject = `yahoo ${what} for ${symbols.join(',')}`;
  const cause = { cause: error };
  if (error instanceof HttpStatusFailure) {
    if (error.status === 429) return new YahooRateLimitError(error.retryAfterMs, symbols, cause);
    return new YahooError(`${subject} failed: ${error.message}`, symbols, error.status, cause);
  }
  if (!(error instanceof Error)) return new YahooError(`${subject} failed: ${String(error)}`, symbols, undefined, cause);
  if (error.name === 'TimeoutError') return new YahooError(`${subject} timed out after ${timeoutMs} ms`, symbols, undefined, cause);
  if (isSessionRejection(error)) {
    return new YahooError(`${subject} failed: Yahoo rejected the session (HTTP 401 ${error.message})`, symbols, 401, cause);
  }
  if (error.name === 'FailedYahooValidationError') {
    const detail = JSON.stringify((error as Error & { errors?: unknown }).errors ?? []).slice(0, 300);
    return new YahooError(`${subject} failed: the response did not pass yahoo-finance2 schema validation ${detail}`, symbols, undefined, cause);
  }
  const code = (error as Error & { code?: unknown }).code;
  const status = typeof code === 'number' ? code : undefined;
  const reason = error.cause instanceof Error ? `${error.message} (${error.cause.message})` : error.message;
  return new YahooError(`${subject} failed: ${reason}`, symbols, status, cause);
}

/** Shortest round-trip text of the library's number, e.g. 227.52 → "227.52", never float noise. */
function decimalText(value: number): string {
  return new Dec(String(value)).toString();
}

/** A figure of the day Yahoo may leave out (a fund has no volume): its text, or null. */
function optionalText(value: number | undefined): string | null {
  return value === undefined || !Number.isFinite(value) ? null : decimalText(value);
}

/** Yahoo's chart interval for ours: it has no 4h, which is built from its 1h bars. */
const CHART_INTERVAL = { '1m': '1m', '5m': '5m', '15m': '15m', '1h': '1h', '4h': '1h', '1d': '1d', '1w': '1wk' } as const satisfies Record<CandleInterval, string>;

/**
 * Bars onto our UTC grid: each bar goes to the candle its open time falls in, and bars that meet
 * there merge (first open, highest high, lowest low, last close). This builds 4h candles from 1h
 * bars, and puts Yahoo's daily and weekly bars, stamped at the exchange's opening time (13:30 UTC
 * for New York), on 00:00 UTC of their day and on their week's Monday.
 */
function ontoGrid(bars: Candle[], interval: CandleInterval): Candle[] {
  const byOpen = new Map<number, Candle>();
  for (const bar of bars) {
    const t = candleOpen(Date.parse(bar.t), interval);
    const seen = byOpen.get(t);
    byOpen.set(
      t,
      seen === undefined
        ? { ...bar, t: new Date(t).toISOString() }
        : { t: seen.t, open: seen.open, high: Dec.max(seen.high, bar.high).toString(), low: Dec.min(seen.low, bar.low).toString(), close: bar.close },
    );
  }
  return [...byOpen.values()];
}

/** yahoo-finance2 3.15 declares Node >= 22 and warns on every construction; we run it on Node 20 (tested). */
const libraryLogger = {
  debug: () => {},
  info: () => {},
  dir: () => {},
  warn: (...args: unknown[]) => {
    if (!String(args[0]).includes('Unsupported environment')) console.warn(...args);
  },
  error: (...args: unknown[]) => console.error(...args),
};

/**
 * A PriceSource backed by yahoo-finance2: batched `quote()` for latest prices, `chart()` for candles.
 * @example
 * const yahoo = createYahooPriceSource({ baseUrl: process.env.YAHOO_BASE_URL, timeoutMs: 5_000 });
 * await yahoo.latest(['AAPL', 'MSFT']); // [{ symbol: 'AAPL', price: '227.52', source: 'yahoo', asOf: '…' }, …]
 */
export function createYahooPriceSource(options: YahooPriceSourceOptions = {}): PriceSource {
  const timeoutMs = options.timeoutMs ?? 10_000;
  const base = options.baseUrl === undefined ? undefined : new URL(options.baseUrl);
  // One jar per source: the library's default jar is shared by every instance in the process.
  const cookieJar = new ExtendedCookieJar();
  const yahooFinance = new YahooFinance({
    fetch: createYahooFetch(base, options.fetch ?? globalThis.fetch, timeoutMs),
    cookieJar,
    logger: libraryLogger,
    suppressNotices: ['yahooSurvey'],
    // The version check would call registry.npmjs.org with the global fetch on validation errors.
    versionCheck: false,
    // Validation still throws; describe() puts the details into our error instead of a console banner.
    validation: { logErrors: false },
  });

  /*
   * yahoo-finance2 caches the crumb (and, once reused, the promise for it) in module state shared by
   * every instance, whatever jar they use. So a source starts its own session by clearing that state
   * and its jar once; the library then does the cookie + crumb flow into this jar. When Yahoo rejects
   * the session we clear again and retry once. Two sources in one process still work, at the cost of
   * a crumb refresh whenever they alternate; the worker has one.
   */
  let session: Promise<void> | undefined;
  const withSession = async <T>(run: () => Promise<T>) => {
    await (session ??= getCrumbClear(cookieJar));
    return run();
  };

  async function call<T>(what: string, symbols: readonly string[], run: () => Promise<T>): Promise<T> {
    try {
      return await run();
    } catch (error) {
      if (!isSessionRejection(error)) throw describe(error, what, symbols, timeoutMs);
    }
    session = undefined;
    try {
      return await run();
    } catch (error) {
      throw describe(error, what, symbols, timeoutMs);
    }
  }

  return {
    name: 'yahoo',
    async latest(symbols: string[]): Promise<PriceQuote[]> {
      const wanted = new Map(symbols.map((s) => [s.toUpperCase(), s]));
      if (wanted.size === 0) return [];
      const requested = [...wanted.values()];
      const quotes = await call('quote', requested, () => withSession(() => yahooFinance.quote(requested, { return: 'array' })));
      return quotes.flatMap((q) => {
        const symbol = wanted.get(q.symbol.toUpperCase());
        const { regularMarketPrice: price, regularMarketTime: time } = q;
        // Left out: symbols we did not ask for, and quotes Yahoo sends without a price or time.
        if (symbol === undefined || price === undefined || !Number.isFinite(price) || !(time instanceof Date)) return [];
        return [
          {
            symbol,
            price: decimalText(price),
            source: 'yahoo' as const,
            asOf: time.toISOString(),
            change: optionalText(q.regularMarketChange),
            changePercent: optionalText(q.regularMarketChangePercent),
            volume: optionalText(q.regularMarketVolume),
          },
        ];
      });
    },
    async history({ symbol, from, to, interval }: HistoryRequest): Promise<Candle[]> {
      if (Math.floor(to.getTime() / 1000) <= Math.floor(from.getTime() / 1000)) return [];
      let chart;
      try {
        chart = await call('chart', [symbol], () =>
          yahooFinance.chart(symbol, { period1: from, period2: to, interval: CHART_INTERVAL[interval], includePrePost: false, return: 'array' }),
        );
      } catch (error) {
        // Yahoo's 404 for a symbol it does not know: no candles, like latest() leaving it out.
        if (error instanceof YahooError && /No data found/.test(error.message)) return [];
        throw error;
      }
      const bars = chart.quotes.flatMap(({ date, open, high, low, close }) =>
        // Yahoo pads gaps (halts, holidays) with nulls; such bars carry no prices.
        open === null || high === null || low === null || close === null
          ? []
          : [{ t: date.toISOString(), open: decimalText(open), high: decimalText(high), low: decimalText(low), close: decimalText(close) }],
      );
      return ontoGrid(bars, interval);
    },
  };
}
