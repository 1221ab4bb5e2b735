/**
 * Decimal arithmetic and Binance's wire formatting for the fake: every amount is a decimal.js value
 * inside and an 8-decimal string on the wire ("0.00100000"), as Binance prints them.
 */
import { Decimal } from 'decimal.js';

/** Wide precision and no exponent notation, so toString() is always plain digits. */
export const D = Decimal.clone({ precision: 40, toExpNeg: -40, toExpPos: 40 });
export type Dec = Decimal;

/** Binance's DECIMAL parameter syntax. */
export const DECIMAL_PARAM = /^([0-9]{1,20})(\.[0-9]{1,20})?$/;

/** Formats with exactly `places` decimals, truncating (Binance never rounds a quantity up). */
export function fmt(value: Decimal.Value, places = 8): string {
  const plain = new D(value).toDecimalPlaces(places, Decimal.ROUND_DOWN).toString();
  const [whole = '0', fraction = ''] = plain.split('.');
  return places === 0 ? whole : `${whole}.${fraction.padEnd(places, '0')}`;
}

/** Rounds down to a multiple of `step` (no-op when step is zero). */
export function floorToStep(value: Decimal, step: Decimal.Value): Decimal {
  const s = new D(step);
  return s.isZero() ? value : value.dividedToIntegerBy(s).times(s);
}

/** Rounds to the nearest multiple of `step`, never below one step. */
export function roundToStep(value: Decimal, step: Decimal.Value): Decimal {
  const s = new D(step);
  if (s.isZero()) return value;
  const rounded = value.dividedBy(s).toDecimalPlaces(0, Decimal.ROUND_HALF_UP).times(s);
  return rounded.lt(s) ? s : rounded;
}

export const ZERO = new D(0);
