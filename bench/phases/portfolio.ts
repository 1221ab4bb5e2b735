/**
 * Portfolio accounting: full recomputes of 1k/10k/100k fills and one incremental update, with the
 * pure core (CPU only) and through the recalculation activity (ledger read from Postgres, fold,
 * state and snapshot written), and `/health` latency while full recalculations run on the worker.
 */
import { randomUUID } from 'node:crypto';
import type { Client } from '@temporalio/client';
import { storeQuotes } from '../../store/prices.js';
import { applyTrade, parseState, recompute, serializeState, summarize, type AccountingMethod, type PortfolioState } from '../../domain/portfolio/accounting.js';
import { createPortfolioActivities } from '../../activities/portfolio/portfolio-activities.js';
import { createWorkflowClients } from '../../workflows/clients.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import type { HttpClient } from '../lib/http.js';
import { BENCH_PRICE } from '../lib/stack.js';
import { openLoop } from '../lib/load.js';
import type { Profile } from '../lib/profile.js';
import { median, round, summarize as summarizeLatencies } from '../lib/stats.js';
import { addManualTrades, historyFills, nextBuy, PRICES, seedLedger, SYMBOLS } from './fills.js';

const time = async (fn: () => unknown): Promise<number> => {
  const t = performance.now();
  await fn();
  return performance.now() - t;
};

/** Wall and CPU milliseconds of a synchronous step; CPU time is what a busy machine does not inflate. */
function timeSync(fn: () => void): { wall: number; cpu: number } {
  const c = process.cpuUsage();
  const t = performance.now();
  fn();
  const wall = performance.now() - t;
  const used = process.cpuUsage(c);
  return { wall, cpu: (used.user + used.system) / 1000 };
}

export interface PortfolioResults {
  /** Average cost (the default method): full recomputes and the incremental update, wall clock. */
  pure: Record<string, number | null> & { incrementalMs: number | null };
  /** The same folds' process CPU time. */
  pureCpu: Record<string, number | null>;
  /** FIFO lots, for comparison. */
  fifo: Record<string, number | null>;
  activity: Record<string, number | null> & { incrementalMs: number | null; incrementalOnFills: number | null };
  /** Accounts seeded for the activity runs, by seeded ledger size, with their size now (the health burst reuses one). */
  accounts: Map<number, { accountId: string; fills: number }>;
}

/**
 * The in-memory part of an incremental recalculation, as the activity does it for one new fill
 * (and as bench/portfolio.ts times it): parse the stored state, apply the fill, value it, serialize it.
 */
function incrementalStep(stored: ReturnType<typeof serializeState>, fills: number, k: number): void {
  const state = applyTrade(parseState(stored), nextBuy(fills, k));
  summarize(state, PRICES, { usdtUsdRate: '1' });
  serializeState(state);
}

