/**
 * A stand-in for the Yahoo Finance hosts yahoo-finance2 3.x talks to, on one local port: the
 * cookie pages (finance.yahoo.com/quote/:symbol, fc.yahoo.com/), /v1/test/getcrumb,
 * /v7/finance/quote and /v8/finance/chart/:symbol. Plain node:http and no test-runner imports:
 * offline mode runs it as the product's Yahoo.
 */
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { FakeMarket, type FakeQuoteSeed, type PriceWalkOptions } from './market.js';
import { chartResponse, quoteObject, quoteResponse, yahooError } from './payloads.js';
import { CrumbSessions } from './session.js';

export type { FakeQuoteSeed, PriceWalkOptions } from './market.js';

export type YahooFailureMode = 'down' | 'rate-limit' | 'timeout' | 'bad-crumb';

/** Seconds sent in Retry-After while rate limiting. */
export const RATE_LIMIT_RETRY_AFTER_S = 7;

export const DEFAULT_YAHOO_QUOTES: Readonly<Record<string, FakeQuoteSeed>> = {
  AAPL: { price: '227.52', name: 'Apple Inc.' },
  MSFT: { price: '415.26', name: 'Microsoft Corporation' },
  SPY: { price: '562.13', name: 'SPDR S&P 500 ETF Trust' },
  GOOGL: { price: '165.87', name: 'Alphabet Inc.' },
  TSLA: { price: '248.50', name: 'Tesla, Inc.' },
};

export interface YahooFakeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  quotes?: Readonly<Record<string, FakeQuoteSeed>>;
  /** Let latest prices walk (one step per intervalMs) instead of staying where they were set. */
  priceWalk?: PriceWalkOptions;
}

export interface YahooFakeRequest {
  method: string;
  /** The Yahoo host the client meant (X-Forwarded-Host from the rewriting fetch), else Host. */
  host: string;
  path: string;
  query: Record<string, string>;
  cookie: string | undefined;
  /** Filled in when the response is finished. */
  status?: number;
}

export interface YahooFake {
  /** Base URL, e.g. http://127.0.0.1:41234 */
  url: string;
  close(): Promise<void>;
  /** Sets the latest price, listing the symbol if new; `details` names its kind (e.g. a MUTUALFUND), currency or name. */
  setPrice(symbol: string, price: string, details?: Omit<FakeQuoteSeed, 'price'>): void;
  setFailure(mode: YahooFailureMode | null): void;
  requests(): YahooFakeRequest[];
}

const CHART_INTERVALS: Record<string, number> = {
  '1m': 60, '2m': 120, '5m': 300, '15m': 900, '30m': 1_800, '60m': 3_600, '90m': 5_400, '1h': 3_600,
  '1d': 86_400, '5d': 432_000, '1wk': 604_800,
};
const MAX_1M_RANGE_S = 8 * 86_400;
/** Yahoo's weekly bars start on Mondays: 1970-01-05, four days after the epoch. */
const WEEK_GRID_OFFSET_S = 4 * 86_400;

function send(res: ServerResponse, status: number, body: string, headers: Record<string, string | string[]> = {}): void {
  const type = body.startsWith('{') ? 'application/json;charset=utf-8' : 'text/plain;charset=utf-8';
  res.writeHead(status, { 'content-type': type, ...headers }).end(body);
}

/**
 * Starts the fake and resolves once it listens.
 * @example
 * const yahoo = await startYahooFake({ quotes: { AAPL: { price: '190.00' } } });
 * const source = createYahooPriceSource({ baseUrl: yahoo.url });
 * await source.latest(['AAPL']); // [{ symbol: 'AAPL', price: '190', source: 'yahoo', ... }]
 * await yahoo.close();
 */
