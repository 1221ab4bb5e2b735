/**
 * The paper venue's placement rules and trailing-stop arithmetic, pure: what Binance Spot refuses
 * (a LIMIT_MAKER that would take, TRAILING_DELTA, OCO leg types and price relationships) with its
 * codes and messages (errors.md), and how a trailing stop follows the market (trailing-stop FAQ).
 */
import { Decimal } from 'decimal.js';
import type { OrderListLeg, OrderTerms, OrderType, PlaceOcoRequest, Side } from '../../domain/exchange.js';
import { TRAILING_DELTA_RANGE } from '../../domain/order-lists.js';
import { stopConditionMet, trailingTrigger } from '../../domain/trailing.js';

export { stopConditionMet, trailingTrigger, trailStep, type TrailingState } from '../../domain/trailing.js';

/** A refusal as Binance words it; the venue turns it into an ExchangeRejectedError. */
export interface Refusal {
  code: number;
  message: string;
}



export function isContingent(type: OrderType): boolean {
  return type.startsWith('STOP_LOSS') || type.startsWith('TAKE_PROFIT');
}

function isStopLoss(type: OrderType): boolean {
  return type.startsWith('STOP_LOSS');
}

/** Types that carry a limit price: they rest (or, once triggered, work) at it. */
export function hasLimit(type: OrderType): boolean {
  return type === 'LIMIT' || type === 'LIMIT_MAKER' || type.endsWith('_LIMIT');
}

/** Whether a limit order at `limit` trades against `market`. */
export function limitCrosses(side: Side, limit: Decimal, market: Decimal): boolean {
  return side === 'BUY' ? market.lte(limit) : market.gte(limit);
}

/** What one quote unit of a resting BUY is reserved at: its limit, else its stop, else (trailing without a stop) the first trigger. */
export function buyReservationPrice(terms: Pick<OrderTerms, 'price' | 'stopPrice' | 'trailingDelta'>, market: Decimal): Decimal {
  if (terms.price) return new Decimal(terms.price);
  const from = terms.stopPrice ? new Decimal(terms.stopPrice) : market;
  return terms.trailingDelta === undefined ? from : trailingTrigger('BUY', from, terms.trailingDelta);
}

const mandatory = (name: string): Refusal => ({ code: -1102, message: `Mandatory parameter '${name}' was not sent, was empty/null, or malformed.` });
const notRequired = (name: string): Refusal => ({ code: -1106, message: `Parameter '${name}' sent when not required.` });
const relationship: Refusal = { code: -2010, message: 'The relationship of the prices for the orders is not correct.' };

/** The checks of one order's (or leg's) own terms; `prefix` names a leg's parameters ('above', 'below'). */
function termsRefusal(t: Pick<OrderTerms, 'side' | 'type' | 'price' | 'stopPrice' | 'trailingDelta' | 'timeInForce'>, market: Decimal, prefix = ''): Refusal | null {
  const name = (p: string) => (prefix ? prefix + p[0]!.toUpperCase() + p.slice(1) : p);
  if (t.trailingDelta !== undefined) {
    if (!isContingent(t.type)) return notRequired(name('trailingDelta'));
    if (!Number.isInteger(t.trailingDelta) || t.trailingDelta < TRAILING_DELTA_RANGE.min || t.trailingDelta > TRAILING_DELTA_RANGE.max) {
      return { code: -1013, message: 'Filter failure: TRAILING_DELTA' };
    }
  }
  if (hasLimit(t.type) && !t.price) return mandatory(name('price'));
  if (isContingent(t.type) && !t.stopPrice && t.trailingDelta === undefined) return mandatory(name('stopPrice'));
  if (t.stopPrice && isContingent(t.type) && stopConditionMet(t, new Decimal(t.stopPrice), market)) {
    return { code: -2010, message: 'Order would trigger immediately.' };
  }
  if (t.type === 'LIMIT_MAKER' && limitCrosses(t.side, new Decimal(t.price!), market)) {
    return { code: -2010, message: 'Order would immediately match and take.' };
  }
  return null;
}

