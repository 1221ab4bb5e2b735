/**
 * The ledger repository: manual trades (`trades`) and the one view over them and the order fills
 * (`ledger`) that the accounting reads. Every function is scoped to an account.
 */
import type { Queryable, Sql } from '../lib/db.js';
import type { Trade, TradeVenue } from '../domain/portfolio/accounting.js';

/** The columns a fill has wherever it is stored: the `trades` table and the `ledger` view alike. */
interface FillColumns {
  ledger_seq: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  quantity: string;
  price: string;
  fee: string;
  fee_asset: string | null;
  executed_at: Date;
}

/** One row of the `ledger` view; numerics stay strings, `ledger_seq` (int8) too. */
export interface LedgerRow extends FillColumns {
  venue: TradeVenue;
  trade_id: string;
  order_id: string | null;
}

/** One manual trade as stored. */
export interface TradeRow extends FillColumns {
  id: string;
  account_id: string;
  request_hash: string | null;
  created_at: Date;
}

export interface NewTrade {
  id: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  quantity: string;
  price: string;
  fee: string;
  feeAsset: string | null;
  executedAt: Date;
  idempotencyKey?: string | undefined;
  requestHash?: string | undefined;
}

/**
 * The accounting's view of a ledger row. The id is unique across venues; the time is the one
 * the SQL ordered by (milliseconds), so the core and Postgres agree on the order.
 * @example const trades = (await manualTradesOf(tx, accountId, 'AAPL')).map(toTrade);
 */
export function toTrade(r: LedgerRow): Trade {
  return {
    id: `${r.venue}:${r.trade_id}`,
    symbol: r.symbol,
    venue: r.venue,
    side: r.side,
    quantity: r.quantity,
    price: r.price,
    fee: r.fee,
    feeAsset: r.fee_asset,
    executedAt: r.executed_at.toISOString(),
  };
}

const LEDGER_COLUMNS = 'ledger_seq, venue, trade_id, symbol, side, quantity::text, price::text, fee::text, fee_asset, executed_at, order_id';

/** Whether entries were recorded after `cursor`, i.e. a result built up to it is behind. An index probe. */
export async function hasLedgerAfter(sql: Queryable, accountId: string, cursor: string): Promise<boolean> {
  const [row] = await sql<{ behind: boolean }[]>`SELECT EXISTS (SELECT 1 FROM ledger WHERE account_id = ${accountId} AND ledger_seq > ${cursor}) AS behind`;
  if (!row) throw new Error('SELECT EXISTS returned no row');
  return row.behind;
}

/** A ledger entry as the accounting reads it, and its place in the ledger. */
export type LedgerTrade = Trade & { ledgerSeq: string };

/**
 * The accounting's read: entries after `cursor` (a ledger_seq) already shaped as `Trade`s (what
 * `toTrade` makes of a `LedgerRow`, the time as the same millisecond ISO string), so a full
 * recompute of 100k fills neither parses dates nor copies rows. In execution order (Postgres has
 * microseconds, JavaScript milliseconds: by what the accounting sees, then record order), or with
 * `recorded`, in ledger order, for `recompute`, which puts the few entries recorded out of time order in place
 * itself (by time, then ledger order, as the SQL would). Postgres does not sort the `recorded`
 * read: the view's two parts arrive as two nearly sorted runs, which JavaScript merges in one pass.
 */
export async function ledgerTradesAfter(sql: Queryable, accountId: string, cursor: string, order: 'executed' | 'recorded' = 'executed'): Promise<LedgerTrade[]> {
  const rows = await sql<LedgerTrade[]>`SELECT venue || ':' || trade_id AS id, symbol, venue, side, quantity::text AS quantity, price::text AS price,
      fee::text AS fee, fee_asset AS "feeAsset",
      to_char(executed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "executedAt", ledger_seq::text AS "ledgerSeq"
    FROM ledger
    WHERE account_id = ${accountId} AND ledger_seq > ${cursor}
    ${order === 'executed' ? sql`ORDER BY date_trunc('milliseconds', executed_at), ledger_seq` : sql``}`;
  // Per-account ledger numbers stay far below 2^53.
  if (order === 'recorded') rows.sort((a, b) => Number(a.ledgerSeq) - Number(b.ledgerSeq));
  return rows;
}

/** The account's manual trades of one symbol, in execution order. */
export async function manualTradesOf(sql: Queryable, accountId: string, symbol: string): Promise<LedgerRow[]> {
  return sql<LedgerRow[]>`SELECT ${sql.unsafe(LEDGER_COLUMNS)} FROM ledger
    WHERE account_id = ${accountId} AND venue = 'manual' AND symbol = ${symbol}
    ORDER BY date_trunc('milliseconds', executed_at), ledger_seq`;
}

/**
 * Serializes manual trades of one (account, symbol) until the transaction ends, so the holding a
 * SELL is checked against cannot change before the SELL is stored.
 */
export async function lockManualSymbol(tx: Queryable, accountId: string, symbol: string): Promise<void> {
  await tx`SELECT pg_advisory_xact_lock(hashtextextended(${`manual-trades:${accountId}:${symbol}`}, 0))`;
}

export async function findTradeByKey(sql: Queryable, accountId: string, key: string): Promise<TradeRow | undefined> {
  const [row] = await sql<TradeRow[]>`SELECT id, account_id, ledger_seq, symbol, side, quantity::text, price::text, fee::text, fee_asset,
      executed_at, request_hash, created_at
    FROM trades WHERE account_id = ${accountId} AND idempotency_key = ${key}`;
  return row;
}

export async function insertTrade(sql: Queryable, accountId: string, t: NewTrade): Promise<TradeRow> {
  const [row] = await sql<TradeRow[]>`INSERT INTO trades (id, account_id, symbol, side, quantity, price, fee, fee_asset, executed_at, idempotency_key, request_hash)
    VALUES (${t.id}, ${accountId}, ${t.symbol}, ${t.side}, ${t.quantity}, ${t.price}, ${t.fee}, ${t.feeAsset}, ${t.executedAt},
      ${t.idempotencyKey ?? null}, ${t.requestHash ?? null})
    RETURNING id, account_id, ledger_seq, symbol, side, quantity::text, price::text, fee::text, fee_asset, executed_at, request_hash, created_at`;
  if (!row) throw new Error(`INSERT INTO trades returned no row for ${t.id}`);
  return row;
}

export interface LedgerFilter {
  symbol?: string | undefined;
  venue?: TradeVenue | undefined;
  limit: number;
  /** Exclusive: entries strictly older than this (executed_at, ledger_seq). */
  before?: { executedAt: Date; seq: string } | undefined;
}

/** Newest execution first; one extra row tells the caller whether another page exists. */
export async function listLedger(sql: Sql, accountId: string, f: LedgerFilter): Promise<LedgerRow[]> {
  return sql<LedgerRow[]>`SELECT ${sql.unsafe(LEDGER_COLUMNS)} FROM ledger WHERE account_id = ${accountId}
    ${f.symbol ? sql`AND symbol = ${f.symbol}` : sql``}
    ${f.venue ? sql`AND venue = ${f.venue}` : sql``}
    ${f.before ? sql`AND (date_trunc('milliseconds', executed_at), ledger_seq) < (${f.before.executedAt}, ${f.before.seq}::bigint)` : sql``}
    ORDER BY date_trunc('milliseconds', executed_at) DESC, ledger_seq DESC LIMIT ${f.limit + 1}`;
}
