/**
 * Portfolio accounting: full recomputes of 1k/10k/100k fills and one incremental update, with the
 * pure core (CPU only) and through the recalculation activity (ledger read from Postgres, fold,
 * state and snapshot written), and `/health` latency while full recalculations run on the worker.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { storeQuotes } from '../../activities/market-data/price-store.js';
import { applyTrade, recompute, type PortfolioState, type Trade } from '../../activities/portfolio/accounting.js';
import { createPortfolioActivities, recalculateWithStart } from '../../activities/portfolio/portfolio-activities.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import type { HttpClient } from '../lib/http.js';
import { openLoop } from '../lib/load.js';
import type { Profile } from '../lib/profile.js';
import { median, round, summarize } from '../lib/stats.js';

/** Ten equities (quoted in USD), traded in turn: two buys of one unit for every sell, so no sell exceeds the position. */
const SYMBOLS = ['AAPL', 'MSFT', 'NVDA', 'AMZN', 'GOOG', 'META', 'TSLA', 'AMD', 'NFLX', 'INTC'];
const BASE_MS = Date.UTC(2024, 0, 2);

/** The i-th synthetic fill; `seedLedger` writes the same sequence with SQL. */
export function syntheticTrade(i: number): Trade {
  const cycle = Math.floor(i / SYMBOLS.length);
  return {
    id: `bench-${i}`,
    symbol: SYMBOLS[i % SYMBOLS.length]!,
    venue: 'manual',
    side: cycle % 3 === 2 ? 'SELL' : 'BUY',
    quantity: '1',
    price: String(100 + (cycle % 50)),
    fee: '0.1',
    feeAsset: 'USD',
    executedAt: new Date(BASE_MS + i * 1000).toISOString(),
  };
}

const time = async (fn: () => unknown): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

