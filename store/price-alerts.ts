/**
 * The price alerts repository. The API writes and reads an account's alerts; the refresh's
 * activity reads the candidates of moved prices and fires them. Firing is one conditional UPDATE
 * (ACTIVE → FIRED) whose NOTIFY commits with it, so an alert fires and is announced once.
 */
import type { Sql } from '../lib/db.js';
import type { AlertCondition, AlertRule, AlertStatus, ConditionalOrderTerms, MoveDirection } from '../domain/price-alerts.js';

/** Channel on which every fired alert is announced (the WebSocket push listens to it). */
export const ALERT_CHANNEL = 'alert_changes';

/** What ALERT_CHANNEL carries: enough for the owner's stream frame. */
export interface AlertChange {
  alertId: string;
  accountId: string;
  symbol: string;
  condition: AlertCondition;
  status: AlertStatus;
  firedPrice: string | null;
  firedAt: string | null;
  orderId: string | null;
}

export interface AlertRow {
  id: string;
  account_id: string;
  symbol: string;
  condition: AlertCondition;
  threshold: string | null;
  pct: string | null;
  window_seconds: number | null;
  direction: MoveDirection | null;
  reference_price: string;
  note: string | null;
  status: AlertStatus;
  fired_at: Date | null;
  fired_price: string | null;
  fired_by: string | null;
  canceled_at: Date | null;
  order_terms: ConditionalOrderTerms | null;
  order_id: string | null;
  order_started_at: Date | null;
  created_at: Date;
  /** The conditional order's status, once its row exists. */
  order_status: string | null;
}

const columns = (sql: Sql) => sql`a.id, a.account_id, a.symbol, a.condition, a.threshold::text, a.pct::text, a.window_seconds, a.direction,
  a.reference_price::text, a.note, a.status, a.fired_at, a.fired_price::text, a.fired_by, a.canceled_at, a.order_terms, a.order_id,
  a.order_started_at, a.created_at, o.status AS order_status`;

/** The rule the domain evaluates, from a row (the CHECK constraints make the fields present). */
export function ruleOf(row: Pick<AlertRow, 'condition' | 'threshold' | 'pct' | 'direction' | 'reference_price'>): AlertRule {
  if (row.condition === 'MOVE_PCT') return { condition: 'MOVE_PCT', pct: row.pct!, direction: row.direction! };
  if (row.condition === 'CROSS') return { condition: 'CROSS', threshold: row.threshold!, referencePrice: row.reference_price };
  return { condition: row.condition, threshold: row.threshold! };
}

export interface NewAlert {
  id: string;
  accountId: string;
  symbol: string;
  rule: AlertRule;
  windowSeconds?: number | undefined;
  referencePrice: string;
  note?: string | undefined;
  order?: { id: string; terms: ConditionalOrderTerms } | undefined;
}

export async function insertAlert(sql: Sql, a: NewAlert): Promise<void> {
  const r = a.rule;
  await sql`INSERT INTO price_alerts (id, account_id, symbol, condition, threshold, pct, window_seconds, direction, reference_price, note, order_terms, order_id)
    VALUES (${a.id}, ${a.accountId}, ${a.symbol}, ${r.condition}, ${r.condition === 'MOVE_PCT' ? null : r.threshold},
      ${r.condition === 'MOVE_PCT' ? r.pct : null}, ${r.condition === 'MOVE_PCT' ? (a.windowSeconds ?? null) : null},
      ${r.condition === 'MOVE_PCT' ? r.direction : null}, ${a.referencePrice}, ${a.note ?? null},
      ${a.order ? sql.json(a.order.terms as never) : null}, ${a.order?.id ?? null})`;
}

export async function findAlert(sql: Sql, accountId: string, id: string): Promise<AlertRow | undefined> {
  const [row] = await sql<AlertRow[]>`SELECT ${columns(sql)} FROM price_alerts a LEFT JOIN orders o ON o.id = a.order_id
    WHERE a.id = ${id} AND a.account_id = ${accountId}`;
  return row;
}

