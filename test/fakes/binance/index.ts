/**
 * A Binance Spot stand-in on a real port: the adapter's tests talk to it over HTTP and the
 * WebSocket API, and the engine starts it in offline mode. It speaks the endpoint subset we use
 * with Binance's shapes, codes, headers and limits, keeps one account, pushes that account's User
 * Data Stream, and lets a test move prices and inject failures. It must not import vitest.
 */
import type { AddressInfo } from 'node:net';
import type { Balance } from '../../../domain/exchange.js';
import { Account } from './account.js';
import { Book } from './book.js';
import { D, roundToStep } from './decimal.js';
import { type Fault, FaultBook } from './faults.js';
import { marketRoutes } from './market-routes.js';
import { Market } from './market.js';
import { randomInt, seededRandom } from './random.js';
import { RateLimits, type RateLimitsOptions } from './rate-limits.js';
import { renderQueried, renderTrade } from './render.js';
import type { BanViolation } from './ip-limits.js';
import { createFakeHttp, type RequestLogEntry } from './server.js';
import type { FakeState } from './state.js';
import { buildSymbolTable, DEFAULT_BALANCES, DEFAULT_PRICES, DEFAULT_SYMBOLS, type FakeSymbolSpec } from './symbols.js';
import { listRoutes } from './list-routes.js';
import { tradingRoutes } from './trading-routes.js';
import { UserStream, type UserStreamControls } from './user-stream.js';
import { attachWsApi, WS_API_PATH } from './ws-api.js';

export type { Fault, FaultKind } from './faults.js';
export type { BanViolation } from './ip-limits.js';
export type { RateLimitInterval, RateLimitRule, RateLimitsOptions } from './rate-limits.js';
export type { FakeSymbolSpec } from './symbols.js';
export type { RequestLogEntry } from './server.js';
export type { EventFault, UserStreamControls, UserStreamStats } from './user-stream.js';

export interface BinanceFakeOptions {
  /** 0 (default) picks a free port. */
  port?: number;
  host?: string;
  /** The one key pair the fake accepts. */
  apiKey: string;
  apiSecret: string;
  symbols?: FakeSymbolSpec[];
  /** Starting prices by symbol; every listed symbol needs one (defaults cover the default symbols). */
  prices?: Record<string, string>;
  /** Starting balances by asset; replaces the defaults (USDT 100000, BTC 1, ETH 10, BNB 10, SOL 100). */
  balances?: Record<string, string>;
  /** Base quantity tradable per price level and move, by symbol; unlimited when absent. */
  liquidity?: Record<string, string>;
  /** A seeded random walk of every price, off by default. */
  priceWalk?: { seed: number; intervalMs: number; volatilityBps: number };
  /** Commission taken from what each fill receives; default 0.001 (0.1 %). */
  commissionRate?: string;
  /** Seed of the fault RNGs for faults without their own seed. */
  faultSeed?: number;
  /** Local clock (ms); the server clock is this plus `serverTimeOffsetMs`. */
  now?: () => number;
  /**
   * How long after a 429/418 went out a request inside its Retry-After still counts as one that
   * was already in flight rather than as a ban violation. Default 100 ms.
   */
  banGraceMs?: number;
  /**
   * The limits exchangeInfo lists and the fake enforces, in exchangeInfo's terms. `requestWeight`
   * (default 6000 per 1 MINUTE) is counted per IP over REST and the WebSocket API together, names
   * the used-weight header (X-MBX-USED-WEIGHT-1M, -10S …) and answers 429 -1003 with Retry-After
   * past the limit. Each `orders` rule names an X-MBX-ORDER-COUNT-… header and, when `orders` is
   * given, refuses a new order past it with 429 -1015 and Retry-After; by default 50 per 10 SECOND
   * and 160000 per 1 DAY are listed and counted but not enforced.
   * @example { requestWeight: { interval: 'SECOND', intervalNum: 10, limit: 100 }, orders: [{ interval: 'SECOND', intervalNum: 10, limit: 5 }] }
   */
  rateLimits?: RateLimitsOptions;
  /**
   * The WebSocket API connection lifecycle (Binance: a ping frame every 20 s, a connection whose
   * pong does not come back within 60 s is cut, every connection is closed after 24 h).
   */
  userStream?: { pingIntervalMs?: number; pongTimeoutMs?: number; connectionLifetimeMs?: number };
}

