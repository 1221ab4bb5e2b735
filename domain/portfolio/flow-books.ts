/**
 * The external flows behind a portfolio's value series, in USD. Each currency's flows (deposits
 * and implicit funding, minus withdrawals) are converted once, when a recalculation first sees
 * them; a later reduction towards zero (a voided deposit) is reversed at the average rate it was
 * booked at, so undoing a flow entirely returns exactly to where it was, whatever the rate did.
 */
import { Dec, type Decimal } from './types.js';

/** Per currency: the native amount booked and its USD value, as decimal strings. */
export type FlowBooks = Record<string, { native: string; usd: string }>;

export interface CurrencyFlows {
  currency: string;
  /** deposits + implicit funding − withdrawals, in the currency. */
  native: Decimal;
  /** USD per unit now. */
  usdRate: string;
}

/**
 * @example bookFlows({ EUR: { native: '1000', usd: '1080' } }, [{ currency: 'EUR', native: new Dec(0), usdRate: '1.1' }]) // { books: { EUR: { native: '0', usd: '0' } }, netFlowsUsd: '0' }
 */
export function bookFlows(before: FlowBooks, now: readonly CurrencyFlows[]): { books: FlowBooks; netFlowsUsd: string } {
  const current = new Map(now.map((c) => [c.currency, c]));
  const currencies = [...new Set([...Object.keys(before), ...current.keys()])].sort();
  const books: FlowBooks = {};
  let total = new Dec(0);
  for (const currency of currencies) {
    const oldNative = new Dec(before[currency]?.native ?? 0);
    const oldUsd = new Dec(before[currency]?.usd ?? 0);
    const c = current.get(currency);
    const native = c?.native ?? new Dec(0);
    let usd: Decimal;
    if (native.isZero()) usd = new Dec(0);
    else if (!oldNative.isZero() && native.isPos() === oldNative.isPos() && native.abs().lt(oldNative.abs())) usd = oldUsd.mul(native).div(oldNative);
    else usd = oldUsd.plus(native.minus(oldNative).mul(c?.usdRate ?? 0));
    books[currency] = { native: native.toString(), usd: usd.toString() };
    total = total.plus(usd);
  }
  return { books, netFlowsUsd: total.toString() };
}
