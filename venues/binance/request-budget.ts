/**
 * Binance's request budget, spent by every worker process together. Binance counts request weight
 * per IP and new orders per account, in fixed windows (rest-api.md "LIMITS"); a process that acted
 * as if it owned them would, with a second process, overrun them and earn 429s, then 418 bans.
 * So each request reserves its weight (and a new order its order count) in a ledger every worker
 * shares, PostgreSQL in production (store/request-budget.ts), before it is sent; the venue's own
 * counts (X-MBX-USED-WEIGHT-*, X-MBX-ORDER-COUNT-*) raise ours after each answer, since Binance
 * also counts what we did not budget; and a 429/418 holds every worker back until its Retry-After.
 *
 * Lower priorities slow down first: each may fill a window only to its share of the limit
 * (PRIORITY_SHARES), so polls leave room for reconciliation, that for new orders, and those for
 * cancels. A request that does not fit waits for the next window when that is near
 * (`maxWaitMs`), else fails with ExchangeRateLimitError (`sent: false`) carrying the wait, which
 * the order activities turn into an `ExchangeBusy` retry after that delay. Nothing is sent that
 * was not reserved.
 *
 * Scopes name no secret: the IP by the venue's host (every worker is assumed to leave through one
 * egress address; behind several the budget is merely stricter than needed), a key by the first
 * 16 hex digits of its SHA-256.
 */
import { AsyncLocalStorage } from 'node:async_hooks';
import { createHash } from 'node:crypto';
import { z } from 'zod';
import { ExchangeRateLimitError, ExchangeUnavailableError } from '../../domain/venue-errors.js';
import type { BudgetClaim, RequestLedger, RequestPriority } from '../../domain/request-budget.js';
import type { Config } from '../../lib/config.js';
import { createLogger, type Logger } from '../../lib/logger.js';

export type { RequestPriority } from '../../domain/request-budget.js';

/**
 * How far into a window each priority may spend, as a share of the limit. Cancels stop 2 % short
 * of it (room for what the venue counts and we do not: other clients, requests in flight when a
 * window turns); polls and market data give way at 60 %, leaving the rest to orders.
 */
export const PRIORITY_SHARES: Readonly<Record<RequestPriority, number>> = { cancel: 0.98, order: 0.9, reconcile: 0.75, poll: 0.6 };

export interface RateLimit {
  type: 'REQUEST_WEIGHT' | 'ORDERS';
  /** `REQUEST_WEIGHT:1M`: the type and the interval as Binance's headers spell it. */
  limiter: string;
  windowMs: number;
  limit: number;
}

/** rest-api.md and enums.md's example limits, used until (or when) exchangeInfo cannot be read. */
export const DEFAULT_RATE_LIMITS: readonly RateLimit[] = [
  { type: 'REQUEST_WEIGHT', limiter: 'REQUEST_WEIGHT:1M', windowMs: 60_000, limit: 6000 },
  { type: 'ORDERS', limiter: 'ORDERS:10S', windowMs: 10_000, limit: 50 },
  { type: 'ORDERS', limiter: 'ORDERS:1D', windowMs: 86_400_000, limit: 160_000 },
];

const INTERVALS = { SECOND: ['S', 1000], MINUTE: ['M', 60_000], HOUR: ['H', 3_600_000], DAY: ['D', 86_400_000] } as const;
const rateLimitsSchema = z.object({
  rateLimits: z.array(
    z.object({
      rateLimitType: z.string(),
      interval: z.enum(['SECOND', 'MINUTE', 'HOUR', 'DAY']),
      intervalNum: z.number().int().positive(),
      limit: z.number().int().positive(),
    }),
  ),
});

/** exchangeInfo's weight and order limits, or undefined when it lists no weight limit. */
export function parseRateLimits(json: unknown): RateLimit[] | undefined {
  const parsed = rateLimitsSchema.safeParse(json);
  if (!parsed.success) return undefined;
  const limits = parsed.data.rateLimits.flatMap((r): RateLimit[] => {
    if (r.rateLimitType !== 'REQUEST_WEIGHT' && r.rateLimitType !== 'ORDERS') return [];
    const [letter, unitMs] = INTERVALS[r.interval];
    return [{ type: r.rateLimitType, limiter: `${r.rateLimitType}:${r.intervalNum}${letter}`, windowMs: r.intervalNum * unitMs, limit: r.limit }];
  });
  return limits.some((l) => l.type === 'REQUEST_WEIGHT') ? limits : undefined;
}