export interface BinanceFake {
  /** e.g. http://127.0.0.1:41234 */
  readonly url: string;
  /**
   * The WebSocket API on the same port, e.g. ws://127.0.0.1:41234/ws-api/v3: ping, time,
   * session.status/logon/logout/subscriptions and userDataStream.subscribe(.signature)/unsubscribe.
   * After `userDataStream.subscribe.signature` it pushes `{ subscriptionId, event }` frames:
   * executionReport for every order change (NEW, TRADE per fill, CANCELED, EXPIRED),
   * outboundAccountPosition for the balances each change moved, and listStatus when an order list
   * (POST /api/v3/orderList/oco, /otoco) is placed and when it is done.
   */
  readonly wsApiUrl: string;
  /** Faults and counters of the WebSocket API's user data stream. */
  readonly userStream: UserStreamControls;
  close(): Promise<void>;
  price(symbol: string): string;
  /**
   * Moves the market and fills or triggers the orders it crosses (trailing stops track it; an OCO
   * leg that starts executing expires its partner first). `liquidity` caps what trades at this price (and later ones).
   */
  setPrice(symbol: string, price: string, opts?: { liquidity?: string | null }): void;
  /** Fills part of a working limit order at its own price, regardless of the market. */
  fillPartially(clientOrderId: string, qty: string): void;
  /** One step of the price walk, as the timer would take it (works with the walk off too, seed 1 / 10 bps). */
  walkStep(): void;
  injectFault(fault: Fault): void;
  clearFaults(): void;
  /**
   * Hides an accepted order from every order query (GET order answers -2013; openOrders and
   * allOrders leave it out) for `ms`, while it keeps trading. The order a query by that client id
   * would find: the open one, else the latest.
   */
  hide(clientOrderId: string, ms: number): void;
  /** Requests that arrived inside a 429/418 Retry-After window more than `banGraceMs` after it opened. */
  banViolations(): readonly BanViolation[];
  /** Request weight used in the current window of the weight limit (REST and WebSocket API). */
  usedWeight(): number;
  /** 429 and 418 answers sent so far, over HTTP and the WebSocket API, whatever caused them. */
  rateLimitedResponses(): number;
  /** Every order ever accepted, in Binance's query shape, oldest first. */
  orders(): Array<Record<string, unknown>>;
  /** Every trade, in myTrades shape. */
  trades(): Array<Record<string, unknown>>;
  balances(): Balance[];
  /** Every HTTP request, WebSocket API connection attempt (GET /ws-api/v3) and WebSocket API request (method `WS`). */
  requests(): readonly RequestLogEntry[];
  /** Server clock minus local clock; set it to make the adapter's timestamps look skewed (-1021). */
  serverTimeOffsetMs: number;
}

/**
 * Starts the fake and resolves once it listens.
 * @example
 * const fake = await startBinanceFake({ apiKey: 'test-key', apiSecret: 'test-secret' });
 * const binance = createBinanceExchange({ baseUrl: fake.url, apiKey: 'test-key', apiSecret: 'test-secret' });
 * fake.setPrice('BTCUSDT', '59000.00');
 * await fake.close();
 */
