/**
 * The verdict of a scenario, from the ground truths: the Binance fake's own order book, trades and
 * balances; the paper venue's paper_orders, paper_trades and paper_balances; and what the engine
 * recorded (orders, fills, idempotency_keys). Every count comes with a finding line saying which
 * order and what differs. It runs after the drain, so an order that is not terminal, or whose
 * status is not the venue's, is lost: nobody will ever tell its user the truth.
 */
import type { Decimal } from 'decimal.js';
import type { Balance } from '../../domain/exchange.js';
import type { Sql } from '../../lib/db.js';
import type { BinanceFake } from '../fakes/binance/index.js';
import { binanceBalanceFindings, D, paperBalanceFindings, paperConservationFindings, type FillRow, type PaperTradeRow } from './balances.js';
import type { OrderBody, SubmitOutcome } from './client.js';

type Dec = InstanceType<typeof D>;
const TERMINAL = new Set(['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED']);

export interface Submission {
  key: string;
  body: OrderBody;
  outcome: SubmitOutcome;
  /** Every order id the API answered for this key (the first submit and the later re-check). */
  ids: string[];
}

export interface AuditInput {
  sql: Sql;
  fake: BinanceFake;
  fakeStart: Balance[];
  paperStartingCash: string;
  submissions: Submission[];
  /** Order id → the statuses a scenario's own action allows it to end in (e.g. CANCELED or FILLED after a cancel). */
  expectations?: ReadonlyMap<string, { statuses: readonly string[]; why: string }>;
}

export interface Verdict {
  orders: number;
  terminal: number;
  duplicates: number;
  lost: number;
  ledgerMismatches: number;
  /** Paper accounts' assets holding more than the venue's trades explain (or less than nothing). */
  moneyCreated: number;
  lostIds: string[];
  /** Order ids named by a duplicate or ledger finding. */
  suspectIds: string[];
  statuses: Record<string, number>;
  /** reject_code → count, to tell venue refusals from refusals caused by faults. */
  rejections: Record<string, number>;
  /** Orders that rested (NEW) before they filled: the price moves reached them. */
  restedThenFilled: number;
  findings: string[];
}

interface OrderRow { id: string; account_id: string; venue: string; symbol: string; side: string; status: string; client_order_id: string; executed_qty: string; reject_code: string | null; parent_id: string | null }
const same = (a: Decimal.Value, b: Decimal.Value) => new D(a).eq(b);
const exchangeStatus = (s: string) => (s === 'EXPIRED_IN_MATCH' ? 'EXPIRED' : s);

/**
 * @example const verdict = await audit({ sql, fake, fakeStart, paperStartingCash: '1000000', submissions });
 */
