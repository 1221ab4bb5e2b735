/**
 * Stop triggers, plain and trailing, as the fake reads Binance's docs (enums.md, rest-api.md
 * "Trigger order price rules", faqs/trailing-stop-faq.md, filters.md TRAILING_DELTA):
 * - a plain stop fires when the last price reaches its stopPrice from the side it was placed on;
 * - a trailing stop with a stopPrice starts tracking when that condition is first met (the price of
 *   that trade is its first best price); without one it tracks from placement;
 * - while tracking, a SELL keeps the highest price seen and fires on a fall of `trailingDelta`
 *   BIPS from it, a BUY keeps the lowest and fires on a rise of that much.
 */
import type { OrderType, Side } from '../../../domain/exchange.js';
import { apiErrors } from './api-error.js';
import type { Dec } from './decimal.js';
import type { FakeOrder } from './orders.js';

export const STOP_TYPES: ReadonlySet<OrderType> = new Set(['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);

/** STOP_LOSS BUY and TAKE_PROFIT SELL wait for a rise; the others for a fall. */
export function firesOnRise(type: OrderType, side: Side): boolean {
  return (type.startsWith('STOP_LOSS') && side === 'BUY') || (type.startsWith('TAKE_PROFIT') && side === 'SELL');
}

/** Whether a stop's stopPrice condition holds at `price`. */
export function stopConditionMet(type: OrderType, side: Side, stop: Dec, price: Dec): boolean {
  return firesOnRise(type, side) ? price.gte(stop) : price.lte(stop);
}

export interface TrailingDeltaFilter {
  minTrailingAboveDelta: number;
  maxTrailingAboveDelta: number;
  minTrailingBelowDelta: number;
  maxTrailingBelowDelta: number;
}

/** filters.md TRAILING_DELTA: "above" bounds for the orders that fire on a rise, "below" for the rest. */
export function enforceTrailingDelta(filter: TrailingDeltaFilter | undefined, type: OrderType, side: Side, delta: number): void {
  if (!filter) throw apiErrors.newOrderRejected('Trailing stop orders are not supported for this symbol.');
  const [min, max] = firesOnRise(type, side)
    ? [filter.minTrailingAboveDelta, filter.maxTrailingAboveDelta]
    : [filter.minTrailingBelowDelta, filter.maxTrailingBelowDelta];
  if (delta < min || delta > max) throw apiErrors.filter('Filter failure: TRAILING_DELTA');
}

/**
 * Advances a working-to-be stop by one price: true when it fires now. A trailing stop may start
 * tracking (trailingTime set) or move its best price instead.
 */
export function stepTrigger(order: FakeOrder, price: Dec, now: number): boolean {
  if (order.trailingDelta === undefined) return stopConditionMet(order.type, order.side, order.stopPrice, price);
  if (order.trailingTime === -1 || order.trailBest === undefined) {
    if (stopConditionMet(order.type, order.side, order.stopPrice, price)) {
      order.trailingTime = now;
      order.trailBest = price;
    }
    return false;
  }
  const share = order.trailBest.times(order.trailingDelta).dividedBy(10_000);
  if (order.side === 'SELL') {
    if (price.gt(order.trailBest)) order.trailBest = price;
    return price.lte(order.trailBest.minus(share));
  }
  if (price.lt(order.trailBest)) order.trailBest = price;
  return price.gte(order.trailBest.plus(share));
}
