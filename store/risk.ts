/**
 * The daily notional ledger of the risk check: one row per account and UTC day, reserved with a
 * conditional UPDATE (concurrent checks of one account queue on its row, and each sees the
 * others' reservations), recorded on the order so a retried check or a rejection finds it.
 */
import type { Queryable, Sql } from '../lib/db.js';

export type Reservation = { ok: true } | { ok: false; today: string };

/**
 * Adds `notional` to the account's total for today unless that would pass `limit`, and records
 * both on the order. A retry of a check that already reserved answers ok without adding again.
 * @example const r = await reserveDailyNotional(sql, { orderId, accountId, notional: '500', limit: '250000' });
 */
export async function reserveDailyNotional(sql: Sql, r: { orderId: string; accountId: string; notional: string; limit: string }): Promise<Reservation> {
  // One statement, so one round trip: the order's row is locked first (as settling locks it), then
  // one upsert creates today's row or adds to it, only within the limit (the row lock queues
  // concurrent checks of the account), and the order records what it reserved. Days are computed
  // by Postgres (UTC) and never leave it, so no client time zone shifts one.
  const [row] = await sql<{ held: boolean | null; total: string | null; day: string }[]>`WITH o AS (
      SELECT risk_day IS NOT NULL AS held FROM orders WHERE id = ${r.orderId} FOR UPDATE
    ), reserved AS (
      INSERT INTO risk_daily_notional AS r (account_id, day, notional)
      SELECT ${r.accountId}::uuid, (now() AT TIME ZONE 'UTC')::date, ${r.notional}::numeric
      FROM o WHERE NOT o.held AND ${r.notional}::numeric <= ${r.limit}::numeric
      ON CONFLICT (account_id, day) DO UPDATE SET notional = r.notional + EXCLUDED.notional
        WHERE r.notional + EXCLUDED.notional <= ${r.limit}::numeric
      RETURNING notional::text AS total
    ), noted AS (
      UPDATE orders SET notional = ${r.notional},
        risk_day = CASE WHEN EXISTS (SELECT 1 FROM reserved) THEN (now() AT TIME ZONE 'UTC')::date END
      WHERE id = ${r.orderId} AND EXISTS (SELECT 1 FROM o WHERE NOT o.held)
    )
    SELECT (SELECT held FROM o) AS held, (SELECT total FROM reserved) AS total, (now() AT TIME ZONE 'UTC')::date::text AS day`;
  if (row?.held == null) throw new Error(`Order ${r.orderId} is not recorded; recordOrderReceived runs before the risk check`);
  // A retry of a check that already reserved answers ok without adding again.
  if (row.held || row.total !== null) return { ok: true };
  // Refused (rare): the day's total as it stands now, read by a statement of its own, since the one
  // above sees the table as it was when it began; the same day, even past midnight.
  const [today] = await sql<{ notional: string }[]>`SELECT notional::text FROM risk_daily_notional
    WHERE account_id = ${r.accountId} AND day = ${row.day}::date`;
  return { ok: false, today: today?.notional ?? '0' };
}

/**
 * Once the order has ended, its reservation shrinks to what it really traded (its cumulative quote
 * quantity; nothing for a rejected or unfilled order), and the day's total gives the rest back.
 * Inside the caller's transaction; idempotent, since the order keeps only what it still holds.
 * @example await settleDailyNotional(tx, orderId, '0'); // REJECTED, CANCELED or EXPIRED unfilled
 */
export async function settleDailyNotional(tx: Queryable, orderId: string, traded: string): Promise<void> {
  await tx`WITH held AS (
      SELECT id, account_id, risk_day, notional, least(notional, ${traded}::numeric) AS keep
      FROM orders WHERE id = ${orderId} AND risk_day IS NOT NULL FOR UPDATE
    ), shrink AS (
      UPDATE orders o SET notional = CASE WHEN held.keep > 0 THEN held.keep ELSE o.notional END,
        risk_day = CASE WHEN held.keep > 0 THEN o.risk_day END
      FROM held WHERE o.id = held.id RETURNING o.id
    )
    UPDATE risk_daily_notional r SET notional = greatest(r.notional - (held.notional - held.keep), 0)
    FROM held WHERE r.account_id = held.account_id AND r.day = held.risk_day`;
}
