/**
 * The Binance Spot REST venue. Signs requests (HMAC-SHA256), asks for FULL order responses, and
 * parses Binance's shapes into the venue-neutral types. Failures come out as ExchangeError
 * subclasses (see binance-client.ts); a -1021 clock rejection is repaired here, once per request.
 * Order lists (OCO, OTOCO) go out as one request each and come back with every leg.
 */
import { createHmac } from 'node:crypto';
import { z } from 'zod';
import { createBinanceHttp, type BinanceCall, type FetchLike } from './http.js';
import { parseSymbolRules } from '../../domain/venue-rules.js';
import { ExchangeRejectedError, ExchangeUnknownOutcomeError } from '../../domain/venue-errors.js';
import type {
  Balance,
  Exchange,
  ExchangeFill,
  ExchangeOrder,
  ExchangeOrderList,
  OrderListLeg,
  OrderListRef,
  OrderRef,
  OrderType,
  PlaceOrderListRequest,
  PlaceOrderRequest,
  SymbolRules,
} from '../../domain/exchange.js';
import type { RequestBudget, RequestPriority } from './request-budget.js';

export interface BinanceExchangeOptions {
  baseUrl: string;
  apiKey: string;
  apiSecret: string;
  /** Sent as `recvWindow`; Binance's default is 5000, its maximum 60000. */
  recvWindowMs?: number;
  /** Per HTTP request. Default 10 000 ms. */
  timeoutMs?: number;
  fetch?: FetchLike;
  now?: () => number;
  /** The Binance request budget of this process, shared with every other account and the price source. */
  requestBudget?: RequestBudget;
}

const decimal = z.string().regex(/^-?\d+(\.\d+)?$/);
const orderSchema = z.object({
  symbol: z.string(),
  orderId: z.number().int(),
  clientOrderId: z.string(),
  origClientOrderId: z.string().optional(),
  side: z.enum(['BUY', 'SELL']),
  type: z.enum(['MARKET', 'LIMIT', 'LIMIT_MAKER', 'STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']),
  status: z.enum(['NEW', 'PENDING_NEW', 'PARTIALLY_FILLED', 'FILLED', 'CANCELED', 'PENDING_CANCEL', 'REJECTED', 'EXPIRED', 'EXPIRED_IN_MATCH']),
  price: decimal,
  stopPrice: decimal.optional(),
  origQty: decimal,
  executedQty: decimal,
  cummulativeQuoteQty: decimal,
  transactTime: z.number().optional(),
  updateTime: z.number().optional(),
  /** -1 for an order outside any list. */
  orderListId: z.number().int().optional(),
  trailingDelta: z.number().int().optional(),
});
const tradeSchema = z.object({ id: z.number().int(), price: decimal, qty: decimal, commission: decimal, commissionAsset: z.string(), time: z.number() });
const accountSchema = z.object({ balances: z.array(z.object({ asset: z.string(), free: decimal, locked: decimal })) });
const timeSchema = z.object({ serverTime: z.number() });
const exchangeInfoSchema = z.object({ symbols: z.array(z.unknown()) });
const ordersSchema = z.array(orderSchema);
/** An order list as every list endpoint prints it; `orderReports` only in the answers to a placement or a cancel. */
const orderListSchema = z.object({
  orderListId: z.number().int(),
  contingencyType: z.enum(['OCO', 'OTO']),
  listStatusType: z.enum(['RESPONSE', 'EXEC_STARTED', 'UPDATED', 'ALL_DONE']),
  listOrderStatus: z.enum(['EXECUTING', 'ALL_DONE', 'REJECT']),
  listClientOrderId: z.string(),
  transactionTime: z.number(),
  symbol: z.string(),
  orders: z.array(z.object({ symbol: z.string(), orderId: z.number().int(), clientOrderId: z.string() })),
  orderReports: z.array(orderSchema).optional(),
});

