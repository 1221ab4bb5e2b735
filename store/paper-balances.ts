/**
 * The paper venue's balances of an account, read-only (`paper_balances`). The venue writes them
 * (venues/paper/exchange.ts): an order reserves what it could spend by moving it from free to
 * locked, a fill spends the reservation and credits what it bought, a cancel frees the rest.
 */
import type { Queryable } from '../lib/db.js';
import type { Balance } from '../domain/exchange.js';

/**
 * The assets the paper venue opens an account with, each at PAPER_STARTING_CASH, the first time
 * the account uses it (venues/paper/exchange.ts `ensureAccount`). An account that never did is
 * shown these, without opening it: a read writes nothing.
 */
export const PAPER_OPENING_ASSETS = ['USD', 'USDT'] as const;

/**
 * The account's paper balances, or what the venue will open it with when it has none yet.
 * @example const balances = await paperBalances(sql, accountId, config.PAPER_STARTING_CASH);
 */
export async function paperBalances(sql: Queryable, accountId: string, startingCash: string): Promise<Balance[]> {
  const rows = await sql<Balance[]>`SELECT asset, free::text, locked::text FROM paper_balances WHERE account_id = ${accountId} ORDER BY asset`;
  if (rows.length > 0) return rows.map((r) => ({ asset: r.asset, free: r.free, locked: r.locked }));
  return PAPER_OPENING_ASSETS.map((asset) => ({ asset, free: startingCash, locked: '0' }));
}
