/**
 * The messages of every workflow, and the types they carry. Deterministic code only: the API
 * imports this file too, so it must not pull in anything with side effects.
 */
import { defineQuery, defineSignal, defineUpdate } from '@temporalio/workflow';
import type { PortfolioResult, AccountingMethod } from '../domain/portfolio/result.js';
import type { OrderRequest, OrderSettings, OrderState, OrderStatus } from '../domain/orders.js';
import type { VenueOrderEvent } from '../domain/venue-events.js';
import type { OrderListState } from '../domain/order-lists.js';

import type { OrderType, Side, TimeInForce, Venue } from '../domain/exchange.js';

export type { OrderType, Side, TimeInForce, Venue };

export {
  CANCEL_FAILED,
  clientOrderIdFor,
  isTerminal,
  orderWorkflowId,
  portfolioWorkflowId,
  STATUS_RANK,
  TERMINAL_STATUSES,
  type OrderRequest,
  type OrderSettings,
  type OrderState,
  type OrderStatus,
} from '../domain/orders.js';
export type { AccountingMethod, PortfolioResult } from '../domain/portfolio/result.js';
import type { PerformanceResult } from '../activities/portfolio/performance-activities.js';
import type { PerformanceRange } from '../domain/portfolio/performance-range.js';
export type { PerformanceResult } from '../activities/portfolio/performance-activities.js';

export interface OrderLifecycleInput {
  order: OrderRequest;
  settings: OrderSettings;
  /**
   * Set by continue-as-new, and by the reconciler when it restarts tracking: the order was
   * submitted (or may have been: UNKNOWN) and is tracked from this state.
   */
  resume?: OrderState;
  /** Venue events received as the previous run continued as new, applied first. */
  events?: VenueOrderEvent[];
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
/** The venue reported a change of this order (user data stream, paper fill), or asks for a look now. */
export const venueEventSignal = defineSignal<[VenueOrderEvent]>('venueEvent');
export type { VenueOrderEvent, VenueOrderUpdate } from '../domain/venue-events.js';

// --- Portfolio (one `portfolio` workflow per portfolio) -------------------------------------------

export interface PortfolioSettings {
  /** Quiet time after the first notification of a burst before recalculating. */
  debounceMs: number;
  /** Recalculations per run before continue-as-new keeps the history short. */
  recalcsPerRun: number;
}

export interface PortfolioInput {
  accountId: string;
  /** Absent for the account's default portfolio (its id is the account id). */
  portfolioId?: string | undefined;
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

/**
 * What a notification may carry besides its news: the sender's current PORTFOLIO_* settings, which
 * a running portfolio takes up at its next continue-as-new (patch portfolio-adopt-signalled-settings).
 */
export interface SignalledSettings {
  settings?: PortfolioSettings | undefined;
}
/** Fills were recorded for the account (an order's, or a manual trade): recalculate soon. */
export const fillsRecordedSignal = defineSignal<[{ source: 'order' | 'manual'; orderId?: string | undefined } & SignalledSettings]>('fillsRecorded');
/** Prices of symbols the portfolio holds moved: revalue soon. */
export const portfolioPricesMovedSignal = defineSignal<[{ symbols: string[] } & SignalledSettings]>('portfolioPricesMoved');
export const portfolioStatusQuery = defineQuery<PortfolioStatus>('portfolioStatus');
export interface PerformanceRequest {
  range: PerformanceRange;
  from?: string | undefined;
  to?: string | undefined;
  withSeries?: boolean | undefined;
}
/** TWR and MWR over a range, from the portfolio's value series (run by the workflow's activity). */
export const performanceUpdate = defineUpdate<PerformanceResult, [PerformanceRequest]>('performance');
/** A full recompute now; returns its result. Refused by its validator for an unknown method. */
export const recalculateUpdate = defineUpdate<PortfolioResult, [RecalculateRequest]>('recalculate');


// --- Order lists (one `orderList` workflow per OCO or bracket) ------------------------------------

export type { OrderListInput, OrderListRequest, OrderListState } from '../domain/order-lists.js';
export const orderListStatusQuery = defineQuery<OrderListState>('orderListStatus');
/** Cancels what of the list still works (entry, or the protective pair). Refused once the list is done. */
export const cancelOrderListUpdate = defineUpdate<OrderListState, [{ reason?: string }]>('cancelOrderList');
