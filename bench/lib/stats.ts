/** Percentiles and medians of the figures the bench reports (milliseconds unless named otherwise). */

export interface LatencySummary {
  count: number;
  p50Ms: number | null;
  p90Ms: number | null;
  p99Ms: number | null;
  maxMs: number | null;
}

/**
 * Nearest-rank percentile of an ascending array; `Infinity` entries (requests that never
 * completed) count as slower than everything else, so they push p99 up instead of vanishing.
 * @example percentile([1, 2, 3, 4], 0.5) // 2
 */
export function percentile(sorted: readonly number[], p: number): number | null {
  if (sorted.length === 0) return null;
  const rank = Math.max(1, Math.ceil(p * sorted.length));
  return sorted[rank - 1]!;
}

/** @example summarize([12, 15, 40]).p50Ms // 15 */
export function summarize(latenciesMs: readonly number[]): LatencySummary {
  const sorted = [...latenciesMs].sort((a, b) => a - b);
  return {
    count: sorted.length,
    p50Ms: finite(percentile(sorted, 0.5)),
    p90Ms: finite(percentile(sorted, 0.9)),
    p99Ms: finite(percentile(sorted, 0.99)),
    maxMs: finite(sorted.at(-1) ?? null),
  };
}

/** Median of the runs' figures (the mean of the middle two for an even count); null when none. */
export function median(values: ReadonlyArray<number | null>, digits = 2): number | null {
  const xs = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (xs.length === 0) return null;
  const mid = Math.floor(xs.length / 2);
  return round(xs.length % 2 ? xs[mid]! : (xs[mid - 1]! + xs[mid]!) / 2, digits);
}

/** Two decimals at most for milliseconds and rates; enough for a benchmark, readable in JSON. */
export function round(x: number, digits = 2): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}

/** Infinity (never completed) becomes null in JSON, with the timeout count reported beside it. */
function finite(x: number | null): number | null {
  return x === null || !Number.isFinite(x) ? null : round(x);
}

/** a ÷ b, or null when either is missing or b is zero. */
export function ratio(a: number | null | undefined, b: number | null | undefined): number | null {
  if (a == null || b == null || b === 0) return null;
  return round(a / b, 3);
}
