/**
 * The paper venue: a simulated exchange inside the engine, for any symbol, kept in Postgres.
 * MARKET orders fill at the latest stored price plus slippage; LIMIT orders fill when the price
 * crosses; STOP_* and TAKE_PROFIT_* trigger on a crossing. Orders are re-evaluated whenever they
 * are placed or queried, so the order workflow's polling (or a price signal) drives the fills.
 */
import { Decimal } from 'decimal.js';
import type { Queryable, Sql } from '../../lib/db.js';
import { ExchangeRejectedError } from '../../domain/venue-errors.js';
import { splitSymbol } from '../../domain/symbols.js';
import type { Balance, Exchange, ExchangeFill, ExchangeOrder, OrderRef, PlaceOrderRequest, SymbolRules } from '../../domain/exchange.js';

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
}

const OPEN = ['NEW', 'PARTIALLY_FILLED'];
const BPS = new Decimal(10_000);

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
      VALUES (${accountId}, 'USD', ${o.startingCash}), (${accountId}, 'USDT', ${o.startingCash})
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

  /** What a resting order holds back: quote for buys (at its limit, with fee), base for sells. */
  function reservation(row: PaperOrderRow): { asset: string; amount: Decimal } {
    const qty = new Decimal(row.quantity).minus(row.executed_qty);
    if (row.side === 'SELL') return { asset: row.base_asset, amount: qty };
    const limit = new Decimal(row.price ?? row.stop_price ?? 0);
    return { asset: row.quote_asset, amount: qty.times(limit).times(fee.plus(1)) };
  }

  function triggerHit(row: PaperOrderRow, price: Decimal): boolean {
    const stop = new Decimal(row.stop_price ?? 0);
    const stopLoss = row.type.startsWith('STOP_LOSS');
    // Stop-loss sells and take-profit buys fire on a fall; the other two on a rise.
    const firesOnFall = (stopLoss && row.side === 'SELL') || (!stopLoss && row.side === 'BUY');
    return firesOnFall ? price.lte(stop) : price.gte(stop);
  }

  /** Fills or triggers an open order against the current price. Runs inside a transaction. */
  async function evaluate(tx: Queryable, row: PaperOrderRow, quote: { price: string; asOf: Date }, fresh: boolean): Promise<PaperOrderRow> {
    if (!OPEN.includes(row.status)) return row;
    const market = new Decimal(quote.price);
    let { type, triggered } = row;
    if ((type.startsWith('STOP_LOSS') || type.startsWith('TAKE_PROFIT')) && !triggered) {
      if (!triggerHit(row, market)) return row;
      triggered = true;
    }
    const actsAsMarket = type === 'MARKET' || type === 'STOP_LOSS' || type === 'TAKE_PROFIT';
    let fillPrice: Decimal;
    if (actsAsMarket) {
      fillPrice = row.side === 'BUY' ? market.times(slippage.plus(1)) : market.times(new Decimal(1).minus(slippage));
    } else {
      const limit = new Decimal(row.price!);
      const crosses = row.side === 'BUY' ? market.lte(limit) : market.gte(limit);
      if (!crosses) {
        // IOC/FOK that cannot fill on arrival: it never rested, so there is no reservation to give back.
        if (fresh && row.time_in_force !== 'GTC' && row.time_in_force !== null) return finish(tx, row, 'EXPIRED', triggered, false);
        if (triggered !== row.triggered) await tx`UPDATE paper_orders SET triggered = true, updated_at = now() WHERE client_order_id = ${row.client_order_id}`;
        return { ...row, triggered };
      }
      // A marketable order on arrival takes the market price; a resting one fills at its limit.
      fillPrice = fresh ? market : limit;
    }
    const qty = new Decimal(row.quantity).minus(row.executed_qty);
    const notional = qty.times(fillPrice);
    const commission = notional.times(fee);
    const held = reservation(row);
    if (!fresh) await move(tx, held.asset, held.amount, held.amount.neg());
    if (row.side === 'BUY') {
      await move(tx, row.quote_asset, notional.plus(commission).neg(), new Decimal(0));
      await move(tx, row.base_asset, qty, new Decimal(0));
    } else {
      await move(tx, row.base_asset, qty.neg(), new Decimal(0));
      await move(tx, row.quote_asset, notional.minus(commission), new Decimal(0));
    }
    await tx`INSERT INTO paper_trades (client_order_id, price, quantity, commission, commission_asset, executed_at)
      VALUES (${row.client_order_id}, ${fillPrice.toString()}, ${qty.toString()}, ${commission.toString()}, ${row.quote_asset}, ${now()})`;
    const [updated] = await tx<PaperOrderRow[]>`UPDATE paper_orders SET status = 'FILLED', triggered = ${triggered},
        executed_qty = quantity, cumulative_quote_qty = cumulative_quote_qty + ${notional.toString()}, updated_at = now()
      WHERE client_order_id = ${row.client_order_id} RETURNING *`;
    return updated!;
  }

  /** Ends an open order; `reserved` is false for one that never rested (placeOrder reserves only NEW orders). */
  async function finish(tx: Queryable, row: PaperOrderRow, status: 'CANCELED' | 'EXPIRED', triggered = row.triggered, reserved = true): Promise<PaperOrderRow> {
    if (reserved) {
      const held = reservation(row);
      await move(tx, held.asset, held.amount, held.amount.neg());
    }
    const [updated] = await tx<PaperOrderRow[]>`UPDATE paper_orders SET status = ${status}, triggered = ${triggered}, updated_at = now()
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

  return {
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
          orderTypes: ['MARKET', 'LIMIT', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT'],
          priceFilter: { minPrice: '0.00000001', maxPrice: '0', tickSize: '0.00000001' },
          lotSize: { minQty: '0.00000001', maxQty: '0', stepSize: '0.00000001' },
          notional: { minNotional: '1', applyMinToMarket: true, applyMaxToMarket: false, avgPriceMins: 0 },
        });
      }
      return out;
    },

    async placeOrder(req) {
      const quote = await o.prices(req.symbol);
      if (!quote) throw new ExchangeRejectedError(-1121, 'Invalid symbol.');
      // A refusal is recorded as a REJECTED order under the client id, in the same transaction
      // that holds the account's lock: an earlier attempt that lands late finds it and places
      // nothing, so "not placed" stays true once the engine has been told so.
      const outcome = await inAccountTransaction(async (tx): Promise<ExchangeOrder | ExchangeRejectedError> => {
        await ensureAccount(tx);
        const existing = await lockOrder(tx, req);
        if (existing) return toOrder(existing);
        const { base, quote: quoteAsset } = splitSymbol(req.symbol, 'paper');
        const refuse = async (msg: string) => {
          await tx`INSERT INTO paper_orders
              (client_order_id, account_id, symbol, base_asset, quote_asset, side, type, time_in_force, quantity, price, stop_price, status)
            VALUES (${req.clientOrderId}, ${accountId}, ${req.symbol}, ${base}, ${quoteAsset}, ${req.side}, ${req.type},
              ${req.timeInForce ?? null}, ${req.quantity}, ${req.price ?? null}, ${req.stopPrice ?? null}, 'REJECTED')`;
          return new ExchangeRejectedError(-2010, msg);
        };
        const age = now().getTime() - quote.asOf.getTime();
        if (req.type === 'MARKET' && age > o.staleAfterMs) {
          return refuse(`Price of ${req.symbol} is stale: last update ${Math.round(age / 1000)} s ago (limit ${Math.round(o.staleAfterMs / 1000)} s); not filling a MARKET order against it`);
        }
        const market = new Decimal(quote.price);
        const qty = new Decimal(req.quantity);
        const probe = { side: req.side, type: req.type, stop_price: req.stopPrice ?? null } as PaperOrderRow;
        if (req.stopPrice && triggerHit(probe, market)) return refuse('Order would trigger immediately.');
        const worstPrice = req.price ? Decimal.max(new Decimal(req.price), market) : market.times(slippage.plus(1));
        const need = req.side === 'BUY' ? qty.times(worstPrice).times(fee.plus(1)) : qty;
        const needAsset = req.side === 'BUY' ? quoteAsset : base;
        if ((await freeOf(tx, needAsset)).lt(need)) return refuse('Account has insufficient balance for requested action.');
        const [row] = await tx<PaperOrderRow[]>`INSERT INTO paper_orders
            (client_order_id, account_id, symbol, base_asset, quote_asset, side, type, time_in_force, quantity, price, stop_price, status)
          VALUES (${req.clientOrderId}, ${accountId}, ${req.symbol}, ${base}, ${quoteAsset}, ${req.side}, ${req.type},
            ${req.timeInForce ?? null}, ${req.quantity}, ${req.price ?? null}, ${req.stopPrice ?? null}, 'NEW')
          RETURNING *`;
        let result = await evaluate(tx, row!, quote, true);
        if (result.status === 'NEW') {
          const held = reservation(result);
          await move(tx, held.asset, held.amount.neg(), held.amount);
          result = { ...result };
        }
        return toOrder(result);
      });
      if (outcome instanceof ExchangeRejectedError) throw outcome;
      return outcome;
    },

    async getOrder(ref) {
      const quote = await o.prices(ref.symbol);
      return inAccountTransaction(async (tx) => {
        const row = await lockOrder(tx, ref);
        if (!row) return null;
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
        return toOrder(await finish(tx, row, 'CANCELED'));
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
      await ensureAccount(sql);
      const rows = await sql<{ asset: string; free: string; locked: string }[]>`SELECT asset, free, locked FROM paper_balances WHERE account_id = ${accountId} ORDER BY asset`;
      return rows.map((r) => ({ asset: r.asset, free: r.free, locked: r.locked }));
    },
  };
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
    stopPrice: r.stop_price ?? undefined,
    origQty: r.quantity,
    executedQty: r.executed_qty,
    cummulativeQuoteQty: r.cumulative_quote_qty,
    updateTime: r.updated_at.getTime(),
  };
}