export async function measurePortfolio(sql: Sql, profile: Profile, log: (line: string) => void): Promise<PortfolioResults> {
  const asOf = new Date().toISOString();
  // The stack's price (BENCH_PRICE) stays what the order phases trade at.
  const unpriced = SYMBOLS.filter((symbol) => symbol !== BENCH_PRICE.symbol);
  await storeQuotes(sql, unpriced.map((symbol) => ({ symbol, price: PRICES[symbol]!, source: 'simulated' as const, asOf })));

  // Pure core: the fold only, fills already in memory.
  const largest = Math.max(...profile.portfolio.pureSizes.map((s) => s.fills), ...profile.portfolio.activitySizes);
  const history = historyFills(largest);
  // JIT warm-up: the first folds run interpreted code and would make the small sizes look slow.
  for (let k = 0; k < 3; k++) recompute(history.slice(0, 10_000));
  const pure: PortfolioResults['pure'] = { incrementalMs: null };
  const pureCpu: PortfolioResults['pureCpu'] = {};
  const fifo: PortfolioResults['fifo'] = {};
  const states = new Map<AccountingMethod, { state: PortfolioState; fills: number }>();
  for (const { fills, repeats } of profile.portfolio.pureSizes) {
    const slice = history.slice(0, fills);
    const key = `full${fills / 1000}kMs`;
    for (const method of ['average', 'fifo'] as const) {
      const runs: Array<{ wall: number; cpu: number }> = [];
      for (let r = 0; r < repeats; r++) runs.push(timeSync(() => states.set(method, { state: recompute(slice, method), fills })));
      if (method === 'average') {
        pure[key] = median(runs.map((x) => x.wall));
        pureCpu[key] = median(runs.map((x) => x.cpu));
      } else {
        fifo[key] = median(runs.map((x) => x.wall));
      }
    }
    log(`portfolio: pure recompute of ${fills} fills ${pure[key]} ms (CPU ${pureCpu[key]} ms; fifo ${fifo[key]} ms), median of ${repeats}`);
  }
  for (const [method, { state, fills }] of states) {
    const stored = serializeState(state);
    const steps: Array<{ wall: number; cpu: number }> = [];
    for (let k = 0; k < 51; k++) steps.push(timeSync(() => incrementalStep(stored, fills, k)));
    const ms = median(steps.map((x) => x.wall), 4);
    if (method === 'average') {
      pure.incrementalMs = ms;
      pureCpu.incrementalMs = median(steps.map((x) => x.cpu), 4);
    } else {
      fifo.incrementalMs = ms;
    }
    log(`portfolio: pure incremental update (${method}, one fill onto ${fills}: parse, apply, value, serialize) ${ms} ms`);
  }

  // Through the activity, in this process with its own pool: Postgres read, fold, valuation, writes.
  const { recalculatePortfolio } = createPortfolioActivities({ sql });
  const activity: PortfolioResults['activity'] = { incrementalMs: null, incrementalOnFills: null };
  const accounts = new Map<number, { accountId: string; fills: number }>();
  let last: { accountId: string; fills: number } | undefined;
  for (const fills of profile.portfolio.activitySizes) {
    const accountId = await seedLedger(sql, history.slice(0, fills));
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
      await addManualTrades(sql, last.accountId, [nextBuy(last.fills, k)]);
      const t = performance.now();
      const result = await recalculatePortfolio({ accountId: last.accountId, mode: 'incremental', snapshotId: randomUUID() });
      runs.push(performance.now() - t);
      if (result.mode !== 'incremental' || result.applied !== 1) throw new Error(`incremental recalculation fell back to ${result.mode} (${result.fullReason}), applied ${result.applied}`);
    }
    activity.incrementalMs = median(runs);
    activity.incrementalOnFills = last.fills;
    accounts.set(last.fills, { accountId: last.accountId, fills: last.fills + profile.portfolio.incrementalRepeats });
    log(`portfolio: activity incremental update (1 fill onto ${last.fills}) ${activity.incrementalMs} ms`);
  }
  return { pure, pureCpu, fifo, activity, accounts };
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
  const idleSummary = summarizeLatencies(idle.latenciesMs);
  o.log(`health idle: p50 ${idleSummary.p50Ms} ms, p99 ${idleSummary.p99Ms} ms`);

  const seeded = o.accounts?.get(burstFills);
  const accountId = seeded?.accountId ?? (await seedLedger(o.sql, historyFills(burstFills)));
  const fills = seeded?.fills ?? burstFills;
  const started = performance.now();
  const burst = Promise.all(Array.from({ length: burstRecalcs }, () => createWorkflowClients(o.temporal, o.config).portfolios.recalculate(accountId, {})));
  const during = await openLoop({ ratePerSec, warmupMs: 0, durationMs: 600_000, fire, until: burst.catch(() => undefined) });
  await burst;
  const durationMs = round(performance.now() - started);
  const burstSummary = summarizeLatencies(during.latenciesMs);
  o.log(`health during ${burstRecalcs} full recalculations of ${fills} fills (${durationMs} ms): p50 ${burstSummary.p50Ms} ms, p99 ${burstSummary.p99Ms} ms`);
  return {
    ratePerSec,
    idle: { p50Ms: idleSummary.p50Ms, p99Ms: idleSummary.p99Ms, count: idleSummary.count },
    burst: { p50Ms: burstSummary.p50Ms, p99Ms: burstSummary.p99Ms, count: burstSummary.count, fills, recalculations: burstRecalcs, durationMs },
  };
}
