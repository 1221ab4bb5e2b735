/**
 * The book's events in the User Data Stream's JSON (user-data-stream.md): `executionReport` for
 * each change of an order, `outboundAccountPosition` for the balances it moved, `listStatus` when
 * an order list is placed or done, and `eventStreamTerminated` when a subscription ends. Decimals are 8-place strings; ids and times
 * are numbers.
 */
import type { BookEvent } from './book.js';
import { fmt } from './decimal.js';

export type UserEvent = Record<string, unknown> & { e: string; E: number };

const RESTING_TYPES = new Set(['LIMIT', 'LIMIT_MAKER', 'STOP_LOSS_LIMIT', 'TAKE_PROFIT_LIMIT']);

/** Renders a book event at once (its order is live and will move on). `executionId` numbers the reports. */
export function renderUserEvent(event: BookEvent, executionId: number): UserEvent {
  if (event.kind === 'balances') {
    return {
      e: 'outboundAccountPosition',
      E: event.time,
      u: event.time,
      B: event.balances.map((b) => ({ a: b.asset, f: b.free, l: b.locked })),
    };
  }
  if (event.kind === 'list') {
    const { list } = event;
    return {
      e: 'listStatus',
      E: event.time,
      s: list.symbol,
      g: list.orderListId,
      c: list.contingencyType,
      l: list.listStatusType,
      L: list.listOrderStatus,
      r: 'NONE',
      C: list.listClientOrderId,
      T: list.transactionTime,
      O: list.legs.map((o) => ({ s: o.symbol, i: o.orderId, c: o.clientOrderId })),
    };
  }
  const { order: o, trade: t } = event;
  const open = o.status === 'NEW' || o.status === 'PARTIALLY_FILLED';
  return {
    e: 'executionReport',
    E: event.time,
    s: o.symbol,
    // A cancel carries the cancel request's own client id; `C` names the order it canceled.
    c: event.cancelClientOrderId ?? o.clientOrderId,
    S: o.side,
    o: o.type,
    f: o.timeInForce,
    q: fmt(o.origQty),
    p: fmt(o.price),
    P: fmt(o.stopPrice),
    F: fmt(0),
    g: o.orderListId,
    C: event.cancelClientOrderId === undefined ? '' : o.clientOrderId,
    x: event.execution,
    X: o.status,
    r: 'NONE',
    i: o.orderId,
    l: fmt(t?.qty ?? 0),
    z: fmt(o.executedQty),
    L: fmt(t?.price ?? 0),
    n: t ? fmt(t.commission) : '0',
    N: t ? t.commissionAsset : null,
    T: event.time,
    t: t ? t.id : -1,
    I: executionId,
    w: open && o.triggered && RESTING_TYPES.has(o.type),
    m: t ? t.isMaker : false,
    M: false,
    O: o.time,
    Z: fmt(o.cummulativeQuoteQty),
    Y: fmt(t?.quoteQty ?? 0),
    Q: fmt(o.origQuoteOrderQty),
    ...(o.trailingDelta === undefined ? {} : { d: o.trailingDelta, D: o.trailingTime }),
    ...(o.workingTime === -1 ? {} : { W: o.workingTime }),
    V: 'NONE',
    ...(event.expiryReason ? { eR: event.expiryReason } : {}),
  };
}

export function streamTerminated(time: number): UserEvent {
  return { e: 'eventStreamTerminated', E: time };
}
