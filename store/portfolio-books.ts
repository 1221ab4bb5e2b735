/**
 * The portfolios an account keeps, as the user manages them (name, default, creation). Each one's
 * accounting state lives on the same row, written only by its workflow's recalculation
 * (store/portfolio.ts). The default portfolio's id is the account id; it is made on first use.
 */
import type { Queryable, Sql } from '../lib/db.js';
import type { PortfolioResult } from '../domain/portfolio/result.js';
import type { PortfolioStateJson } from '../domain/portfolio/accounting.js';

export interface PortfolioBook {
  id: string;
  account_id: string;
  name: string;
  is_default: boolean;
  method: 'average' | 'fifo';
  workflow_id: string;
  created_at: Date;
  summary: PortfolioResult | null;
}

const COLUMNS = 'id, account_id, name, is_default, method, workflow_id, created_at, summary';

/** Makes the account's default portfolio if it has none yet (idempotent). */
export async function ensureDefaultPortfolio(sql: Queryable, accountId: string, workflowId: string, empty: PortfolioStateJson): Promise<void> {
  await sql`INSERT INTO portfolios (id, account_id, workflow_id, state, is_default) VALUES (${accountId}, ${accountId}, ${workflowId}, ${sql.json(empty as never)}, true)
    ON CONFLICT (id) DO NOTHING`;
}

/** The account's portfolios, default first, then by creation. */
export async function listPortfolios(sql: Sql, accountId: string): Promise<PortfolioBook[]> {
  return sql<PortfolioBook[]>`SELECT ${sql.unsafe(COLUMNS)} FROM portfolios WHERE account_id = ${accountId} AND archived_at IS NULL
    ORDER BY is_default DESC, created_at, id`;
}

/** One of the account's portfolios; undefined for another account's (or a deleted one), so the API answers 404 either way. */
export async function findPortfolio(sql: Queryable, accountId: string, portfolioId: string): Promise<PortfolioBook | undefined> {
  const [row] = await sql<PortfolioBook[]>`SELECT ${sql.unsafe(COLUMNS)} FROM portfolios
    WHERE id = ${portfolioId} AND account_id = ${accountId} AND archived_at IS NULL`;
  return row;
}

export interface NewPortfolio {
  id: string;
  name: string;
  method: 'average' | 'fifo';
  workflowId: string;
  empty: PortfolioStateJson;
}

/** Throws a unique violation (23505) when the account already has a portfolio of that name (case-insensitive). */
export async function insertPortfolio(sql: Queryable, accountId: string, p: NewPortfolio): Promise<PortfolioBook> {
  const [row] = await sql<PortfolioBook[]>`INSERT INTO portfolios (id, account_id, workflow_id, state, name, method, is_default)
    VALUES (${p.id}, ${accountId}, ${p.workflowId}, ${sql.json(p.empty as never)}, ${p.name}, ${p.method}, false)
    RETURNING ${sql.unsafe(COLUMNS)}`;
  if (!row) throw new Error(`INSERT INTO portfolios returned no row for ${p.id}`);
  return row;
}

/** Throws a unique violation (23505) on a duplicate name. */
export async function renamePortfolio(sql: Queryable, accountId: string, portfolioId: string, name: string): Promise<PortfolioBook | undefined> {
  const [row] = await sql<PortfolioBook[]>`UPDATE portfolios SET name = ${name} WHERE id = ${portfolioId} AND account_id = ${accountId} AND archived_at IS NULL
    RETURNING ${sql.unsafe(COLUMNS)}`;
  return row;
}

/** Ledger entries and orders that name the portfolio: a portfolio with any history is kept. */
export async function portfolioUsage(sql: Queryable, accountId: string, portfolioId: string): Promise<{ entries: number; orders: number }> {
  const [row] = await sql<{ entries: number; orders: number }[]>`SELECT
      (SELECT count(*)::int FROM ledger WHERE account_id = ${accountId} AND portfolio_id = ${portfolioId}) AS entries,
      (SELECT count(*)::int FROM orders WHERE account_id = ${accountId} AND portfolio_id = ${portfolioId}) AS orders`;
  return row ?? { entries: 0, orders: 0 };
}

/**
 * Archives a non-default portfolio: gone from every read and refused as a target, but the row
 * stays for anything already on its way to it. False when there was none.
 */
export async function archivePortfolio(tx: Queryable, accountId: string, portfolioId: string): Promise<boolean> {
  const rows = await tx`UPDATE portfolios SET archived_at = now() WHERE id = ${portfolioId} AND account_id = ${accountId} AND NOT is_default AND archived_at IS NULL RETURNING id`;
  return rows.length > 0;
}

/** Locks the portfolio's row (and so its manual entries) until the transaction ends. */
export async function lockPortfolioEntries(tx: Queryable, portfolioId: string): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`portfolio-entries:${portfolioId}`}, 0))`;
}
