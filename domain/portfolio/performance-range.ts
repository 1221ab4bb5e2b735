/**
 * The named ranges of the performance view (1D, WTD, MTD, YTD, 1Y, MAX, CUSTOM) turned into a UTC
 * window that ends at `asOf`. Calendar ranges start at a UTC midnight: week-to-date on Monday,
 * month-to-date on the 1st, year-to-date on January 1st. `asOf` is chosen by the caller (the
 * workflow), never read from the clock here, so the same request always gives the same window.
 */

export const PERFORMANCE_RANGES = ['1D', 'WTD', 'MTD', 'YTD', '1Y', 'MAX', 'CUSTOM'] as const;
export type PerformanceRange = (typeof PERFORMANCE_RANGES)[number];

/**
 * A resolved window: `(start, end]`, ISO-8601 UTC instants. `start` is null for MAX until the
 * first point of the series is known (`computePerformance` fills it in).
 */
export interface PerformanceWindow {
  range: PerformanceRange;
  start: string | null;
  end: string;
}

export interface PerformanceRangeOptions {
  /** The instant the window ends at (for CUSTOM: the latest `to` may be). */
  asOf: string;
  /** CUSTOM only: ISO-8601 date (`2024-01-31`, midnight UTC) or date-time with `Z` or an offset. */
  from?: string | undefined;
  to?: string | undefined;
}

/**
 * A range that cannot be resolved: unknown name, unparsable or reversed custom bounds, `to` after
 * `asOf`. The API answers 422; the activity turns it into a non-retryable failure.
 * @example throw new InvalidPerformanceRangeError("CUSTOM needs 'from' before 'to', got from 2024-02-01T00:00:00.000Z and to 2024-01-01T00:00:00.000Z");
 */
export class InvalidPerformanceRangeError extends Error {
  override name = 'InvalidPerformanceRangeError';
}

const DAY_MS = 86_400_000;
// An offset is required on a date-time: without one, Date.parse reads local time, and the window
// would depend on the machine's time zone.
const ISO_INSTANT = /^\d{4}-\d{2}-\d{2}(T\d{2}:\d{2}(:\d{2}(\.\d{1,9})?)?(Z|[+-]\d{2}:\d{2}))?$/;

/**
 * Resolves `range` at `asOf` to its UTC window. 1D is the last 24 hours; 1Y the same instant one
 * calendar year earlier (29 February goes back to 28 February); MAX starts at the first point.
 * Throws `InvalidPerformanceRangeError` for an unknown range, an unparsable instant, from/to given
 * with a named range, or a CUSTOM range whose `from` is not before `to` or whose `to` is after `asOf`.
 * @example
 * resolvePerformanceRange('WTD', { asOf: '2024-06-09T18:00:00Z' })
 * // { range: 'WTD', start: '2024-06-03T00:00:00.000Z', end: '2024-06-09T18:00:00.000Z' }
 * resolvePerformanceRange('CUSTOM', { asOf: '2024-06-09T18:00:00Z', from: '2024-01-01', to: '2024-04-01' })
 * // { range: 'CUSTOM', start: '2024-01-01T00:00:00.000Z', end: '2024-04-01T00:00:00.000Z' }
 */
export function resolvePerformanceRange(range: PerformanceRange, options: PerformanceRangeOptions): PerformanceWindow {
  if (!(PERFORMANCE_RANGES as readonly string[]).includes(range)) {
    throw new InvalidPerformanceRangeError(`Unknown performance range ${JSON.stringify(range)}; use one of ${PERFORMANCE_RANGES.join(', ')}.`);
  }
  const asOf = instant(options.asOf, 'asOf');
  if (range !== 'CUSTOM' && (options.from !== undefined || options.to !== undefined)) {
    throw new InvalidPerformanceRangeError(`'from' and 'to' apply to the CUSTOM range only; drop them, or ask for range CUSTOM instead of ${range}.`);
  }
  const window = (start: number | null, end = asOf): PerformanceWindow => ({
    range,
    start: start === null ? null : new Date(start).toISOString(),
    end: new Date(end).toISOString(),
  });
  const d = new Date(asOf);
  switch (range) {
    case '1D':
      return window(asOf - DAY_MS);
    case 'WTD': {
      const midnight = Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), d.getUTCDate());
      // getUTCDay: 0 is Sunday; days since Monday are 6 on a Sunday, 0 on a Monday.
      return window(midnight - ((d.getUTCDay() + 6) % 7) * DAY_MS);
    }
    case 'MTD':
      return window(Date.UTC(d.getUTCFullYear(), d.getUTCMonth(), 1));
    case 'YTD':
      return window(Date.UTC(d.getUTCFullYear(), 0, 1));
    case '1Y':
      return window(yearEarlier(d));
    case 'MAX':
      return window(null);
    case 'CUSTOM': {
      if (options.from === undefined) {
        throw new InvalidPerformanceRangeError(`The CUSTOM range needs 'from' (ISO-8601, e.g. '2024-01-01' or '2024-01-01T00:00:00Z'; 'to' defaults to now); got from ${JSON.stringify(options.from)}.`);
      }
      const from = instant(options.from, 'from');
      const to = options.to === undefined ? asOf : instant(options.to, 'to');
      if (from >= to) {
        throw new InvalidPerformanceRangeError(`The CUSTOM range needs 'from' before 'to'; got from ${iso(from)} and to ${iso(to)}. Swap them, or widen the range.`);
      }
      if (to > asOf) {
        throw new InvalidPerformanceRangeError(`The CUSTOM range ends at ${iso(to)}, after the time it is computed at (${iso(asOf)}); pick a 'to' no later than that.`);
      }
      return window(from, to);
    }
  }
}

/** Milliseconds of an ISO-8601 instant, or an `InvalidPerformanceRangeError` naming the field. */
function instant(value: unknown, field: string): number {
  const ms = typeof value === 'string' && ISO_INSTANT.test(value) && isCalendarDate(value) ? Date.parse(value) : NaN;
  if (Number.isNaN(ms)) {
    throw new InvalidPerformanceRangeError(`'${field}' must be an ISO-8601 date or date-time with a time zone (e.g. '2024-01-31' or '2024-01-31T12:00:00Z'); got ${JSON.stringify(value)}.`);
  }
  return ms;
}

/** Date.parse rolls '2024-02-30' over to March 1st; a date that does not exist is refused instead. */
function isCalendarDate(value: string): boolean {
  const [y, m, d] = value.slice(0, 10).split('-').map(Number) as [number, number, number];
  return m >= 1 && m <= 12 && d >= 1 && d <= new Date(Date.UTC(y, m, 0)).getUTCDate();
}

const iso = (ms: number) => new Date(ms).toISOString();

/** The same UTC wall-clock time one calendar year earlier, the day clamped to the month's length. */
function yearEarlier(d: Date): number {
  const year = d.getUTCFullYear() - 1;
  const month = d.getUTCMonth();
  const lastDay = new Date(Date.UTC(year, month + 1, 0)).getUTCDate();
  return Date.UTC(year, month, Math.min(d.getUTCDate(), lastDay), d.getUTCHours(), d.getUTCMinutes(), d.getUTCSeconds(), d.getUTCMilliseconds());
}
