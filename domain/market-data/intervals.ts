/**
 * The candle intervals we store and serve, and the grid their candles open on. Every interval up
 * to a day opens at multiples of its length since the Unix epoch (UTC), as Binance's klines do;
 * weekly candles open on Mondays 00:00 UTC (Binance's `1w`), which the epoch, a Thursday, is not.
 */
export const CANDLE_INTERVALS = ['1m', '5m', '15m', '1h', '4h', '1d', '1w'] as const;
export type CandleInterval = (typeof CANDLE_INTERVALS)[number];

const MINUTE = 60_000;
const DAY = 1_440 * MINUTE;

export const INTERVAL_MS: Readonly<Record<CandleInterval, number>> = {
  '1m': MINUTE,
  '5m': 5 * MINUTE,
  '15m': 15 * MINUTE,
  '1h': 60 * MINUTE,
  '4h': 240 * MINUTE,
  '1d': DAY,
  '1w': 7 * DAY,
};

/** 1970-01-05T00:00:00Z, the first Monday after the epoch. */
const MONDAY_MS = 4 * DAY;

/**
 * Where the interval's grid starts, in ms since the epoch: 0, or the first Monday for weeks.
 * @example candleGridOffsetMs('1w') // 345_600_000
 */
export function candleGridOffsetMs(interval: CandleInterval): number {
  return interval === '1w' ? MONDAY_MS : 0;
}

/**
 * The open time of the candle that contains `timeMs`.
 * @example candleOpen(Date.parse('2025-05-01T14:30:00Z'), '1w') // Date.parse('2025-04-28T00:00:00Z'), a Monday
 */
export function candleOpen(timeMs: number, interval: CandleInterval): number {
  const step = INTERVAL_MS[interval];
  const offset = candleGridOffsetMs(interval);
  return Math.floor((timeMs - offset) / step) * step + offset;
}

/** Whether a candle of `interval` can open at `timeMs`. */
export function isCandleOpen(timeMs: number, interval: CandleInterval): boolean {
  return candleOpen(timeMs, interval) === timeMs;
}
