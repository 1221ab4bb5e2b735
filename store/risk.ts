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
  // Days are computed by Postgres (UTC) and never leave it, so no client time zone shifts one.
  return sql.begin(async (tx): Promise<Reservation> => {
    const [order] = await tx<{ held: boolean }[]>`SELECT risk_day IS NOT NULL AS held FROM orders WHERE id = ${r.orderId} FOR UPDATE`;
    if (!order) throw new Error(`Order ${r.orderId} is not recorded; recordOrderReceived runs before the risk check`);
    if (order.held) return { ok: true };
    // One upsert: a first order of the day creates the row, later ones add to it, both only
    // within the limit (the row lock queues concurrent checks of the account).
    const [reserved] = await tx<{ total: string }[]>`INSERT INTO risk_daily_notional AS r (account_id, day, notional)
      SELECT ${r.accountId}::uuid, (now() AT TIME ZONE 'UTC')::date, ${r.notional}::numeric WHERE ${r.notional}::numeric <= ${r.limit}::numeric
      ON CONFLICT (account_id, day) DO UPDATE SET notional = r.notional + EXCLUDED.notional
        WHERE r.notional + EXCLUDED.notional <= ${r.limit}::numeric
      RETURNING notional::text AS total`;
    await tx`UPDATE orders SET notional = ${r.notional},
        risk_day = CASE WHEN ${reserved !== undefined} THEN (now() AT TIME ZONE 'UTC')::date END
      WHERE id = ${r.orderId}`;
    if (reserved) return { ok: true };
    const [total] = await tx<{ notional: string }[]>`SELECT notional::text FROM risk_daily_notional
      WHERE account_id = ${r.accountId} AND day = (now() AT TIME ZONE 'UTC')::date`;
    return { ok: false, today: total?.notional ?? '0' };
  });
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
