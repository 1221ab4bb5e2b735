/**
 * Which accounts the reconciler looks at on each venue. Paper: every account with an open order
 * on the paper venue, an unfinished paper order of ours, or an external order last seen open.
 * Binance: every account that stored a key pair and, when the single-user pair is configured,
 * every account with an unfinished Binance order or an external order last seen open.
 */
import type { Sql } from '../../lib/db.js';
import type { Venue } from '../../domain/exchange.js';
import { TERMINAL_STATUSES } from '../../domain/orders.js';

export interface AccountPage {
  venue: Venue;
  /** Exclusive: accounts after this id (ids ascend), or null for the first page. */
  after: string | null;
  limit: number;
  /** Only these accounts (an operator's or a test's run). */
  accountIds?: string[] | undefined;
}

/**
 * @param binanceFallback whether BINANCE_API_KEY is set (accounts without a stored pair use it)
 * @example const ids = await accountsToReconcile(sql, { venue: 'paper', after: null, limit: 100 }, false);
 */
export async function accountsToReconcile(sql: Sql, page: AccountPage, binanceFallback: boolean): Promise<string[]> {
  if (page.accountIds?.length === 0) return [];
  // Accounts with something of ours to check: unfinished orders, and external orders that the
  // next look may find closed.
  const ours = sql`SELECT account_id FROM orders WHERE venue = ${page.venue} AND status NOT IN ${sql([...TERMINAL_STATUSES])}
    UNION SELECT account_id FROM external_orders WHERE venue = ${page.venue} AND closed_at IS NULL`;
  const candidates =
    page.venue === 'paper'
      ? sql`SELECT account_id FROM paper_orders WHERE status IN ('NEW', 'PARTIALLY_FILLED') UNION ${ours}`
      : binanceFallback
        ? sql`SELECT account_id FROM exchange_credentials WHERE venue = 'binance' UNION ${ours}`
        : sql`SELECT account_id FROM exchange_credentials WHERE venue = 'binance'`;
  const rows = await sql<{ account_id: string }[]>`SELECT account_id FROM (${candidates}) AS candidates
    WHERE true
    ${page.after ? sql`AND account_id > ${page.after}` : sql``}
    ${page.accountIds ? sql`AND account_id IN ${sql(page.accountIds)}` : sql``}
    ORDER BY account_id LIMIT ${page.limit}`;
  return rows.map((r) => r.account_id);
}