/**
 * Why Binance would refuse this single order at this last price, or null.
 * @example orderRefusal({ symbol, side: 'BUY', type: 'LIMIT_MAKER', quantity: '1', price: '101' }, new Decimal(100)) // -2010 would take
 */
export function orderRefusal(req: OrderTerms, market: Decimal): Refusal | null {
  return termsRefusal(req, market);
}

const ABOVE_TYPES: readonly OrderType[] = ['STOP_LOSS_LIMIT', 'STOP_LOSS', 'LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'];
// Binance's table omits LIMIT_MAKER below, yet a BUY OCO's limit leg is its below order (belowPrice names it).
const BELOW_TYPES: readonly OrderType[] = ['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT', 'LIMIT_MAKER'];

/**
 * Why Binance would refuse this OCO at this last price, or null: leg types, which leg goes where
 * for the side, each leg's own terms, then the price relationship (the profit leg's price — the
 * stopPrice of a TAKE_PROFIT — and the stop-loss leg's stopPrice straddle the last price).
 * @example ocoRefusal({ kind: 'OCO', side: 'SELL', above: { type: 'LIMIT_MAKER', price: '110', … }, below: { type: 'STOP_LOSS', stopPrice: '90', … }, … }, new Decimal(100)) // null
 */
export function ocoRefusal(req: PlaceOcoRequest, market: Decimal): Refusal | null {
  const { above, below, side } = req;
  if (!ABOVE_TYPES.includes(above.type) || !BELOW_TYPES.includes(below.type)) return { code: -1158, message: 'Order type not supported in OCO.' };
  if (above.type === 'LIMIT_MAKER' && below.type === 'LIMIT_MAKER') return { code: -1168, message: 'At least one OCO order must be contingent.' };
  const placement = side === 'SELL' ? sellPlacement(above, below) : buyPlacement(above, below);
  if (placement) return placement;
  if (above.clientOrderId === below.clientOrderId) return { code: -2010, message: 'Duplicate order sent.' };
  for (const [prefix, leg] of [['above', above], ['below', below]] as const) {
    if (hasLimit(leg.type) && leg.type !== 'LIMIT_MAKER' && !leg.timeInForce) return mandatory(`${prefix}TimeInForce`);
    const refusal = termsRefusal({ ...leg, side }, market, prefix);
    // A LIMIT_MAKER leg that would take breaks the relationship too: Binance says so in those words.
    if (refusal) return refusal.message.startsWith('Order would') ? relationship : refusal;
  }
  const [profit, loss] = side === 'SELL' ? [above, below] : [below, above];
  const profitPrice = profit.type === 'TAKE_PROFIT' ? profit.stopPrice : profit.price;
  // A trailing leg without a stopPrice has no price to compare: it starts trailing at placement.
  if (profitPrice && !(side === 'SELL' ? new Decimal(profitPrice).gt(market) : new Decimal(profitPrice).lt(market))) return relationship;
  if (loss.stopPrice && !(side === 'SELL' ? new Decimal(loss.stopPrice).lt(market) : new Decimal(loss.stopPrice).gt(market))) return relationship;
  return null;
}

/** A sell OCO takes profit above and stops the loss below. */
function sellPlacement(above: OrderListLeg, below: OrderListLeg): Refusal | null {
  if (below.type === 'LIMIT_MAKER') return { code: -1166, message: 'A limit order in a sell OCO must be above.' };
  if (below.type.startsWith('TAKE_PROFIT')) return { code: -1199, message: 'A take profit order in a sell OCO must be above.' };
  if (isStopLoss(above.type)) return { code: -1197, message: 'A stop loss order in a sell OCO must be below.' };
  return null;
}

/** A buy OCO takes profit below and stops the loss above. */
function buyPlacement(above: OrderListLeg, below: OrderListLeg): Refusal | null {
  if (above.type === 'LIMIT_MAKER') return { code: -1165, message: 'A limit order in a buy OCO must be below.' };
  if (above.type.startsWith('TAKE_PROFIT')) return { code: -1198, message: 'A take profit order in a buy OCO must be below.' };
  if (isStopLoss(below.type)) return { code: -1196, message: 'A stop loss order in a buy OCO must be above.' };
  return null;
}
