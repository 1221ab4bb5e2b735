/**
 * Which portfolio a request books into or reads: the one it names, which must be the caller's
 * (another account's answers 404, like one that does not exist), else the account's default,
 * whose id is the account id and which is made on first use.
 */
import type { Sql } from '../lib/db.js';
import { emptyState, serializeState } from '../domain/portfolio/accounting.js';
import { portfolioWorkflowId } from '../domain/orders.js';
import { ensureDefaultPortfolio, findPortfolio, type PortfolioBook } from '../store/portfolio-books.js';
import { ApiError } from './errors.js';

export function portfolioNotFound(id: string): ApiError {
  return new ApiError(404, 'portfolio_not_found', `No portfolio ${id} in your account; GET /v1/portfolios lists yours`);
}

/**
 * @example const portfolioFor = portfolioChooser(sql); const book = await portfolioFor(accountId, body.portfolioId);
 */
export function portfolioChooser(sql: Sql) {
  return async (accountId: string, asked: string | undefined): Promise<PortfolioBook> => {
    const id = asked ?? accountId;
    let book = await findPortfolio(sql, accountId, id);
    // The default portfolio is made on first use only: no write on every later request.
    if (!book && id === accountId) {
      await ensureDefaultPortfolio(sql, accountId, portfolioWorkflowId(accountId), serializeState(emptyState()));
      book = await findPortfolio(sql, accountId, id);
    }
    if (!book) throw portfolioNotFound(id);
    return book;
  };
}
