/**
 * The portfolio recalculation as the engine runs it: through the account's portfolio workflow on
 * the engine's worker, against the bench's Temporal and PostgreSQL. Full recalculations are the
 * `recalculate` Update (what `POST /v1/portfolio/recalculate` waits for); an incremental one is a
 * manual trade, the `fillsRecorded` signal, the workflow's debounce and its recalculation, timed to
 * the snapshot's announcement and, from the workflow's history, the activity alone (scheduled to
 * completed: task dispatch, the worker running it with its pool and payload codec, completion).
 */
import type { Client } from '@temporalio/client';
import type { temporal as proto } from '@temporalio/proto';
import { portfolioWorkflowId } from '../../domain/orders.js';
import type { Config } from '../../lib/config.js';
import type { Sql } from '../../lib/db.js';
import { createWorkflowClients } from '../../workflows/clients.js';
import type { Profile } from '../lib/profile.js';
import type { PortfolioTracker } from '../lib/stages.js';
import { median, round } from '../lib/stats.js';
import { addManualTrades, nextBuy } from './fills.js';

export interface PortfolioTemporalResults {
  /** `full<N>kMs`: the recalculate Update's round trip for an account of N thousand fills, median. */
  [key: `full${number}kMs`]: number | null;
  /** One fill onto `incrementalOnFills`: the recalculation activity, scheduled → completed in the workflow's history, median. */
  incrementalMs: number | null;
  /** The same recalculations from the fillsRecorded signal to the snapshot's NOTIFY: the workflow's debounce included. */
  incrementalSignalToSnapshotMs: number | null;
  /** PORTFOLIO_DEBOUNCE: the quiet time the workflow waits after a notification. */
  debounceMs: number;
  /** Medians of where the signal-to-snapshot time went, from the workflow's history. */
  incrementalSpans: Record<keyof RecalculationSpans, number | null> | null;
  incrementalOnFills: number | null;
}

type HistoryEvent = proto.api.history.v1.IHistoryEvent;
const eventMs = (e: HistoryEvent | undefined) => (e?.eventTime ? Number(String(e.eventTime.seconds ?? 0)) * 1000 + (e.eventTime.nanos ?? 0) / 1e6 : undefined);

/** Where the time between a signal and its recalculation goes, from the workflow's history (server clock). */
export interface RecalculationSpans {
  /** Signal received → debounce timer started (a workflow task); null when it ran at once (no timer). */
  signalToTimerMs: number | null;
  /** The debounce timer, started → fired. */
  timerMs: number | null;
  /** Timer fired (or, without a timer, the signal) → activity scheduled (a workflow task). */
  timerToScheduledMs: number | null;
  /** The activity: scheduled → completed. */
  activityMs: number | null;
}

/** The spans of the run's last `recalculatePortfolio` activity and the signal and timer before it. */
async function lastRecalculation(temporal: Client, accountId: string): Promise<RecalculationSpans> {
  const events = (await temporal.workflow.getHandle(portfolioWorkflowId(accountId)).fetchHistory()).events ?? [];
  const scheduledAt = events.findLastIndex((e) => e.activityTaskScheduledEventAttributes?.activityType?.name === 'recalculatePortfolio');
  const scheduled = events[scheduledAt];
  const id = String(scheduled?.eventId);
  const completed = events.find((e) => String(e.activityTaskCompletedEventAttributes?.scheduledEventId ?? '') === id);
  const before = events.slice(0, Math.max(0, scheduledAt));
  const signaled = before.findLast((e) => e.workflowExecutionSignaledEventAttributes);
  // The debounce timer, if this recalculation waited for one: a lone notification goes at once.
  const sinceSignal = before.slice(signaled ? before.indexOf(signaled) : 0);
  const fired = sinceSignal.findLast((e) => e.timerFiredEventAttributes);
  const started = sinceSignal.findLast((e) => e.timerStartedEventAttributes);
  const span = (a: HistoryEvent | undefined, b: HistoryEvent | undefined) => {
    const from = eventMs(a);
    const to = eventMs(b);
    return from === undefined || to === undefined ? null : round(to - from);
  };
  return { signalToTimerMs: span(signaled, started), timerMs: span(started, fired), timerToScheduledMs: span(fired ?? signaled, scheduled), activityMs: span(scheduled, completed) };
}

/** The highest ledger number of the account (its portfolio's next cursor once recalculated). */
async function ledgerHead(sql: Sql, accountId: string): Promise<bigint> {
  const [row] = await sql<{ last_seq: string }[]>`SELECT last_seq::text FROM ledger_heads WHERE account_id = ${accountId}`;
  return BigInt(row?.last_seq ?? 0);
}

