/**
 * DCA (dollar-cost averaging): how often a plan buys, and how much of the base asset a quote
 * amount buys at a price under a symbol's rules. Pure: the API checks a plan with it and the
 * `dcaBuy` workflow sizes each buy with it.
 */
import { Decimal } from 'decimal.js';
import type { SymbolRules, Venue } from './exchange.js';
import type { OrderSettings } from './orders.js';

export type DcaPlanStatus = 'ACTIVE' | 'PAUSED' | 'DELETED';

const UNIT_MS = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 } as const;
export const DCA_MIN_INTERVAL_MS = UNIT_MS.m;
export const DCA_MAX_INTERVAL_MS = 366 * UNIT_MS.d;
export const DCA_INTERVAL_PATTERN = /^([1-9]\d{0,5})([mhdw])$/;

/**
 * The interval's length, or why it is not one: a count and a unit (`m`, `h`, `d`, `w`), from one
 * minute to a year.
 * @example parseDcaInterval('1d') // { ok: true, ms: 86_400_000 }
 */
export function parseDcaInterval(interval: string): { ok: true; ms: number } | { ok: false; reason: string } {
  const m = DCA_INTERVAL_PATTERN.exec(interval);
  if (!m) return { ok: false, reason: 'must be a count and a unit (m, h, d or w), such as "1h", "1d" or "1w"' };
  const ms = Number(m[1]) * UNIT_MS[m[2] as keyof typeof UNIT_MS];
  if (ms < DCA_MIN_INTERVAL_MS || ms > DCA_MAX_INTERVAL_MS) return { ok: false, reason: 'must be between 1m and 366d' };
  return { ok: true, ms };
}

/** What a buy needs of a symbol's rules: the step and minimum of a MARKET quantity, the minimum notional. */
export interface DcaRules {
  stepSize: string;
  minQty: string;
  minNotional: string;
}

/**
 * The paper venue's rules for every symbol (venues/paper/exchange.ts): any step of 1e-8, and a
 * minimum notional of 1, which the API checks a plan against before a paper symbol's rules are cached.
 */
export const PAPER_DCA_RULES: DcaRules = { stepSize: '0.00000001', minQty: '0.00000001', minNotional: '1' };

/**
 * The rules a MARKET buy is held to: MARKET_LOT_SIZE where it sets a step (Binance's zero means
 * "use LOT_SIZE"), else LOT_SIZE; the minimum notional only where it applies to MARKET orders.
 * @example const rules = dcaRulesOf(await loadSymbolRules(sql, exchange, 'BTCUSDT', 3_600_000));
 */
export function dcaRulesOf(rules: SymbolRules): DcaRules {
  const lot = rules.lotSize;
  const market = rules.marketLotSize;
  const marketStep = market && !new Decimal(market.stepSize).isZero() ? market : undefined;
  const minQty = Decimal.max(lot?.minQty ?? 0, market?.minQty ?? 0);
  const notional = rules.notional && rules.notional.applyMinToMarket ? rules.notional.minNotional : '0';
  return { stepSize: (marketStep ?? lot)?.stepSize ?? '0', minQty: minQty.toString(), minNotional: notional };
}

export type DcaSizing = { ok: true; quantity: string; notional: string } | { ok: false; reason: string };

/**
 * The quantity `quoteAmount` buys at `price`, rounded DOWN to the step (never spends more than the
 * amount), or why the buy cannot be placed (below the minimum quantity or notional).
 * @example dcaQuantity('100', '60000', { stepSize: '0.00001', minQty: '0.00001', minNotional: '5' }) // { ok: true, quantity: '0.00166', notional: '99.6' }
 */
export function dcaQuantity(quoteAmount: string, price: string, rules: DcaRules): DcaSizing {
  const px = new Decimal(price);
  if (!px.gt(0)) return { ok: false, reason: `no usable price (${price})` };
  const raw = new Decimal(quoteAmount).div(px);
  const step = new Decimal(rules.stepSize);
  const min = new Decimal(rules.minQty);
  // Binance counts steps from the minimum: (quantity - minQty) must be a multiple of stepSize.
  const quantity = step.isZero() ? raw.toDecimalPlaces(8, Decimal.ROUND_DOWN) : raw.lt(min) ? raw.toDecimalPlaces(8, Decimal.ROUND_DOWN) : raw.minus(min).div(step).floor().times(step).plus(min);
  const notional = quantity.times(px);
  if (quantity.isZero() || quantity.lt(rules.minQty)) {
    return { ok: false, reason: `${quoteAmount} buys ${quantity.toString()} at ${price}, below the minimum quantity ${rules.minQty} (step ${rules.stepSize})` };
  }
  if (notional.lt(rules.minNotional)) {
    return { ok: false, reason: `${quoteAmount} buys ${quantity.toString()} at ${price}: a notional of ${notional.toString()}, below the minimum ${rules.minNotional}` };
  }
  return { ok: true, quantity: quantity.toString(), notional: notional.toString() };
}

/** What the schedule hands each firing of a plan: the plan as it is now, and how its buys run. */
export interface DcaBuyInput {
  planId: string;
  accountId: string;
  venue: Venue;
  symbol: string;
  quoteAmount: string;
  /** The order settings each buy's lifecycle runs with (orderSettingsFrom(config)). */
  settings: OrderSettings;
  /** How long the firing waits for its order to end before it ends itself (the order goes on). */
  waitForOrderMs: number;
}
