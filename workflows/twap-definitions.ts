/**
 * The TWAP workflow's messages and the types they carry. Deterministic code only: the API imports
 * this file too.
 */
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { OrderSettings, OrderStatus } from '../domain/orders.js';
import type { Side, Venue } from '../domain/exchange.js';
import type { SliceRules } from '../domain/twap.js';

export { sliceOrderId, twapWorkflowId, type SliceRules } from '../domain/twap.js';

export type TwapSliceType = 'MARKET' | 'LIMIT';

/** What the API hands the TWAP workflow. Quantities and prices are decimal strings. */
export interface TwapRequest {
  twapId: string;
  accountId: string;
  venue: Venue;
  symbol: string;
  side: Side;
  /** Total base quantity to place over the horizon. */
  quantity: string;
  slices: number;
  /** ISO-8601: slice 0 starts here, and the slices spread evenly until `endAt`. */
  startAt: string;
  endAt: string;
  sliceType: TwapSliceType;
  /** LIMIT slices only; each rests until the next slice's time (good-till-date), and what did not fill rolls over. */
  limitPrice?: string | undefined;
}

export type TwapStatus = 'RUNNING' | 'PAUSED' | 'CANCELING' | 'COMPLETED' | 'CANCELED' | 'REJECTED';
export const TWAP_TERMINAL: readonly TwapStatus[] = ['COMPLETED', 'CANCELED', 'REJECTED'];
export const isTwapTerminal = (s: TwapStatus): boolean => TWAP_TERMINAL.includes(s);

export interface TwapSlice {
  index: number;
  orderId: string;
  /** Epoch ms the slice was due (the schedule in force when it started). */
  scheduledAtMs: number;
  /** Epoch ms (workflow time) the slice's order workflow was started; absent for a skipped slice. */
  startedAtMs?: number | undefined;
  quantity: string;
  /** Its order's status; SKIPPED when it was too small to place (its quantity rolls over). */
  status: OrderStatus | 'SKIPPED';
  executedQty: string;
  cumulativeQuoteQty: string;
  note?: string | undefined;
}

export interface TwapState {
  status: TwapStatus;
  /** What the whole TWAP aims to fill: the request's quantity, changed by amendTwap. */
  targetQty: string;
  endAt: string;
  slicesTotal: number;
  /** The next slice to start. */
  nextIndex: number;
  /** Each slice's due time, epoch ms; entries from nextIndex on are rewritten by resume and amend. */
  schedule: number[];
  /** Slices started or skipped, in order. */
  slices: TwapSlice[];
  filledQty: string;
  /** targetQty − filledQty: what is still to fill (working slices included). */
  remainingQty: string;
  cumulativeQuoteQty: string;
  averagePrice: string;
  /** The venue's rules and the reference price read at start. */
  rules?: (SliceRules & { price: string }) | undefined;
  reason?: string | undefined;
  /** Writes to the read model so far: each carries its number, so a late one changes nothing. */
  writes: number;
}

export interface TwapInput {
  twap: TwapRequest;
  settings: OrderSettings;
  /** Set by continue-as-new. */
  carried?: TwapState;
}

export interface AmendTwapRequest {
  /** The quantity still to place from now on (working slices excluded); "0" places no more slices. */
  remainingQuantity?: string | undefined;
  /** A new end of the horizon (ISO-8601, in the future); the slices left spread until it. */
  endAt?: string | undefined;
}

export const twapStatusQuery = defineQuery<TwapState>('twapStatus');
/** No new slices until resumed; working slices go on. Refused unless RUNNING. */
export const pauseTwapUpdate = defineUpdate<TwapState, []>('pauseTwap');
/** Spreads the slices left over what remains of the horizon (or until `endAt`). Refused unless PAUSED. */
export const resumeTwapUpdate = defineUpdate<TwapState, [{ endAt?: string | undefined }]>('resumeTwap');
/** No more slices; working ones are cancelled on the venue. Answers once the TWAP is CANCELED. */
export const cancelTwapUpdate = defineUpdate<TwapState, [{ reason?: string | undefined }]>('cancelTwap');
/** Changes the quantity still to place and/or the end of the horizon. */
export const amendTwapUpdate = defineUpdate<TwapState, [AmendTwapRequest]>('amendTwap');

/** Failure types of the Updates' validators, so the API can tell a conflict (409) from a bad request (422). */
export const TWAP_CONFLICT = 'TwapConflict';
export const TWAP_INVALID = 'TwapInvalid';