/** The IP's scope: the venue's host (and port). */
export const ipScope = (baseUrl: string): string => `ip:${new URL(baseUrl).host}`;
/** A key's scope: a fingerprint that cannot be turned back into the key. */
export const keyScope = (apiKey: string): string => `key:${createHash('sha256').update(apiKey).digest('hex').slice(0, 16)}`;

/**
 * `Retry-After` in milliseconds: seconds on Binance; an HTTP date is accepted too.
 * @example retryAfterMs(res.headers.get('retry-after'), 60_000); // '7' → 7000
 */
export function retryAfterMs(header: string | null, fallbackMs: number, nowMs = Date.now()): number {
  if (header === null || header.trim() === '') return fallbackMs;
  if (/^\d+$/.test(header.trim())) return Number(header.trim()) * 1000;
  const at = Date.parse(header);
  return Number.isNaN(at) ? fallbackMs : Math.max(0, at - nowMs);
}

/** The venue's counts by limiter: `X-MBX-USED-WEIGHT-1M: 120` → `REQUEST_WEIGHT:1M` → 120. */
export function venueCounts(headers: Headers): Map<string, number> {
  const counts = new Map<string, number>();
  headers.forEach((value, name) => {
    const m = /^x-mbx-(used-weight|order-count)-(\d+[smhd])$/i.exec(name);
    if (!m || !/^\d+$/.test(value.trim())) return;
    counts.set(`${m[1]!.toLowerCase() === 'used-weight' ? 'REQUEST_WEIGHT' : 'ORDERS'}:${m[2]!.toUpperCase()}`, Number(value));
  });
  return counts;
}

/** A request the budget held back because its priority's share of a window is spent. Nothing was sent. */
export class RequestBudgetError extends ExchangeRateLimitError {
  override name = 'RequestBudgetError';
  constructor(
    retryAfterMs: number,
    readonly limiter: string,
    readonly priority: RequestPriority,
    label: string,
  ) {
    super(retryAfterMs, 429, undefined, false);
    this.message = `${label}: Binance request budget ${limiter} has no room for ${priority} requests; not sent, retry after ${Math.ceil(retryAfterMs / 1000)} s`;
  }
}

const priorityContext = new AsyncLocalStorage<RequestPriority>();

/**
 * Runs `fn` with every budgeted Binance request in it spending at `priority`, whatever the adapter
 * method's own: the order lookup before a submission is part of the submission, not a poll.
 * @example await withRequestPriority('order', () => exchange.getOrder(ref));
 */
export function withRequestPriority<T>(priority: RequestPriority, fn: () => T): T {
  return priorityContext.run(priority, fn);
}

export interface BudgetedRequest {
  /** `GET /api/v3/order`: for logs and errors; never the query string (it carries the signature). */
  label: string;
  weight: number;
  priority: RequestPriority;
  /** New orders it places (Binance's unfilled order count), counted against `apiKey`'s ORDERS limits. */
  orders?: number;
  apiKey?: string;
}

export interface Reservation {
  readonly label: string;
  readonly priority: RequestPriority;
  readonly claims: ReadonlyArray<{ claim: BudgetClaim; windowStart: number; used: number }>;
}

export interface VenueAnswer {
  headers: Headers;
  /** Set when the answer was 429 or 418. */
  rateLimited?: { retryAfterMs: number; httpStatus: number; code: number | undefined };
}

export interface RequestBudget {
  /**
   * Reserves the request's weight (and order count) before it is sent, waiting up to `maxWaitMs`
   * for room. Throws ExchangeRateLimitError (`sent: false`) when there is none, and
   * ExchangeUnavailableError when the ledger cannot be reached: never sends unreserved.
   */
  reserve(req: BudgetedRequest): Promise<Reservation>;
  /** Feeds the venue's counts and a 429/418 back into the ledger. Never throws: the answer matters more. */
  settle(reservation: Reservation, answer: VenueAnswer): Promise<void>;
  /**
   * Right before a reserved request goes out: throws ExchangeRateLimitError (`sent: false`) while a
   * 429/418 this process heard is running. The ledger tells the other processes a moment later;
   * this process must not wait for that round trip.
   */
  assertOpen(): void;
}

