/**
 * DCA plans and their buys (`dca_plans`, `dca_buys`): functions of `sql`, every read scoped to an
 * account. The API writes plans; the `dcaBuy` workflow claims and settles buys through activities.
 */
import type { Queryable, Sql } from '../lib/db.js';
import type { DcaPlanStatus } from '../domain/dca.js';
import type { SymbolRules, Venue } from '../domain/exchange.js';
import type { OrderStatus } from '../domain/orders.js';

export interface DcaPlanRow {
  id: string;
  account_id: string;
  venue: Venue;
  symbol: string;
  quote_amount: string;
  interval: string;
  interval_ms: string;
  status: DcaPlanStatus;
  schedule_id: string;
  created_at: Date;
  updated_at: Date;
}

export interface NewDcaPlan {
  id: string;
  accountId: string;
  venue: Venue;
  symbol: string;
  quoteAmount: string;
  interval: string;
  intervalMs: number;
  scheduleId: string;
}

export async function insertDcaPlan(sql: Queryable, p: NewDcaPlan): Promise<void> {
  await sql`INSERT INTO dca_plans (id, account_id, venue, symbol, quote_amount, interval, interval_ms, status, schedule_id)
    VALUES (${p.id}, ${p.accountId}, ${p.venue}, ${p.symbol}, ${p.quoteAmount}, ${p.interval}, ${p.intervalMs}, 'ACTIVE', ${p.scheduleId})`;
}

export async function findDcaPlan(sql: Queryable, accountId: string, id: string): Promise<DcaPlanRow | undefined> {
  const [row] = await sql<[DcaPlanRow?]>`SELECT id, account_id, venue, symbol, quote_amount::text, interval, interval_ms::text, status, schedule_id, created_at, updated_at
    FROM dca_plans WHERE id = ${id} AND account_id = ${accountId}`;
  return row;
}

/** Newest first; deleted plans too (their buys stay readable). */
export async function listDcaPlans(sql: Sql, accountId: string): Promise<DcaPlanRow[]> {
  return sql<DcaPlanRow[]>`SELECT id, account_id, venue, symbol, quote_amount::text, interval, interval_ms::text, status, schedule_id, created_at, updated_at
    FROM dca_plans WHERE account_id = ${accountId} ORDER BY created_at DESC, id DESC LIMIT 500`;
}

/** Changes what the plan buys, how often, or its status; returns the plan after. */
export async function updateDcaPlan(
  sql: Queryable,
  accountId: string,
  id: string,
  change: { quoteAmount?: string | undefined; interval?: { text: string; ms: number } | undefined; status?: DcaPlanStatus | undefined },
): Promise<DcaPlanRow | undefined> {
  await sql`UPDATE dca_plans SET
      quote_amount = coalesce(${change.quoteAmount ?? null}::numeric, quote_amount),
      interval = coalesce(${change.interval?.text ?? null}, interval),
      interval_ms = coalesce(${change.interval?.ms ?? null}::bigint, interval_ms),
      status = coalesce(${change.status ?? null}, status),
      updated_at = now()
    WHERE id = ${id} AND account_id = ${accountId}`;
  return findDcaPlan(sql, accountId, id);
}

export interface DcaBuyClaim {
  seq: number;
  orderId: string;
  status: 'PENDING' | 'PLACED' | 'SKIPPED';
  /** The plan's status when the firing claimed its buy; only ACTIVE plans get a buy. */
  planStatus: DcaPlanStatus;
  quantity: string | null;
  price: string | null;
  reason: string | null;
}

/**
 * The buy of one firing: created on its first call (next number, a new order id), found again on
 * every later one. A plan that is not ACTIVE (a trigger racing a pause or a delete) gets none.
 */
export async function claimDcaBuy(sql: Sql, b: { planId: string; firingId: string; orderId: string; quoteAmount: string }): Promise<DcaBuyClaim | { planStatus: DcaPlanStatus | 'MISSING' }> {
  return sql.begin(async (tx) => {
    // The plan's row lock numbers its buys one at a time.
    const [plan] = await tx<[{ status: DcaPlanStatus }?]>`SELECT status FROM dca_plans WHERE id = ${b.planId} FOR UPDATE`;
    if (!plan) return { planStatus: 'MISSING' as const };
    const [existing] = await tx<[Omit<DcaBuyClaim, 'planStatus'>?]>`SELECT seq, order_id AS "orderId", status, quantity::text, price::text, reason
      FROM dca_buys WHERE plan_id = ${b.planId} AND firing_id = ${b.firingId}`;
    if (existing) return { ...existing, planStatus: plan.status };
    if (plan.status !== 'ACTIVE') return { planStatus: plan.status };
    const [created] = await tx<[Omit<DcaBuyClaim, 'planStatus'>]>`INSERT INTO dca_buys (plan_id, seq, firing_id, order_id, quote_amount, status)
      VALUES (${b.planId}, (SELECT coalesce(max(seq), 0) + 1 FROM dca_buys WHERE plan_id = ${b.planId}), ${b.firingId}, ${b.orderId}, ${b.quoteAmount}, 'PENDING')
      RETURNING seq, order_id AS "orderId", status, quantity::text, price::text, reason`;
    return { ...created, planStatus: plan.status };
  });
}

/** Settles a PENDING buy: PLACED with its size, or SKIPPED with why. Repeating it changes nothing. */
export async function settleDcaBuy(
  sql: Sql,
  b: { planId: string; firingId: string; status: 'PLACED' | 'SKIPPED'; price: string | null; quantity: string | null; reason: string | null },
): Promise<void> {
  await sql`UPDATE dca_buys SET status = ${b.status}, price = ${b.price}, quantity = ${b.quantity}, reason = ${b.reason}
    WHERE plan_id = ${b.planId} AND firing_id = ${b.firingId} AND status = 'PENDING'`;
}

export interface DcaBuyRow {
  seq: number;
  firing_id: string;
  order_id: string;
  quote_amount: string;
  status: 'PENDING' | 'PLACED' | 'SKIPPED';
  price: string | null;
  quantity: string | null;
  reason: string | null;
  created_at: Date;
  order_status: OrderStatus | null;
  executed_qty: string | null;
  cumulative_quote_qty: string | null;
}

/** The plan's latest buys, newest first, each with its order's outcome (none for a skipped buy). */
export async function listDcaBuys(sql: Sql, accountId: string, planId: string, limit = 100): Promise<DcaBuyRow[]> {
  return sql<DcaBuyRow[]>`SELECT b.seq, b.firing_id, b.order_id, b.quote_amount::text, b.status, b.price::text, b.quantity::text, b.reason, b.created_at,
      o.status AS order_status, o.executed_qty::text, o.cumulative_quote_qty::text
    FROM dca_buys b JOIN dca_plans p ON p.id = b.plan_id
    LEFT JOIN orders o ON o.id = b.order_id AND b.status = 'PLACED'
    WHERE b.plan_id = ${planId} AND p.account_id = ${accountId}
    ORDER BY b.seq DESC LIMIT ${limit}`;
}

/** A venue's cached rules for a symbol (`symbol_rules`), without asking the venue; null when none are cached. */
export async function cachedSymbolRules(sql: Sql, venue: Venue, symbol: string): Promise<SymbolRules | null> {
  const [row] = await sql<[{ rules: SymbolRules }?]>`SELECT rules FROM symbol_rules WHERE venue = ${venue} AND symbol = ${symbol}`;
  return row?.rules ?? null;
}
