/**
 * The portfolios repository: each account's stored state and cursor (written only by its
 * workflow's recalculation activity), its latest result, and the snapshots series.
 */
import type { Queryable, Sql } from '../lib/db.js';
import type { AccountingMethod, PortfolioResult } from '../domain/portfolio/result.js';
import type { PortfolioStateJson } from '../domain/portfolio/accounting.js';
import type { FlowBooks } from '../domain/portfolio/flow-books.js';

export interface PortfolioRow {
  id: string;
  account_id: string;
  workflow_id: string;
  method: AccountingMethod;
  state: unknown;
  cursor: string;
  /** USD, the cumulative external flows folded so far. */
  net_flows: string;
  flow_books: FlowBooks;
}

/**
 * The portfolio's row, locked until the transaction ends: a retried (or still running)
 * recalculation of the same portfolio waits instead of interleaving. The account's default
 * portfolio (id = account id) is created empty if missing; another one must exist (POST /v1/portfolios).
 */
export async function lockPortfolio(tx: Queryable, accountId: string, portfolioId: string, workflowId: string, empty: PortfolioStateJson): Promise<PortfolioRow> {
  const isDefault = portfolioId === accountId;
  // Sent together (one round trip): the SELECT runs after the INSERT on the transaction's connection.
  const [, [row]] = await Promise.all([
    isDefault
      ? tx`INSERT INTO portfolios (id, account_id, workflow_id, state, is_default) VALUES (${portfolioId}, ${accountId}, ${workflowId}, ${tx.json(empty as never)}, true)
          ON CONFLICT (id) DO NOTHING`
      : Promise.resolve(),
    tx<PortfolioRow[]>`SELECT id, account_id, workflow_id, method, state, cursor, net_flows::text, flow_books FROM portfolios
      WHERE id = ${portfolioId} AND account_id = ${accountId} FOR UPDATE`,
  ]);
  if (!row) throw new Error(`Portfolio ${portfolioId} of account ${accountId} does not exist; create it with POST /v1/portfolios before booking into it`);
  return row;
}

export interface PortfolioWrite {
  portfolioId: string;
  netFlows: string;
  flowBooks: FlowBooks;
  method: AccountingMethod;
  state: PortfolioStateJson;
  cursor: string;
  result: PortfolioResult;
  symbols: string[];
}

export async function savePortfolio(tx: Queryable, w: PortfolioWrite): Promise<void> {
  await tx`UPDATE portfolios SET method = ${w.method}, state = ${tx.json(w.state as never)}, cursor = ${w.cursor},
      summary = ${tx.json(w.result as never)}, symbols = ${w.symbols}, net_flows = ${w.netFlows}, flow_books = ${tx.json(w.flowBooks as never)}, updated_at = now()
    WHERE id = ${w.portfolioId}`;
}

/** Upsert on the workflow-chosen id: a retried activity rewrites its own point. */
export async function saveSnapshot(tx: Queryable, id: string, r: PortfolioResult): Promise<void> {
  const t = r.totals;
  await tx`INSERT INTO portfolio_snapshots (id, account_id, portfolio_id, at, mode, applied, total_value, total_cost, realized_pnl, unrealized_pnl,
      fees_paid, roi_pct, trades, net_worth, net_flows)
    VALUES (${id}, ${r.accountId}, ${r.portfolioId}, ${r.asOf}, ${r.mode}, ${r.applied}, ${t.totalValue}, ${t.totalCost}, ${t.realizedPnl}, ${t.unrealizedPnl},
      ${t.feesPaid}, ${t.roiPct}, ${Number(t.trades)}, ${t.netWorth}, ${r.netFlows})
    ON CONFLICT (id) DO UPDATE SET at = EXCLUDED.at, mode = EXCLUDED.mode, applied = EXCLUDED.applied, total_value = EXCLUDED.total_value,
      total_cost = EXCLUDED.total_cost, realized_pnl = EXCLUDED.realized_pnl, unrealized_pnl = EXCLUDED.unrealized_pnl,
      fees_paid = EXCLUDED.fees_paid, roi_pct = EXCLUDED.roi_pct, trades = EXCLUDED.trades, net_worth = EXCLUDED.net_worth, net_flows = EXCLUDED.net_flows`;
}

/** Latest prices of `symbols` (in their quote currency), as strings. */
export async function pricesOf(sql: Queryable, symbols: string[]): Promise<Record<string, string>> {
  if (symbols.length === 0) return {};
  const rows = await sql<{ symbol: string; price: string }[]>`SELECT symbol, price::text FROM prices WHERE symbol IN ${sql(symbols)}`;
  return Object.fromEntries(rows.map((r) => [r.symbol, r.price]));
}

/** The API's read: the latest result and the workflow id, or undefined before the first recalculation. */
export async function findPortfolioResult(sql: Sql, accountId: string, portfolioId: string = accountId): Promise<{ workflowId: string; result: PortfolioResult } | undefined> {
  const [row] = await sql<{ workflow_id: string; summary: PortfolioResult | null }[]>`SELECT workflow_id, summary FROM portfolios
    WHERE id = ${portfolioId} AND account_id = ${accountId}`;
  return row?.summary ? { workflowId: row.workflow_id, result: row.summary } : undefined;
}

