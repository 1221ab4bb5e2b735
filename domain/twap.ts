/**
 * TWAP arithmetic, pure: each slice's order id, its time, its size on the lot step, the rules a slice
 * must meet, and the parent's progress. The workflow, the API and the tests share these functions.
 */
import { Decimal } from 'decimal.js';

const Dec = Decimal.clone({ precision: 40 });

/** What a slice must meet on its venue: LOT_SIZE's minimum and step, and the minimum notional. */
export interface SliceRules {
  minQty: string;
  stepSize: string;
  minNotional: string;
}

/** The paper venue's rules (venues/paper/exchange.ts): 1e-8 steps, a notional of at least 1. */
export const PAPER_SLICE_RULES: SliceRules = { minQty: '0.00000001', stepSize: '0.00000001', minNotional: '1' };

export const TWAP_MIN_SLICES = 2;
export const TWAP_MAX_SLICES = 1000;
/** At least this long between two slices: a slice is a whole order lifecycle. */
export const TWAP_MIN_INTERVAL_MS = 1000;
/** A horizon of at most a week: longer plans belong to DCA. */
export const TWAP_MAX_HORIZON_MS = 7 * 86_400_000;

/** FNV-1a over the string with a seed, then a murmur-style finaliser: 32 well-mixed bits. */
function hash32(text: string, seed: number): number {
  let h = (0x811c9dc5 ^ seed) >>> 0;
  for (let i = 0; i < text.length; i++) h = Math.imul(h ^ text.charCodeAt(i), 0x01000193);
  h ^= h >>> 16;
  h = Math.imul(h, 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return h >>> 0;
}

/**
 * Slice `index`'s order id: a name-based UUID (version 8, RFC 9562) of the TWAP's id and the index.
 * Computed, never drawn: a restarted or continued-as-new TWAP names the same order, and Temporal
 * refuses a second workflow of that id.
 * @example sliceOrderId('0b6f3c1e-5d2a-4c1b-9f0e-6a7d8c9b0a12', 0) // '…-8…-…'
 */
export function sliceOrderId(twapId: string, index: number): string {
  const name = `twap:${twapId}:slice:${index}`;
  const hex = [1, 2, 3, 4].map((seed) => hash32(name, seed).toString(16).padStart(8, '0')).join('');
  const variant = ((parseInt(hex[16]!, 16) & 0x3) | 0x8).toString(16);
  return `${hex.slice(0, 8)}-${hex.slice(8, 12)}-8${hex.slice(13, 16)}-${variant}${hex.slice(17, 20)}-${hex.slice(20, 32)}`;
}

export const twapWorkflowId = (twapId: string): string => `twap-${twapId}`;

/** `qty` rounded down to the step (counted from zero; Binance counts from minQty, which is a step multiple in practice). */
export function floorToStep(qty: Decimal.Value, stepSize: string): Decimal {
  const q = new Dec(qty);
  const step = new Dec(stepSize);
  if (step.isZero()) return q;
  return q.div(step).floor().times(step);
}

/**
 * The size of the next slice: what remains to place over the slices left, rounded down to the step;
 * the last slice takes all that remains.
 */
export function nextSliceQuantity(remainingToPlace: Decimal.Value, slicesLeft: number, stepSize: string): Decimal {
  const rest = new Dec(remainingToPlace);
  if (rest.lte(0)) return new Dec(0);
  if (slicesLeft <= 1) return floorToStep(rest, stepSize);
  return floorToStep(rest.div(slicesLeft), stepSize);
}

/** Why a slice of `qty` at `price` could not be placed, or null when it can. */
export function sliceBelowMinimum(qty: Decimal.Value, price: Decimal.Value, rules: SliceRules): string | null {
  const q = new Dec(qty);
  if (q.lte(0) || q.lt(rules.minQty)) return `a TWAP slice of ${q.toString()} is below the minimum quantity ${rules.minQty}`;
  const notional = q.times(price);
  if (notional.lt(rules.minNotional)) return `a TWAP slice below the minimum notional: ${q.toString()} × ${new Dec(price).toString()} = ${notional.toString()} < ${rules.minNotional}`;
  return null;
}

/**
 * The slices left, spread evenly from `fromMs` to `endMs`: slice k of them starts at from + k·interval,
 * so the last starts one interval before the end.
 */
export function spreadSchedule(fromMs: number, endMs: number, count: number): number[] {
  const interval = count > 0 ? Math.max(0, endMs - fromMs) / count : 0;
  return Array.from({ length: count }, (_, k) => Math.round(fromMs + k * interval));
}

export interface SliceFigures {
  executedQty: string;
  cumulativeQuoteQty: string;
}

/** Filled quantity, quote spent and average price over the slices (the average is '0' while nothing filled). */
export function twapProgress(slices: SliceFigures[]): { filledQty: string; cumulativeQuoteQty: string; averagePrice: string } {
  let filled = new Dec(0);
  let quote = new Dec(0);
  for (const s of slices) {
    filled = filled.plus(s.executedQty);
    quote = quote.plus(s.cumulativeQuoteQty);
  }
  const average = filled.isZero() ? new Dec(0) : quote.div(filled).toSignificantDigits(12);
  return { filledQty: filled.toString(), cumulativeQuoteQty: quote.toString(), averagePrice: average.toString() };
}
