/**
 * Price alerts: when a condition on a symbol's price holds, and which conditions are refused at
 * creation. Pure: the refresh's activity reads the prices, this decides.
 */
import { Decimal } from 'decimal.js';
import type { OrderTerms, Venue } from './exchange.js';
import type { OrderRequest } from './orders.js';

export const ALERT_CONDITIONS = ['ABOVE', 'BELOW', 'CROSS', 'MOVE_PCT'] as const;
export type AlertCondition = (typeof ALERT_CONDITIONS)[number];
export const MOVE_DIRECTIONS = ['UP', 'DOWN', 'ANY'] as const;
export type MoveDirection = (typeof MOVE_DIRECTIONS)[number];
export type AlertStatus = 'ACTIVE' | 'FIRED' | 'CANCELED';

/** The shortest and longest MOVE_PCT window: shorter than a few refreshes would see no move. */
export const MIN_WINDOW_SECONDS = 60;
export const MAX_WINDOW_SECONDS = 7 * 86_400;
/** The largest MOVE_PCT move; a fall is at most just under 100%. */
export const MAX_MOVE_PCT = 1000;

export type AlertRule =
  | { condition: 'ABOVE' | 'BELOW'; threshold: string }
  /** referencePrice: the price when the alert was made, which decides the side it crosses from. */
  | { condition: 'CROSS'; threshold: string; referencePrice: string }
  | { condition: 'MOVE_PCT'; pct: string; direction: MoveDirection };

/** The lowest and highest price seen in a MOVE_PCT alert's window (the current one included). */
export interface PriceRange {
  low: string;
  high: string;
}

/** Where a CROSS starts: below the threshold (fires at or above it) or above (fires at or below). */
export function crossFrom(referencePrice: string, threshold: string): 'below' | 'above' {
  return new Decimal(referencePrice).lt(threshold) ? 'below' : 'above';
}

/**
 * Whether the alert fires at `price`. MOVE_PCT compares the price with the window's range: an UP
 * move is the rise from its low, a DOWN move the fall from its high, both in percent.
 * @example alertFires({ condition: 'ABOVE', threshold: '70000' }, '70000.5') // true
 */
export function alertFires(rule: AlertRule, price: string, range?: PriceRange): boolean {
  const p = new Decimal(price);
  switch (rule.condition) {
    case 'ABOVE':
      return p.gte(rule.threshold);
    case 'BELOW':
      return p.lte(rule.threshold);
    case 'CROSS':
      return crossFrom(rule.referencePrice, rule.threshold) === 'below' ? p.gte(rule.threshold) : p.lte(rule.threshold);
    case 'MOVE_PCT': {
      if (!range) return false;
      const low = Decimal.min(range.low, p);
      const high = Decimal.max(range.high, p);
      const up = p.minus(low).div(low).times(100);
      const down = high.minus(p).div(high).times(100);
      if (rule.direction === 'UP') return up.gte(rule.pct);
      if (rule.direction === 'DOWN') return down.gte(rule.pct);
      return up.gte(rule.pct) || down.gte(rule.pct);
    }
  }
}

/**
 * Why the threshold of an alert cannot be used while the price is `current`, or undefined (the
 * error names the `threshold` field). An alert that would
 * fire on the next price is refused rather than fired at once: it is almost always a typo.
 * @example creationProblem({ condition: 'ABOVE', threshold: '60000' }, '65000') // 'threshold: must be above …'
 */
export function creationProblem(rule: AlertRule, current: string): string | undefined {
  switch (rule.condition) {
    case 'ABOVE':
      return new Decimal(rule.threshold).lte(current) ? `must be above the current price ${current}: an ABOVE alert at or below it would fire at once` : undefined;
    case 'BELOW':
      return new Decimal(rule.threshold).gte(current) ? `must be below the current price ${current}: a BELOW alert at or above it would fire at once` : undefined;
    case 'CROSS':
      return new Decimal(rule.threshold).eq(current) ? `must differ from the current price ${current}: a CROSS alert needs a side to cross from` : undefined;
    case 'MOVE_PCT':
      return undefined;
  }
}

/** One line for logs, the Temporal UI and the order's story, e.g. "BTCUSDT above 70000". */
export function describeAlert(symbol: string, rule: AlertRule, windowSeconds?: number): string {
  switch (rule.condition) {
    case 'ABOVE':
    case 'BELOW':
      return `${symbol} ${rule.condition.toLowerCase()} ${rule.threshold}`;
    case 'CROSS':
      return `${symbol} crosses ${rule.threshold} from ${crossFrom(rule.referencePrice, rule.threshold)}`;
    case 'MOVE_PCT':
      return `${symbol} moves ${rule.direction === 'ANY' ? '' : `${rule.direction.toLowerCase()} `}${rule.pct}% within ${windowSeconds ?? '?'} s`;
  }
}

/** A conditional order as stored with its alert: POST /v1/orders' terms, the venue decided at creation. */
export interface ConditionalOrderTerms extends Omit<OrderTerms, 'trailingDelta'> {
  venue: Venue;
  expireAt?: string | undefined;
  /** A non-default portfolio its fills book into. */
  portfolioId?: string | undefined;
}

/**
 * The order an alert places when it fires, under the id fixed at its creation, naming the alert
 * (and the refresh run that fired it) as its parent.
 * @example conditionalOrder({ alertId, accountId, orderId, firedBy: 'refresh-prices-…' }, terms)
 */
export function conditionalOrder(a: { alertId: string; accountId: string; orderId: string; firedBy: string }, terms: ConditionalOrderTerms): OrderRequest {
  return {
    orderId: a.orderId,
    accountId: a.accountId,
    venue: terms.venue,
    symbol: terms.symbol,
    side: terms.side,
    type: terms.type,
    quantity: terms.quantity,
    price: terms.price,
    stopPrice: terms.stopPrice,
    timeInForce: terms.timeInForce,
    expireAt: terms.expireAt,
    ...(terms.portfolioId === undefined ? {} : { portfolioId: terms.portfolioId }),
    parent: { kind: 'alert', id: a.alertId, workflowId: a.firedBy, role: 'conditional order' },
  };
}
