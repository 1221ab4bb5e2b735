/**
 * Activities of the portfolio workflow, and the ones other workflows use to notify it. The
 * accounting itself is the pure core in domain/portfolio; here it meets Postgres.
 */
import { ApplicationFailure, Context } from '@temporalio/activity';
import type { Queryable, Sql } from '../../lib/db.js';
import type { WorkerMetrics } from '../../lib/metrics.js';
import { coalescer } from '../../lib/coalesce.js';
import { portfolioWorkflowId } from '../../domain/orders.js';
import type { AccountingMethod, PortfolioResult } from '../../domain/portfolio/result.js';
import { claimPortfolioWake, clearPortfolioWake, lockPortfolio, takeOverStaleWakes, portfoliosWatching, pricesOf, savePortfolio, saveSnapshot } from '../../store/portfolio.js';
import { announcePortfolioRecalculated } from '../../store/portfolio-events.js';
import { ledgerTradesAfter, withoutVoided, type LedgerTrade } from '../../store/trades.js';
import { splitSymbol } from '../../domain/symbols.js';
import { bookFlows } from '../../domain/portfolio/flow-books.js';
import {
  Dec,
  InvalidStateError,
  TradeOutOfOrderError,
  applyTrade,
  emptyState,
  parseState,
  recompute,
  serializeState,
  summarize,
  type CashSummary,
  type Decimal,
  type PortfolioState,
  type Trade,
} from '../../domain/portfolio/accounting.js';

/** The feed symbol whose price is USD per USDT. */
export const USDT_USD_SYMBOL = 'USDTUSD';

/** Errors of the core that no retry can fix: the workflow records them and waits for new input. */
export const NON_RETRYABLE_PORTFOLIO_ERRORS = ['InsufficientPositionError', 'InvalidInputError', 'MissingQuoteRateError', 'InvalidStateError'];

export interface RecalculateInput {
  accountId: string;
  /** Absent: the account's default portfolio, whose id is the account id. */
  portfolioId?: string | undefined;
  mode: 'incremental' | 'full';
  method?: AccountingMethod | undefined;
  /** Chosen by the workflow: the snapshot row this recalculation writes (and a retry rewrites). */
  snapshotId: string;
}

export interface PortfolioActivityDeps {
  sql: Sql;
  now?: () => Date;
  /** The recalculation's duration (the worker's metrics). */
  metrics?: Pick<WorkerMetrics, 'recalculationDuration'> | undefined;
}

/**
 * @example worker activities: { ...createPortfolioActivities({ sql }) }
 */
export function createPortfolioActivities({ sql, now = () => new Date(), metrics }: PortfolioActivityDeps) {
  return {
    /**
     * Folds the fills recorded since the stored cursor into the stored state (or, when asked, when
     * the method changes, or when a fill arrived older than what its position already holds, every
     * fill from scratch), values it at the latest prices, and stores state, result and a snapshot
     * in one transaction under the portfolio's row lock.
     */
    async recalculatePortfolio(input: RecalculateInput): Promise<PortfolioResult> {
      const timer = metrics?.recalculationDuration.startTimer({ mode: input.mode });
      try {
        const result = await withHeartbeats(async () => {
          // Committed before the ledger is read: a fill whose notification finds no claim signals again.
          await clearPortfolioWake(sql, input.portfolioId ?? input.accountId);
          return sql.begin((tx) => recalculate(tx, input, now()));
        });
        timer?.({ outcome: 'ok' });
        return result;
      } catch (err) {
        timer?.({ outcome: 'failed' });
        if (err instanceof Error && NON_RETRYABLE_PORTFOLIO_ERRORS.includes(err.name)) {
          throw ApplicationFailure.create({ type: err.name, message: err.message, nonRetryable: true });
        }
        throw err;
      }
    },
  };
}

/** Heartbeats this often while a recalculation runs (the preset's heartbeatTimeout is 60 s). */
const HEARTBEAT_EVERY_MS = 3_000;

/**
 * Runs `work` heartbeating, so an attempt Temporal lost track of (its worker died, or its
 * completion never reached a restarting server) is retried after the heartbeat timeout instead of
 * holding the portfolio for the whole start-to-close. Outside an activity (bench, tests) it only runs `work`.
 */
async function withHeartbeats<T>(work: () => Promise<T>): Promise<T> {
  let ctx: Context;
  try {
    ctx = Context.current();
  } catch {
    return work();
  }
  ctx.heartbeat();
  const beat = setInterval(() => ctx.heartbeat(), HEARTBEAT_EVERY_MS);
  try {
    return await work();
  } finally {
    clearInterval(beat);
  }
}

