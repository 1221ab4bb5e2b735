/**
 * The fake's order and trade records (decimal.js inside; render.ts prints them Binance's way).
 */
import type { ExchangeOrderStatus, OrderType, Side, TimeInForce } from '../../../domain/exchange.js';
import type { Dec } from './decimal.js';

export interface OrderIntent {
  symbol: string;
  side: Side;
  type: OrderType;
  timeInForce?: TimeInForce | undefined;
  quantity?: Dec | undefined;
  quoteOrderQty?: Dec | undefined;
  price?: Dec | undefined;
  stopPrice?: Dec | undefined;
  /** Trailing stop distance in BIPS (stop types only). */
  trailingDelta?: number | undefined;
  clientOrderId: string;
}

export interface FakeOrder {
  symbol: string;
  orderId: number;
  clientOrderId: string;
  side: Side;
  type: OrderType;
  timeInForce: TimeInForce;
  price: Dec;
  stopPrice: Dec;
  origQty: Dec;
  origQuoteOrderQty: Dec;
  executedQty: Dec;
  cummulativeQuoteQty: Dec;
  status: ExchangeOrderStatus;
  time: number;
  updateTime: number;
  /** -1 until a stop order triggers, as Binance prints it. */
  workingTime: number;
  triggered: boolean;
  /** The order list this order is a leg of, -1 for a lone order. */
  orderListId: number;
  /** Trailing stops only: BIPS, when the order started tracking (-1 before) and the best price seen since. */
  trailingDelta?: number;
  trailingTime: number;
  trailBest?: Dec;
  lockAsset: string;
  lockRemaining: Dec;
  /** Quote locked per unit of base for BUY orders (1 for SELL: the base itself is locked). */
  lockPrice: Dec;
}

export interface FakeTrade {
  symbol: string;
  orderListId: number;
  id: number;
  orderId: number;
  price: Dec;
  qty: Dec;
  quoteQty: Dec;
  commission: Dec;
  commissionAsset: string;
  time: number;
  isBuyer: boolean;
  isMaker: boolean;
}