/**
 * What a call spends of the request budget: Binance's weight of the endpoint (rest-api.md), and
 * whom it serves. A method's priority is its usual caller's (a status query is mostly a poll, a
 * balance read is the risk check before an order); withRequestPriority overrides it for a caller
 * that knows better.
 */
type Cost = Pick<BinanceCall, 'weight' | 'priority' | 'orders'>;

/** allOrders' page size (its maximum). */
const HISTORY_PAGE = 1000;
/** How far before `sinceMs` the history search starts: our clock and Binance's may disagree that much. */
const HISTORY_MARGIN_MS = 5 * 60_000;

const LIMIT_TYPES: ReadonlySet<string> = new Set(['LIMIT', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT']);
/** Binance's codes for "no such list" on GET /api/v3/orderList: -2018 as seen in the wild (not in errors.md), the order codes just in case. */
const NO_SUCH_LIST_CODES: ReadonlySet<number> = new Set([-2018, -2013, -2011]);
const STOP_TYPES: ReadonlySet<string> = new Set(['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);

/** A 2xx answer we cannot read leaves the outcome unknown: the order may well exist. */
function parseReply<T>(schema: z.ZodType<T>, json: unknown, label: string): T {
  const parsed = schema.safeParse(json);
  if (parsed.success) return parsed.data;
  const where = parsed.error.issues.map((i) => i.path.join('.') || '(root)').join(', ');
  throw new ExchangeUnknownOutcomeError(`${label}: unexpected response shape at ${where}`);
}

function rulesOf(raw: unknown): SymbolRules {
  try {
    return parseSymbolRules(raw);
  } catch {
    throw new ExchangeUnknownOutcomeError('GET /api/v3/exchangeInfo: unexpected symbol shape');
  }
}

function toOrder(o: z.infer<typeof orderSchema>, fallbackTime: number): ExchangeOrder {
  const stop = o.stopPrice !== undefined && !/^0(\.0*)?$/.test(o.stopPrice) ? o.stopPrice : undefined;
  return {
    symbol: o.symbol,
    exchangeOrderId: String(o.orderId),
    // A cancel answers with the cancel's own id in clientOrderId and the order's in origClientOrderId.
    clientOrderId: o.origClientOrderId ?? o.clientOrderId,
    side: o.side,
    type: o.type,
    status: o.status,
    price: o.price,
    stopPrice: stop,
    origQty: o.origQty,
    executedQty: o.executedQty,
    cummulativeQuoteQty: o.cummulativeQuoteQty,
    updateTime: o.updateTime ?? o.transactTime ?? fallbackTime,
    trailingDelta: o.trailingDelta,
    orderListId: o.orderListId === undefined || o.orderListId === -1 ? undefined : String(o.orderListId),
  };
}

/** The type-dependent parameters of one order, under `name` (plain, or a list leg's prefix): Binance answers -1106 to any a type does not take. */
function termParams(
  name: (field: string) => string,
  type: OrderType,
  terms: { price?: string | undefined; stopPrice?: string | undefined; trailingDelta?: number | undefined; timeInForce?: string | undefined },
): Record<string, string> {
  const out: Record<string, string> = {};
  if (LIMIT_TYPES.has(type)) out[name('timeInForce')] = terms.timeInForce ?? 'GTC';
  if ((LIMIT_TYPES.has(type) || type === 'LIMIT_MAKER') && terms.price !== undefined) out[name('price')] = terms.price;
  if (STOP_TYPES.has(type) && terms.stopPrice !== undefined) out[name('stopPrice')] = terms.stopPrice;
  if (STOP_TYPES.has(type) && terms.trailingDelta !== undefined) out[name('trailingDelta')] = String(terms.trailingDelta);
  return out;
}

/** One leg of an OCO pair as `above…`, `pendingBelow…` parameters. */
function legParams(prefix: string, leg: OrderListLeg): Record<string, string> {
  const name = (field: string): string => `${prefix}${field[0]!.toUpperCase()}${field.slice(1)}`;
  return { [name('type')]: leg.type, [name('clientOrderId')]: leg.clientOrderId, ...termParams(name, leg.type, leg) };
}

function orderListParams(req: PlaceOrderListRequest): Record<string, string> {
  const common = { symbol: req.symbol, listClientOrderId: req.listClientOrderId, newOrderRespType: 'FULL' };
  if (req.kind === 'OCO') {
    return { ...common, side: req.side, quantity: req.quantity, ...legParams('above', req.above), ...legParams('below', req.below) };
  }
  const w = req.working;
  return {
    ...common,
    workingType: w.type,
    workingSide: w.side,
    workingClientOrderId: w.clientOrderId,
    workingPrice: w.price,
    workingQuantity: w.quantity,
    ...(w.type === 'LIMIT' ? { workingTimeInForce: w.timeInForce ?? 'GTC' } : {}),
    pendingSide: req.pending.side,
    pendingQuantity: req.pending.quantity,
    ...legParams('pendingAbove', req.pending.above),
    ...legParams('pendingBelow', req.pending.below),
  };
}

/** A list with its legs: from the answer's orderReports, or `legs` read one by one. */
function toOrderList(l: z.infer<typeof orderListSchema>, legs: ExchangeOrder[]): ExchangeOrderList {
  return {
    symbol: l.symbol,
    orderListId: String(l.orderListId),
    listClientOrderId: l.listClientOrderId,
    contingencyType: l.contingencyType,
    listStatusType: l.listStatusType,
    listOrderStatus: l.listOrderStatus,
    orders: legs,
    transactionTime: l.transactionTime,
  };
}

/** The legs of a placement or cancel answer, in the list's order. */
function reportedLegs(l: z.infer<typeof orderListSchema>, label: string): ExchangeOrder[] {
  return l.orders.map((ref) => {
    const report = l.orderReports?.find((r) => r.orderId === ref.orderId);
    if (!report) throw new ExchangeUnknownOutcomeError(`${label}: no report of leg ${ref.orderId}`);
    return toOrder(report, l.transactionTime);
  });
}

/**
 * Creates the Binance Spot venue.
 * @example
 * const binance = createBinanceExchange({ baseUrl: 'https://testnet.binance.vision', apiKey, apiSecret });
 * const order = await binance.placeOrder({ symbol: 'BTCUSDT', side: 'BUY', type: 'MARKET', quantity: '0.001', clientOrderId: 'o-42' });
 */
export function createBinanceExchange(options: BinanceExchangeOptions): Exchange {
  const http = createBinanceHttp(options);
  const now = options.now ?? Date.now;
  const recvWindow = String(options.recvWindowMs ?? 5000);
  let clockOffsetMs = 0;

  async function syncClock(priority: RequestPriority): Promise<void> {
    const sentAt = now();
    const { serverTime } = parseReply(timeSchema, await http({ method: 'GET', path: '/api/v3/time', weight: 1, priority }), 'GET /api/v3/time');
    clockOffsetMs = serverTime - Math.round((sentAt + now()) / 2);
  }

  function signedCall(method: BinanceCall['method'], path: string, params: Record<string, string>, cost: Cost): BinanceCall {
    const query = new URLSearchParams(params);
    query.set('recvWindow', recvWindow);
    query.set('timestamp', String(now() + clockOffsetMs));
    const payload = query.toString();
    const signature = createHmac('sha256', options.apiSecret).update(payload).digest('hex');
    const signed = `${payload}&signature=${signature}`;
    return method === 'POST'
      ? { method, path, body: signed, apiKey: options.apiKey, ...cost }
      : { method, path, query: signed, apiKey: options.apiKey, ...cost };
  }

  /** Signed request; on -1021 the clock offset is re-measured and the request re-signed and sent once more. */
  async function signed(method: BinanceCall['method'], path: string, params: Record<string, string>, cost: Cost): Promise<unknown> {
    try {
      return await http(signedCall(method, path, params, cost));
    } catch (err) {
      if (!(err instanceof ExchangeRejectedError && err.code === -1021)) throw err;
      // The request was refused, so a clock check that fails leaves it refused (not "unknown").
      await syncClock(cost.priority).catch(() => {
        throw err;
      });
      return http(signedCall(method, path, params, cost));
    }
  }

  return {
    venue: 'binance',

    async getSymbolRules(symbols?: string[]): Promise<SymbolRules[]> {
      if (symbols && symbols.length === 0) return [];
      const query = symbols ? `symbols=${encodeURIComponent(JSON.stringify(symbols))}` : undefined;
      const json = await http({ method: 'GET', path: '/api/v3/exchangeInfo', query, weight: 20, priority: 'order' });
      const info = parseReply(exchangeInfoSchema, json, 'GET /api/v3/exchangeInfo');
      return info.symbols.map(rulesOf);
    },

    async placeOrder(req: PlaceOrderRequest): Promise<ExchangeOrder> {
      const params: Record<string, string> = {
        symbol: req.symbol,
        side: req.side,
        type: req.type,
        quantity: req.quantity,
        newClientOrderId: req.clientOrderId,
        newOrderRespType: 'FULL',
      };
      Object.assign(params, termParams((field) => field, req.type, req));
      const json = await signed('POST', '/api/v3/order', params, { weight: 1, priority: 'order', orders: 1 });
      return toOrder(parseReply(orderSchema, json, 'POST /api/v3/order'), now());
    },

    async getOrder(ref: OrderRef): Promise<ExchangeOrder | null> {
      try {
        const json = await signed('GET', '/api/v3/order', { symbol: ref.symbol, origClientOrderId: ref.clientOrderId }, { weight: 4, priority: 'poll' });
        return toOrder(parseReply(orderSchema, json, 'GET /api/v3/order'), now());
      } catch (err) {
        if (err instanceof ExchangeRejectedError && err.code === -2013) return null;
        throw err;
      }
    },

    async cancelOrder(ref: OrderRef): Promise<ExchangeOrder> {
      const json = await signed('DELETE', '/api/v3/order', { symbol: ref.symbol, origClientOrderId: ref.clientOrderId }, { weight: 1, priority: 'cancel' });
      return toOrder(parseReply(orderSchema, json, 'DELETE /api/v3/order'), now());
    },

    async getOpenOrders(symbol?: string): Promise<ExchangeOrder[]> {
      const json = await signed('GET', '/api/v3/openOrders', symbol === undefined ? {} : { symbol }, { weight: symbol === undefined ? 80 : 6, priority: 'reconcile' });
      return parseReply(ordersSchema, json, 'GET /api/v3/openOrders').map((o) => toOrder(o, now()));
    },

    /**
     * Pages through allOrders from `sinceMs` (less a margin for clock skew) by orderId until a
     * short page; without `sinceMs`, only the most recent 1000 orders of the symbol are searched.
     */
    async findInHistory(ref: OrderRef & { sinceMs?: number | undefined }): Promise<ExchangeOrder | null> {
      const limit = String(HISTORY_PAGE);
      let params: Record<string, string> =
        ref.sinceMs === undefined
          ? { symbol: ref.symbol, limit }
          : { symbol: ref.symbol, startTime: String(Math.max(0, ref.sinceMs + clockOffsetMs - HISTORY_MARGIN_MS)), limit };
      let newest: z.infer<typeof orderSchema> | undefined;
      for (;;) {
        const rows = parseReply(ordersSchema, await signed('GET', '/api/v3/allOrders', params, { weight: 20, priority: 'reconcile' }), 'GET /api/v3/allOrders');
        for (const o of rows) if (o.clientOrderId === ref.clientOrderId && (newest === undefined || o.orderId > newest.orderId)) newest = o;
        if (ref.sinceMs === undefined || rows.length < HISTORY_PAGE) break;
        const lastId = Math.max(...rows.map((o) => o.orderId));
        params = { symbol: ref.symbol, orderId: String(lastId + 1), limit };
      }
      return newest === undefined ? null : toOrder(newest, now());
    },

    async getTrades(ref: OrderRef & { exchangeOrderId: string }): Promise<ExchangeFill[]> {
      const json = await signed('GET', '/api/v3/myTrades', { symbol: ref.symbol, orderId: ref.exchangeOrderId }, { weight: 5, priority: 'poll' });
      return parseReply(z.array(tradeSchema), json, 'GET /api/v3/myTrades').map((t) => ({
        tradeId: String(t.id),
        price: t.price,
        qty: t.qty,
        commission: t.commission,
        commissionAsset: t.commissionAsset,
        time: t.time,
      }));
    },

    async getBalances(): Promise<Balance[]> {
      const json = await signed('GET', '/api/v3/account', { omitZeroBalances: 'true' }, { weight: 20, priority: 'order' });
      return parseReply(accountSchema, json, 'GET /api/v3/account').balances;
    },

    async placeOrderList(req: PlaceOrderListRequest): Promise<ExchangeOrderList> {
      const path = req.kind === 'OCO' ? '/api/v3/orderList/oco' : '/api/v3/orderList/otoco';
      // Unfilled order count: each leg counts (rest-api.md: 2 for an OCO, 3 for an OTOCO).
      const orders = req.kind === 'OCO' ? 2 : 3;
      const json = await signed('POST', path, orderListParams(req), { weight: 1, priority: 'order', orders });
      const label = `POST ${path}`;
      const list = parseReply(orderListSchema, json, label);
      return toOrderList(list, reportedLegs(list, label));
    },

    /**
     * GET /api/v3/orderList names the legs only, so each leg's state is read by its orderId (4 + 4
     * per leg: cheaper than allOrders' 20). A leg the venue does not show yet leaves the answer unknown.
     */
    async getOrderList(ref: OrderListRef): Promise<ExchangeOrderList | null> {
      let list: z.infer<typeof orderListSchema>;
      try {
        // This endpoint takes no symbol, and Binance refuses a parameter it does not read (-1104).
        const json = await signed('GET', '/api/v3/orderList', { origClientOrderId: ref.listClientOrderId }, { weight: 4, priority: 'poll' });
        list = parseReply(orderListSchema, json, 'GET /api/v3/orderList');
      } catch (err) {
        if (err instanceof ExchangeRejectedError && NO_SUCH_LIST_CODES.has(err.code)) return null;
        throw err;
      }
      const legs: ExchangeOrder[] = [];
      for (const leg of list.orders) {
        try {
          const json = await signed('GET', '/api/v3/order', { symbol: leg.symbol, orderId: String(leg.orderId) }, { weight: 4, priority: 'poll' });
          legs.push(toOrder(parseReply(orderSchema, json, 'GET /api/v3/order'), now()));
        } catch (err) {
          if (err instanceof ExchangeRejectedError && err.code === -2013) {
            throw new ExchangeUnknownOutcomeError(`GET /api/v3/order: leg ${leg.orderId} of list ${list.orderListId} not visible yet`, err.code, err.httpStatus);
          }
          throw err;
        }
      }
      return toOrderList(list, legs);
    },

    async cancelOrderList(ref: OrderListRef): Promise<ExchangeOrderList> {
      const json = await signed('DELETE', '/api/v3/orderList', { symbol: ref.symbol, listClientOrderId: ref.listClientOrderId }, { weight: 1, priority: 'cancel' });
      const list = parseReply(orderListSchema, json, 'DELETE /api/v3/orderList');
      return toOrderList(list, reportedLegs(list, 'DELETE /api/v3/orderList'));
    },
  };
}