/**
 * @example const t = await measurePortfolioThroughTemporal({ sql, temporal, config, tracker, profile, log, accounts });
 */
export async function measurePortfolioThroughTemporal(o: {
  sql: Sql;
  temporal: Client;
  config: Config;
  tracker: PortfolioTracker;
  profile: Profile;
  log: (line: string) => void;
  /** Accounts seeded by the in-process phase, by seeded size, with their ledger size now; updated here. */
  accounts: Map<number, { accountId: string; fills: number }>;
}): Promise<PortfolioTemporalResults> {
  const { portfolios } = createWorkflowClients(o.temporal, o.config);
  const timeoutMs = o.profile.completionTimeoutMs;
  const results: PortfolioTemporalResults = {
    incrementalMs: null,
    incrementalSignalToSnapshotMs: null,
    debounceMs: o.config.PORTFOLIO_DEBOUNCE,
    incrementalSpans: null,
    incrementalOnFills: null,
  };

  /** Signal → the snapshot that covers everything in the ledger now; ms, or throws on a timeout. */
  const signalToSnapshot = async (accountId: string): Promise<number> => {
    const head = await ledgerHead(o.sql, accountId);
    const t = performance.now();
    await portfolios.fillsRecorded(accountId, { source: 'manual' });
    const at = await o.tracker.reached(accountId, head, timeoutMs, t);
    if (at === undefined) throw new Error(`portfolio of ${accountId}: no snapshot covering ledger entry ${head} within ${timeoutMs} ms of the signal`);
    return at - t;
  };

  const sizes = [...o.accounts.keys()].sort((a, b) => a - b);
  for (const size of sizes) {
    const { accountId } = o.accounts.get(size)!;
    // Starts the account's workflow (a recalculation with nothing new), so no timed run pays for the start.
    await signalToSnapshot(accountId);
    const runs: number[] = [];
    for (let r = 0; r < (size >= 100_000 ? 1 : 3); r++) {
      const t = performance.now();
      const result = await portfolios.recalculate(accountId);
      runs.push(performance.now() - t);
      if (result.mode !== 'full') throw new Error(`recalculate Update answered a ${result.mode} recalculation`);
    }
    results[`full${size / 1000}kMs`] = median(runs);
    o.log(`portfolio through Temporal: full recalculation of ${size} fills (recalculate Update) ${median(runs)} ms`);
  }

  const largest = sizes.at(-1);
  if (largest !== undefined) {
    const account = o.accounts.get(largest)!;
    const spans: RecalculationSpans[] = [];
    const signal: number[] = [];
    for (let k = 0; k < o.profile.portfolio.incrementalRepeats; k++) {
      // After the in-process phase's trades (k < incrementalRepeats): later still, so never a late fill.
      await addManualTrades(o.sql, account.accountId, [nextBuy(account.fills, o.profile.portfolio.incrementalRepeats + k)]);
      signal.push(await signalToSnapshot(account.accountId));
      const [row] = await o.sql<{ mode: string; applied: number }[]>`SELECT summary->>'mode' AS mode, (summary->>'applied')::int AS applied FROM portfolios WHERE id = ${account.accountId}`;
      if (row?.mode !== 'incremental' || row.applied !== 1) throw new Error(`the workflow's recalculation was ${row?.mode} with ${row?.applied} applied, not an incremental one of 1 fill`);
      spans.push(await lastRecalculation(o.temporal, account.accountId));
    }
    results.incrementalMs = median(spans.map((s) => s.activityMs));
    const keys = ['signalToTimerMs', 'timerMs', 'timerToScheduledMs', 'activityMs'] as const;
    results.incrementalSpans = Object.fromEntries(keys.map((k) => [k, median(spans.map((s) => s[k]))])) as Record<(typeof keys)[number], number | null>;
    results.incrementalSignalToSnapshotMs = median(signal);
    results.incrementalOnFills = account.fills;
    o.accounts.set(largest, { ...account, fills: account.fills + o.profile.portfolio.incrementalRepeats });
    o.log(
      `portfolio through Temporal: incremental (1 fill onto ${account.fills}) activity ${results.incrementalMs} ms; signal → snapshot ${results.incrementalSignalToSnapshotMs} ms (debounce ${results.debounceMs} ms; history: ${JSON.stringify(results.incrementalSpans)})`,
    );
  }
  return results;
}
