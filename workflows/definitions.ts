/**
 * The messages of every workflow, and the types they carry. Deterministic code only: the API
 * imports this file too, so it must not pull in anything with side effects.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PortfolioSummary } from '../domain/portfolio/summary.js';

import type { OrderType, Side, TimeInForce, Venue } from '../domain/exchange.js';

export type { OrderType, Side, TimeInForce, Venue };

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
}

export interface OrderLifecycleInput {
  order: OrderRequest;
  settings: OrderSettings;
  /**
   * Set by continue-as-new, and by the reconciler when it restarts tracking: the order was
   * submitted (or may have been: UNKNOWN) and is tracked from this state.
   */
  resume?: OrderState;
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

// --- Portfolio (one `portfolio` workflow per account) ---------------------------------------------

export type AccountingMethod = 'average' | 'fifo';

export interface PortfolioSettings {
  /** Quiet time after the first notification of a burst before recalculating. */
  debounceMs: number;
  /** Recalculations per run before continue-as-new keeps the history short. */
  recalcsPerRun: number;
}

/** What a recalculation returns and the workflow remembers: summarize()'s output plus how it was made. */
export interface PortfolioResult extends PortfolioSummary {
  accountId: string;
  method: AccountingMethod;
  /** 'incremental': only fills after the cursor were applied; 'full': every fill was re-read. */
  mode: 'incremental' | 'full';
  /** Why a full recompute ran: 'requested', 'method-changed', 'late-fill' or 'unreadable-state'. */
  fullReason: string | null;
  /** Ledger entries folded in by this recalculation. */
  applied: number;
  /** ledger_seq of the last fill in the state. */
  cursor: string;
  /** USD per USDT used; '1' with totals.usdtRateAssumed when the feed has no USDTUSD. */
  usdtUsdRate: string;
  asOf: string;
}

export interface PortfolioInput {
  accountId: string;
  settings: PortfolioSettings;
  /** Set by continue-as-new. */
  carried?: PortfolioStatus;
}

export interface PortfolioStatus {
  /** A notification arrived that no recalculation has covered yet. */
  dirty: boolean;
  recalculating: boolean;
  /** Recalculations since the workflow first started (carried across continue-as-new). */
  recalculations: number;
  /** Notifications received since the workflow first started, by kind. */
  notifications: { fills: number; prices: number };
  lastResult: PortfolioResult | null;
  /** The last recalculation's non-retryable failure, cleared by the next success. */
  lastError: { type: string; message: string; at: string } | null;
}

export interface RecalculateRequest {
  /** Switch the portfolio to this method (a full recompute either way). */
  method?: AccountingMethod | undefined;
}

/** Fills were recorded for the account (an order's, or a manual trade): recalculate soon. */
export const fillsRecordedSignal = defineSignal<[{ source: 'order' | 'manual'; orderId?: string | undefined }]>('fillsRecorded');
/** Prices of symbols the portfolio holds moved: revalue soon. */
export const portfolioPricesMovedSignal = defineSignal<[{ symbols: string[] }]>('portfolioPricesMoved');
export const portfolioStatusQuery = defineQuery<PortfolioStatus>('portfolioStatus');
/** A full recompute now; returns its result. Refused by its validator for an unknown method. */
export const recalculateUpdate = defineUpdate<PortfolioResult, [RecalculateRequest]>('recalculate');

export const portfolioWorkflowId = (accountId: string): string => `portfolio-${accountId}`;
