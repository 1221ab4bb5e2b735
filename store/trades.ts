/**
 * The ledger repository: manual trades (`trades`) and the one view over them and the order fills
 * (`ledger`) that the accounting reads. Every function is scoped to an account.
 */
import type { Queryable, Sql } from '../lib/db.js';
import type { EntryKind, Trade, TradeVenue } from '../domain/portfolio/accounting.js';

/** The columns a fill has wherever it is stored: the `trades` table and the `ledger` view alike. */
interface FillColumns {
  ledger_seq: string;
  portfolio_id: string;
  symbol: string | null;
  side: LedgerKind;
  quantity: string | null;
  price: string | null;
  fee: string;
  fee_asset: string | null;
  amount: string | null;
  currency: string | null;
  ratio: string | null;
  /** VOID: the id of the manual entry it reverses. */
  voids: string | null;
  executed_at: Date;
}

/** BUY/SELL, a cash entry's kind, or VOID (a correction). */
export type LedgerKind = EntryKind | 'VOID';

/** One row of the `ledger` view; numerics stay strings, `ledger_seq` (int8) too. */
export interface LedgerRow extends FillColumns {
  venue: TradeVenue;
  trade_id: string;
  order_id: string | null;
  /** The VOID entry that reversed this one (listing only). */
  voided_by?: string | null;
  note?: string | null;
}

/** One manual entry as stored. */
export interface TradeRow extends FillColumns {
  id: string;
  account_id: string;
  request_hash: string | null;
  note: string | null;
  created_at: Date;
}

export interface NewTrade {
  id: string;
  portfolioId: string;
  side: LedgerKind;
  symbol: string | null;
  quantity: string | null;
  price: string | null;
  fee: string;
  feeAsset: string | null;
  amount: string | null;
  currency: string | null;
  ratio: string | null;
  voids: string | null;
  note: string | null;
  executedAt: Date;
  idempotencyKey?: string | undefined;
  requestHash?: string | undefined;
}

/**
 * The accounting's view of a ledger row. The id is unique across venues; the time is the one
 * the SQL ordered by (milliseconds), so the core and Postgres agree on the order.
 * @example const trades = (await manualTradesOf(tx, accountId, 'AAPL')).map(toTrade);
 */
export function toTrade(r: LedgerRow | TradeRow): LedgerTrade {
  const venue = 'venue' in r ? r.venue : 'manual';
  const id = 'trade_id' in r ? r.trade_id : r.id;
  return {
    id: `${venue}:${id}`,
    symbol: r.symbol ?? '',
    venue,
    side: r.side,
    quantity: r.quantity ?? '0',
    price: r.price ?? '0',
    fee: r.fee,
    feeAsset: r.fee_asset,
    amount: r.amount,
    currency: r.currency,
    ratio: r.ratio,
    executedAt: r.executed_at.toISOString(),
    ledgerSeq: r.ledger_seq,
    voids: r.voids === null ? null : `manual:${r.voids}`,
  };
}

const LEDGER_COLUMNS =
  'ledger_seq, portfolio_id, venue, trade_id, symbol, side, quantity::text, price::text, fee::text, fee_asset, amount::text, currency, ratio::text, voids, executed_at, order_id';
const TRADE_COLUMNS =
  'id, account_id, portfolio_id, ledger_seq, symbol, side, quantity::text, price::text, fee::text, fee_asset, amount::text, currency, ratio::text, voids, note, executed_at, request_hash, created_at';

/** Whether entries were recorded after `cursor`, i.e. a result built up to it is behind. An index probe. */
export async function hasLedgerAfter(sql: Queryable, accountId: string, cursor: string, portfolioId: string = accountId): Promise<boolean> {
  const [row] = await sql<{ behind: boolean }[]>`SELECT EXISTS (SELECT 1 FROM ledger WHERE account_id = ${accountId} AND portfolio_id = ${portfolioId} AND ledger_seq > ${cursor}) AS behind`;
  if (!row) throw new Error('SELECT EXISTS returned no row');
  return row.behind;
}

/**
 * The ledger without VOID entries and the entries they reverse: a correction is as if the entry had
 * never been. Returns its input when nothing is voided.
 */
export function withoutVoided(entries: LedgerTrade[]): Trade[] {
  const voided = new Set<string>();
  for (const e of entries) if (e.side === 'VOID' && e.voids !== null) voided.add(e.voids);
  if (voided.size === 0) return entries as Trade[];
  return entries.filter((e) => e.side !== 'VOID' && !voided.has(e.id)) as Trade[];
}

/** A ledger entry as the accounting reads it, its place in the ledger, and (VOID) the entry it reverses. */
export type LedgerTrade = Omit<Trade, 'side'> & { side: Trade['side'] | 'VOID'; ledgerSeq: string; voids: string | null };

/**
 * The accounting's read: entries after `cursor` (a ledger_seq) already shaped as `Trade`s (what
 * `toTrade` makes of a `LedgerRow`, the time as the same millisecond ISO string), so a full
 * recompute of 100k fills neither parses dates nor copies rows. In execution order (Postgres has
 * microseconds, JavaScript milliseconds: by what the accounting sees, then record order), or with
 * `recorded`, in ledger order, for `recompute`, which puts the few entries recorded out of time order in place
 * itself (by time, then ledger order, as the SQL would). Postgres does not sort the `recorded`
 * read: the view's two parts arrive as two nearly sorted runs, which JavaScript merges in one pass.
 */