/** Wall and CPU milliseconds of a synchronous fold; CPU time is what a busy machine does not inflate. */
function timeSync(fn: () => void): { wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  fn();
  const wall = performance.now() - t;
  const used = process.cpuUsage(c);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

/** A fresh account whose ledger holds `fills` manual trades (the same sequence as `syntheticTrade`). */
export async function seedLedger(sql: Sql, fills: number): Promise<string> {
  const accountId = randomUUID();
  await sql`INSERT INTO accounts (id) VALUES (${accountId})`;
  await sql`INSERT INTO trades (id, account_id, symbol, side, quantity, price, fee, fee_asset, executed_at)
    SELECT gen_random_uuid(), ${accountId}, (${SYMBOLS}::text[])[i % ${SYMBOLS.length} + 1],
      CASE WHEN (i / ${SYMBOLS.length}) % 3 = 2 THEN 'SELL' ELSE 'BUY' END, 1, 100 + (i / ${SYMBOLS.length}) % 50, 0.1, 'USD',
      ${new Date(BASE_MS)}::timestamptz + i * interval '1 second'
    FROM generate_series(0, ${fills - 1}::int) AS i`;
  return accountId;
}

async function addTrade(sql: Sql, accountId: string, i: number): Promise<void> {
  const t = syntheticTrade(i);
  await sql`INSERT INTO trades (id, account_id, symbol, side, quantity, price, fee, fee_asset, executed_at)
    VALUES (${randomUUID()}, ${accountId}, ${t.symbol}, ${t.side}, ${t.quantity}, ${t.price}, ${t.fee}, ${t.feeAsset}, ${t.executedAt})`;
}

export interface PortfolioResults {
  pure: Record<string, number | null> & { incrementalMs: number | null };
  /** The pure folds' process CPU time (ms), beside their wall-clock time above. */
  pureCpu: Record<string, number | null>;
  activity: Record<string, number | null> & { incrementalMs: number | null; incrementalOnFills: number | null };
  /** Accounts seeded for the activity runs, by seeded ledger size, with their size now (the health burst reuses one). */
  accounts: Map<number, { accountId: string; fills: number }>;
}

export async function measurePortfolio(sql: Sql, profile: Profile, log: (line: string) => void): Promise<PortfolioResults> {
  await storeQuotes(sql, SYMBOLS.map((symbol) => ({ symbol, price: '120', source: 'simulated' as const, asOf: new Date().toISOString() })));

  // Pure core: the fold only, trades already in memory.
  const largest = Math.max(...profile.portfolio.pureSizes.map((s) => s.fills));
  const trades = Array.from({ length: largest + 1000 }, (_, i) => syntheticTrade(i));
  // JIT warm-up: the first folds run interpreted code and would make the small sizes look slow.
  for (let k = 0; k < 3; k++) recompute(trades.slice(0, 10_000));
  const pure: PortfolioResults['pure'] = { incrementalMs: null };
  const pureCpu: PortfolioResults['pureCpu'] = {};
  let biggest: PortfolioState | undefined;
  for (const { fills, repeats } of profile.portfolio.pureSizes) {
    const slice = trades.slice(0, fills);
    const runs: Array<{ wall: number; cpu: number }> = [];
    for (let r = 0; r < repeats; r++) runs.push(timeSync(() => (biggest = recompute(slice))));
    pure[`full${fills / 1000}kMs`] = median(runs.map((x) => x.wall));
    pureCpu[`full${fills / 1000}kMs`] = median(runs.map((x) => x.cpu));
    log(`portfolio: pure recompute of ${fills} fills ${median(runs.map((x) => x.wall))} ms (CPU ${median(runs.map((x) => x.cpu))} ms, median of ${repeats})`);
  }
  if (biggest) {
    const steps: number[] = [];
    let state = biggest;
    for (let k = 0; k < 200; k++) {
      const t = performance.now();
      state = applyTrade(state, trades[largest + k]!);
      steps.push(performance.now() - t);
    }
    pure.incrementalMs = median(steps, 4);
  }

  // Through the activity, in this process with its own pool: Postgres read, fold, valuation, writes.
  const { recalculatePortfolio } = createPortfolioActivities({ sql });
  const activity: PortfolioResults['activity'] = { incrementalMs: null, incrementalOnFills: null };
  const accounts = new Map<number, { accountId: string; fills: number }>();
  let last: { accountId: string; fills: number } | undefined;
  for (const fills of profile.portfolio.activitySizes) {
    const accountId = await seedLedger(sql, fills);
    accounts.set(fills, { accountId, fills });
    const runs: number[] = [];
    for (let r = 0; r < (fills >= 100_000 ? 1 : 3); r++) {
      runs.push(await time(() => recalculatePortfolio({ accountId, mode: 'full', snapshotId: randomUUID() })));
    }
    activity[`full${fills / 1000}kMs`] = median(runs);
    log(`portfolio: activity full recalculation of ${fills} fills ${median(runs)} ms`);
    last = { accountId, fills };
  }
  if (last) {
    const runs: number[] = [];
    for (let k = 0; k < profile.portfolio.incrementalRepeats; k++) {
      await addTrade(sql, last.accountId, last.fills + k);
      const t = performance.now();
      const result = await recalculatePortfolio({ accountId: last.accountId, mode: 'incremental', snapshotId: randomUUID() });
      runs.push(performance.now() - t);
      if (result.mode !== 'incremental' || result.applied !== 1) throw new Error(`incremental recalculation fell back to ${result.mode} (${result.fullReason}), applied ${result.applied}`);
    }
    activity.incrementalMs = median(runs);
    activity.incrementalOnFills = last.fills;
    log(`portfolio: activity incremental update (1 fill onto ${last.fills}) ${activity.incrementalMs} ms`);
  }
  if (last) accounts.set(last.fills, { accountId: last.accountId, fills: last.fills + profile.portfolio.incrementalRepeats });
  return { pure, pureCpu, activity, accounts };
}

export interface HealthResults {
  ratePerSec: number;
  idle: { p50Ms: number | null; p99Ms: number | null; count: number };
  burst: { p50Ms: number | null; p99Ms: number | null; count: number; fills: number; recalculations: number; durationMs: number };
}

/**
 * `/health` at a fixed rate, first idle, then while `burstRecalcs` full recalculations of an account
 * with `burstFills` fills run through the portfolio workflow (update-with-start; one account's
 * recalculations run one after another, so the burst lasts their sum).
 */
export async function measureHealth(o: {
  api: HttpClient;
  temporal: Client;
  config: Config;
  sql: Sql;
  profile: Profile;
  log: (line: string) => void;
  /** Accounts already seeded, by seeded ledger size; one seeded with `burstFills` fills is reused. */
  accounts?: Map<number, { accountId: string; fills: number }>;
}): Promise<HealthResults> {
  const { ratePerSec, idleMs, burstFills, burstRecalcs } = o.profile.health;
  const fire = async () => {
    const r = await o.api.request('GET', '/health');
    return r.status === 200 ? { ok: true } : { ok: false, error: `GET /health answered ${r.status}` };
  };
  const idle = await openLoop({ ratePerSec, warmupMs: 1000, durationMs: idleMs, fire });
  const idleSummary = summarize(idle.latenciesMs);
  o.log(`health idle: p50 ${idleSummary.p50Ms} ms, p99 ${idleSummary.p99Ms} ms`);

  const seeded = o.accounts?.get(burstFills);
  const accountId = seeded?.accountId ?? (await seedLedger(o.sql, burstFills));
  const fills = seeded?.fills ?? burstFills;
  const started = performance.now();
  const burst = Promise.all(Array.from({ length: burstRecalcs }, () => recalculateWithStart(o.temporal, o.config, accountId, {})));
  const during = await openLoop({ ratePerSec, warmupMs: 0, durationMs: 600_000, fire, until: burst.catch(() => undefined) });
  await burst;
  const durationMs = round(performance.now() - started);
  const burstSummary = summarize(during.latenciesMs);
  o.log(`health during ${burstRecalcs} full recalculations of ${fills} fills (${durationMs} ms): p50 ${burstSummary.p50Ms} ms, p99 ${burstSummary.p99Ms} ms`);
  return {
    ratePerSec,
    idle: { p50Ms: idleSummary.p50Ms, p99Ms: idleSummary.p99Ms, count: idleSummary.count },
    burst: { p50Ms: burstSummary.p50Ms, p99Ms: burstSummary.p99Ms, count: burstSummary.count, fills, recalculations: burstRecalcs, durationMs },
  };
}
