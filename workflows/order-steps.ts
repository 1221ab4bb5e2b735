/**
 * What both versions of the order workflow share: the activity proxies and the reading of
 * activity failures. Deterministic code only (imported by workflow code).
 */
import { ActivityFailure, ApplicationFailure, proxyActivities, proxyLocalActivities } from '@temporalio/workflow';
import type { createOrderDbActivities } from '../activities/orders/record-activities.js';
import type { createOrderExchangeActivities } from '../activities/orders/venue-activities.js';
import type { PortfolioNotifyActivities } from '../activities/portfolio/portfolio-activities.js';
import type { OrderState } from './definitions.js';
import { presets } from './presets.js';

type DbActivities = ReturnType<typeof createOrderDbActivities>;
type ExchangeActivities = ReturnType<typeof createOrderExchangeActivities>;

export const exchangeRead = proxyActivities<ExchangeActivities>(presets.exchangeRead);
export const exchangeSubmit = proxyActivities<ExchangeActivities>(presets.exchangeSubmit);
export const exchangeCancel = proxyActivities<ExchangeActivities>(presets.exchangeCancel);
export const exchangeCancelBounded = proxyActivities<ExchangeActivities>(presets.exchangeCancelBounded);
export const exchangePoll = proxyActivities<ExchangeActivities>(presets.exchangePoll);

/**
 * The short, idempotent steps (database writes, pre-trade checks, the portfolio signal) as
 * activities each with its own task and history events, as histories recorded before the
 * `local-short-steps` patch ran them.
 */
export const remoteSteps = {
  db: proxyActivities<DbActivities>(presets.db),
  checks: proxyActivities<ExchangeActivities>(presets.exchangeRead),
  portfolio: proxyActivities<PortfolioNotifyActivities>(presets.portfolioNotify),
};

/**
 * The same steps as local activities: run by the worker inside the workflow task, recorded as one
 * marker each, with no task queue round trip through the server. Each is keyed or read-only, so a
 * rerun after a crash (a local activity is retried with its workflow task) changes nothing. The
 * exchange calls that place, cancel and track orders stay ordinary activities.
 */
export const localSteps = {
  db: proxyLocalActivities<DbActivities>(presets.db),
  checks: proxyLocalActivities<ExchangeActivities>(presets.exchangeRead),
  portfolio: proxyLocalActivities<PortfolioNotifyActivities>(presets.portfolioNotify),
};

/** The venue's final "no" (an OrderRejected failure from an activity), if that is what `err` is. */
export function rejectionOf(err: unknown): { code: string; reason: string } | undefined {
  const failure = err instanceof ActivityFailure ? err.cause : err;
  if (failure instanceof ApplicationFailure && failure.type === 'OrderRejected') {
    const [detail] = failure.details as [{ code: string; reason: string }];
    return detail;
  }
  return undefined;
}

/** An activity failure as the workflow acts on it: its type (if any), message and Retry-After. */
export function failureOf(err: unknown): { type: string | undefined; message: string; retryAfterMs: number } {
  const failure = err instanceof ActivityFailure && err.cause ? err.cause : err;
  const type = failure instanceof ApplicationFailure ? (failure.type ?? undefined) : undefined;
  const [detail] = failure instanceof ApplicationFailure ? (failure.details as [{ retryAfterMs?: number }?]) : [];
  return { type, message: messageOf(failure), retryAfterMs: detail?.retryAfterMs ?? 1000 };
}

export function messageOf(err: unknown): string {
  const failure = err instanceof ActivityFailure && err.cause ? err.cause : err;
  return failure instanceof Error ? failure.message || failure.name : String(failure);
}

export function snapshotOf(s: OrderState) {
  return {
    exchangeOrderId: s.exchangeOrderId,
    executedQty: s.executedQty,
    cumulativeQuoteQty: s.cumulativeQuoteQty,
    rejectCode: s.rejectCode,
    rejectReason: s.rejectReason,
  };
}