async function recalculate(tx: Queryable, input: RecalculateInput, at: Date): Promise<PortfolioResult> {
  const { accountId } = input;
  const portfolioId = input.portfolioId ?? accountId;
  const row = await lockPortfolio(tx, accountId, portfolioId, portfolioWorkflowId(portfolioId), serializeState(emptyState()));
  const method = input.method ?? row.method;
  let fullReason: string | null = method !== row.method ? 'method-changed' : input.mode === 'full' ? 'requested' : null;
  let state: PortfolioState | undefined;
  let cursor = BigInt(row.cursor);
  let applied = 0;

  if (fullReason === null) {
    try {
      state = parseState(row.state);
    } catch (err) {
      if (!(err instanceof InvalidStateError)) throw err;
      fullReason = 'unreadable-state';
    }
  }
  if (state && fullReason === null) {
    const fresh = await ledgerTradesAfter(tx, accountId, row.cursor, 'executed', portfolioId);
    if (fresh.some((e) => e.side === 'VOID')) fullReason = 'void';
    else {
      try {
        for (const trade of fresh) state = applyTrade(state, trade as Trade);
        applied = fresh.length;
        cursor = maxSeq(fresh, cursor);
      } catch (err) {
        if (!(err instanceof TradeOutOfOrderError)) throw err;
        fullReason = 'late-fill';
      }
    }
  }
  if (fullReason !== null || !state) {
    const all = await ledgerTradesAfter(tx, accountId, '0', 'recorded', portfolioId);
    state = recompute(withoutVoided(all), method);
    applied = all.length;
    cursor = maxSeq(all, 0n);
  }

  const valuation = await valuationInputs(tx, state);
  const summary = summarize(state, valuation.prices, { usdtUsdRate: valuation.usdtUsdRate, quoteUsdRates: valuation.quoteUsdRates });
  const flows = bookFlows(row.flow_books, summary.totals.cash.map((c) => ({ currency: c.currency, native: flowOf(c), usdRate: c.usdRate })));
  const netFlows = flows.netFlowsUsd;
  const result: PortfolioResult = {
    accountId,
    portfolioId,
    method,
    mode: fullReason === null ? 'incremental' : 'full',
    fullReason,
    applied,
    cursor: cursor.toString(),
    usdtUsdRate: valuation.usdtUsdRate ?? '1',
    asOf: at.toISOString(),
    netFlows,
    ...summary,
  };
  // Sent together: one round trip for both writes.
  await Promise.all([
    savePortfolio(tx, { portfolioId, method, state: serializeState(state), cursor: result.cursor, result, symbols: valuation.watched, netFlows, flowBooks: flows.books }),
    saveSnapshot(tx, input.snapshotId, result),
  ]);
  await announcePortfolioRecalculated(tx, { accountId, portfolioId, asOf: result.asOf });
  return result;
}


/** A currency's external flows so far: deposits and implicit funding in, withdrawals out. */
const flowOf = (b: { deposits: string; implicitFunding: string; withdrawals: string }) => new Dec(b.deposits).plus(b.implicitFunding).minus(b.withdrawals);


/** The highest ledger number among `entries`, or `floor`. */
function maxSeq(entries: readonly LedgerTrade[], floor: bigint): bigint {
  // Per-account sequence numbers stay far below 2^53: compare as numbers, convert once.
  let max = Number(floor);
  for (const e of entries) {
    const n = Number(e.ledgerSeq);
    if (n > max) max = n;
  }
  return BigInt(max);
}

/**
 * Prices of every position, USD per USDT from `USDTUSD`, and USD rates of other quote assets
 * (`<Q>USD`, else `<Q>USDT` × the USDT rate). `watched` lists the symbols whose moves change the
 * value of what is held, for the price refresh to notify us.
 */
async function valuationInputs(tx: Queryable, state: PortfolioState) {
  const positions = [...state.positions.values()];
  const quotes = new Set([...positions.map((p) => splitSymbol(p.symbol, p.venue).quote), ...state.cash.keys()]);
  const others = [...quotes].filter((q) => q !== 'USD' && q !== 'USDT');
  const symbols = new Set([...positions.map((p) => p.symbol), USDT_USD_SYMBOL, ...others.flatMap((q) => [`${q}USD`, `${q}USDT`])]);
  const prices = await pricesOf(tx, [...symbols]);
  const usdtUsdRate = prices[USDT_USD_SYMBOL];
  const quoteUsdRates: Record<string, string> = {};
  for (const q of others) {
    const direct = prices[`${q}USD`];
    const viaUsdt = prices[`${q}USDT`];
    if (direct !== undefined) quoteUsdRates[q] = direct;
    else if (viaUsdt !== undefined) quoteUsdRates[q] = new Dec(viaUsdt).mul(usdtUsdRate ?? '1').toString();
  }
  const open = positions.filter((p) => !p.quantity.isZero());
  const watched = new Set(open.map((p) => p.symbol));
  for (const p of open) {
    const q = splitSymbol(p.symbol, p.venue).quote;
    if (q === 'USDT') watched.add(USDT_USD_SYMBOL);
    else if (q !== 'USD') for (const s of [`${q}USD`, `${q}USDT`, USDT_USD_SYMBOL]) watched.add(s);
  }
  // Cash held in a currency moves the value with its rate.
  for (const [c, book] of state.cash) {
    if (book.balance.isZero() || c === 'USD') continue;
    if (c === 'USDT') watched.add(USDT_USD_SYMBOL);
    else for (const s of [`${c}USD`, `${c}USDT`, USDT_USD_SYMBOL]) watched.add(s);
  }
  return { prices, usdtUsdRate, quoteUsdRates, watched: [...watched].sort() };
}

