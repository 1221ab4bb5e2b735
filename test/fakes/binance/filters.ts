/**
 * The fake's own reading of Binance's symbol filters (filters.md), applied to the symbol's spec
 * rather than through the engine's rules, so an engine mistake in the filters cannot hide here:
 * - PRICE_FILTER: price (and stopPrice) ≥ minPrice, ≤ maxPrice, (price − minPrice) % tickSize = 0;
 * - LOT_SIZE, and MARKET_LOT_SIZE for market orders: the same with minQty, maxQty, stepSize;
 * - NOTIONAL: price × quantity within [minNotional, maxNotional]; market orders are priced at the
 *   average price and checked only where applyMinToMarket / applyMaxToMarket say so. A symbol
 *   printed with the legacy MIN_NOTIONAL filter has a minimum only.
 * Any zero bound is off. A failure is -1013 "Filter failure: NAME".
 */
import { apiErrors } from './api-error.js';
import { D, type Dec } from './decimal.js';
import type { FakeSymbolSpec } from './symbols.js';
import type { OrderIntent } from './orders.js';

type Bounds = { min: string; max: string; step: string };

function within(value: Dec, { min, max, step }: Bounds): boolean {
  const lo = new D(min);
  const hi = new D(max);
  const st = new D(step);
  if (!lo.isZero() && value.lt(lo)) return false;
  if (!hi.isZero() && value.gt(hi)) return false;
  return st.isZero() || value.minus(lo).mod(st).isZero();
}

const PRICED = new Set(['LIMIT', 'LIMIT_MAKER', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT']);
const STOP_MARKET = new Set(['STOP_LOSS', 'TAKE_PROFIT']);

/**
 * Throws Binance's -1013 for the first filter `intent` (with its resolved quantity) breaks.
 * `averagePrice` stands for the symbol's avgPriceMins average.
 */
export function enforceFilters(spec: FakeSymbolSpec, intent: OrderIntent, quantity: Dec, averagePrice: Dec): void {
  const priceBounds = { min: spec.price.minPrice, max: spec.price.maxPrice, step: spec.price.tickSize };
  if (PRICED.has(intent.type) && intent.price && !within(intent.price, priceBounds)) throw apiErrors.filter('Filter failure: PRICE_FILTER');
  if (intent.stopPrice && !within(intent.stopPrice, priceBounds)) throw apiErrors.filter('Filter failure: PRICE_FILTER');
  if (!within(quantity, { min: spec.lot.minQty, max: spec.lot.maxQty, step: spec.lot.stepSize })) throw apiErrors.filter('Filter failure: LOT_SIZE');
  const market = intent.type === 'MARKET' || STOP_MARKET.has(intent.type);
  if (market && spec.marketLot && !within(quantity, { min: spec.marketLot.minQty, max: spec.marketLot.maxQty, step: spec.marketLot.stepSize })) {
    throw apiErrors.filter('Filter failure: MARKET_LOT_SIZE');
  }
  const price = PRICED.has(intent.type) ? intent.price : intent.type === 'MARKET' ? averagePrice : intent.stopPrice;
  if (!price) return;
  const notional = quantity.times(price);
  const { minNotional, maxNotional, applyMinToMarket, applyMaxToMarket } = spec.notional;
  const min = new D(minNotional);
  const max = spec.legacyMinNotional ? new D(0) : new D(maxNotional);
  if ((!market || applyMinToMarket) && !min.isZero() && notional.lt(min)) throw apiErrors.filter('Filter failure: NOTIONAL');
  if ((!market || applyMaxToMarket) && !max.isZero() && notional.gt(max)) throw apiErrors.filter('Filter failure: NOTIONAL');
}
