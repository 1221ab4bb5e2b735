/**
 * Order lists (rest-api.md "Order lists"): the record the fake keeps of an OCO or OTOCO, and the
 * OCO pair's own rules, checked against the last price before any leg exists:
 * - one leg is LIMIT_MAKER / TAKE_PROFIT / TAKE_PROFIT_LIMIT, the other STOP_LOSS / STOP_LOSS_LIMIT
 *   (-1158 otherwise);
 * - SELL: that "profit" leg is the above leg and the stop loss the below one, BUY the other way round
 *   (-1165/-1166/-1196..-1199, errors.md);
 * - SELL: LIMIT_MAKER/TAKE_PROFIT_LIMIT price (TAKE_PROFIT stopPrice) > last > stop loss stopPrice,
 *   BUY: the reverse (-2010 "The relationship of the prices for the orders is not correct.").
 * A trailing leg sent without a stopPrice has no level to compare.
 */
import type { ListOrderStatus, ListStatusType, OrderType, Side } from '../../../domain/exchange.js';
import { BinanceApiError, apiErrors } from './api-error.js';
import type { Dec } from './decimal.js';
import type { FakeOrder, OrderIntent } from './orders.js';

export interface FakeOrderList {
  orderListId: number;
  symbol: string;
  /** What Binance prints: an OTOCO is an `OTO`. */
  contingencyType: 'OCO' | 'OTO';
  kind: 'OCO' | 'OTOCO';
  listClientOrderId: string;
  transactionTime: number;
  listStatusType: ListStatusType;
  listOrderStatus: ListOrderStatus;
  /** Binance's order: OCO below then above; OTOCO working, pending above, pending below. */
  legs: FakeOrder[];
}

export interface OcoIntent {
  kind: 'OCO';
  symbol: string;
  listClientOrderId: string;
  above: OrderIntent;
  below: OrderIntent;
}

export interface OtocoIntent {
  kind: 'OTOCO';
  symbol: string;
  listClientOrderId: string;
  working: OrderIntent;
  above: OrderIntent;
  below: OrderIntent;
}

export type ListIntent = OcoIntent | OtocoIntent;

export const OCO_LEG_TYPES: ReadonlySet<OrderType> = new Set(['STOP_LOSS_LIMIT', 'STOP_LOSS', 'LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);
const PROFIT: ReadonlySet<OrderType> = new Set(['LIMIT_MAKER', 'TAKE_PROFIT', 'TAKE_PROFIT_LIMIT']);
const LOSS: ReadonlySet<OrderType> = new Set(['STOP_LOSS', 'STOP_LOSS_LIMIT']);

const reject = (code: number, msg: string): BinanceApiError => new BinanceApiError(400, code, msg);

/** The price a profit leg is judged by: its limit price, or a TAKE_PROFIT's stopPrice. */
function profitLevel(leg: OrderIntent): Dec | undefined {
  return leg.type === 'TAKE_PROFIT' ? leg.stopPrice : leg.price;
}

/** Throws Binance's rejection of an OCO pair that breaks the type, slot or price rules. */
export function checkOcoPair(side: Side, above: OrderIntent, below: OrderIntent, last: Dec): void {
  if (!OCO_LEG_TYPES.has(above.type) || !OCO_LEG_TYPES.has(below.type)) throw reject(-1158, 'Order type not supported in OCO.');
  const profit = PROFIT.has(above.type) ? above : PROFIT.has(below.type) ? below : undefined;
  const loss = LOSS.has(above.type) ? above : LOSS.has(below.type) ? below : undefined;
  if (!profit || !loss || profit === loss) throw reject(-1158, 'Order type not supported in OCO.');
  const limitLeg = profit.type === 'LIMIT_MAKER';
  if (side === 'SELL') {
    if (profit !== above) throw limitLeg ? reject(-1166, 'A limit order in a sell OCO must be above.') : reject(-1199, 'A take profit order in a sell OCO must be above.');
    if (loss !== below) throw reject(-1197, 'A stop loss order in a sell OCO must be below.');
  } else {
    if (profit !== below) throw limitLeg ? reject(-1165, 'A limit order in a buy OCO must be below.') : reject(-1198, 'A take profit order in a buy OCO must be below.');
    if (loss !== above) throw reject(-1196, 'A stop loss order in a buy OCO must be above.');
  }
  const high = side === 'SELL' ? profitLevel(profit) : loss.stopPrice;
  const low = side === 'SELL' ? loss.stopPrice : profitLevel(profit);
  if ((high !== undefined && !high.gt(last)) || (low !== undefined && !low.lt(last))) {
    throw apiErrors.newOrderRejected('The relationship of the prices for the orders is not correct.');
  }
}

/** The other leg of the OCO pair `order` belongs to (OCO: the two legs; OTOCO: the two pending legs). */
export function pairedLeg(list: FakeOrderList, order: FakeOrder): FakeOrder | undefined {
  const pair = list.kind === 'OCO' ? list.legs : list.legs.slice(1);
  if (!pair.includes(order)) return undefined;
  return pair.find((o) => o !== order);
}
