/**
 * The paper venue: a simulated exchange inside the engine, for any symbol, kept in Postgres.
 * MARKET orders fill at the latest stored price plus slippage; LIMIT and LIMIT_MAKER orders fill
 * when the price crosses; STOP_* and TAKE_PROFIT_* trigger on a crossing, or, with a
 * trailingDelta, on a retrace from the best price since they started trailing; an OCO list's legs
 * share one reservation and the first leg to fill or trigger expires the other. Orders are
 * re-evaluated whenever they are placed or queried, so the price refresh's wake-up (or the order
 * workflow's polling) drives the fills.
 *
 * A trailing order's `stopPrice` in ExchangeOrder is its current trigger once it trails (and the
 * price it fired at once triggered); before that, the activation stopPrice it was placed with.
 */
import { SpanKind, SpanStatusCode, trace } from '@opentelemetry/api';
import { Decimal } from 'decimal.js';
import { TRACER_NAME } from '../../lib/tracing.js';
import type { Queryable, Sql } from '../../lib/db.js';
import { ExchangeRejectedError } from '../../domain/venue-errors.js';
import { splitSymbol } from '../../domain/symbols.js';
import type {
  Balance,
  Exchange,
  ExchangeFill,
  ExchangeOrder,
  ExchangeOrderList,
  OrderListRef,
  OrderRef,
  PlaceOcoRequest,
  PlaceOrderRequest,
  SymbolRules,
} from '../../domain/exchange.js';
import { buyReservationPrice, hasLimit, isContingent, limitCrosses, ocoRefusal, orderRefusal, stopConditionMet, trailingTrigger, trailStep, type Refusal } from './order-rules.js';

export interface PriceLookup {
  (symbol: string): Promise<{ price: string; asOf: Date } | null>;
}

export interface PaperExchangeOptions {
  sql: Sql;
  accountId: string;
  prices: PriceLookup;
  feeBps: string;
  slippageBps: string;
  startingCash: string;
  /** A MARKET order against an older price is refused. */
  staleAfterMs: number;
  now?: () => Date;
}

interface PaperOrderRow {
  client_order_id: string;
  exchange_order_id: string;
  symbol: string;
  base_asset: string;
  quote_asset: string;
  side: 'BUY' | 'SELL';
  type: PlaceOrderRequest['type'];
  time_in_force: string | null;
  quantity: string;
  price: string | null;
  stop_price: string | null;
  status: ExchangeOrder['status'];
  triggered: boolean;
  executed_qty: string;
  cumulative_quote_qty: string;
  updated_at: Date;
  order_list_id: string | null;
  reserved_amount: string | null;
  trailing_delta: number | null;
  trailing_activated_at: Date | null;
  trailing_best_price: string | null;
}

interface PaperListRow {
  order_list_id: string;
  list_client_order_id: string;
  symbol: string;
  status: 'EXECUTING' | 'ALL_DONE' | 'REJECT';
  reserve_asset: string;
  reserved_amount: string;
  reject_code: number | null;
  reject_reason: string | null;
  updated_at: Date;
}

/** The terms of one row to insert into paper_orders. */
interface NewPaperOrder {
  clientOrderId: string;
  symbol: string;
  side: 'BUY' | 'SELL';
  type: PlaceOrderRequest['type'];
  timeInForce?: string | undefined;
  quantity: string;
  price?: string | undefined;
  stopPrice?: string | undefined;
  trailingDelta?: number | undefined;
  status: 'NEW' | 'REJECTED';
  rejectReason?: string | undefined;
  orderListId?: string | undefined;
}

const OPEN = ['NEW', 'PARTIALLY_FILLED'];
/** The assets an account's starting cash is credited in, on its first use. */
const CASH_ASSETS = ['USD', 'USDT'];
const BPS = new Decimal(10_000);
const ZERO = new Decimal(0);

/**
 * @example const paper = createPaperExchange({ sql, accountId, prices, feeBps: '10', slippageBps: '5', startingCash: '100000', staleAfterMs: 120_000 });
 */
