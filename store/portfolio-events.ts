/**
 * A recalculated portfolio, announced: the recalculation's NOTIFY commits with its result, and the
 * stream reads that result back. The payload carries ids only, since a NOTIFY payload is limited to
 * 8000 bytes and a portfolio's positions are not.
 */
import type { Queryable } from '../lib/db.js';
import type { PortfolioResult } from '../domain/portfolio/result.js';

/** Channel on which every portfolio recalculation is announced (the WebSocket push listens to it). */
export const PORTFOLIO_CHANNEL = 'portfolio_changes';

/** What PORTFOLIO_CHANNEL carries: which portfolio changed, whose it is, and as of when. */
export interface PortfolioChange {
  accountId: string;
  portfolioId: string;
  /** The result's asOf (ISO-8601). */
  asOf: string;
}

/**
 * Tells the listeners of PORTFOLIO_CHANNEL, in the caller's transaction: delivered only if it commits.
 * @example await announcePortfolioRecalculated(tx, { accountId, portfolioId: accountId, asOf: result.asOf });
 */
export async function announcePortfolioRecalculated(tx: Queryable, { accountId, portfolioId, asOf }: PortfolioChange): Promise<void> {
  await tx`SELECT pg_notify(${PORTFOLIO_CHANNEL}, ${JSON.stringify({ accountId, portfolioId, asOf })})`;
}

/**
 * The latest stored result of one of the account's portfolios (the default one has the account's
 * id), or undefined before its first recalculation.
 * @example const result = await latestPortfolioResult(sql, { accountId, portfolioId: accountId });
 */
export async function latestPortfolioResult(sql: Queryable, { accountId, portfolioId }: { accountId: string; portfolioId: string }): Promise<PortfolioResult | undefined> {
  const [row] = await sql<{ summary: PortfolioResult | null }[]>`SELECT summary FROM portfolios WHERE id = ${portfolioId} AND account_id = ${accountId}`;
  return row?.summary ?? undefined;
}

/** The latest stored result of every portfolio of the account that has one, the default first. */
export async function latestPortfolioResults(sql: Queryable, accountId: string): Promise<{ portfolioId: string; result: PortfolioResult }[]> {
  const rows = await sql<{ id: string; summary: PortfolioResult }[]>`SELECT id, summary FROM portfolios
    WHERE account_id = ${accountId} AND summary IS NOT NULL AND archived_at IS NULL ORDER BY is_default DESC, created_at, id`;
  return rows.map((r) => ({ portfolioId: r.id, result: r.summary }));
}
