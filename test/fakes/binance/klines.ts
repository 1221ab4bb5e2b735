/**
 * Candles for GET /api/v3/klines. Before the fake started, candles are synthetic but stable: each
 * minute's price is a hash of (symbol, minute) within ±1 % of the starting price, so the same
 * request always gets the same answer. From the start on, candles are built from the real price
 * moves (setPrice and the walk).
 */
import { D, type Dec, fmt, roundToStep } from './decimal.js';
import type { Tick } from './market.js';
import { hash32 } from './random.js';

export const INTERVAL_MS: Record<string, number> = {
  '1m': 60_000,
  '3m': 180_000,
  '5m': 300_000,
  '15m': 900_000,
  '30m': 1_800_000,
  '1h': 3_600_000,
  '2h': 7_200_000,
  '4h': 14_400_000,
  '6h': 21_600_000,
  '8h': 28_800_000,
  '12h': 43_200_000,
  '1d': 86_400_000,
  '3d': 259_200_000,
  '1w': 604_800_000,
};

/** Weekly klines open on Mondays 00:00 UTC; the epoch was a Thursday. (`1M`, calendar months, is not served.) */
const WEEK_MS = 604_800_000;
const FIRST_MONDAY_MS = 345_600_000;

/** Where the interval's klines open: multiples of its length since the epoch, weeks from a Monday. */
function gridOffset(intervalMs: number): number {
  return intervalMs === WEEK_MS ? FIRST_MONDAY_MS : 0;
}

export interface KlineQuery {
  symbol: string;
  intervalMs: number;
  startTime?: number | undefined;
  endTime?: number | undefined;
  limit: number;
  now: number;
}

export interface KlineSeries {
  anchor: Dec;
  startedAt: number;
  tickSize: string;
  ticks: readonly Tick[];
}

/** Binance's positional kline row: [openTime, open, high, low, close, volume, closeTime, quoteVolume, trades, takerBase, takerQuote, "0"]. */
export type KlineRow = [number, string, string, string, string, string, number, string, number, string, string, string];

function syntheticPrice(symbol: string, time: number, s: KlineSeries): Dec {
  const minute = Math.floor(time / 60_000);
  const permille = (hash32(symbol, minute) % 2001) - 1000; // -1000..1000 → ±1 %
  return roundToStep(s.anchor.times(new D(permille).dividedBy(100_000).plus(1)), s.tickSize);
}

/** Index of the first tick later than `time` (ticks are in time order). */
function indexAfter(ticks: readonly Tick[], time: number): number {
  let lo = 0;
  let hi = ticks.length;
  while (lo < hi) {
    const mid = (lo + hi) >>> 1;
    if ((ticks[mid]?.time ?? Infinity) <= time) lo = mid + 1;
    else hi = mid;
  }
  return lo;
}

/** The price in force at `time`: synthetic before the start, else the last tick at or before it. */
function priceAt(symbol: string, time: number, s: KlineSeries): Dec {
  if (time < s.startedAt) return syntheticPrice(symbol, time, s);
  return s.ticks[indexAfter(s.ticks, time) - 1]?.price ?? s.anchor;
}

function candle(symbol: string, openTime: number, intervalMs: number, s: KlineSeries): KlineRow {
  const closeTime = openTime + intervalMs - 1;
  const open = priceAt(symbol, openTime, s);
  const inside = s.ticks.slice(indexAfter(s.ticks, openTime), indexAfter(s.ticks, closeTime)).map((t) => t.price);
  const close = closeTime < s.startedAt ? syntheticPrice(symbol, closeTime + 1, s) : (inside[inside.length - 1] ?? open);
  const h = hash32(symbol, intervalMs, openTime);
  const wick = new D(h % 50).dividedBy(100_000); // up to 0.05 % beyond the body
  let high = D.max(open, close, ...inside);
  let low = D.min(open, close, ...inside);
  if (closeTime < s.startedAt) {
    high = roundToStep(high.times(wick.plus(1)), s.tickSize);
    low = roundToStep(low.times(new D(1).minus(wick)), s.tickSize);
  }
  const volume = new D((h % 500_000) + 1000).dividedBy(10_000);
  const quoteVolume = volume.times(close);
  return [
    openTime,
    fmt(open),
    fmt(high),
    fmt(low),
    fmt(close),
    fmt(volume),
    closeTime,
    fmt(quoteVolume),
    (h % 5000) + 1,
    fmt(volume.dividedBy(2)),
    fmt(quoteVolume.dividedBy(2)),
    '0',
  ];
}

/** Rows with openTime in [startTime, endTime], at most `limit`, never in the future; the latest ones when no range is given. */
export function buildKlines(q: KlineQuery, series: KlineSeries): KlineRow[] {
  const iv = q.intervalMs;
  const off = gridOffset(iv);
  const lastOpen = Math.floor((Math.min(q.endTime ?? q.now, q.now) - off) / iv) * iv + off;
  let firstOpen: number;
  if (q.startTime !== undefined) firstOpen = Math.ceil((q.startTime - off) / iv) * iv + off;
  else firstOpen = lastOpen - (q.limit - 1) * iv;
  const rows: KlineRow[] = [];
  for (let t = firstOpen; t <= lastOpen && rows.length < q.limit; t += iv) rows.push(candle(q.symbol, t, iv, series));
  return rows;
}