export interface RequestBudgetOptions {
  ledger: RequestLedger;
  /** Binance's REST base URL: its host names the IP scope, and exchangeInfo is read there. */
  baseUrl: string;
  /** How long a request may wait for room before it fails; default 2000 ms. */
  maxWaitMs?: number;
  shares?: Partial<Record<RequestPriority, number>>;
  /** Limits to spend instead of exchangeInfo's (tests). */
  rateLimits?: readonly RateLimit[];
  /** The exchangeInfo request's timeout; default 10 000 ms. */
  timeoutMs?: number;
  fetch?: (input: string, init: RequestInit) => Promise<Response>;
  /** Reservations, waits and refusals at debug level; 429/418 back-offs at warn. */
  log?: Logger;
  sleep?: (ms: number) => Promise<void>;
  /** The process's clock for back-offs it heard (epoch ms); tests pass the fake venue's. */
  now?: () => number;
}

/** exchangeInfo is asked for one symbol: its rateLimits are the same, its answer a fraction of the full one. */
const PROBE_QUERY = 'symbol=BTCUSDT';
const EXCHANGE_INFO_WEIGHT = 20;
/** After exchangeInfo could not be read, fallback limits are used this long before it is asked again. */
const LIMITS_RETRY_MS = 60_000;
/** Past a window's end before asking again, so a timer that fires early does not find the old window. */
const WAIT_MARGIN_MS = 5;
const INT32_MAX = 2_147_483_647;

/**
 * One per process, handed to every Binance client of it (the exchange adapters of every account and
 * the price source), all spending the same ledger.
 * @example
 * const requestBudget = createRequestBudget({ ledger: createPgRequestLedger(sql), baseUrl: config.BINANCE_BASE_URL, log });
 * const binance = createBinanceExchange({ baseUrl: config.BINANCE_BASE_URL, apiKey, apiSecret, requestBudget });
 */
