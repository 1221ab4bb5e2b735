/**
 * The pre-trade checks' verdicts, decided once per order. A workflow task whose worker dies
 * before it completes runs its local activities again; without this, a check that said "no" the
 * first time (and had its REJECTED recorded) could say "yes" the second, and the order would take
 * another path under event numbers already written.
 */
import type { Sql } from '../lib/db.js';

/**
 * `decide()`'s verdict the first time for this order and check, the stored one afterwards.
 * @example const verdict = await decideOnce(sql, order.orderId, 'risk', () => checkRisk(order));
 */
export async function decideOnce<V extends object>(sql: Sql, orderId: string, check: string, decide: () => Promise<V>): Promise<V> {
  // No read first: a rerun (rare) decides again, and the verdict stored first is the one returned.
  const verdict = await decide();
  const [kept] = await sql<{ verdict: V }[]>`UPDATE orders
    SET check_verdicts = CASE WHEN check_verdicts ? ${check} THEN check_verdicts
      ELSE check_verdicts || jsonb_build_object(${check}::text, ${sql.json(verdict as never)}::jsonb) END
    WHERE id = ${orderId} RETURNING check_verdicts -> ${check} AS verdict`;
  return kept?.verdict ?? verdict;
}
