/**
 * Performance (issue 16): TWR and MWR of a portfolio with 100k ledger entries and 5 years of value
 * points, through `portfolioPerformance` called on the activity object as the portfolio worker
 * runs it (series read from PostgreSQL, figures computed in decimal.js), for MAX, 1Y and YTD.
 * The baseline, measured in the same run, is the same read over a small portfolio: 1.9k entries
 * and a 1-year series, the size of Ghostfolio's issue #7931 (~16 s per snapshot there at ~1.9k
 * activities). On its own database (bench_performance) on the run's PostgreSQL.
 */
import { randomUUID } from 'node:crypto';
import { computePerformance } from '../../domain/portfolio/performance.js';
import { resolvePerformanceRange, type PerformanceRange } from '../../domain/portfolio/performance-range.js';
import { createPerformanceActivities } from '../../activities/portfolio/performance-activities.js';
import { performanceSeries } from '../../store/performance.js';
import { createSql, type Sql } from '../../lib/db.js';
import { freshDatabase } from '../lib/fresh-database.js';
import type { Profile } from '../lib/profile.js';
import { median, percentile, ratio, round } from '../lib/stats.js';

/** The instant every figure is computed at: fixed, so runs on different days read the same windows. */
const AS_OF = '2025-06-30T12:00:00.000Z';
const RANGES = ['MAX', '1Y', 'YTD'] as const satisfies readonly PerformanceRange[];
/** Value points a day, every 8 hours; the last 24 hours have one every 5 minutes on top. */
const POINTS_PER_DAY = 3;
const INTRADAY_POINTS = 288;
/** Rows written before migration 020 (no net worth): the read must skip them. */
const LEGACY_POINTS = 200;

export interface PerformanceContext {
  databaseUrl: string;
  profile: Profile;
  log: (line: string) => void;
}

export interface RangeTiming {
  p50Ms: number | null;
  p95Ms: number | null;
  runs: number[];
  /** Points the activity used (starting point, one a day, the last 24 hours). */
  points: number;
  twr: string | null;
  mwr: string | null;
}

export interface SeededPortfolio {
  accountId: string;
  portfolioId: string;
  transactions: number;
  years: number;
  snapshots: number;
  seedMs: number;
}

export interface PerformanceResults {
  /** Median of `portfolioPerformance` for MAX over the 100k-entry, 5-year portfolio. */
  performance100kMs: number | null;
  /** Median of the same for MAX over the 1.9k-entry, 1-year portfolio. */
  baselineMs: number | null;
  vsBaseline: number | null;
  /** An outside figure for scale, not measured here. */
  reference: string;
  asOf: string;
  large: SeededPortfolio & { ranges: Record<string, RangeTiming>; maxBreakdown: { readMs: number | null; computeMs: number | null } };
  baseline: SeededPortfolio & { ranges: Record<string, RangeTiming> };
}

/**
 * One account and its default portfolio: `transactions` manual ledger entries (buys, sells,
 * deposits, withdrawals, dividends) spread over `years` before AS_OF, and a simulated value
 * series over the same years: a daily drift with noise, a 500 deposit every 30 days, a 3000
 * withdrawal every 13 months, a quarterly dividend kept as cash (not a flow).
 */