/** Portfolios whose value depends on any of `symbols`, with the symbols that concern each. */
export async function portfoliosWatching(sql: Sql, symbols: string[]): Promise<{ id: string; account_id: string; symbols: string[] }[]> {
  if (symbols.length === 0) return [];
  return sql<{ id: string; account_id: string; symbols: string[] }[]>`SELECT id, account_id,
      ARRAY(SELECT unnest(symbols) INTERSECT SELECT unnest(${symbols}::text[])) AS symbols
    FROM portfolios WHERE symbols && ${symbols}::text[]`;
}

export interface SnapshotRow {
  id: string;
  at: Date;
  mode: string;
  total_value: string;
  total_cost: string;
  realized_pnl: string;
  unrealized_pnl: string;
  fees_paid: string;
  roi_pct: string;
  trades: number;
  net_worth: string | null;
  net_flows: string | null;
}

export interface SnapshotFilter {
  from?: Date | undefined;
  to?: Date | undefined;
  limit: number;
  /** Exclusive: points strictly after this (at, id). */
  after?: { at: Date; id: string } | undefined;
}

/** Oldest first within [from, to]; one extra row tells the caller whether another page exists. */
export async function listSnapshots(sql: Sql, accountId: string, f: SnapshotFilter, portfolioId: string = accountId): Promise<SnapshotRow[]> {
  return sql<SnapshotRow[]>`SELECT id, at, mode, total_value::text, total_cost::text, realized_pnl::text, unrealized_pnl::text,
      fees_paid::text, roi_pct::text, trades, net_worth::text, net_flows::text
    FROM portfolio_snapshots WHERE account_id = ${accountId} AND portfolio_id = ${portfolioId}
    ${f.from ? sql`AND at >= ${f.from}` : sql``}
    ${f.to ? sql`AND at <= ${f.to}` : sql``}
    ${f.after ? sql`AND (at, id) > (${f.after.at}, ${f.after.id}::uuid)` : sql``}
    ORDER BY at, id LIMIT ${f.limit + 1}`;
}

/**
 * Claims the wake-up of the portfolio that `orderId` books into (its own choice, else the
 * account's default, whose id is the account id), for `token` (the caller's own, the same on every
 * retry). `portfolioId` is set when the caller holds the claim and must signal the workflow;
 * absent when another notification holds it and its signal is coming: the recalculation that
 * signal brings clears the claim before it reads the ledger, so it includes every fill committed
 * before this call. A claim keeps the time it was first taken, so one older than `staleAfterMs`
 * (its holder stuck) is taken over here, and by the workers' sweeper (`takeOverStaleWakes`).
 * @example const { portfolioId } = await claimPortfolioWake(sql, accountId, orderId, orderId, 10_000); if (portfolioId) await signal(portfolioId);
 */
export async function claimPortfolioWake(sql: Queryable, accountId: string, orderId: string, token: string, staleAfterMs: number): Promise<{ portfolioId?: string }> {
  const [row] = await sql<{ portfolio_id: string }[]>`INSERT INTO portfolio_wakes (portfolio_id, account_id, token)
      VALUES (coalesce((SELECT portfolio_id FROM orders WHERE id = ${orderId} AND account_id = ${accountId}), ${accountId}), ${accountId}, ${token})
    ON CONFLICT (portfolio_id) DO UPDATE SET token = excluded.token,
        at = CASE WHEN portfolio_wakes.token = excluded.token THEN portfolio_wakes.at ELSE now() END,
        sweeps = CASE WHEN portfolio_wakes.token = excluded.token THEN portfolio_wakes.sweeps ELSE 0 END
      WHERE portfolio_wakes.token = excluded.token OR portfolio_wakes.at < now() - make_interval(secs => ${staleAfterMs / 1000})
    RETURNING portfolio_id`;
  return row ? { portfolioId: row.portfolio_id } : {};
}

/**
 * For the sweeper: takes over up to `limit` claims gone stale (a holder that never got its signal
 * through, or a workflow that ended before recalculating) and returns the portfolios to signal.
 * Taken over means stamped now with one more sweep; a claim swept `n` times is stale only after
 * `staleAfterMs` × 2^n (at most 64×), so a portfolio whose workflow cannot recalculate is not
 * signalled every few seconds forever. Claims another sweeper is taking are skipped.
 */
export async function takeOverStaleWakes(sql: Queryable, staleAfterMs: number, limit = 200): Promise<Array<{ portfolioId: string; accountId: string; sweeps: number }>> {
  return sql<Array<{ portfolioId: string; accountId: string; sweeps: number }>>`UPDATE portfolio_wakes w SET token = 'sweeper', at = now(), sweeps = w.sweeps + 1
    WHERE w.portfolio_id IN (
      SELECT portfolio_id FROM portfolio_wakes
      WHERE at < now() - make_interval(secs => ${staleAfterMs / 1000} * power(2, least(sweeps, 6)))
      ORDER BY at LIMIT ${limit} FOR UPDATE SKIP LOCKED)
    RETURNING w.portfolio_id AS "portfolioId", w.account_id AS "accountId", w.sweeps`;
}

/** Clears the portfolio's wake claim; a recalculation does it, in its own commit, before it reads the ledger. */
export async function clearPortfolioWake(sql: Queryable, portfolioId: string): Promise<void> {
  await sql`DELETE FROM portfolio_wakes WHERE portfolio_id = ${portfolioId}`;
}