export function createRequestBudget(options: RequestBudgetOptions): RequestBudget {
  const { ledger, log } = options;
  const base = options.baseUrl.replace(/\/+$/, '');
  const ip = ipScope(base);
  const maxWaitMs = options.maxWaitMs ?? 2000;
  const shares: Record<RequestPriority, number> = { ...PRIORITY_SHARES, ...options.shares };
  const sleep = options.sleep ?? ((ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms)));
  const doFetch = options.fetch ?? ((input: string, init: RequestInit) => globalThis.fetch(input, init));
  let limits: Promise<readonly RateLimit[]> | undefined;
  let retryLimitsAt = Infinity;
  const now = options.now ?? Date.now;
  /**
   * The latest 429/418 back-off of the IP this process knows of: its own, set before the ledger
   * hears of it, and every other process's, from the ledger's notices.
   */
  let localBlock = { until: 0, status: 429, code: undefined as number | undefined };
  const holdUntil = (until: number, status: number, code: number | undefined) => {
    if (until > localBlock.until) localBlock = { until, status, code };
  };
  const assertOpen = () => {
    const wait = localBlock.until - now();
    if (wait > 0) throw new ExchangeRateLimitError(wait, localBlock.status, localBlock.code, false);
  };
  let listening: Promise<unknown> | undefined;
  /** Once per process, before its first request: hear the back-offs every other process records. */
  const listen = () =>
    (listening ??= (ledger.onBlock?.((n) => {
      if (n.scope !== ip) return;
      // The ledger's clock is the database's: on one host, or hosts kept in step by NTP, the same as ours to a few ms.
      log?.debug('binance budget: a rate limit was recorded; holding back', { scope: n.scope, limiter: n.limiter, status: n.status, waitMs: n.until - now() });
      holdUntil(n.until, n.status, n.code);
    }) ?? Promise.resolve()).catch((err: unknown) => {
      listening = undefined;
      log?.warn("binance budget: cannot hear other processes' rate limits; the ledger's rows still hold new requests back", { error: err });
    }));

  function claimsFor(rateLimits: readonly RateLimit[], req: BudgetedRequest, priority: RequestPriority): BudgetClaim[] {
    const orders = req.orders ?? 0;
    const key = orders > 0 && req.apiKey !== undefined ? keyScope(req.apiKey) : undefined;
    // Order counts first: a full one refuses before the busy IP row is touched.
    const forOrders = key === undefined ? [] : rateLimits.filter((l) => l.type === 'ORDERS').map((l) => ({ scope: key, ...limiterOf(l), cost: orders, cap: l.limit }));
    const forWeight = rateLimits
      .filter((l) => l.type === 'REQUEST_WEIGHT')
      .map((l) => ({ scope: ip, ...limiterOf(l), cost: req.weight, cap: Math.floor(l.limit * shares[priority]) }));
    return [...forOrders, ...forWeight];
  }

  /** All or nothing: a refusal gives back what the claims before it took. */
  async function claimAll(claims: BudgetClaim[]) {
    const granted: Array<{ claim: BudgetClaim; windowStart: number; used: number }> = [];
    for (const claim of claims) {
      const state = await ledger.reserve(claim);
      if (!state.granted) {
        await Promise.all(granted.map((g) => ledger.release(g.claim, g.windowStart)));
        return { granted, refused: { claim, state } };
      }
      granted.push({ claim, windowStart: state.windowStart, used: state.used });
    }
    return { granted, refused: undefined };
  }

  async function reserveWithin(rateLimits: readonly RateLimit[], req: BudgetedRequest, priority: RequestPriority): Promise<Reservation> {
    const claims = claimsFor(rateLimits, req, priority);
    let waited = 0;
    for (;;) {
      let outcome: Awaited<ReturnType<typeof claimAll>>;
      try {
        outcome = await claimAll(claims);
      } catch (err) {
        throw new ExchangeUnavailableError(`${req.label}: request budget unavailable (${(err as Error).message}); not sent`, { cause: err });
      }
      const { refused } = outcome;
      if (!refused) {
        for (const g of outcome.granted) {
          log?.debug('binance budget: reserved', { request: req.label, priority, scope: g.claim.scope, limiter: g.claim.limiter, cost: g.claim.cost, used: g.used, cap: g.claim.cap, limit: g.claim.limit });
        }
        return { label: req.label, priority, claims: outcome.granted };
      }
      const { claim, state } = refused;
      const blocked = state.blockedUntil > state.now;
      const waitMs = Math.max(1, (blocked ? state.blockedUntil : state.windowStart + claim.windowMs) - state.now);
      const fields = { request: req.label, priority, scope: claim.scope, limiter: claim.limiter, cost: claim.cost, used: state.used, cap: claim.cap, limit: claim.limit, waitMs };
      if (waited + waitMs > maxWaitMs) {
        log?.debug(blocked ? 'binance budget: backing off after a 429/418; not sent' : 'binance budget: no room; not sent', fields);
        if (blocked) throw new ExchangeRateLimitError(waitMs, state.blockedStatus ?? 429, state.blockedCode, false);
        throw new RequestBudgetError(waitMs, claim.limiter, priority, req.label);
      }
      log?.debug(blocked ? 'binance budget: waiting out a 429/418' : 'binance budget: waiting for the next window', fields);
      await sleep(waitMs + WAIT_MARGIN_MS);
      waited += waitMs;
    }
  }

  async function settle(reservation: Reservation, answer: VenueAnswer): Promise<void> {
    const limited = answer.rateLimited;
    // -1015 holds back one key's new orders only (the ledger keeps that); anything else the whole IP.
    if (limited && !(limited.httpStatus === 429 && limited.code === -1015)) holdUntil(now() + limited.retryAfterMs, limited.httpStatus, limited.code);
    try {
      // The back-off first: every moment before the other processes hear it, they may still send.
      if (limited) {
        // -1015 is the account's order count; anything else (-1003, a 418 ban) the IP's weight.
        const orders = limited.httpStatus === 429 && limited.code === -1015 && reservation.claims.some((c) => c.claim.scope.startsWith('key:'));
        const targets = reservation.claims.filter((c) => c.claim.scope.startsWith(orders ? 'key:' : 'ip:'));
        await Promise.all(targets.map(({ claim }) => ledger.block(claim, limited.retryAfterMs, limited.httpStatus, limited.code)));
        log?.warn('binance budget: the venue answered with a rate limit; every worker holds back', {
          request: reservation.label,
          status: limited.httpStatus,
          code: limited.code,
          retryAfterMs: limited.retryAfterMs,
          limiters: targets.map((t) => `${t.claim.scope} ${t.claim.limiter}`),
        });
      }
      const counts = venueCounts(answer.headers);
      for (const { claim, windowStart, used } of reservation.claims) {
        const venue = counts.get(claim.limiter);
        // Ours already includes this request and every other worker's; only a higher count is news.
        if (venue !== undefined && venue > used) {
          log?.debug('binance budget: the venue counts more', { request: reservation.label, scope: claim.scope, limiter: claim.limiter, ours: used, venue });
          await ledger.observe(claim, windowStart, venue);
        }
      }
    } catch (err) {
      log?.warn('binance budget: could not record the venue\'s answer', { request: reservation.label, error: err });
    }
  }

  /**
   * exchangeInfo's limits, read once per process. Its own request is budgeted against the weight
   * limits other workers recorded (or Binance's defaults for the very first one). When it cannot be
   * read, those are used for a minute before it is asked again.
   */
  async function loadLimits(priority: RequestPriority): Promise<readonly RateLimit[]> {
    const label = 'GET /api/v3/exchangeInfo';
    let known: RateLimit[] = [];
    try {
      known = (await ledger.knownLimits(ip)).filter((l) => l.limiter.startsWith('REQUEST_WEIGHT:')).map((l) => ({ type: 'REQUEST_WEIGHT', ...l }));
      const provisional = known.length > 0 ? known : DEFAULT_RATE_LIMITS.filter((l) => l.type === 'REQUEST_WEIGHT');
      const reservation = await reserveWithin(provisional, { label, weight: EXCHANGE_INFO_WEIGHT, priority }, priority);
      const res = await doFetch(`${base}/api/v3/exchangeInfo?${PROBE_QUERY}`, { method: 'GET', signal: AbortSignal.timeout(options.timeoutMs ?? 10_000) });
      const text = await res.text();
      const limited = res.status === 429 || res.status === 418;
      const retryAfter = retryAfterMs(res.headers.get('retry-after'), res.status === 418 ? 120_000 : 60_000);
      await settle(reservation, { headers: res.headers, rateLimited: limited ? { retryAfterMs: retryAfter, httpStatus: res.status, code: -1003 } : undefined });
      const parsed = res.ok ? parseRateLimits(JSON.parse(text)) : undefined;
      if (!parsed) throw new Error(`${label}: HTTP ${res.status} without rateLimits`);
      // The request went out under provisional limiters; the real ones count it too.
      for (const l of parsed.filter((p) => p.type === 'REQUEST_WEIGHT' && !provisional.some((q) => q.limiter === p.limiter))) {
        await ledger.reserve({ scope: ip, ...limiterOf(l), cost: EXCHANGE_INFO_WEIGHT, cap: INT32_MAX });
      }
      log?.debug('binance budget: limits from exchangeInfo', { scope: ip, limits: parsed.map((l) => `${l.limiter}=${l.limit}`) });
      return parsed;
    } catch (err) {
      retryLimitsAt = Date.now() + LIMITS_RETRY_MS;
      const fallback = known.length > 0 ? [...known, ...DEFAULT_RATE_LIMITS.filter((l) => l.type === 'ORDERS')] : DEFAULT_RATE_LIMITS;
      log?.warn(`binance budget: exchangeInfo's limits unavailable; spending ${known.length > 0 ? 'the limits other workers recorded' : "Binance's documented defaults"}`, { scope: ip, error: err });
      return fallback;
    }
  }

  function rateLimits(priority: RequestPriority): Promise<readonly RateLimit[]> {
    if (options.rateLimits) return Promise.resolve(options.rateLimits);
    if (limits === undefined || Date.now() >= retryLimitsAt) {
      retryLimitsAt = Infinity;
      limits = loadLimits(priority);
    }
    return limits;
  }

  return {
    async reserve(req) {
      await listen();
      assertOpen();
      const priority = priorityContext.getStore() ?? req.priority;
      return reserveWithin(await rateLimits(priority), req, priority);
    },
    settle,
    assertOpen,
  };
}

function limiterOf(l: RateLimit): Pick<BudgetClaim, 'limiter' | 'windowMs' | 'limit'> {
  return { limiter: l.limiter, windowMs: l.windowMs, limit: l.limit };
}

/**
 * The process's budget as the configuration sets it, logging as `binance-budget`.
 * @example const requestBudget = requestBudgetFromConfig(config, createPgRequestLedger(sql));
 */
export function requestBudgetFromConfig(
  config: Pick<Config, 'BINANCE_BASE_URL' | 'BINANCE_BUDGET_MAX_WAIT' | 'BINANCE_TIMEOUT' | 'LOG_LEVEL'>,
  ledger: RequestLedger,
): RequestBudget {
  return createRequestBudget({
    ledger,
    baseUrl: config.BINANCE_BASE_URL,
    maxWaitMs: config.BINANCE_BUDGET_MAX_WAIT,
    timeoutMs: config.BINANCE_TIMEOUT,
    log: createLogger('binance-budget', { level: config.LOG_LEVEL }),
  });
}
