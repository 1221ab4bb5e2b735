/**
 * Binance's symbol filters, in one place, so the order workflow (before submitting) and the adapter
 * (when reading exchangeInfo) apply the same rules; the test fake has its own reading of filters.md.
 * Semantics follow filters.md: a zero disables a bound; `(value - min)` must be a multiple of the step;
 * MARKET orders are checked against a reference price only where the NOTIONAL filter says so.
 */
import { Decimal } from 'decimal.js';
import { z } from 'zod';
import type { OrderType, PlaceOrderRequest, SymbolRules } from './exchange.js';

const Dec = Decimal.clone({ precision: 40 });

export type FilterName = 'PRICE_FILTER' | 'LOT_SIZE' | 'MARKET_LOT_SIZE' | 'NOTIONAL';

export type FilterCheck =
  | { ok: true }
  | { ok: false; code: -1013; filter: FilterName; message: string; reason: string };

/** Order types that execute as market orders (now, or once their stop triggers). */
const MARKET_LIKE: ReadonlySet<OrderType> = new Set(['MARKET', 'STOP_LOSS', 'TAKE_PROFIT']);
const HAS_PRICE: ReadonlySet<OrderType> = new Set(['LIMIT', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT']);

function fail(filter: FilterName, reason: string): FilterCheck {
  return { ok: false, code: -1013, filter, message: `Filter failure: ${filter}`, reason };
}

/** Checks min/max/step the Binance way; returns why it failed, or null. */
function checkRange(value: Decimal, min: string, max: string, step: string): string | null {
  const lo = new Dec(min);
  const hi = new Dec(max);
  const st = new Dec(step);
  if (!lo.isZero() && value.lt(lo)) return `${value.toString()} is below the minimum ${min}`;
  if (!hi.isZero() && value.gt(hi)) return `${value.toString()} is above the maximum ${max}`;
  if (!st.isZero() && !value.minus(lo).mod(st).isZero()) return `${value.toString()} is not a multiple of ${step} from ${min}`;
  return null;
}

/**
 * Validates an order against a symbol's rules exactly as Binance would (PRICE_FILTER, LOT_SIZE,
 * MARKET_LOT_SIZE, NOTIONAL). `referencePrice` is the average/last price used for MARKET notional;
 * stop-market orders use their stop price instead.
 * @example
 * const check = validateOrderAgainstRules(req, rules, '60000');
 * if (!check.ok) throw new ExchangeRejectedError(check.code, check.message);
 */
export function validateOrderAgainstRules(req: PlaceOrderRequest, rules: SymbolRules, referencePrice?: string): FilterCheck {
  const qty = new Dec(req.quantity);
  const marketLike = MARKET_LIKE.has(req.type);

  if (rules.priceFilter) {
    const { minPrice, maxPrice, tickSize } = rules.priceFilter;
    for (const [label, value] of [['price', req.price], ['stopPrice', req.stopPrice]] as const) {
      if (value === undefined || (label === 'price' && !HAS_PRICE.has(req.type))) continue;
      const why = checkRange(new Dec(value), minPrice, maxPrice, tickSize);
      if (why) return fail('PRICE_FILTER', `${label} ${why}`);
    }
  }
  if (rules.lotSize) {
    const why = checkRange(qty, rules.lotSize.minQty, rules.lotSize.maxQty, rules.lotSize.stepSize);
    if (why) return fail('LOT_SIZE', `quantity ${why}`);
  }
  if (marketLike && rules.marketLotSize) {
    const { minQty, maxQty, stepSize } = rules.marketLotSize;
    const why = checkRange(qty, minQty, maxQty, stepSize);
    if (why) return fail('MARKET_LOT_SIZE', `quantity ${why}`);
  }
  if (rules.notional) {
    const n = rules.notional;
    const price = HAS_PRICE.has(req.type) ? req.price : req.type === 'MARKET' ? referencePrice : req.stopPrice;
    if (price === undefined) return { ok: true };
    const notional = qty.times(price);
    const checkMin = !marketLike || n.applyMinToMarket;
    const checkMax = !marketLike || n.applyMaxToMarket;
    const min = new Dec(n.minNotional);
    if (checkMin && !min.isZero() && notional.lt(min)) return fail('NOTIONAL', `notional ${notional.toString()} is below ${n.minNotional}`);
    const max = n.maxNotional === undefined ? null : new Dec(n.maxNotional);
    if (checkMax && max && !max.isZero() && notional.gt(max)) return fail('NOTIONAL', `notional ${notional.toString()} is above ${n.maxNotional}`);
  }
  return { ok: true };
}

const decimalString = z.string().regex(/^-?\d+(\.\d+)?$/, 'expected a decimal string');
const priceFilter = z.object({ minPrice: decimalString, maxPrice: decimalString, tickSize: decimalString });
const lotSize = z.object({
  filterType: z.enum(['LOT_SIZE', 'MARKET_LOT_SIZE']),
  minQty: decimalString,
  maxQty: decimalString,
  stepSize: decimalString,
});
const notional = z.object({
  filterType: z.literal('NOTIONAL'),
  minNotional: decimalString,
  maxNotional: decimalString.optional(),
  applyMinToMarket: z.boolean(),
  applyMaxToMarket: z.boolean(),
  avgPriceMins: z.number().int(),
});
const minNotional = z.object({
  filterType: z.literal('MIN_NOTIONAL'),
  minNotional: decimalString,
  applyToMarket: z.boolean(),
  avgPriceMins: z.number().int(),
});

/** One entry of `exchangeInfo.symbols`, as much of it as SymbolRules needs. */
export const exchangeInfoSymbolSchema = z.object({
  symbol: z.string(),
  status: z.string(),
  baseAsset: z.string(),
  quoteAsset: z.string(),
  orderTypes: z.array(z.string()),
  filters: z.array(z.object({ filterType: z.string() }).loose()),
});
export type ExchangeInfoSymbol = z.infer<typeof exchangeInfoSymbolSchema>;

const OUR_TYPES: ReadonlySet<string> = new Set<OrderType>(['MARKET', 'LIMIT', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);

/**
 * Turns one `exchangeInfo.symbols[]` entry into SymbolRules; filters we do not model are ignored,
 * legacy MIN_NOTIONAL is normalised into `notional` (its `applyToMarket` covers the minimum only).
 * @example const rules = parseSymbolRules(info.symbols[0]);
 */
export function parseSymbolRules(raw: unknown): SymbolRules {
  const s = exchangeInfoSymbolSchema.parse(raw);
  const rules: SymbolRules = {
    symbol: s.symbol,
    status: s.status,
    baseAsset: s.baseAsset,
    quoteAsset: s.quoteAsset,
    orderTypes: s.orderTypes.filter((t): t is OrderType => OUR_TYPES.has(t)),
  };
  for (const f of s.filters) {
    if (f.filterType === 'PRICE_FILTER') {
      rules.priceFilter = priceFilter.parse(f);
    } else if (f.filterType === 'LOT_SIZE' || f.filterType === 'MARKET_LOT_SIZE') {
      const { filterType, ...value } = lotSize.parse(f);
      if (filterType === 'LOT_SIZE') rules.lotSize = value;
      else rules.marketLotSize = value;
    } else if (f.filterType === 'NOTIONAL') {
      const { filterType: _notional, ...value } = notional.parse(f);
      rules.notional = value;
    } else if (f.filterType === 'MIN_NOTIONAL' && !rules.notional) {
      const n = minNotional.parse(f);
      rules.notional = { minNotional: n.minNotional, applyMinToMarket: n.applyToMarket, applyMaxToMarket: false, avgPriceMins: n.avgPriceMins };
    }
  }
  return rules;
}
