/**
 * The value series a performance figure is computed from, read from `portfolio_snapshots`: the
 * points written by each recalculation (net worth and cumulative external flows), thinned to one
 * a day except in the last 24 hours. Points from before migration 020 have no net worth and are
 * never returned.
 */
import type { Queryable } from '../lib/db.js';
import type { PerformancePoint } from '../domain/portfolio/performance.js';

export interface PerformanceSeriesOptions {
  /** Window start; null (MAX) starts at the portfolio's first point. */
  start: Date | null;
  end: Date;
  /** Every point after this instant is returned, not only the last of its day. Default: 24 hours before `end`. */
  intradaySince?: Date | undefined;
}

const DAY_MS = 86_400_000;

/**
 * The points of one portfolio for a window, oldest first, as `computePerformance` wants them:
 * the last point at or before the start (the starting value), then the last point of each UTC
 * day up to `intradaySince`, then every point after it up to `end`.
 *
 * Each day's last point is one backward probe of `portfolio_snapshots_portfolio_at`
 * (portfolio_id, at, id), LIMIT 1, so a 5-year window costs ~1830 index probes however many
 * recalculations a day writes; a DISTINCT ON over the window would read every one of them.
 * @example
 * const points = await performanceSeries(sql, accountId, portfolioId, { start: new Date('2024-01-01T00:00:00Z'), end: new Date() });
 */
export async function performanceSeries(sql: Queryable, accountId: string, portfolioId: string, o: PerformanceSeriesOptions): Promise<PerformancePoint[]> {
  const intradaySince = o.intradaySince ?? new Date(o.end.getTime() - DAY_MS);
  const rows = await sql<{ at: Date; net_worth: string; net_flows: string }[]>`
    WITH bounds AS (
      SELECT s, ${o.end}::timestamptz AS e, greatest(s, ${intradaySince}::timestamptz) AS i
      FROM (SELECT coalesce(${o.start}::timestamptz, (
        SELECT at FROM portfolio_snapshots
        WHERE portfolio_id = ${portfolioId} AND account_id = ${accountId} AND net_worth IS NOT NULL AND at <= ${o.end}
        ORDER BY at, id LIMIT 1)) AS s) first
    ),
    -- The starting value: the last point at or before the start, else (a series that begins
    -- inside the window) its first point.
    base AS (
      SELECT at, id, net_worth, net_flows FROM (
        SELECT p.*, 0 AS pref FROM bounds CROSS JOIN LATERAL (
          SELECT at, id, net_worth, net_flows FROM portfolio_snapshots
          WHERE portfolio_id = ${portfolioId} AND account_id = ${accountId} AND net_worth IS NOT NULL AND at <= bounds.s
          ORDER BY at DESC, id DESC LIMIT 1) p
        UNION ALL
        SELECT p.*, 1 FROM bounds CROSS JOIN LATERAL (
          SELECT at, id, net_worth, net_flows FROM portfolio_snapshots
          WHERE portfolio_id = ${portfolioId} AND account_id = ${accountId} AND net_worth IS NOT NULL AND at > bounds.s AND at <= bounds.e
          -- The last of the points at that first instant, as a MAX window takes it.
          ORDER BY at, id DESC LIMIT 1) p
      ) candidates ORDER BY pref LIMIT 1
    ),
    days AS (
      -- Day boundaries computed without time zone, so the session's TimeZone (and DST) cannot move them.
      SELECT d AT TIME ZONE 'UTC' AS day_start, (d + interval '1 day') AT TIME ZONE 'UTC' AS day_end
      FROM bounds, generate_series(date_trunc('day', bounds.s AT TIME ZONE 'UTC'), date_trunc('day', bounds.i AT TIME ZONE 'UTC'), interval '1 day') d
    ),
    daily AS (
      SELECT p.* FROM bounds CROSS JOIN days CROSS JOIN LATERAL (
        SELECT at, id, net_worth, net_flows FROM portfolio_snapshots
        WHERE portfolio_id = ${portfolioId} AND account_id = ${accountId} AND net_worth IS NOT NULL
          AND at >= days.day_start AND at < days.day_end AND at > bounds.s AND at <= bounds.i
        ORDER BY at DESC, id DESC LIMIT 1) p
    ),
    intraday AS (
      SELECT at, id, net_worth, net_flows FROM portfolio_snapshots, bounds
      WHERE portfolio_id = ${portfolioId} AND account_id = ${accountId} AND net_worth IS NOT NULL AND at > bounds.i AND at <= bounds.e
    )
    SELECT at, net_worth::text, net_flows::text FROM (
      -- UNION: the first point of a series that begins inside the window may also close its day.
      SELECT * FROM base UNION SELECT * FROM daily UNION SELECT * FROM intraday
    ) points
    ORDER BY at, id`;
  return rows.map((r) => ({ at: r.at.toISOString(), netWorth: r.net_worth, netFlows: r.net_flows }));
}