export async function startYahooFake(options: YahooFakeOptions = {}): Promise<YahooFake> {
  const market = new FakeMarket(options.quotes ?? DEFAULT_YAHOO_QUOTES, options.priceWalk, Date.now);
  const sessions = new CrumbSessions();
  const log: YahooFakeRequest[] = [];
  const hanging = new Set<ServerResponse>();
  let failure: YahooFailureMode | null = null;

  function quote(req: IncomingMessage, res: ServerResponse, url: URL): void {
    const check = failure === 'bad-crumb' ? 'Invalid Crumb' : sessions.check(req.headers.cookie, url.searchParams.get('crumb'));
    if (check !== 'ok') return send(res, 401, yahooError('finance', 'Unauthorized', check));
    const requested = (url.searchParams.get('symbols') ?? '').split(',').map((s) => s.trim().toUpperCase());
    const dayStart = Math.floor(Date.now() / 86_400_000) * 86_400;
    const results = [...new Set(requested)].flatMap((symbol) => {
      const instrument = market.instrument(symbol);
      const latest = market.latest(symbol);
      if (!instrument || !latest) return [];
      const today = market.bars(symbol, dayStart, dayStart + 86_400, 86_400)[0];
      return [quoteObject({ instrument, ...latest, today })];
    });
    send(res, 200, quoteResponse(results));
  }

  function chart(res: ServerResponse, symbol: string, url: URL): void {
    const interval = url.searchParams.get('interval') ?? '1d';
    const intervalS = CHART_INTERVALS[interval];
    const period1 = Number(url.searchParams.get('period1') ?? NaN);
    const period2 = Number(url.searchParams.get('period2') ?? Math.floor(Date.now() / 1000));
    const instrument = market.instrument(symbol);
    const latest = market.latest(symbol);
    if (!instrument || !latest) return send(res, 404, yahooError('chart', 'Not Found', 'No data found, symbol may be delisted'));
    if (intervalS === undefined) {
      return send(res, 400, yahooError('chart', 'Bad Request', `Invalid input - interval=${interval} is not supported. Valid intervals: [${Object.keys(CHART_INTERVALS).join(', ')}]`));
    }
    if (!Number.isInteger(period1) || !Number.isInteger(period2) || period2 < period1) {
      return send(res, 400, yahooError('chart', 'Bad Request', 'Invalid input - start date cannot be after end date'));
    }
    if (interval === '1m' && period2 - period1 > MAX_1M_RANGE_S) {
      return send(res, 422, yahooError('chart', 'Unprocessable Entity', '1m data not available for the requested range. Only 8 days worth of 1m granularity data are allowed to be fetched per request.'));
    }
    const bars = market.bars(symbol, period1, period2, intervalS, interval === '1wk' ? WEEK_GRID_OFFSET_S : 0);
    send(res, 200, chartResponse({ instrument, ...latest, interval, bars }));
  }

  function handle(req: IncomingMessage, res: ServerResponse): void {
    const url = new URL(req.url ?? '/', 'http://fake.invalid');
    const forwarded = req.headers['x-forwarded-host'];
    const entry: YahooFakeRequest = {
      method: req.method ?? 'GET',
      host: (Array.isArray(forwarded) ? forwarded[0] : forwarded) ?? req.headers.host ?? '',
      path: url.pathname,
      query: Object.fromEntries(url.searchParams),
      cookie: req.headers.cookie,
    };
    log.push(entry);
    res.on('finish', () => (entry.status = res.statusCode));

    if (failure === 'timeout') return void hanging.add(res);
    if (failure === 'down') return send(res, 503, 'Service Unavailable');
    if (failure === 'rate-limit') return send(res, 429, 'Too Many Requests', { 'retry-after': String(RATE_LIMIT_RETRY_AFTER_S) });

    const chartMatch = /^\/v8\/finance\/chart\/([^/]+)$/.exec(url.pathname);
    if (url.pathname === '/' || /^\/quote\/[^/]+\/?$/.test(url.pathname)) {
      // fc.yahoo.com answers 404 and finance.yahoo.com a page; both set the session cookies.
      const status = url.pathname === '/' ? 404 : 200;
      return send(res, status, '<!doctype html><title>Yahoo Finance (fake)</title>', { 'set-cookie': sessions.issueCookies(Date.now()) });
    }
    if (url.pathname === '/v1/test/getcrumb') {
      const crumb = sessions.crumbFor(req.headers.cookie);
      return crumb ? send(res, 200, crumb) : send(res, 401, yahooError('finance', 'Unauthorized', 'Invalid Cookie'));
    }
    if (url.pathname === '/v7/finance/quote') return quote(req, res, url);
    if (chartMatch?.[1]) return chart(res, decodeURIComponent(chartMatch[1]).toUpperCase(), url);
    send(res, 404, yahooError('finance', 'Not Found', `HTTP 404 Not Found: ${url.pathname}`));
  }

  const server = createServer(handle);
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const { address, port } = server.address() as AddressInfo;
  const host = address.includes(':') ? `[${address}]` : address;

  const releaseHanging = () => {
    for (const res of hanging) res.destroy();
    hanging.clear();
  };

  return {
    url: `http://${host}:${port}`,
    async close() {
      releaseHanging();
      server.closeAllConnections();
      await new Promise<void>((resolve, reject) => server.close((err) => (err ? reject(err) : resolve())));
    },
    setPrice(symbol, price, details) {
      market.set(symbol, { ...details, price });
    },
    setFailure(mode) {
      failure = mode;
      if (mode !== 'timeout') releaseHanging();
    },
    requests() {
      return log.map((entry) => ({ ...entry, query: { ...entry.query } }));
    },
  };
}
