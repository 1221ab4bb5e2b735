/**
 * The messages of every workflow, and the types they carry. Deterministic code only: the API
 * imports this file too, so it must not pull in anything with side effects.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';

export type Venue = 'paper' | 'binance';
export type Side = 'BUY' | 'SELL';
export type OrderType = 'MARKET' | 'LIMIT' | 'STOP_LOSS' | 'STOP_LOSS_LIMIT' | 'TAKE_PROFIT' | 'TAKE_PROFIT_LIMIT';
export type TimeInForce = 'GTC' | 'IOC' | 'FOK';

/** Our order statuses: Binance's, plus RECEIVED before validation. */
export type OrderStatus = 'RECEIVED' | 'PENDING_NEW' | 'NEW' | 'PARTIALLY_FILLED' | 'PENDING_CANCEL' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'];
export const isTerminal = (s: OrderStatus): boolean => TERMINAL_STATUSES.includes(s);

/** Ranks make a status never go backwards in Postgres (terminal ones share the top rank). */
export const STATUS_RANK: Record<OrderStatus, number> = {
  RECEIVED: 0,
  PENDING_NEW: 1,
  NEW: 2,
  PARTIALLY_FILLED: 3,
  PENDING_CANCEL: 4,
  FILLED: 9,
  CANCELED: 9,
  REJECTED: 9,
  EXPIRED: 9,
};

/** What the API hands the workflow. No secrets: histories are readable in the Web UI. */
export interface OrderRequest {
  orderId: string;
  accountId: string;
  venue: Venue;
  symbol: string;
  side: Side;
  type: OrderType;
  quantity: string;
  price?: string | undefined;
  stopPrice?: string | undefined;
  timeInForce?: TimeInForce | undefined;
}

export interface OrderState {
  orderId: string;
  status: OrderStatus;
  clientOrderId: string;
  exchangeOrderId?: string | undefined;
  executedQty: string;
  cumulativeQuoteQty: string;
  rejectCode?: string | undefined;
  rejectReason?: string | undefined;
  /** Number of order_events rows written so far (the next event's seq). */
  eventSeq: number;
}

export interface CancelResult {
  status: OrderStatus;
  executedQty: string;
}

export const statusQuery = defineQuery<OrderState>('status');
/** Refused by its validator when the order is already terminal or a cancel is under way. */
export const cancelOrderUpdate = defineUpdate<CancelResult, [{ reason?: string }]>('cancelOrder');
/** A price moved for this order's symbol: re-check the order now instead of at the next poll. */
export const priceMovedSignal = defineSignal<[{ symbol: string; price: string }]>('priceMoved');

/** Deterministic exchange client order id: `dt-` + the order UUID without dashes (35 chars). */
export function clientOrderIdFor(orderId: string): string {
  return `dt-${orderId.replace(/-/g, '')}`;
}

export const orderWorkflowId = (orderId: string): string => `order-${orderId}`;