export interface AlertFilter {
  status?: AlertStatus | undefined;
  symbol?: string | undefined;
  limit: number;
  /** Exclusive: alerts strictly older than this (created_at, id). */
  before?: { createdAt: Date; id: string } | undefined;
}

/** Newest first; one extra row tells the caller whether another page exists. */
export async function listAlerts(sql: Sql, accountId: string, f: AlertFilter): Promise<AlertRow[]> {
  return sql<AlertRow[]>`SELECT ${columns(sql)} FROM price_alerts a LEFT JOIN orders o ON o.id = a.order_id
    WHERE a.account_id = ${accountId}
    ${f.status ? sql`AND a.status = ${f.status}` : sql``}
    ${f.symbol ? sql`AND a.symbol = ${f.symbol}` : sql``}
    ${f.before ? sql`AND (a.created_at, a.id) < (${f.before.createdAt}, ${f.before.id})` : sql``}
    ORDER BY a.created_at DESC, a.id DESC LIMIT ${f.limit + 1}`;
}

/** ACTIVE → CANCELED; false when the alert is no longer ACTIVE (fired, or canceled before). */
export async function cancelAlert(sql: Sql, accountId: string, id: string): Promise<boolean> {
  const rows = await sql`UPDATE price_alerts SET status = 'CANCELED', canceled_at = now()
    WHERE id = ${id} AND account_id = ${accountId} AND status = 'ACTIVE' RETURNING id`;
  return rows.length > 0;
}

/** An active alert on a moved symbol that may fire, with the price that moved it. */
export interface AlertCandidate
  extends Pick<AlertRow, 'id' | 'account_id' | 'symbol' | 'condition' | 'threshold' | 'pct' | 'window_seconds' | 'direction' | 'reference_price'> {
  price: string;
  /** MOVE_PCT: the window's lowest and highest price (its history since the alert was made, and the price then). */
  low: string | null;
  high: string | null;
}

/**
 * The active alerts of the moved symbols that may fire, in one query. Threshold alerts the new
 * price does not reach are left out in SQL (as the paper wake leaves out unreachable limits);
 * the domain's alertFires decides for the rest. A MOVE_PCT window starts no earlier than the
 * alert, so a move that happened before it was made never fires it.
 */
export async function alertCandidates(sql: Sql, moved: { symbol: string; price: string }[]): Promise<AlertCandidate[]> {
  if (moved.length === 0) return [];
  return sql<AlertCandidate[]>`
    SELECT a.id, a.account_id, a.symbol, a.condition, a.threshold::text, a.pct::text, a.window_seconds, a.direction,
      a.reference_price::text, m.price::text AS price, w.low::text, w.high::text
    FROM price_alerts a
    JOIN unnest(${moved.map((m) => m.symbol)}::text[], ${moved.map((m) => m.price)}::numeric[]) AS m(symbol, price) ON m.symbol = a.symbol
    LEFT JOIN LATERAL (
      SELECT least(min(h.price), CASE WHEN a.created_at >= now() - make_interval(secs => a.window_seconds) THEN a.reference_price END) AS low,
             greatest(max(h.price), CASE WHEN a.created_at >= now() - make_interval(secs => a.window_seconds) THEN a.reference_price END) AS high
      FROM price_history h
      WHERE h.symbol = a.symbol AND h.at >= greatest(a.created_at, now() - make_interval(secs => a.window_seconds))
    ) w ON a.condition = 'MOVE_PCT'
    WHERE a.status = 'ACTIVE'
      AND NOT (a.condition = 'ABOVE' AND m.price < a.threshold)
      AND NOT (a.condition = 'BELOW' AND m.price > a.threshold)
      AND NOT (a.condition = 'CROSS' AND ((a.reference_price < a.threshold AND m.price < a.threshold) OR (a.reference_price > a.threshold AND m.price > a.threshold)))
    ORDER BY a.id`;
}

