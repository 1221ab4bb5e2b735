/**
 * Orders, order lists and trades in Binance's JSON shapes: the ACK / RESULT / FULL answers of a new
 * order, the query and open-orders shape, the cancel answer, the order list answers and the
 * myTrades rows. Decimals print with 8 places; `trailingDelta`/`trailingTime` only on trailing stops.
 */
import type { FakeOrderList } from './order-lists.js';
import type { FakeOrder, FakeTrade } from './orders.js';
import { fmt } from './decimal.js';

export type RespType = 'ACK' | 'RESULT' | 'FULL';

const STOP_TYPES = new Set(['STOP_LOSS', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);

/** Binance's default: FULL for MARKET and LIMIT, ACK for everything else. */
export function defaultRespType(type: string): RespType {
  return type === 'MARKET' || type === 'LIMIT' ? 'FULL' : 'ACK';
}

function stopField(o: FakeOrder): { stopPrice?: string } {
  return STOP_TYPES.has(o.type) ? { stopPrice: fmt(o.stopPrice) } : {};
}

function core(o: FakeOrder): Record<string, unknown> {
  return {
    price: fmt(o.price),
    origQty: fmt(o.origQty),
    executedQty: fmt(o.executedQty),
    origQuoteOrderQty: fmt(o.origQuoteOrderQty),
    cummulativeQuoteQty: fmt(o.cummulativeQuoteQty),
    status: o.status,
    timeInForce: o.timeInForce,
    type: o.type,
    side: o.side,
    ...stopField(o),
    ...(o.trailingDelta === undefined ? {} : { trailingDelta: o.trailingDelta, trailingTime: o.trailingTime }),
  };
}

export function renderNewOrder(o: FakeOrder, fills: FakeTrade[], respType: RespType, transactTime: number): Record<string, unknown> {
  const ack = { symbol: o.symbol, orderId: o.orderId, orderListId: o.orderListId, clientOrderId: o.clientOrderId, transactTime };
  if (respType === 'ACK') return ack;
  const result = { ...ack, ...core(o), workingTime: o.workingTime, selfTradePreventionMode: 'NONE' };
  if (respType === 'RESULT') return result;
  return {
    ...result,
    fills: fills.map((t) => ({
      price: fmt(t.price),
      qty: fmt(t.qty),
      commission: fmt(t.commission),
      commissionAsset: t.commissionAsset,
      tradeId: t.id,
    })),
  };
}

/** GET /api/v3/order and each entry of GET /api/v3/openOrders. */
export function renderQueried(o: FakeOrder): Record<string, unknown> {
  return {
    symbol: o.symbol,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: o.clientOrderId,
    ...core(o),
    stopPrice: fmt(o.stopPrice),
    icebergQty: fmt(0),
    time: o.time,
    updateTime: o.updateTime,
    isWorking: o.triggered,
    workingTime: o.workingTime,
    selfTradePreventionMode: 'NONE',
  };
}

export function renderCanceled(o: FakeOrder, cancelClientOrderId: string, transactTime: number): Record<string, unknown> {
  return {
    symbol: o.symbol,
    origClientOrderId: o.clientOrderId,
    orderId: o.orderId,
    orderListId: o.orderListId,
    clientOrderId: cancelClientOrderId,
    transactTime,
    ...core(o),
    selfTradePreventionMode: 'NONE',
  };
}

/** One row of GET /api/v3/myTrades. */
export function renderTrade(t: FakeTrade): Record<string, unknown> {
  return {
    symbol: t.symbol,
    id: t.id,
    orderId: t.orderId,
    orderListId: t.orderListId,
    price: fmt(t.price),
    qty: fmt(t.qty),
    quoteQty: fmt(t.quoteQty),
    commission: fmt(t.commission),
    commissionAsset: t.commissionAsset,
    time: t.time,
    isBuyer: t.isBuyer,
    isMaker: t.isMaker,
    isBestMatch: true,
  };
}

/** An order list as GET /api/v3/orderList, openOrderList and allOrderList print it: legs by id only. */
export function renderList(list: FakeOrderList): Record<string, unknown> {
  return {
    orderListId: list.orderListId,
    contingencyType: list.contingencyType,
    listStatusType: list.listStatusType,
    listOrderStatus: list.listOrderStatus,
    listClientOrderId: list.listClientOrderId,
    transactionTime: list.transactionTime,
    symbol: list.symbol,
    orders: list.legs.map((o) => ({ symbol: o.symbol, orderId: o.orderId, clientOrderId: o.clientOrderId })),
  };
}

/** The answer to a new order list: the list, then each leg (as `reports` shows it) in the requested response type. */
export function renderNewList(list: FakeOrderList, reports: FakeOrder[], fills: FakeTrade[], respType: RespType): Record<string, unknown> {
  return {
    ...renderList(list),
    orderReports: reports.map((o) => renderNewOrder(o, fills.filter((t) => t.orderId === o.orderId), respType, list.transactionTime)),
  };
}

/** The answer to DELETE /api/v3/orderList: each leg in the cancel shape. */
export function renderCanceledList(list: FakeOrderList, cancelClientOrderId: string): Record<string, unknown> {
  return { ...renderList(list), orderReports: list.legs.map((o) => renderCanceled(o, cancelClientOrderId, list.transactionTime)) };
}