/**
 * A claim to wake a portfolio this old was left by a notification that got stuck, or its signal
 * reached a workflow that ended before recalculating: the next notification, or the sweeper,
 * signals instead. A signal normally lands in milliseconds.
 */
export const WAKE_CLAIM_STALE_MS = 10_000;

/** The stale limit for a debounce: a claim lives through the debounce before the recalculation clears it. */
export const wakeClaimStaleMs = (debounceMs: number) => Math.max(WAKE_CLAIM_STALE_MS, 2 * debounceMs);

/**
 * One pass of the workers' sweeper: signals every portfolio whose wake claim went stale, so fills
 * whose notifications rode on it are folded in whatever else happens. Returns how many it woke,
 * and the portfolios swept three times or more without a recalculation clearing their claim.
 * @example const { woken, stuck } = await sweepPortfolioWakes({ sql, portfolios, staleAfterMs: wakeClaimStaleMs(debounceMs) });
 */
export async function sweepPortfolioWakes({ sql, portfolios, staleAfterMs = WAKE_CLAIM_STALE_MS }: PortfolioNotifyDeps): Promise<{ woken: number; stuck: string[] }> {
  const stale = await takeOverStaleWakes(sql, staleAfterMs);
  for (let i = 0; i < stale.length; i += 20) {
    await Promise.all(stale.slice(i, i + 20).map((w) => portfolios.fillsRecorded(w.accountId, { source: 'order' }, w.portfolioId)));
  }
  // Swept three times without a recalculation clearing the claim: its workflow is not recalculating.
  return { woken: stale.length, stuck: stale.filter((w) => w.sweeps >= 3).map((w) => w.portfolioId) };
}

/** How the activities reach the portfolio workflows (workflows/clients.ts, injected by the worker). */
export interface PortfolioSignals {
  fillsRecorded(accountId: string, detail: { source: 'order'; orderId?: string }, portfolioId?: string): Promise<void>;
  pricesMoved(accountId: string, symbols: string[], portfolioId?: string): Promise<void>;
}

export interface PortfolioNotifyDeps {
  sql: Sql;
  portfolios: PortfolioSignals;
  /** When a wake claim counts as stale (`wakeClaimStaleMs(PORTFOLIO_DEBOUNCE)`); 10 s by default. */
  staleAfterMs?: number;
}

/**
 * Activities other workflows call to reach the portfolio (workflows cannot signal-with-start).
 * @example worker activities: { ...createPortfolioNotifyActivities({ sql, portfolios: createWorkflowClients(temporal, config).portfolios }) }
 */
export function createPortfolioNotifyActivities({ sql, portfolios, staleAfterMs = WAKE_CLAIM_STALE_MS }: PortfolioNotifyDeps) {
  // The signal only marks the portfolio dirty: fills of many orders landing together share one,
  // in this process through the coalescer, across processes through the wake claim.
  const signalOnce = coalescer();
  return {
    /**
     * The order workflow recorded fills of `orderId`: answers once a signal sent after that reached
     * the portfolio, or once it is sure that one will, sent by the notification holding the claim.
     */
    async notifyPortfolio({ accountId, orderId }: { accountId: string; orderId: string }): Promise<void> {
      const { portfolioId } = await claimPortfolioWake(sql, accountId, orderId, orderId, staleAfterMs);
      if (portfolioId) await signalOnce(portfolioId, () => portfolios.fillsRecorded(accountId, { source: 'order', orderId }, portfolioId));
    },

    /**
     * For the price refresh: revalue every portfolio holding one of `symbols` (or quoted in a
     * currency whose rate is among them). Returns how many portfolios were told.
     */
    async notifyPortfoliosOfPrices({ symbols }: { symbols: string[] }): Promise<{ notified: number }> {
      const watching = await portfoliosWatching(sql, symbols);
      for (let i = 0; i < watching.length; i += 50) {
        await Promise.all(
          watching.slice(i, i + 50).map((p) => portfolios.pricesMoved(p.account_id, p.symbols, p.id)),
        );
      }
      return { notified: watching.length };
    },
  };
}

export type PortfolioActivities = ReturnType<typeof createPortfolioActivities>;
export type PortfolioNotifyActivities = ReturnType<typeof createPortfolioNotifyActivities>;
