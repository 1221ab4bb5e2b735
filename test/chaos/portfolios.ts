/**
 * After a scenario: every portfolio the run booked into has folded in every fill, or says why not.
 * A fill's notification may ride on another order's signal (the wake claim), so a worker or a
 * Temporal that dies between claim and signal must still leave no portfolio silently behind.
 */
import { Client, Connection } from '@temporalio/client';
import type { PayloadCodec } from '@temporalio/common';
import type { Sql } from '../../lib/db.js';
import { sleep } from '../../lib/embedded/process.js';
import { portfolioStatusQuery, portfolioWorkflowId } from '../../workflows/definitions.js';

interface Behind {
  portfolioId: string;
  cursor: string;
  last: string;
}

async function portfoliosBehind(sql: Sql, orderIds: string[]): Promise<Behind[]> {
  if (orderIds.length === 0) return [];
  return sql<Behind[]>`
    WITH books AS (SELECT DISTINCT account_id, coalesce(portfolio_id, account_id) AS portfolio_id FROM orders WHERE id IN ${sql(orderIds)}),
    lasts AS (SELECT b.portfolio_id, max(l.ledger_seq) AS last FROM books b JOIN ledger l ON l.account_id = b.account_id AND l.portfolio_id = b.portfolio_id GROUP BY b.portfolio_id)
    SELECT l.portfolio_id::text AS "portfolioId", coalesce(p.cursor, 0)::text AS cursor, l.last::text AS last
    FROM lasts l LEFT JOIN portfolios p ON p.id = l.portfolio_id
    WHERE coalesce(p.cursor, 0) < l.last`;
}

/**
 * Waits up to `timeoutMs` for the portfolios of `orderIds` to catch up with their ledgers (or to
 * settle on a recorded failure), then returns how many are still behind with no recorded failure
 * (silently stale), and a line per portfolio still behind.
 */
export async function silentlyStalePortfolios(o: { sql: Sql; temporalAddress: string; codec: PayloadCodec | undefined; orderIds: string[]; timeoutMs: number }): Promise<{ count: number; lines: string[] }> {
  let behind = await portfoliosBehind(o.sql, o.orderIds);
  if (behind.length === 0) return { count: 0, lines: [] };
  const connection = await Connection.connect({ address: o.temporalAddress, connectTimeout: 5000 });
  try {
    const client = new Client({ connection, dataConverter: o.codec ? { payloadCodecs: [o.codec] } : {} });
    const statusOf = (b: Behind) => client.workflow.getHandle(portfolioWorkflowId(b.portfolioId)).query(portfolioStatusQuery).catch((err: unknown) => (err as Error).message);
    let statuses = await Promise.all(behind.map(statusOf));
    // A portfolio that failed and waits for new input will not catch up: no point waiting for it.
    const settled = () => statuses.every((s) => typeof s === 'object' && s.lastError !== null && !s.dirty && !s.recalculating);
    for (const deadline = Date.now() + o.timeoutMs; behind.length > 0 && !settled() && Date.now() < deadline; ) {
      await sleep(500);
      behind = await portfoliosBehind(o.sql, o.orderIds);
      statuses = await Promise.all(behind.map(statusOf));
    }
    let count = 0;
    const lines = behind.map((b, i) => {
      const status = statuses[i]!;
      const failure = typeof status === 'object' ? status.lastError : null;
      if (!failure) count++;
      return `portfolio ${b.portfolioId}: folded to ledger #${b.cursor} of #${b.last}; ${failure ? `its last recalculation failed (${failure.type}: ${failure.message})` : `no recorded failure (${typeof status === 'string' ? `query: ${status}` : `dirty ${status.dirty}, recalculating ${status.recalculating}, ${status.recalculations} recalculations, ${status.notifications.fills} fill signals`})`}`;
    });
    return { count, lines };
  } finally {
    await connection.close();
  }
}