export async function ledgerTradesAfter(
  sql: Queryable,
  accountId: string,
  cursor: string,
  order: 'executed' | 'recorded' = 'executed',
  portfolioId: string = accountId,
  /** Only the manual entries of this symbol, and the corrections. */
  manualSymbol?: string,
): Promise<LedgerTrade[]> {
  const rows = await sql<LedgerTrade[]>`SELECT venue || ':' || trade_id AS id, symbol, venue, side, quantity::text AS quantity, price::text AS price,
      fee::text AS fee, fee_asset AS "feeAsset",
      to_char(executed_at AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS.MS"Z"') AS "executedAt", ledger_seq::text AS "ledgerSeq",
      amount::text AS amount, currency, ratio::text AS ratio, 'manual:' || voids::text AS voids
    FROM ledger
    WHERE account_id = ${accountId} AND portfolio_id = ${portfolioId} AND ledger_seq > ${cursor}
    ${manualSymbol === undefined ? sql`` : sql`AND venue = 'manual' AND (symbol = ${manualSymbol} OR side = 'VOID')`}
    ${order === 'executed' ? sql`ORDER BY date_trunc('milliseconds', executed_at), ledger_seq` : sql``}`;
  // Per-account ledger numbers stay far below 2^53.
  if (order === 'recorded') rows.sort((a, b) => Number(a.ledgerSeq) - Number(b.ledgerSeq));
  return rows;
}

/** The portfolio's manual entries of one symbol (without corrections), in execution order. */
export async function manualTradesOf(sql: Queryable, accountId: string, portfolioId: string, symbol: string): Promise<LedgerTrade[]> {
  return ledgerTradesAfter(sql, accountId, '0', 'executed', portfolioId, symbol);
}

/** One manual entry of the account; undefined for another account's, so the API answers 404 either way. */
export async function findTrade(sql: Queryable, accountId: string, id: string): Promise<TradeRow | undefined> {
  const [row] = await sql<TradeRow[]>`SELECT ${sql.unsafe(TRADE_COLUMNS)} FROM trades WHERE account_id = ${accountId} AND id = ${id}`;
  return row;
}

/** The VOID entry that reverses `id`, if any. */
export async function findVoidOf(sql: Queryable, id: string): Promise<TradeRow | undefined> {
  const [row] = await sql<TradeRow[]>`SELECT ${sql.unsafe(TRADE_COLUMNS)} FROM trades WHERE voids = ${id}`;
  return row;
}

export async function findTradeByKey(sql: Queryable, accountId: string, key: string): Promise<TradeRow | undefined> {
  const [row] = await sql<TradeRow[]>`SELECT ${sql.unsafe(TRADE_COLUMNS)} FROM trades WHERE account_id = ${accountId} AND idempotency_key = ${key}`;
  return row;
}

export async function insertTrade(sql: Queryable, accountId: string, t: NewTrade): Promise<TradeRow> {
  const [row] = await sql<TradeRow[]>`INSERT INTO trades (id, account_id, portfolio_id, symbol, side, quantity, price, fee, fee_asset, amount, currency, ratio,
      voids, note, executed_at, idempotency_key, request_hash)
    VALUES (${t.id}, ${accountId}, ${t.portfolioId}, ${t.symbol}, ${t.side}, ${t.quantity}, ${t.price}, ${t.fee}, ${t.feeAsset}, ${t.amount}, ${t.currency},
      ${t.ratio}, ${t.voids}, ${t.note}, ${t.executedAt}, ${t.idempotencyKey ?? null}, ${t.requestHash ?? null})
    RETURNING ${sql.unsafe(TRADE_COLUMNS)}`;
  if (!row) throw new Error(`INSERT INTO trades returned no row for ${t.id}`);
  return row;
}

export interface LedgerFilter {
  portfolioId?: string | undefined;
  kind?: LedgerKind | undefined;
  symbol?: string | undefined;
  venue?: TradeVenue | undefined;
  limit: number;
  /** Exclusive: entries strictly older than this (executed_at, ledger_seq). */
  before?: { executedAt: Date; seq: string } | undefined;
}

/** Newest execution first; one extra row tells the caller whether another page exists. */
export async function listLedger(sql: Sql, accountId: string, f: LedgerFilter): Promise<LedgerRow[]> {
  return sql<LedgerRow[]>`SELECT ${sql.unsafe(LEDGER_COLUMNS)},
      CASE WHEN ledger.venue = 'manual' THEN (SELECT v.id::text FROM trades v WHERE v.voids = ledger.trade_id::uuid) END AS voided_by,
      CASE WHEN ledger.venue = 'manual' THEN (SELECT t.note FROM trades t WHERE t.id = ledger.trade_id::uuid) END AS note
    FROM ledger WHERE account_id = ${accountId}
    ${f.portfolioId ? sql`AND portfolio_id = ${f.portfolioId}` : sql``}
    ${f.kind ? sql`AND side = ${f.kind}` : sql``}
    ${f.symbol ? sql`AND symbol = ${f.symbol}` : sql``}
    ${f.venue ? sql`AND venue = ${f.venue}` : sql``}
    ${f.before ? sql`AND (date_trunc('milliseconds', executed_at), ledger_seq) < (${f.before.executedAt}, ${f.before.seq}::bigint)` : sql``}
    ORDER BY date_trunc('milliseconds', executed_at) DESC, ledger_seq DESC LIMIT ${f.limit + 1}`;
}