export async function startBinanceFake(options: BinanceFakeOptions): Promise<BinanceFake> {
  const local = options.now ?? Date.now;
  let offsetMs = 0;
  const serverNow = (): number => local() + offsetMs;
  const specs = options.symbols ?? DEFAULT_SYMBOLS;
  const symbols = buildSymbolTable(specs);
  const prices = { ...DEFAULT_PRICES, ...options.prices };
  for (const spec of specs) if (prices[spec.symbol] === undefined) throw new Error(`Binance fake: no starting price for ${spec.symbol}`);
  const market = new Market(
    Object.fromEntries(specs.map((s) => [s.symbol, prices[s.symbol] ?? '0'])),
    options.liquidity ?? {},
    serverNow(),
  );
  const account = new Account(options.balances ?? DEFAULT_BALANCES);
  const commissionRate = new D(options.commissionRate ?? '0.001');
  const book = new Book({ symbols, market, account, clock: serverNow, commissionRate });
  const faults = new FaultBook(options.faultSeed ?? 1);
  const limits = new RateLimits(options.rateLimits);
  const stream = new UserStream(book, options.faultSeed ?? 1);
  let clientIds = 0;
  const state: FakeState = {
    symbols,
    market,
    account,
    book,
    faults,
    limits,
    creds: { apiKey: options.apiKey, apiSecret: options.apiSecret },
    commissionRate,
    serverNow,
    generateClientOrderId: () => `fake${String(++clientIds).padStart(18, '0')}`,
  };
  const http = createFakeHttp(state, [...marketRoutes, ...tradingRoutes, ...listRoutes], { banGraceMs: options.banGraceMs });
  const wsApi = attachWsApi(http.server, {
    state,
    stream,
    log: http.log,
    ipLimits: http.ipLimits,
    timing: {
      pingIntervalMs: options.userStream?.pingIntervalMs ?? 20_000,
      pongTimeoutMs: options.userStream?.pongTimeoutMs ?? 60_000,
      connectionLifetimeMs: options.userStream?.connectionLifetimeMs ?? 86_400_000,
    },
  });

  const setPrice = (symbol: string, price: string, opts?: { liquidity?: string | null }): void => {
    if (!symbols.has(symbol)) throw new Error(`Binance fake: unknown symbol ${symbol}`);
    const liquidity = opts?.liquidity === undefined ? undefined : opts.liquidity === null ? null : new D(opts.liquidity);
    market.move(symbol, new D(price), serverNow(), liquidity);
    book.onPriceMove(symbol);
  };
  const walk = options.priceWalk ?? { seed: 1, intervalMs: 0, volatilityBps: 10 };
  const rng = seededRandom(walk.seed);
  const walkStep = (): void => {
    for (const entry of symbols.values()) {
      const symbol = entry.spec.symbol;
      const bps = randomInt(rng, Math.round(walk.volatilityBps));
      const next = roundToStep(market.price(symbol).times(new D(bps).dividedBy(10_000).plus(1)), entry.spec.price.tickSize);
      market.move(symbol, next, serverNow());
      book.onPriceMove(symbol);
    }
  };
  const timer = options.priceWalk ? setInterval(walkStep, options.priceWalk.intervalMs) : undefined;
  timer?.unref();

  await new Promise<void>((resolve, reject) => {
    http.server.once('error', reject);
    http.server.listen(options.port ?? 0, options.host ?? '127.0.0.1', () => resolve());
  });
  const address = http.server.address() as AddressInfo;
  const host = address.family === 'IPv6' ? `[${address.address}]` : address.address;

  return {
    url: `http://${host}:${address.port}`,
    wsApiUrl: `ws://${host}:${address.port}${WS_API_PATH}`,
    userStream: stream,
    close: async () => {
      if (timer) clearInterval(timer);
      wsApi.close();
      await http.close();
    },
    price: (symbol) => market.price(symbol).toString(),
    setPrice,
    fillPartially: (clientOrderId, qty) => void book.fillPartially(clientOrderId, new D(qty)),
    walkStep,
    injectFault: (fault) => faults.add(fault),
    clearFaults: () => faults.clear(),
    hide: (clientOrderId, ms) => {
      const same = book.orders.filter((o) => o.clientOrderId === clientOrderId);
      const order = same.find((o) => book.isOpen(o)) ?? same[same.length - 1];
      if (!order) throw new Error(`Binance fake: no order ${clientOrderId} to hide`);
      faults.hide(order.orderId, serverNow() + ms);
    },
    banViolations: () => http.ipLimits.violations,
    usedWeight: () => limits.usedWeight(serverNow()),
    rateLimitedResponses: () => limits.rateLimited,
    orders: () => book.orders.map(renderQueried),
    trades: () => book.trades.map(renderTrade),
    balances: () => account.list(),
    requests: () => http.log,
    get serverTimeOffsetMs() {
      return offsetMs;
    },
    set serverTimeOffsetMs(value: number) {
      offsetMs = value;
    },
  };
}