/** A fired alert as its UPDATE returned it. */
export interface FiredAlert {
  id: string;
  account_id: string;
  symbol: string;
  condition: AlertCondition;
  fired_at: Date;
  fired_price: string;
  fired_by: string;
  order_id: string | null;
  order_terms: ConditionalOrderTerms | null;
}

/**
 * Alerts of `symbols` that the workflow `firedBy` fired: the same answer on a retry of the call
 * that fired them (an UPDATE's RETURNING only knows the first attempt).
 */
export async function countFiredBy(sql: Sql, firedBy: string, symbols: string[]): Promise<number> {
  if (symbols.length === 0) return 0;
  const [row] = await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM price_alerts WHERE fired_by = ${firedBy} AND symbol = ANY(${symbols}::text[])`;
  return row?.n ?? 0;
}

/**
 * Fires the alerts that are still ACTIVE, at their prices, and announces each on ALERT_CHANNEL in
 * the same transaction. An alert another evaluation fired first is not returned: it fired once.
 */
export async function fireAlerts(sql: Sql, firing: { id: string; price: string }[], firedBy: string): Promise<FiredAlert[]> {
  if (firing.length === 0) return [];
  return sql.begin(async (tx) => {
    const fired = await tx<FiredAlert[]>`
      UPDATE price_alerts a SET status = 'FIRED', fired_at = now(), fired_price = f.price, fired_by = ${firedBy}
      FROM unnest(${firing.map((f) => f.id)}::uuid[], ${firing.map((f) => f.price)}::numeric[]) AS f(id, price)
      WHERE a.id = f.id AND a.status = 'ACTIVE'
      RETURNING a.id, a.account_id, a.symbol, a.condition, a.fired_at, a.fired_price::text, a.fired_by, a.order_id, a.order_terms`;
    if (fired.length > 0) {
      const changes = fired.map((f) => JSON.stringify(changeOf(f)));
      await tx`SELECT pg_notify(${ALERT_CHANNEL}, c) FROM unnest(${changes}::text[]) AS c`;
    }
    return fired;
  });
}

export function changeOf(f: Pick<FiredAlert, 'id' | 'account_id' | 'symbol' | 'condition' | 'fired_at' | 'fired_price' | 'order_id'>): AlertChange {
  return {
    alertId: f.id,
    accountId: f.account_id,
    symbol: f.symbol,
    condition: f.condition,
    status: 'FIRED',
    firedPrice: f.fired_price,
    firedAt: f.fired_at.toISOString(),
    orderId: f.order_id,
  };
}

/** Fired alerts whose conditional order has not been started yet, oldest first. */
export async function alertsOwingOrders(sql: Sql, limit: number): Promise<FiredAlert[]> {
  return sql<FiredAlert[]>`SELECT id, account_id, symbol, condition, fired_at, fired_price::text, fired_by, order_id, order_terms
    FROM price_alerts WHERE status = 'FIRED' AND order_id IS NOT NULL AND order_started_at IS NULL
    ORDER BY fired_at, id LIMIT ${limit}`;
}

export async function markOrderStarted(sql: Sql, alertId: string): Promise<void> {
  await sql`UPDATE price_alerts SET order_started_at = coalesce(order_started_at, now()) WHERE id = ${alertId}`;
}

/** The account's alerts fired since `since`, newest first: the stream's snapshot. */
export async function recentlyFired(sql: Sql, accountId: string, since: Date, limit: number): Promise<FiredAlert[]> {
  return sql<FiredAlert[]>`SELECT id, account_id, symbol, condition, fired_at, fired_price::text, fired_by, order_id, order_terms
    FROM price_alerts WHERE account_id = ${accountId} AND status = 'FIRED' AND fired_at >= ${since}
    ORDER BY fired_at DESC, id DESC LIMIT ${limit}`;
}
