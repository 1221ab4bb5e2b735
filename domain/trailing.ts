/**
 * How a trailing stop follows the market (Binance's trailing-stop FAQ), pure: the paper venue trails
 * its orders with it, and the engine estimates where a Binance trailing stop stands (Binance does
 * not publish its trigger) from its own prices.
 */
import { Decimal } from 'decimal.js';
import type { OrderType, Side } from './exchange.js';

const BPS = new Decimal(10_000);

const isStopLoss = (type: OrderType): boolean => type.startsWith('STOP_LOSS');

/**
 * The stop condition of a contingent order (the FAQ's table): stop-loss sells and take-profit buys
 * wait for a fall to the stop, the other two for a rise to it.
 */
export function stopConditionMet(o: { side: Side; type: OrderType }, stop: Decimal, price: Decimal): boolean {
  const onFall = isStopLoss(o.type) === (o.side === 'SELL');
  return onFall ? price.lte(stop) : price.gte(stop);
}

/**
 * Where an active trailing stop fires: `delta` BIPS under the highest price since activation for a
 * sell, over the lowest for a buy, whatever the type.
 */
export function trailingTrigger(side: Side, best: Decimal, delta: number): Decimal {
  const retrace = new Decimal(delta).div(BPS);
  return side === 'SELL' ? best.times(new Decimal(1).minus(retrace)) : best.times(retrace.plus(1));
}

export interface TrailingState {
  side: Side;
  type: OrderType;
  /** Activation price; null: trailing from placement. */
  stopPrice: Decimal | null;
  delta: number;
  /** The best price since activation; null: not active yet. */
  best: Decimal | null;
}

/**
 * One look at the market by a trailing stop not yet triggered: it activates when its stop
 * condition is first met (the activating price becomes the best), follows favourable prices, and
 * fires on a retrace of `delta` BIPS from the best.
 * @example trailStep({ side: 'SELL', type: 'STOP_LOSS', stopPrice: null, delta: 500, best: new Decimal(120) }, new Decimal(114)) // { best: 120, fires: true }
 */
export function trailStep(t: TrailingState, price: Decimal): { best: Decimal | null; fires: boolean } {
  if (t.best === null) {
    if (t.stopPrice === null || !stopConditionMet(t, t.stopPrice, price)) return { best: null, fires: false };
    return { best: price, fires: false };
  }
  const best = t.side === 'SELL' ? Decimal.max(t.best, price) : Decimal.min(t.best, price);
  const trigger = trailingTrigger(t.side, best, t.delta);
  return { best, fires: t.side === 'SELL' ? price.lte(trigger) : price.gte(trigger) };
}