async function seedPortfolio(sql: Sql, transactions: number, years: number): Promise<SeededPortfolio> {
  const t = performance.now();
  const accountId = randomUUID();
  const portfolioId = accountId;
  const start = new Date(Date.parse(AS_OF) - years * 365 * 86_400_000);
  // Every 8 hours up to a day before AS_OF, then every 5 minutes up to AS_OF.
  const daily = (years * 365 - 1) * POINTS_PER_DAY;
  await sql`INSERT INTO accounts (id) VALUES (${accountId})`;
  await sql`INSERT INTO portfolios (id, account_id, workflow_id, state, is_default)
    VALUES (${portfolioId}, ${accountId}, ${`portfolio-${accountId}`}, '{}'::jsonb, true)`;
  // The ledger in one statement. The ledger_seq trigger would update the account's head row once
  // per entry in one transaction (minutes for 100k: each update walks the row's versions so far),
  // so triggers are off for the seed and the numbers and the head are written as it would write them.
  await sql.begin(async (tx) => {
    await tx`SET LOCAL session_replication_role = replica`;
    await tx`INSERT INTO trades (id, account_id, portfolio_id, ledger_seq, symbol, side, quantity, price, fee, fee_asset, amount, currency, executed_at)
    SELECT gen_random_uuid(), ${accountId}, ${portfolioId}, i, k.symbol, k.side, k.quantity, k.price, 0.01, 'USD', k.amount, k.currency,
      ${start}::timestamptz + (i * (${AS_OF}::timestamptz - ${start}::timestamptz) / ${transactions + 1})
    FROM generate_series(1, ${transactions}) i
    CROSS JOIN LATERAL (SELECT CASE WHEN i % 97 = 0 THEN 'DEPOSIT' WHEN i % 389 = 0 THEN 'WITHDRAWAL' WHEN i % 211 = 0 THEN 'DIVIDEND'
      WHEN i % 4 = 3 THEN 'SELL' ELSE 'BUY' END AS side) s
    CROSS JOIN LATERAL (SELECT s.side,
      CASE WHEN s.side IN ('DEPOSIT', 'WITHDRAWAL') THEN NULL ELSE (ARRAY['AAPL', 'MSFT', 'NVDA', 'BTCUSDT', 'ETHUSDT'])[1 + i % 5] END AS symbol,
      CASE WHEN s.side IN ('BUY', 'SELL') THEN (1 + i % 7)::numeric / 4 END AS quantity,
      CASE WHEN s.side IN ('BUY', 'SELL') THEN 100 + (i % 500)::numeric / 10 END AS price,
      CASE WHEN s.side IN ('BUY', 'SELL') THEN NULL ELSE 50 + (i % 20)::numeric END AS amount,
      CASE WHEN s.side IN ('BUY', 'SELL') THEN NULL ELSE 'USD' END AS currency) k`;
    await tx`INSERT INTO ledger_heads (account_id, last_seq) VALUES (${accountId}, ${transactions})`;
  });
  // Points recalculations wrote before migration 020: no net worth, never read.
  await sql`INSERT INTO portfolio_snapshots (id, account_id, portfolio_id, at, mode, applied, total_value, total_cost, realized_pnl, unrealized_pnl, fees_paid, roi_pct, trades)
    SELECT gen_random_uuid(), ${accountId}, ${portfolioId}, ${start}::timestamptz - i * interval '1 hour', 'incremental', 1, 1, 1, 0, 0, 0, 0, 1
    FROM generate_series(1, ${LEGACY_POINTS}) i`;
  // The value series: each step moves the value by the market (±0.8 %, drifting up: a deterministic
  // pseudo-random number in [0, 1) from the classic sin hash), then adds its flow and income.
  await sql`INSERT INTO portfolio_snapshots (id, account_id, portfolio_id, at, mode, applied, total_value, total_cost, realized_pnl, unrealized_pnl,
      fees_paid, roi_pct, trades, net_worth, net_flows)
    WITH RECURSIVE sim (i, at, v, f) AS (
      SELECT 0, ${start}::timestamptz, 10000::numeric, 10000::numeric
      UNION ALL
      SELECT i + 1,
        at + CASE WHEN i < ${daily} THEN interval '8 hours' ELSE interval '5 minutes' END,
        round(v * (1.00007 + 0.016 * (abs(sin(i * 12.9898) * 43758.5453) - floor(abs(sin(i * 12.9898) * 43758.5453)) - 0.5))::numeric
          + x.flow + CASE WHEN (i + 1) % 270 = 0 THEN round(v * 0.004, 2) ELSE 0 END, 2),
        f + x.flow
      FROM sim CROSS JOIN LATERAL (SELECT CASE WHEN (i + 1) % 1170 = 0 THEN -3000 WHEN (i + 1) % 90 = 0 THEN 500 ELSE 0 END::numeric AS flow) x
      WHERE i < ${daily + INTRADAY_POINTS}
    )
    SELECT gen_random_uuid(), ${accountId}, ${portfolioId}, at, 'incremental', 1, v, f, 0, v - f, 0, 0, i, v, f FROM sim
    WHERE at <= ${AS_OF}::timestamptz`;
  const [count] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM portfolio_snapshots WHERE portfolio_id = ${portfolioId}`;
  await sql`ANALYZE portfolio_snapshots`;
  await sql`ANALYZE trades`;
  return { accountId, portfolioId, transactions, years, snapshots: count?.n ?? 0, seedMs: round(performance.now() - t) };
}

export async function measurePerformance(ctx: PerformanceContext): Promise<PerformanceResults> {
  let large: SeededPortfolio | undefined;
  let small: SeededPortfolio | undefined;
  const databaseUrl = await freshDatabase(ctx.databaseUrl, 'bench_performance', async (db) => {
    large = await seedPortfolio(db, 100_000, 5);
    small = await seedPortfolio(db, 1_900, 1);
  });
  if (!large || !small) throw new Error('bench_performance: the seed did not run');
  ctx.log(`performance: seeded ${large.transactions} entries and ${large.snapshots} points in ${large.seedMs} ms; baseline ${small.transactions} entries, ${small.snapshots} points`);

  const sql = createSql(databaseUrl, { max: 2, applicationName: 'bench' });
  try {
    const { portfolioPerformance } = createPerformanceActivities({ sql });
    const runs = ctx.profile.name === 'quick' ? 7 : 21;
    const timeRanges = async (p: SeededPortfolio, label: string) => {
      const out: Record<string, RangeTiming> = {};
      for (const range of RANGES) {
        const call = () => portfolioPerformance({ accountId: p.accountId, portfolioId: p.portfolioId, range, asOf: AS_OF });
        // Warm-up: JIT, plan cache, shared buffers.
        for (let k = 0; k < 2; k++) await call();
        const ms: number[] = [];
        let last: Awaited<ReturnType<typeof call>> | undefined;
        for (let k = 0; k < runs; k++) {
          const t = performance.now();
          last = await call();
          ms.push(round(performance.now() - t));
        }
        const sorted = [...ms].sort((a, b) => a - b);
        out[range] = { p50Ms: median(ms), p95Ms: percentile(sorted, 0.95), runs: ms, points: last!.points, twr: last!.twr, mwr: last!.mwr };
        ctx.log(`performance (${label}): ${range} p50 ${out[range].p50Ms} ms, p95 ${out[range].p95Ms} ms over ${last!.points} points (TWR ${last!.twr}, MWR ${last!.mwr})`);
      }
      return out;
    };
    const largeRanges = await timeRanges(large, `${large.transactions} entries, ${large.years} years`);
    const baselineRanges = await timeRanges(small, `${small.transactions} entries, ${small.years} year`);

    // Where MAX's time goes: the series read and the computation, apart.
    const window = resolvePerformanceRange('MAX', { asOf: AS_OF });
    const read: number[] = [];
    const compute: number[] = [];
    for (let k = 0; k < runs; k++) {
      let t = performance.now();
      const points = await performanceSeries(sql, large.accountId, large.portfolioId, { start: null, end: new Date(window.end) });
      read.push(performance.now() - t);
      t = performance.now();
      computePerformance(window, points);
      compute.push(performance.now() - t);
    }
    const performance100kMs = largeRanges.MAX?.p50Ms ?? null;
    const baselineMs = baselineRanges.MAX?.p50Ms ?? null;
    return {
      performance100kMs,
      baselineMs,
      vsBaseline: ratio(performance100kMs, baselineMs),
      reference: 'ghostfolio/ghostfolio#7931: ~16 s per portfolio snapshot calculation at ~1,900 activities over 8 years (reported on a 12-core host)',
      asOf: AS_OF,
      large: { ...large, ranges: largeRanges, maxBreakdown: { readMs: median(read), computeMs: median(compute) } },
      baseline: { ...small, ranges: baselineRanges },
    };
  } finally {
    await sql.end({ timeout: 2 });
  }
}
