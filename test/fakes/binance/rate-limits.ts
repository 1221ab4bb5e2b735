/**
 * Binance's counted limits (rest-api.md "LIMITS", web-socket-api.md "Rate limits"): request weight
 * per IP, shared by REST and the WebSocket API, and new orders per account. Each is counted in
 * fixed windows aligned on the interval (a 10 SECOND window resets at :00, :10, :20 …, DAY at
 * 00:00 UTC), and each is named after its interval in headers: X-MBX-USED-WEIGHT-1M,
 * X-MBX-ORDER-COUNT-10S.
 *
 * Binance decrements the order count when an order first trades (faqs/order_count_decrement.md);
 * the fake counts every accepted order, so it is stricter than Binance for orders that fill. It
 * enforces ORDERS limits only when they are configured: tests place hundreds of orders at one
 * instant of their clock, and the fake never refused them.
 */
import { apiErrors, type BinanceApiError } from './api-error.js';

export type RateLimitInterval = 'SECOND' | 'MINUTE' | 'HOUR' | 'DAY';

/** One limit as exchangeInfo lists it, e.g. `{ interval: 'SECOND', intervalNum: 10, limit: 50 }`. */
export interface RateLimitRule {
  interval: RateLimitInterval;
  intervalNum: number;
  limit: number;
}

export interface RateLimitsOptions {
  /** REQUEST_WEIGHT per IP; default 6000 per 1 MINUTE. */
  requestWeight?: RateLimitRule;
  /**
   * ORDERS per account, each enforced on new orders when given. Absent: 50 per 10 SECOND and
   * 160000 per 1 DAY are listed and counted in the headers, but not enforced.
   */
  orders?: RateLimitRule[];
}

const UNIT_MS: Record<RateLimitInterval, number> = { SECOND: 1000, MINUTE: 60_000, HOUR: 3_600_000, DAY: 86_400_000 };

const DEFAULT_WEIGHT: RateLimitRule = { interval: 'MINUTE', intervalNum: 1, limit: 6000 };
const DEFAULT_ORDERS: RateLimitRule[] = [
  { interval: 'SECOND', intervalNum: 10, limit: 50 },
  { interval: 'DAY', intervalNum: 1, limit: 160000 },
];
/** Listed by exchangeInfo as Binance lists it; the fake does not enforce it. */
const RAW_REQUESTS: RateLimitRule = { interval: 'MINUTE', intervalNum: 5, limit: 61000 };

function windowMs(rule: RateLimitRule): number {
  return UNIT_MS[rule.interval] * rule.intervalNum;
}

/** `1M`, `10S`: the suffix Binance gives the header of this interval. */
export function intervalTag(rule: RateLimitRule): string {
  return `${rule.intervalNum}${rule.interval[0]}`;
}

/** `1 MINUTE`, `10 SECOND`: the interval as Binance's -1003 and -1015 messages print it. */
export function intervalWords(rule: RateLimitRule): string {
  return `${rule.intervalNum} ${rule.interval}`;
}

export function tooMuchWeight(rule: RateLimitRule): BinanceApiError {
  return apiErrors.tooMuchWeight(rule.limit, intervalWords(rule));
}

function checkRule(rule: RateLimitRule, what: string): RateLimitRule {
  if (!(rule.interval in UNIT_MS) || !Number.isInteger(rule.intervalNum) || rule.intervalNum < 1 || !Number.isInteger(rule.limit) || rule.limit < 1) {
    throw new Error(`Binance fake: invalid ${what} rate limit ${JSON.stringify(rule)}`);
  }
  return rule;
}

/**
 * The configured limits and the counts against them.
 * @example
 * const limits = new RateLimits({ requestWeight: { interval: 'SECOND', intervalNum: 10, limit: 100 } });
 * limits.useWeight(20, Date.now()); // 20
 */
export class RateLimits {
  readonly weight: RateLimitRule;
  readonly orders: readonly RateLimitRule[];
  readonly enforceOrders: boolean;
  /** 429 and 418 answers sent, over HTTP and the WebSocket API. */
  rateLimited = 0;
  private window = -1;
  private used = 0;

  constructor(options: RateLimitsOptions = {}) {
    this.weight = checkRule(options.requestWeight ?? DEFAULT_WEIGHT, 'requestWeight');
    this.orders = (options.orders ?? DEFAULT_ORDERS).map((r) => checkRule(r, 'orders'));
    this.enforceOrders = options.orders !== undefined;
  }

  /** Adds `weight` to the count of the window `now` falls in and returns the new count. */
  useWeight(weight: number, now: number): number {
    const window = Math.floor(now / windowMs(this.weight));
    if (window !== this.window) {
      this.window = window;
      this.used = 0;
    }
    this.used += weight;
    return this.used;
  }

  usedWeight(now: number): number {
    return Math.floor(now / windowMs(this.weight)) === this.window ? this.used : 0;
  }

  weightExceeded(count: number): boolean {
    return count > this.weight.limit;
  }

  weightHeaders(count: number): Record<string, string> {
    return { [`X-MBX-USED-WEIGHT-${intervalTag(this.weight)}`]: String(count) };
  }

  /** When the window of `rule` that `now` falls in is over (server ms). */
  windowEnd(now: number, rule: RateLimitRule = this.weight): number {
    const size = windowMs(rule);
    return (Math.floor(now / size) + 1) * size;
  }

  /** Whole seconds until then: Binance's Retry-After. */
  secondsToReset(now: number, rule: RateLimitRule = this.weight): number {
    return Math.max(1, Math.ceil((this.windowEnd(now, rule) - now) / 1000));
  }

  /** Orders (their acceptance times) in each ORDERS window that `now` falls in. */
  orderCounts(orderTimes: readonly number[], now: number): Array<{ rule: RateLimitRule; count: number }> {
    return this.orders.map((rule) => {
      const window = Math.floor(now / windowMs(rule));
      return { rule, count: orderTimes.filter((t) => Math.floor(t / windowMs(rule)) === window).length };
    });
  }

  orderCountHeaders(orderTimes: readonly number[], now: number): Record<string, string> {
    return Object.fromEntries(this.orderCounts(orderTimes, now).map(({ rule, count }) => [`X-MBX-ORDER-COUNT-${intervalTag(rule)}`, String(count)]));
  }

  /** The first enforced ORDERS limit one more order would exceed, if any. */
  exhaustedOrderLimit(orderTimes: readonly number[], now: number): RateLimitRule | undefined {
    if (!this.enforceOrders) return undefined;
    return this.orderCounts(orderTimes, now).find(({ rule, count }) => count >= rule.limit)?.rule;
  }

  /** exchangeInfo's `rateLimits`. */
  render(): object[] {
    const entry = (rateLimitType: string, r: RateLimitRule) => ({ rateLimitType, interval: r.interval, intervalNum: r.intervalNum, limit: r.limit });
    return [entry('REQUEST_WEIGHT', this.weight), ...this.orders.map((r) => entry('ORDERS', r)), entry('RAW_REQUESTS', RAW_REQUESTS)];
  }

  /** The `rateLimits` array of a WebSocket API response: the weight count after this request. */
  wsStatus(count: number): object[] {
    const r = this.weight;
    return [{ rateLimitType: 'REQUEST_WEIGHT', interval: r.interval, intervalNum: r.intervalNum, limit: r.limit, count }];
  }
}