export async function audit(input: AuditInput): Promise<Verdict> {
  const { sql, fake, submissions } = input;
  const findings: string[] = [];
  const suspects = new Set<string>();
  let duplicates = 0;
  let ledgerMismatches = 0;
  const dup = (text: string, id?: string): void => {
    duplicates++;
    findings.push(`duplicate: ${text}`);
    if (id) suspects.add(id);
  };
  const mismatch = (text: string, id?: string): void => {
    ledgerMismatches++;
    findings.push(`ledger: ${text}`);
    if (id) suspects.add(id);
  };

  const accepted = submissions.filter((s) => s.outcome.kind === 'accepted');
  const idOfKey = new Map(accepted.map((s) => [s.key, s.ids[0]!]));
  const ours = new Set(idOfKey.values());
  const all = await sql<OrderRow[]>`SELECT id, account_id, venue, symbol, side, status, client_order_id, executed_qty::text, reject_code, parent_id FROM orders`;
  const accounts = [...new Set(all.filter((o) => ours.has(o.id)).map((o) => o.account_id))];
  const orders = all.filter((o) => accounts.includes(o.account_id));
  const byId = new Map(orders.map((o) => [o.id, o]));
  const byClientId = new Map(orders.map((o) => [o.client_order_id, o]));

  // --- duplicates: each key one order, each order one exchange order -------------------------
  for (const s of accepted) {
    const distinct = [...new Set(s.ids)];
    if (distinct.length > 1) dup(`key ${s.key} was answered with ${distinct.length} different orders: ${distinct.join(', ')}`, distinct[0]);
  }
  const keyRows = accounts.length ? await sql<{ key: string; order_id: string }[]>`SELECT key, order_id FROM idempotency_keys WHERE account_id IN ${sql(accounts)}` : [];
  for (const k of keyRows) {
    const expected = idOfKey.get(k.key);
    if (expected && expected !== k.order_id) dup(`key ${k.key} is stored for order ${k.order_id} but the API answered ${expected}`, expected);
  }
  // An order a parent placed (a list's leg, a TWAP slice) is accounted by its parent, under an id fixed in advance.
  for (const o of orders) if (!ours.has(o.id) && o.parent_id === null) dup(`order ${o.id} (${o.venue} ${o.symbol} ${o.side}, ${o.status}) belongs to no accepted Idempotency-Key`, o.id);
  const fakeOrders = fake.orders() as Array<{ orderId: number; clientOrderId: string; status: string; executedQty: string; symbol: string }>;
  const fakeByClientId = new Map<string, typeof fakeOrders>();
  for (const f of fakeOrders) fakeByClientId.set(f.clientOrderId, [...(fakeByClientId.get(f.clientOrderId) ?? []), f]);
  for (const [clientId, list] of fakeByClientId) {
    const order = byClientId.get(clientId);
    if (!order) dup(`exchange order ${list.map((f) => f.orderId).join(', ')} with clientOrderId ${clientId} belongs to none of our orders`);
    else if (list.length > 1) dup(`order ${order.id}: ${list.length} exchange orders (${list.map((f) => `#${f.orderId} ${f.status}`).join(', ')}) for clientOrderId ${clientId}`, order.id);
  }
  const paperOrders = accounts.length
    ? await sql<{ client_order_id: string; status: string; executed_qty: string }[]>`SELECT client_order_id, status, executed_qty::text FROM paper_orders WHERE account_id IN ${sql(accounts)}`
    : [];
  for (const p of paperOrders) if (!byClientId.has(p.client_order_id)) dup(`paper order ${p.client_order_id} belongs to none of our orders`);

  const paperByClientId = new Map(paperOrders.map((p) => [p.client_order_id, p]));
  /** The venue's view of an order: status and executed quantity (summed over duplicates). */
  const venueView = (o: OrderRow): { status: string; executedQty: string } | undefined => {
    if (o.venue === 'paper') {
      const p = paperByClientId.get(o.client_order_id);
      return p && { status: p.status, executedQty: p.executed_qty };
    }
    const list = fakeByClientId.get(o.client_order_id);
    if (!list?.length) return undefined;
    return { status: list.at(-1)!.status, executedQty: list.reduce((sum, f) => sum.plus(f.executedQty), new D(0)).toString() };
  };

  // --- lost: after the drain, every order terminal and as the venue has it ------------------------
  const lostIds: string[] = [];
  const statuses: Record<string, number> = {};
  let terminal = 0;
  let notTerminal = 0;
  for (const s of accepted) {
    const id = s.ids[0]!;
    const row = byId.get(id);
    const status = row?.status ?? 'MISSING';
    statuses[status] = (statuses[status] ?? 0) + 1;
    if (TERMINAL.has(status)) terminal++;
    else notTerminal++;
    const why = row ? lostReason(row, venueView(row), input.expectations?.get(id)) : `order ${id} has no row in orders`;
    if (why) {
      lostIds.push(id);
      findings.push(`lost: ${why}`);
    }
  }
  // Orders placed by parents: terminal after the drain and as the venue has them, like the rest.
  for (const o of orders.filter((x) => x.parent_id !== null)) {
    const why = lostReason(o, venueView(o), input.expectations?.get(o.id));
    if (why) {
      lostIds.push(o.id);
      findings.push(`lost: ${why} (placed by parent ${o.parent_id})`);
    }
  }
  for (const s of submissions) if (s.outcome.kind !== 'accepted') statuses[`NOT_ACCEPTED`] = (statuses.NOT_ACCEPTED ?? 0) + 1;

  // --- ledger: fills against the venues' trades, order quantities, balances ---------------------
  const fills = accounts.length
    ? await sql<FillRow[]>`SELECT venue, trade_id, order_id, side, symbol, price::text, quantity::text, commission::text, commission_asset FROM fills WHERE account_id IN ${sql(accounts)}`
    : [];
  const fillByTrade = new Map<string, FillRow[]>();
  for (const f of fills) fillByTrade.set(`${f.venue}:${f.trade_id}`, [...(fillByTrade.get(`${f.venue}:${f.trade_id}`) ?? []), f]);
  const filledByOrder = new Map<string, Dec>();
  for (const f of fills) filledByOrder.set(f.order_id, (filledByOrder.get(f.order_id) ?? new D(0)).plus(f.quantity));
  const matched = new Set<string>();
  const compare = (key: string, owner: OrderRow | undefined, t: { price: string; qty: string; commission: string; commissionAsset: string }) => {
    const rows = fillByTrade.get(key) ?? [];
    matched.add(key);
    if (rows.length !== 1) return mismatch(`trade ${key} of order ${owner?.id ?? '?'} has ${rows.length} fills rows`, owner?.id);
    const f = rows[0]!;
    if (owner && f.order_id !== owner.id) return mismatch(`trade ${key} is recorded for order ${f.order_id}, not ${owner.id}`, owner.id);
    if (!same(f.price, t.price) || !same(f.quantity, t.qty) || !same(f.commission, t.commission) || f.commission_asset !== t.commissionAsset) {
      mismatch(`trade ${key} of order ${f.order_id}: venue ${t.qty}@${t.price} fee ${t.commission} ${t.commissionAsset}, fills ${f.quantity}@${f.price} fee ${f.commission} ${f.commission_asset}`, f.order_id);
    }
  };

  const fakeTrades = fake.trades() as Array<{ id: number; orderId: number; price: string; qty: string; commission: string; commissionAsset: string }>;
  const fakeOrderById = new Map(fakeOrders.map((f) => [f.orderId, f]));
  for (const t of fakeTrades) {
    const owner = byClientId.get(fakeOrderById.get(t.orderId)?.clientOrderId ?? '');
    compare(`binance:${t.id}`, owner, t);
  }
  const paperTrades = accounts.length
    ? await sql<{ trade_id: string; client_order_id: string; price: string; quantity: string; commission: string; commission_asset: string }[]>`
        SELECT t.trade_id::text, t.client_order_id, t.price::text, t.quantity::text, t.commission::text, t.commission_asset
        FROM paper_trades t JOIN paper_orders o USING (client_order_id) WHERE o.account_id IN ${sql(accounts)}`
    : [];
  for (const t of paperTrades) {
    compare(`paper:paper-${t.trade_id}`, byClientId.get(t.client_order_id), { price: t.price, qty: t.quantity, commission: t.commission, commissionAsset: t.commission_asset });
  }
  for (const f of fills) if (!matched.has(`${f.venue}:${f.trade_id}`)) mismatch(`fill ${f.venue}:${f.trade_id} of order ${f.order_id} has no trade on the venue`, f.order_id);

  for (const o of orders) {
    const venueOrder = venueView(o);
    const venueQty = venueOrder?.executedQty ?? '0';
    const recorded = filledByOrder.get(o.id) ?? new D(0);
    if (!recorded.eq(o.executed_qty)) mismatch(`order ${o.id}: executed_qty ${o.executed_qty} but its fills sum to ${recorded.toString()}`, o.id);
    if (!same(venueQty, o.executed_qty)) mismatch(`order ${o.id} (${o.venue}): executed_qty ${o.executed_qty} but the venue executed ${venueQty}`, o.id);
  }

  // Balances: the venues' books moved by exactly what the fills say.
  for (const text of binanceBalanceFindings(fills, input.fakeStart, fake.balances())) mismatch(text);
  let moneyCreated = 0;
  for (const account of accounts) {
    const rows = await sql<{ asset: string; free: string; locked: string }[]>`SELECT asset, free::text, locked::text FROM paper_balances WHERE account_id = ${account}`;
    const own = fills.filter((f) => byId.get(f.order_id)?.account_id === account);
    if (rows.length === 0 && !own.some((f) => f.venue === 'paper')) continue;
    for (const text of paperBalanceFindings(account, own, rows, input.paperStartingCash, notTerminal === 0)) mismatch(text);
    // Conservation from the venue's own trades (all of the account's, ours or not).
    const trades = await sql<PaperTradeRow[]>`
      SELECT o.side, o.base_asset, o.quote_asset, t.price::text, t.quantity::text, t.commission::text, t.commission_asset
      FROM paper_trades t JOIN paper_orders o USING (client_order_id) WHERE o.account_id = ${account}`;
    for (const text of paperConservationFindings(account, trades, rows, input.paperStartingCash)) {
      moneyCreated++;
      findings.push(`money: ${text}`);
    }
  }

  const rejections: Record<string, number> = {};
  for (const o of orders) if (o.status === 'REJECTED') rejections[o.reject_code ?? '?'] = (rejections[o.reject_code ?? '?'] ?? 0) + 1;
  const [rested] = accounts.length
    ? await sql<{ n: number }[]>`SELECT count(*)::int AS n FROM orders o WHERE o.account_id IN ${sql(accounts)} AND o.status = 'FILLED'
        AND EXISTS (SELECT 1 FROM order_events e WHERE e.order_id = o.id AND e.status = 'NEW')`
    : [];

  return {
    orders: submissions.length,
    terminal,
    duplicates,
    lost: lostIds.length,
    ledgerMismatches,
    moneyCreated,
    lostIds,
    suspectIds: [...suspects],
    statuses,
    rejections,
    restedThenFilled: rested?.n ?? 0,
    findings,
  };
}

/**
 * Why an order counts as lost after the drain, or undefined. UNKNOWN is lost whether or not the
 * venue has the order: every ambiguous fault here places it, so the venue always knows by now.
 */
function lostReason(
  o: OrderRow,
  venue: { status: string; executedQty: string } | undefined,
  expected: { statuses: readonly string[]; why: string } | undefined,
): string | undefined {
  const where = `order ${o.id} (${o.venue} ${o.symbol} ${o.side})`;
  const venueSays = venue ? `the venue says ${venue.status}` : 'the venue has no such order';
  if (o.status === 'UNKNOWN') return `${where} is still UNKNOWN after the drain; ${venueSays}`;
  if (!TERMINAL.has(o.status)) return `${where} is ${o.status} after the drain; ${venueSays}`;
  if (venue && exchangeStatus(venue.status) !== o.status) return `${where} is ${o.status} but ${venueSays}`;
  // REJECTED before the venue saw it, or CANCELED before submission, leave no venue order.
  if (!venue && !(o.status === 'REJECTED' || (o.status === 'CANCELED' && new D(o.executed_qty).isZero()))) return `${where} is ${o.status} but ${venueSays}`;
  if (expected && !expected.statuses.includes(o.status)) return `${where} is ${o.status}, but ${expected.why} it can only end ${expected.statuses.join(' or ')}`;
  return undefined;
}
