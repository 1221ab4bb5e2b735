/**
 * Order lists: an OCO (take-profit and stop-loss, one cancels the other) and a bracket (an entry,
 * then that OCO once the entry fills). What the API hands the `orderList` workflow, the venue
 * terms of each leg, and the ids derived from the list's UUID. Pure: no I/O.
 */
import { Decimal } from 'decimal.js';
import type { OrderListLeg, PlaceOcoRequest, PlaceOtocoRequest, Side, TimeInForce, Venue } from './exchange.js';
import { clientOrderIdFor, type OrderSettings } from './orders.js';

export type OrderListKind = 'OCO' | 'BRACKET';

/** The protective stop: a market stop, a stop-limit with `limitPrice`, trailing with `trailingDelta`. */
export interface StopLossTerms {
  stopPrice?: string | undefined;
  limitPrice?: string | undefined;
  trailingDelta?: number | undefined;
}

export interface OrderListRequest {
  listId: string;
  accountId: string;
  venue: Venue;
  kind: OrderListKind;
  symbol: string;
  /** OCO: the side of both legs. Bracket: the entry's side (the protective pair takes the other). */
  side: Side;
  quantity: string;
  /** Bracket only: the entry, a LIMIT order. */
  entry?: { price: string; timeInForce?: TimeInForce | undefined } | undefined;
  takeProfit: { price: string };
  stopLoss: StopLossTerms;
  /** The order ids of the legs, fixed by the API so every leg is one order whatever happens. */
  legIds: { entry?: string | undefined; takeProfit: string; stopLoss: string };
}

export interface OrderListInput {
  list: OrderListRequest;
  settings: OrderSettings;
}

export type LegRole = 'entry' | 'take-profit' | 'stop-loss';

/** What the list is as a whole. */
export type OrderListStatus = 'RECEIVED' | 'PENDING_NEW' | 'UNKNOWN' | 'WORKING' | 'ALL_DONE' | 'CANCELED' | 'REJECTED';

export interface OrderListState {
  listId: string;
  status: OrderListStatus;
  listClientOrderId: string;
  exchangeListId?: string | undefined;
  /** Where each leg is: its order id, and its status once it is an order of ours. */
  legs: { role: LegRole; orderId: string; status?: string | undefined; executedQty?: string | undefined }[];
  /** Bracket: what the entry filled, the quantity the protective legs were sized to. */
  protectedQty?: string | undefined;
  rejectReason?: string | undefined;
  cancelRequested?: boolean | undefined;
}

export const orderListWorkflowId = (listId: string): string => `order-list-${listId}`;

/** `dtl-` + the list UUID without dashes (36 characters, Binance's limit). */
export function listClientOrderIdFor(listId: string): string {
  return `dtl-${listId.replace(/-/g, '')}`;
}

/** The side that closes a position opened on `side`. */
export const opposite = (side: Side): Side => (side === 'BUY' ? 'SELL' : 'BUY');

/** The side of the protective pair. */
export const protectiveSide = (list: OrderListRequest): Side => (list.kind === 'BRACKET' ? opposite(list.side) : list.side);

function stopLeg(list: OrderListRequest): OrderListLeg {
  const sl = list.stopLoss;
  return {
    type: sl.limitPrice ? 'STOP_LOSS_LIMIT' : 'STOP_LOSS',
    stopPrice: sl.stopPrice,
    price: sl.limitPrice,
    trailingDelta: sl.trailingDelta,
    timeInForce: sl.limitPrice ? 'GTC' : undefined,
    clientOrderId: clientOrderIdFor(list.legIds.stopLoss),
  };
}

/**
 * The take-profit leg. A SELL takes profit above the market with a LIMIT_MAKER (Binance's classic
 * OCO); a BUY takes it below, where Binance allows no LIMIT_MAKER leg, with a TAKE_PROFIT_LIMIT
 * that triggers and rests at the same price.
 */
function takeProfitLeg(list: OrderListRequest, side: Side): OrderListLeg {
  const clientOrderId = clientOrderIdFor(list.legIds.takeProfit);
  return side === 'SELL'
    ? { type: 'LIMIT_MAKER', price: list.takeProfit.price, clientOrderId }
    : { type: 'TAKE_PROFIT_LIMIT', price: list.takeProfit.price, stopPrice: list.takeProfit.price, timeInForce: 'GTC', clientOrderId };
}

/** The pair of a SELL rests the take-profit above and the stop below; a BUY the other way round. */
function pair(list: OrderListRequest, side: Side): { above: OrderListLeg; below: OrderListLeg } {
  const tp = takeProfitLeg(list, side);
  const sl = stopLeg(list);
  return side === 'SELL' ? { above: tp, below: sl } : { above: sl, below: tp };
}