export function createPaperExchange(o: PaperExchangeOptions): Exchange {
  const { sql, accountId } = o;
  const fee = new Decimal(o.feeBps).div(BPS);
  const slippage = new Decimal(o.slippageBps).div(BPS);
  const now = o.now ?? (() => new Date());

  async function ensureAccount(tx: Queryable) {
    await tx`INSERT INTO paper_balances (account_id, asset, free)
      SELECT ${accountId}::uuid, asset, ${o.startingCash}::numeric FROM unnest(${CASH_ASSETS}::text[]) AS asset
      ON CONFLICT DO NOTHING`;
  }

  async function move(tx: Queryable, asset: string, freeDelta: Decimal, lockedDelta: Decimal) {
    await tx`INSERT INTO paper_balances (account_id, asset, free, locked)
      VALUES (${accountId}, ${asset}, ${freeDelta.toString()}, ${lockedDelta.toString()})
      ON CONFLICT (account_id, asset) DO UPDATE
      SET free = paper_balances.free + EXCLUDED.free, locked = paper_balances.locked + EXCLUDED.locked`;
  }

  async function freeOf(tx: Queryable, asset: string): Promise<Decimal> {
    const [row] = await tx<{ free: string }[]>`SELECT free FROM paper_balances WHERE account_id = ${accountId} AND asset = ${asset} FOR UPDATE`;
    return new Decimal(row?.free ?? 0);
  }

  /** What an order of these terms holds back while it rests: base for a sell, quote (at its reservation price, with fee) for a buy. */
  function reservationOf(side: 'BUY' | 'SELL', qty: Decimal, terms: Parameters<typeof buyReservationPrice>[0], market: Decimal): Decimal {
    return side === 'SELL' ? qty : qty.times(buyReservationPrice(terms, market)).times(fee.plus(1));
  }

  /** What a single order holds now. Rows from before migration 013 recorded nothing: recomputed as placement then reserved. */
  function heldBy(row: PaperOrderRow): { asset: string; amount: Decimal } {
    const asset = row.side === 'SELL' ? row.base_asset : row.quote_asset;
    if (row.reserved_amount !== null) return { asset, amount: new Decimal(row.reserved_amount) };
    const qty = new Decimal(row.quantity).minus(row.executed_qty);
    return { asset, amount: row.side === 'SELL' ? qty : qty.times(row.price ?? row.stop_price ?? 0).times(fee.plus(1)) };
  }

  /** Gives back what the order holds: its own reservation, or its list's (a leg's fill or the list's end). */
  async function release(tx: Queryable, row: PaperOrderRow) {
    if (row.order_list_id !== null) return releaseList(tx, row.order_list_id);
    const held = heldBy(row);
    if (!held.amount.isZero()) await move(tx, held.asset, held.amount, held.amount.neg());
  }

  async function releaseList(tx: Queryable, orderListId: string) {
    const [list] = await tx<{ reserve_asset: string; reserved_amount: string }[]>`
      SELECT reserve_asset, reserved_amount FROM paper_order_lists WHERE order_list_id = ${orderListId} FOR UPDATE`;
    const amount = new Decimal(list?.reserved_amount ?? 0);
    if (!list || amount.isZero()) return;
    await tx`UPDATE paper_order_lists SET reserved_amount = 0, updated_at = now() WHERE order_list_id = ${orderListId}`;
    await move(tx, list.reserve_asset, amount, amount.neg());
  }

  /** Fills or triggers an open order against the current price. Runs inside a transaction. */
  async function evaluate(tx: Queryable, row: PaperOrderRow, quote: { price: string; asOf: Date }, fresh: boolean): Promise<PaperOrderRow> {
    if (!OPEN.includes(row.status)) return row;
    const market = new Decimal(quote.price);
    let { triggered } = row;
    if (isContingent(row.type) && !triggered) {
      if (row.trailing_delta !== null) {
        const step = trailStep(trailingOf(row), market);
        if (!step.fires) return trail(tx, row, step.best);
      } else if (!stopConditionMet(row, new Decimal(row.stop_price!), market)) {
        return row;
      }
      triggered = true;
    }
    let fillPrice: Decimal;
    if (!hasLimit(row.type)) {
      fillPrice = row.side === 'BUY' ? market.times(slippage.plus(1)) : market.times(new Decimal(1).minus(slippage));
    } else {
      const limit = new Decimal(row.price!);
      if (!limitCrosses(row.side, limit, market)) {
        // IOC/FOK that cannot fill on arrival: it never rested, so there is no reservation to give back.
        if (fresh && row.time_in_force !== 'GTC' && row.time_in_force !== null) return finish(tx, row, 'EXPIRED', triggered);
        if (triggered === row.triggered) return row;
        const [updated] = await tx<PaperOrderRow[]>`UPDATE paper_orders SET triggered = true, updated_at = now()
          WHERE client_order_id = ${row.client_order_id} RETURNING *`;
        return updated!;
      }
      // A marketable order on arrival (placed, or a stop-limit triggered just now) takes the market
      // price; a resting one fills at its limit.
      fillPrice = fresh || triggered !== row.triggered ? market : limit;
    }
    const qty = new Decimal(row.quantity).minus(row.executed_qty);
    const notional = qty.times(fillPrice);
    const commission = notional.times(fee);
    await release(tx, row);
    // The fill's four writes touch different rows and only add to balances, so their order does not
    // matter: sent together (one round trip once the connection has prepared them) while the
    // account's lock is held.
    const [debit, credit] =
      row.side === 'BUY'
        ? [{ asset: row.quote_asset, delta: notional.plus(commission).neg() }, { asset: row.base_asset, delta: qty }]
        : [{ asset: row.base_asset, delta: qty.neg() }, { asset: row.quote_asset, delta: notional.minus(commission) }];
    const [, , , [updated]] = await Promise.all([
      move(tx, debit.asset, debit.delta, ZERO),
      move(tx, credit.asset, credit.delta, ZERO),
      tx`INSERT INTO paper_trades (client_order_id, price, quantity, commission, commission_asset, executed_at)
        VALUES (${row.client_order_id}, ${fillPrice.toString()}, ${qty.toString()}, ${commission.toString()}, ${row.quote_asset}, ${now()})`,
      tx<PaperOrderRow[]>`UPDATE paper_orders SET status = 'FILLED', triggered = ${triggered}, reserved_amount = 0,
          executed_qty = quantity, cumulative_quote_qty = cumulative_quote_qty + ${notional.toString()}, updated_at = now()
        WHERE client_order_id = ${row.client_order_id} RETURNING *`,
    ]);
    return updated!;
  }

  /** Records a trailing stop's activation or new best price; nothing when neither changed. */
  async function trail(tx: Queryable, row: PaperOrderRow, best: Decimal | null): Promise<PaperOrderRow> {
    if (best === null || (row.trailing_best_price !== null && best.eq(row.trailing_best_price))) return row;
    const [updated] = await tx<PaperOrderRow[]>`UPDATE paper_orders SET trailing_best_price = ${best.toString()},
        trailing_activated_at = coalesce(trailing_activated_at, now()), updated_at = now()
      WHERE client_order_id = ${row.client_order_id} RETURNING *`;
    return updated!;
  }

  /** Ends an open single order and gives back what it holds (nothing, for one that never rested). */
  async function finish(tx: Queryable, row: PaperOrderRow, status: 'CANCELED' | 'EXPIRED', triggered = row.triggered): Promise<PaperOrderRow> {
    await release(tx, row);
    const [updated] = await tx<PaperOrderRow[]>`UPDATE paper_orders SET status = ${status}, triggered = ${triggered}, reserved_amount = 0, updated_at = now()
      WHERE client_order_id = ${row.client_order_id} RETURNING *`;
    return updated!;
  }

  /**
   * Runs `fn` in a transaction that holds the account's lock: the venue matches one account's
   * orders one at a time, so balance rows are never locked in two orders (no deadlocks).
   */
  function inAccountTransaction<T>(fn: (tx: Queryable) => Promise<T>): Promise<T> {
    return sql.begin(async (tx) => {
      await tx`SELECT pg_advisory_xact_lock(hashtextextended(${'paper:' + accountId}, 0))`;
      return fn(tx);
    }) as Promise<T>;
  }

  async function lockOrder(tx: Queryable, ref: OrderRef): Promise<PaperOrderRow | undefined> {
    const [row] = await tx<PaperOrderRow[]>`SELECT * FROM paper_orders WHERE client_order_id = ${ref.clientOrderId} AND account_id = ${accountId} FOR UPDATE`;
    return row;
  }

  /** Inserts an order; a refused one whose client id is taken (a leg's, or another account's) is not recorded and gives undefined. */
  async function insertOrder(tx: Queryable, n: NewPaperOrder, market: Decimal, reserved: Decimal | null): Promise<PaperOrderRow | undefined> {
    const { base, quote } = splitSymbol(n.symbol, 'paper');
    // Without a stopPrice a trailing stop trails from placement, from the last price.
    const trailsNow = n.status === 'NEW' && n.trailingDelta !== undefined && !n.stopPrice;
    // A refused order may carry a delta the column cannot hold (12.5): it is recorded without it.
    const trailingDelta = n.status === 'NEW' ? (n.trailingDelta ?? null) : null;
    const [row] = await tx<PaperOrderRow[]>`INSERT INTO paper_orders
        (client_order_id, account_id, symbol, base_asset, quote_asset, side, type, time_in_force, quantity, price, stop_price, status,
         reject_reason, order_list_id, reserved_amount, trailing_delta, trailing_activated_at, trailing_best_price)
      VALUES (${n.clientOrderId}, ${accountId}, ${n.symbol}, ${base}, ${quote}, ${n.side}, ${n.type},
        ${n.type === 'LIMIT_MAKER' ? 'GTC' : (n.timeInForce ?? null)}, ${n.quantity}, ${n.price ?? null}, ${n.stopPrice ?? null}, ${n.status},
        ${n.rejectReason ?? null}, ${n.orderListId ?? null}, ${reserved?.toString() ?? null}, ${trailingDelta},
        ${trailsNow ? now() : null}, ${trailsNow ? market.toString() : null})
      ${n.status === 'REJECTED' ? sql`ON CONFLICT (client_order_id) DO NOTHING` : sql``}
      RETURNING *`;
    return row;
  }

  // --- Order lists ------------------------------------------------------------------------------

  async function lockList(tx: Queryable, where: { id: string } | { clientId: string }): Promise<PaperListRow | undefined> {
    const [list] = await ('id' in where
      ? tx<PaperListRow[]>`SELECT * FROM paper_order_lists WHERE order_list_id = ${where.id} AND account_id = ${accountId} FOR UPDATE`
      : tx<PaperListRow[]>`SELECT * FROM paper_order_lists WHERE list_client_order_id = ${where.clientId} AND account_id = ${accountId} FOR UPDATE`);
    return list;
  }

  function lockLegs(tx: Queryable, list: PaperListRow): Promise<PaperOrderRow[]> {
    return tx<PaperOrderRow[]>`SELECT * FROM paper_orders WHERE order_list_id = ${list.order_list_id} ORDER BY exchange_order_id FOR UPDATE`;
  }

  /**
   * Matches a working list's legs against the price. The first leg to fill or trigger expires the
   * others in this transaction, so both can never fill. The stop-loss leg is looked at first: when
   * one price fires both (a trailing take-profit and a stop-loss after a gap), the paper venue
   * takes the loss rather than flatter the strategy.
   */
  async function evaluateList(tx: Queryable, list: PaperListRow, quote: { price: string; asOf: Date } | null): Promise<{ list: PaperListRow; legs: PaperOrderRow[] }> {
    const legs = await lockLegs(tx, list);
    if (list.status !== 'EXECUTING' || !quote) return { list, legs };
    const byRisk = [...legs.keys()].sort((a, b) => Number(!legs[a]!.type.startsWith('STOP_LOSS')) - Number(!legs[b]!.type.startsWith('STOP_LOSS')));
    for (const i of byRisk) {
      const leg = legs[i]!;
      if (!OPEN.includes(leg.status)) continue;
      const after = await evaluate(tx, leg, quote, false);
      legs[i] = after;
      if (after.status !== leg.status || after.triggered !== leg.triggered) {
        await expireOthers(tx, legs, i);
        break;
      }
    }
    return { list: await settleList(tx, list, legs), legs };
  }

  async function expireOthers(tx: Queryable, legs: PaperOrderRow[], keep: number) {
    for (const [i, leg] of legs.entries()) {
      if (i === keep || !OPEN.includes(leg.status)) continue;
      const [expired] = await tx<PaperOrderRow[]>`UPDATE paper_orders SET status = 'EXPIRED', updated_at = now()
        WHERE client_order_id = ${leg.client_order_id} RETURNING *`;
      legs[i] = expired!;
    }
  }

  /** A list whose legs are all final is done: what it still holds goes back. */
  async function settleList(tx: Queryable, list: PaperListRow, legs: PaperOrderRow[]): Promise<PaperListRow> {
    if (list.status !== 'EXECUTING' || legs.some((l) => OPEN.includes(l.status))) return list;
    await releaseList(tx, list.order_list_id);
    const [done] = await tx<PaperListRow[]>`UPDATE paper_order_lists SET status = 'ALL_DONE', updated_at = now()
      WHERE order_list_id = ${list.order_list_id} RETURNING *`;
    return done!;
  }

  /** Cancels every working leg (Binance: cancelling one leg cancels the list) and gives the reservation back. */
  async function cancelList(tx: Queryable, list: PaperListRow): Promise<{ list: PaperListRow; legs: PaperOrderRow[] }> {
    const legs = await lockLegs(tx, list);
    for (const [i, leg] of legs.entries()) {
      if (!OPEN.includes(leg.status)) continue;
      const [canceled] = await tx<PaperOrderRow[]>`UPDATE paper_orders SET status = 'CANCELED', updated_at = now()
        WHERE client_order_id = ${leg.client_order_id} RETURNING *`;
      legs[i] = canceled!;
    }
    return { list: await settleList(tx, list, legs), legs };
  }

  async function placeOco(req: PlaceOcoRequest): Promise<ExchangeOrderList> {
    const quote = await o.prices(req.symbol);
    if (!quote) throw new ExchangeRejectedError(-1121, 'Invalid symbol.');
    const market = new Decimal(quote.price);
    // As placeOrder: a refusal is recorded under the listClientOrderId, so a repeat that lands late
    // gets the same refusal and places nothing.
    const outcome = await inAccountTransaction(async (tx): Promise<ExchangeOrderList | ExchangeRejectedError> => {
      await ensureAccount(tx);
      const existing = await lockList(tx, { clientId: req.listClientOrderId });
      if (existing?.status === 'REJECT') return new ExchangeRejectedError(existing.reject_code!, existing.reject_reason!);
      if (existing) return toList(existing, await lockLegs(tx, existing));
      const { base, quote: quoteAsset } = splitSymbol(req.symbol, 'paper');
      const reserveAsset = req.side === 'SELL' ? base : quoteAsset;
      // Binance lists its legs below first, then above.
      const legs = [req.below, req.above];
      const qty = new Decimal(req.quantity);
      // Either leg may fill, never both: hold the larger need once.
      const need = Decimal.max(...legs.map((leg) => reservationOf(req.side, qty, leg, market)));
      const insertList = (status: 'EXECUTING' | 'REJECT', reserved: Decimal, refusal?: Refusal) =>
        tx<PaperListRow[]>`INSERT INTO paper_order_lists
            (list_client_order_id, account_id, symbol, contingency_type, side, quantity, status, reserve_asset, reserved_amount, reject_code, reject_reason)
          VALUES (${req.listClientOrderId}, ${accountId}, ${req.symbol}, 'OCO', ${req.side}, ${req.quantity}, ${status}, ${reserveAsset},
            ${reserved.toString()}, ${refusal?.code ?? null}, ${refusal?.message ?? null})
          RETURNING *`;
      const insertLegs = async (orderListId: string, refusal?: Refusal) => {
        const rows: PaperOrderRow[] = [];
        for (const leg of legs) {
          const n: NewPaperOrder = { ...leg, symbol: req.symbol, side: req.side, quantity: req.quantity, orderListId, status: refusal ? 'REJECTED' : 'NEW', rejectReason: refusal?.message };
          const row = await insertOrder(tx, n, market, refusal ? null : ZERO);
          if (row) rows.push(row);
        }
        return rows;
      };
      const taken = await tx`SELECT 1 FROM paper_orders WHERE client_order_id IN ${tx([req.above.clientOrderId, req.below.clientOrderId])}`;
      let refusal: Refusal | null = taken.length > 0 ? { code: -2010, message: 'Duplicate order sent.' } : ocoRefusal(req, market);
      if (!refusal && (await freeOf(tx, reserveAsset)).lt(need)) refusal = { code: -2010, message: 'Account has insufficient balance for requested action.' };
      if (refusal) {
        const [list] = await insertList('REJECT', ZERO, refusal);
        // Legs whose client ids are free are recorded REJECTED too, so a query of one answers.
        await insertLegs(list!.order_list_id, refusal);
        return new ExchangeRejectedError(refusal.code, refusal.message);
      }
      const [list] = await insertList('EXECUTING', need);
      await move(tx, reserveAsset, need.neg(), need);
      return toList(list!, await insertLegs(list!.order_list_id));
    });
    if (outcome instanceof ExchangeRejectedError) throw outcome;
    return outcome;
  }

  return traced({
    venue: 'paper',

    async getSymbolRules(symbols) {
      const out: SymbolRules[] = [];
      for (const symbol of symbols ?? []) {
        if (!(await o.prices(symbol))) continue;
        const { base, quote } = splitSymbol(symbol, 'paper');
        out.push({
          symbol,
          status: 'TRADING',
          baseAsset: base,
          quoteAsset: quote,
          orderTypes: ['MARKET', 'LIMIT', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
          priceFilter: { minPrice: '0.00000001', maxPrice: '0', tickSize: '0.00000001' },
          lotSize: { minQty: '0.00000001', maxQty: '0', stepSize: '0.00000001' },
          notional: { minNotional: '1', applyMinToMarket: true, applyMaxToMarket: false, avgPriceMins: 0 },
        });
      }
      return out;
    },

    async placeOrder(req) {
      const quote = await o.prices(req.symbol);
      // A refusal is recorded as a REJECTED order under the client id, in the same transaction
      // that holds the account's lock: an earlier attempt that lands late finds it and places
      // nothing, so "not placed" stays true once the engine has been told so.
      const outcome = await inAccountTransaction(async (tx): Promise<ExchangeOrder | ExchangeRejectedError> => {
        const [, existing] = await Promise.all([ensureAccount(tx), lockOrder(tx, req)]);
        // An earlier attempt placed it: that order as it stands now (a resting one may fill), placing nothing.
        if (existing) return { ...toOrder(existing.order_list_id === null && quote ? await evaluate(tx, existing, quote, false) : existing), alreadyPlaced: true as const };
        if (!quote) return new ExchangeRejectedError(-1121, 'Invalid symbol.');
        const market = new Decimal(quote.price);
        const refuse = async ({ code, message }: Refusal) => {
          await insertOrder(tx, { ...req, status: 'REJECTED', rejectReason: message }, market, null);
          return new ExchangeRejectedError(code, message);
        };
        const age = now().getTime() - quote.asOf.getTime();
        if (req.type === 'MARKET' && age > o.staleAfterMs) {
          return refuse({
            code: -2010,
            message: `Price of ${req.symbol} is stale: last update ${Math.round(age / 1000)} s ago (limit ${Math.round(o.staleAfterMs / 1000)} s); not filling a MARKET order against it`,
          });
        }
        const refusal = orderRefusal(req, market);
        if (refusal) return refuse(refusal);
        const qty = new Decimal(req.quantity);
        const { base, quote: quoteAsset } = splitSymbol(req.symbol, 'paper');
        const worstPrice = req.price ? Decimal.max(new Decimal(req.price), market) : market.times(slippage.plus(1));
        const reserve = reservationOf(req.side, qty, req, market);
        // Enough to fill on arrival, and enough to hold back should it rest.
        const need = req.side === 'BUY' ? Decimal.max(qty.times(worstPrice).times(fee.plus(1)), reserve) : qty;
        if ((await freeOf(tx, req.side === 'BUY' ? quoteAsset : base)).lt(need)) return refuse({ code: -2010, message: 'Account has insufficient balance for requested action.' });
        const row = (await insertOrder(tx, { ...req, status: 'NEW' }, market, ZERO))!;
        let result: PaperOrderRow | undefined = await evaluate(tx, row, quote, true);
        if (OPEN.includes(result.status)) {
          await move(tx, req.side === 'BUY' ? quoteAsset : base, reserve.neg(), reserve);
          [result] = await tx<PaperOrderRow[]>`UPDATE paper_orders SET reserved_amount = ${reserve.toString()}
            WHERE client_order_id = ${req.clientOrderId} RETURNING *`;
        }
        return toOrder(result!);
      });
      if (outcome instanceof ExchangeRejectedError) throw outcome;
      return outcome;
    },

    async getOrder(ref) {
      const quote = await o.prices(ref.symbol);
      return inAccountTransaction(async (tx) => {
        const row = await lockOrder(tx, ref);
        if (!row) return null;
        if (row.order_list_id !== null) {
          const { legs } = await evaluateList(tx, (await lockList(tx, { id: row.order_list_id }))!, quote);
          return toOrder(legs.find((l) => l.client_order_id === row.client_order_id)!);
        }
        return toOrder(quote ? await evaluate(tx, row, quote, false) : row);
      });
    },

    /** As stored, oldest first: listing never matches an order (the order's own polling does). */
    async getOpenOrders(symbol) {
      const rows = await sql<PaperOrderRow[]>`SELECT * FROM paper_orders
        WHERE account_id = ${accountId} AND status IN ${sql(OPEN)} ${symbol === undefined ? sql`` : sql`AND symbol = ${symbol}`}
        ORDER BY created_at, exchange_order_id`;
      return rows.map(toOrder);
    },

    /** The paper venue forgets nothing: getOrder without matching, whatever `sinceMs` says. */
    async findInHistory(ref) {
      const [row] = await sql<PaperOrderRow[]>`SELECT * FROM paper_orders WHERE client_order_id = ${ref.clientOrderId} AND account_id = ${accountId}`;
      return row ? toOrder(row) : null;
    },

    async cancelOrder(ref) {
      return inAccountTransaction(async (tx) => {
        const row = await lockOrder(tx, ref);
        if (!row || !OPEN.includes(row.status)) throw new ExchangeRejectedError(-2011, 'Unknown order sent.');
        if (row.order_list_id === null) return toOrder(await finish(tx, row, 'CANCELED'));
        const { legs } = await cancelList(tx, (await lockList(tx, { id: row.order_list_id }))!);
        return toOrder(legs.find((l) => l.client_order_id === row.client_order_id)!);
      });
    },

    async getTrades(ref) {
      const rows = await sql<{ trade_id: string; price: string; quantity: string; commission: string; commission_asset: string; executed_at: Date }[]>`
        SELECT t.* FROM paper_trades t JOIN paper_orders o USING (client_order_id)
        WHERE t.client_order_id = ${ref.clientOrderId} AND o.account_id = ${accountId} ORDER BY trade_id`;
      return rows.map(
        (r): ExchangeFill => ({
          tradeId: `paper-${r.trade_id}`,
          price: r.price,
          qty: r.quantity,
          commission: r.commission,
          commissionAsset: r.commission_asset,
          time: r.executed_at.getTime(),
        }),
      );
    },

    async getBalances(): Promise<Balance[]> {
      const read = () => sql<{ asset: string; free: string; locked: string }[]>`SELECT asset, free, locked FROM paper_balances WHERE account_id = ${accountId} ORDER BY asset`;
      // An account gets its starting cash on first use; a read that finds both cash rows skips the insert.
      let rows = await read();
      if (!CASH_ASSETS.every((asset) => rows.some((r) => r.asset === asset))) {
        await ensureAccount(sql);
        rows = await read();
      }
      return rows.map((r) => ({ asset: r.asset, free: r.free, locked: r.locked }));
    },

    async placeOrderList(req) {
      if (req.kind === 'OTOCO') {
        throw new ExchangeRejectedError(
          -1158,
          'OTOCO order lists are not supported by the paper venue: the engine runs paper brackets in its workflow (the entry order, then an OCO sized to what filled).',
        );
      }
      return placeOco(req);
    },

    /** Matches the list's legs first, like getOrder; a refused placement answers with listOrderStatus REJECT. */
    async getOrderList(ref: OrderListRef) {
      const quote = await o.prices(ref.symbol);
      return inAccountTransaction(async (tx) => {
        const found = await lockList(tx, { clientId: ref.listClientOrderId });
        if (!found) return null;
        const { list, legs } = await evaluateList(tx, found, quote);
        return toList(list, legs);
      });
    },

    async cancelOrderList(ref: OrderListRef) {
      return inAccountTransaction(async (tx) => {
        const found = await lockList(tx, { clientId: ref.listClientOrderId });
        if (!found || found.status !== 'EXECUTING') throw new ExchangeRejectedError(-2011, 'Unknown order sent.');
        const { list, legs } = await cancelList(tx, found);
        return toList(list, legs);
      });
    },
  });
}

/**
 * Each call is a span, `paper placeOrder` and so on (the OpenTelemetry API's no-op unless tracing
 * is on): the venue step of an order's trace, as the HTTP span is on Binance.
 */
function traced(exchange: Exchange): Exchange {
  const tracer = trace.getTracer(TRACER_NAME);
  const wrapped: Record<string, unknown> = { ...exchange };
  for (const [name, fn] of Object.entries(exchange)) {
    if (typeof fn !== 'function') continue;
    wrapped[name] = (...args: unknown[]) =>
      tracer.startActiveSpan(`paper ${name}`, { kind: SpanKind.INTERNAL, attributes: { 'venue.name': 'paper', 'venue.operation': name } }, async (span) => {
        try {
          return await (fn as (...a: unknown[]) => Promise<unknown>)(...args);
        } catch (err) {
          span.setAttribute('error.type', err instanceof Error ? err.name : 'Error');
          if (err instanceof ExchangeRejectedError) span.setAttribute('venue.error.code', err.code);
          span.setStatus({ code: SpanStatusCode.ERROR, message: err instanceof Error ? err.message : undefined });
          throw err;
        } finally {
          span.end();
        }
      });
  }
  return wrapped as unknown as Exchange;
}

function trailingOf(row: PaperOrderRow) {
  return {
    side: row.side,
    type: row.type,
    stopPrice: row.stop_price === null ? null : new Decimal(row.stop_price),
    delta: row.trailing_delta!,
    best: row.trailing_best_price === null ? null : new Decimal(row.trailing_best_price),
  };
}

/** A trailing order shows its current trigger as stopPrice once it trails; until then, its activation price. */
function stopPriceOf(r: PaperOrderRow): string | undefined {
  if (r.trailing_delta !== null && r.trailing_best_price !== null) return trailingTrigger(r.side, new Decimal(r.trailing_best_price), r.trailing_delta).toString();
  return r.stop_price ?? undefined;
}

function toOrder(r: PaperOrderRow): ExchangeOrder {
  return {
    symbol: r.symbol,
    exchangeOrderId: String(r.exchange_order_id),
    clientOrderId: r.client_order_id,
    side: r.side,
    type: r.type,
    status: r.status,
    price: r.price ?? '0',
    stopPrice: stopPriceOf(r),
    origQty: r.quantity,
    executedQty: r.executed_qty,
    cummulativeQuoteQty: r.cumulative_quote_qty,
    updateTime: r.updated_at.getTime(),
    trailingDelta: r.trailing_delta ?? undefined,
    orderListId: r.order_list_id ?? undefined,
  };
}

function toList(list: PaperListRow, legs: PaperOrderRow[]): ExchangeOrderList {
  const listOrderStatus = list.status;
  return {
    symbol: list.symbol,
    orderListId: String(list.order_list_id),
    listClientOrderId: list.list_client_order_id,
    contingencyType: 'OCO',
    listStatusType: listOrderStatus === 'EXECUTING' ? 'EXEC_STARTED' : listOrderStatus === 'ALL_DONE' ? 'ALL_DONE' : 'RESPONSE',
    listOrderStatus,
    orders: legs.map(toOrder),
    transactionTime: list.updated_at.getTime(),
  };
}
