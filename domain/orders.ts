/**
 * Our orders: their statuses and the order statuses go in, what the API hands an order's workflow,
 * and the ids derived from an order's UUID. Pure: no I/O.
 */
import type { ExchangeOrderStatus, OrderTerms, Venue } from './exchange.js';

/**
 * Our order statuses: Binance's, plus RECEIVED before validation and UNKNOWN while an ambiguous
 * submission (timeout, 5xx, -1006/-1007, lost worker) is not yet settled by the venue's own answer.
 */
export type OrderStatus = 'RECEIVED' | 'PENDING_NEW' | 'UNKNOWN' | 'NEW' | 'PARTIALLY_FILLED' | 'PENDING_CANCEL' | 'FILLED' | 'CANCELED' | 'REJECTED' | 'EXPIRED';

/** The event cause of a cancel the venue refused: the only way down from PENDING_CANCEL. */
export const CANCEL_FAILED = 'cancel failed';

export const TERMINAL_STATUSES: readonly OrderStatus[] = ['FILLED', 'CANCELED', 'REJECTED', 'EXPIRED'];
export const isTerminal = (s: OrderStatus): boolean => TERMINAL_STATUSES.includes(s);

/** Ranks make a status never go backwards in Postgres (terminal ones share the top rank). */
export const STATUS_RANK: Record<OrderStatus, number> = {
  RECEIVED: 0,
  PENDING_NEW: 1,
  UNKNOWN: 1,
  NEW: 2,
  PARTIALLY_FILLED: 3,
  PENDING_CANCEL: 4,
  FILLED: 9,
  CANCELED: 9,
  REJECTED: 9,
  EXPIRED: 9,
};

/** What the API hands the workflow. No secrets: histories are readable in the Web UI. */
export interface OrderRequest extends OrderTerms {
  orderId: string;
  accountId: string;
  venue: Venue;
  /** Good-till-date (ISO-8601): the order workflow cancels the order if it still works then. */
  expireAt?: string | undefined;
  /** The parent that placed this order (an order list, a TWAP, a DCA plan, a price alert). */
  parent?: OrderParent | undefined;
  /** The portfolio its fills book into; absent: the account's default portfolio. */
  portfolioId?: string | undefined;
}

export type ParentKind = 'order-list' | 'twap' | 'dca' | 'alert';

/** Where the API shows a parent. */
export function parentPath(kind: ParentKind, id: string): string {
  const base = { 'order-list': '/v1/order-lists', twap: '/v1/twap-orders', dca: '/v1/dca-plans', alert: '/v1/alerts' }[kind];
  return `${base}/${id}`;
}

export interface OrderParent {
  kind: ParentKind;
  id: string;
  workflowId: string;
  /** What this order is to its parent, e.g. "entry", "take-profit", "slice 3". */
  role?: string | undefined;
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
  /**
   * A cancel was asked for (Update or workflow cancellation) that the venue has not carried out
   * yet, e.g. while the order is UNKNOWN: it is cancelled as soon as the venue shows it open.
   */
  cancelRequested?: boolean | undefined;
  /** The workflow itself was cancelled (UI, CLI): it ends Cancelled once the order is CANCELED. */
  workflowCancelled?: boolean | undefined;
  /** Binance: which key pair placed the order; its tracking keeps using that one. */
  credentials?: 'stored' | 'environment' | undefined;
  /** Workflow time of the first submission: where the venue's order history is searched from. */
  submittedAtMs?: number | undefined;
  /** Binance: the user data stream reported this order, so it exists even while REST does not show it. */
  seenOnStream?: boolean | undefined;
  /** A trailing stop's current trigger price, as the venue last showed it. */
  triggerPrice?: string | undefined;
}

export interface OrderSettings {
  /** Cap of the backoff between status polls (and between searches for an UNKNOWN order). */
  pollMaxMs: number;
  /** How long an ambiguous submission is looked for (quickly) before the order shows UNKNOWN. */
  notFoundWindowMs: number;
  /** Submissions refused before anything reached the venue (-1021, no connection) before REJECTED; rate limits are waited out. */
  maxSubmitAttempts: number;
  /** Polls per run before continue-as-new keeps the history short. */
  pollsPerRun: number;
  /**
   * Venues whose orders hear of their changes as events (Binance's user data stream, the paper
   * venue's fills on price moves): their open orders poll only every `safetyPollMs`.
   */
  eventVenues?: Venue[] | undefined;
  /** The poll that remains for an order whose venue sends events: it covers events that were lost. */
  safetyPollMs?: number | undefined;
}

/** Deterministic exchange client order id: `dt-` + the order UUID without dashes (35 chars). */
export function clientOrderIdFor(orderId: string): string {
  return `dt-${orderId.replace(/-/g, '')}`;
}

export const orderWorkflowId = (orderId: string): string => `order-${orderId}`;

/** One portfolio workflow per portfolio; the account's default portfolio has the account's id. */
export const portfolioWorkflowId = (portfolioId: string): string => `portfolio-${portfolioId}`;

/** A venue's order status as ours: EXPIRED_IN_MATCH is EXPIRED, PENDING_NEW is NEW. */
export function orderStatusOf(status: ExchangeOrderStatus): OrderStatus {
  return status === 'EXPIRED_IN_MATCH' ? 'EXPIRED' : status === 'PENDING_NEW' ? 'NEW' : status;
}