/** The venue request of an OCO, or of a bracket's protective pair sized to `quantity` (emulated brackets). */
export function ocoRequest(list: OrderListRequest, quantity = list.quantity): PlaceOcoRequest {
  const side = protectiveSide(list);
  return { kind: 'OCO', symbol: list.symbol, side, quantity, listClientOrderId: listClientOrderIdFor(list.listId), ...pair(list, side) };
}

/** The venue request of a native bracket (Binance OTOCO): the entry works, the pair waits for its full fill. */
export function otocoRequest(list: OrderListRequest): PlaceOtocoRequest {
  const side = protectiveSide(list);
  return {
    kind: 'OTOCO',
    symbol: list.symbol,
    listClientOrderId: listClientOrderIdFor(list.listId),
    working: { side: list.side, type: 'LIMIT', price: list.entry!.price, quantity: list.quantity, timeInForce: list.entry!.timeInForce ?? 'GTC', clientOrderId: clientOrderIdFor(list.legIds.entry!) },
    pending: { side, quantity: list.quantity, ...pair(list, side) },
  };
}

/** Which leg a client order id of this list is. */
export function roleOf(list: OrderListRequest, clientOrderId: string): LegRole | undefined {
  if (list.legIds.entry && clientOrderIdFor(list.legIds.entry) === clientOrderId) return 'entry';
  if (clientOrderIdFor(list.legIds.takeProfit) === clientOrderId) return 'take-profit';
  if (clientOrderIdFor(list.legIds.stopLoss) === clientOrderId) return 'stop-loss';
  return undefined;
}

/**
 * The rules a list must meet before anything is placed, each named: the reasons for a 422.
 * `lastPrice`, when known, checks that the pair straddles the market as Binance requires.
 */
export function orderListViolations(list: Pick<OrderListRequest, 'side' | 'takeProfit' | 'stopLoss' | 'entry'> & { kind?: OrderListKind; type?: OrderListKind }, lastPrice?: string): { path: string; message: string }[] {
  const out: { path: string; message: string }[] = [];
  const kind = list.kind ?? list.type;
  const side = kind === 'BRACKET' ? opposite(list.side) : list.side;
  const tp = new Decimal(list.takeProfit.price);
  const sl = list.stopLoss;
  if (sl.stopPrice === undefined && sl.trailingDelta === undefined) out.push({ path: 'stopLoss', message: 'needs a stopPrice, a trailingDelta, or both' });
  const stop = sl.stopPrice !== undefined ? new Decimal(sl.stopPrice) : undefined;
  // A SELL pair protects a long: profit above, stop below. A BUY pair protects a short: the reverse.
  if (stop && (side === 'SELL' ? !tp.gt(stop) : !tp.lt(stop))) {
    out.push({ path: 'takeProfit.price', message: `must be ${side === 'SELL' ? 'above' : 'below'} the stop-loss stopPrice for a ${side} take-profit/stop-loss pair` });
  }
  if (sl.limitPrice !== undefined && stop) {
    const limit = new Decimal(sl.limitPrice);
    if (side === 'SELL' ? limit.gt(stop) : limit.lt(stop)) out.push({ path: 'stopLoss.limitPrice', message: `must be at or ${side === 'SELL' ? 'below' : 'above'} the stopPrice of a ${side} stop-limit` });
  }
  if (kind === 'BRACKET') {
    if (!list.entry) out.push({ path: 'entry', message: 'is required for a BRACKET' });
    else {
      const entry = new Decimal(list.entry.price);
      const buy = list.side === 'BUY';
      if (buy ? !tp.gt(entry) : !tp.lt(entry)) out.push({ path: 'takeProfit.price', message: `must be ${buy ? 'above' : 'below'} the entry price of a ${list.side} bracket` });
      if (stop && (buy ? !stop.lt(entry) : !stop.gt(entry))) out.push({ path: 'stopLoss.stopPrice', message: `must be ${buy ? 'below' : 'above'} the entry price of a ${list.side} bracket` });
    }
  } else {
    if (list.entry) out.push({ path: 'entry', message: 'is only for a BRACKET' });
    if (lastPrice !== undefined) {
      const last = new Decimal(lastPrice);
      if (side === 'SELL' ? !tp.gt(last) : !tp.lt(last)) out.push({ path: 'takeProfit.price', message: `must be ${side === 'SELL' ? 'above' : 'below'} the last price ${lastPrice} for a ${side} OCO` });
      if (stop && (side === 'SELL' ? !stop.lt(last) : !stop.gt(last))) out.push({ path: 'stopLoss.stopPrice', message: `must be ${side === 'SELL' ? 'below' : 'above'} the last price ${lastPrice} for a ${side} OCO` });
    }
  }
  return out;
}

/** Binance's TRAILING_DELTA filter defaults, in basis points. */
export const TRAILING_DELTA_RANGE = { min: 10, max: 2000 } as const;
