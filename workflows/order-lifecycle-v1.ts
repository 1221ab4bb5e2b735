/**
 * The order workflow as it ran before the `exactly-once-v2` patch, kept verbatim so that runs
 * started before it (and their recorded histories) replay and finish exactly as they began.
 * New runs never come here: `orderLifecycle` (order-lifecycle.ts) decides on its first command.
 * Its known flaw, the reason for v2: after the not-found window it submits again.
 */
import { ActivityFailure, ApplicationFailure, allHandlersFinished, condition, continueAsNew, patched, setHandler, sleep, workflowInfo } from '@temporalio/workflow';
import type { ExchangeOrderSnapshot } from '../activities/orders/venue-activities.js';
import {
  cancelOrderUpdate,
  clientOrderIdFor,
  isTerminal,
  priceMovedSignal,
  statusQuery,
  type CancelResult,
  type OrderLifecycleInput,
  type OrderRequest,
  type OrderState,
  type OrderStatus,
} from './definitions.js';
import { Mutex } from './lib/mutex.js';
import { exchangeCancel, exchangeRead, exchangeSubmit, localSteps, rejectionOf, remoteSteps, snapshotOf } from './order-steps.js';

export async function legacyOrderLifecycle(input: OrderLifecycleInput): Promise<OrderState> {
  const { order, settings } = input;
  const ref = { orderId: order.orderId, accountId: order.accountId, venue: order.venue, symbol: order.symbol };
  const state: OrderState = input.resume ?? {
    orderId: order.orderId,
    status: 'RECEIVED',
    clientOrderId: clientOrderIdFor(order.orderId),
    executedQty: '0',
    cumulativeQuoteQty: '0',
    eventSeq: 0,
  };
  let submitted = input.resume !== undefined;
  let cancelRequested = false;
  let cancelInFlight = false;
  let poked = false;
  const exchangeLock = new Mutex();
  // Patched: histories recorded before this ran the short steps as ordinary activities.
  const { db, checks, portfolio } = patched('local-short-steps') ? localSteps : remoteSteps;

  setHandler(statusQuery, () => state);
  setHandler(priceMovedSignal, () => {
    poked = true;
  });
  setHandler(
    cancelOrderUpdate,
    async ({ reason }) => {
      cancelInFlight = true;
      cancelRequested = true;
      try {
        // Before submission the main flow ends the order itself; otherwise cancel on the venue.
        await condition(() => submitted || isTerminal(state.status));
        if (!isTerminal(state.status)) await exchangeLock.runExclusive(() => cancelOnVenue(reason));
        else await condition(() => isTerminal(state.status));
        return { status: state.status, executedQty: state.executedQty } satisfies CancelResult;
      } finally {
        cancelInFlight = false;
      }
    },
    {
      validator: (_request) => {
        if (isTerminal(state.status)) throw new Error(`Order is already ${state.status}; there is nothing to cancel`);
        if (cancelInFlight) throw new Error('A cancel for this order is already in progress');
      },
    },
  );

  async function transition(status: OrderStatus, cause: string, detail: Record<string, unknown> = {}) {
    state.status = status;
    await db.recordTransition({ ...ref, seq: ++state.eventSeq, status, cause, detail, state: snapshotOf(state) });
  }

  async function applySnapshot(snap: ExchangeOrderSnapshot, cause: string) {
    const filledMore = snap.executedQty !== state.executedQty;
    const changed = snap.status !== state.status || filledMore;
    state.exchangeOrderId = snap.exchangeOrderId;
    state.executedQty = snap.executedQty;
    state.cumulativeQuoteQty = snap.cumulativeQuoteQty;
    // While our cancel is in flight the order shows PENDING_CANCEL unless it reached an end.
    const status = cancelInFlight && !isTerminal(snap.status) ? 'PENDING_CANCEL' : snap.status;
    if (changed || status !== state.status) await transition(status, cause, { exchangeStatus: snap.status, executedQty: snap.executedQty });
    // The activity that returned `snap` has stored its fills: the account's portfolio recalculates.
    // Patched: histories recorded before this step replay without it.
    if (filledMore && patched('portfolio-notify-on-fill')) await portfolio.notifyPortfolio({ accountId: order.accountId, orderId: order.orderId });
  }

  async function reject(code: string, reason: string) {
    state.rejectCode = code;
    state.rejectReason = reason;
    await transition('REJECTED', 'rejected', { code, reason });
  }

  async function cancelOnVenue(reason?: string) {
    if (isTerminal(state.status)) return;
    await transition('PENDING_CANCEL', 'cancel requested', reason ? { reason } : {});
    const snap = await exchangeCancel.cancelOrder({ ...ref, clientOrderId: state.clientOrderId });
    await applySnapshot(snap, 'cancel answered');
  }

  if (!input.resume) {
    await db.recordOrderReceived({ order, clientOrderId: state.clientOrderId, workflowId: workflowInfo().workflowId });
    state.eventSeq = 1;

    for (const check of [checks.validateOrder, checks.checkRisk]) {
      let verdict;
      try {
        verdict = await check(order);
      } catch (err) {
        const rejection = rejectionOf(err);
        if (!rejection) throw err;
        verdict = { ok: false as const, ...rejection };
      }
      if (!verdict.ok) {
        await reject(verdict.code, verdict.reason);
        return state;
      }
    }
    if (cancelRequested) {
      await transition('CANCELED', 'canceled before submission');
      return state;
    }
    await transition('PENDING_NEW', 'validated');
    await exchangeLock.runExclusive(async () => {
      const placed = await submitExactlyOnce();
      if (placed) await applySnapshot(placed, 'submitted');
      submitted = true;
    });
  }

  // Track to a terminal state: poll with capped backoff, sooner when a price moves or a cancel lands.
  let delay = 1000;
  let polls = 0;
  while (!isTerminal(state.status)) {
    if (polls >= settings.pollsPerRun || workflowInfo().continueAsNewSuggested) {
      await condition(allHandlersFinished);
      return continueAsNew<typeof legacyOrderLifecycle>({ order, settings, resume: state });
    }
    const woken = await condition(() => poked || isTerminal(state.status), delay);
    poked = false;
    if (isTerminal(state.status)) break;
    polls++;
    await exchangeLock.runExclusive(async () => {
      if (isTerminal(state.status)) return;
      const snap = await exchangeRead.syncOrder({ ...ref, clientOrderId: state.clientOrderId });
      if (snap) await applySnapshot(snap, 'exchange update');
    });
    delay = woken ? 1000 : Math.min(delay * 2, settings.pollMaxMs);
  }
  await condition(allHandlersFinished);
  return state;

  /**
   * Submits with the order's one client order id. Every attempt queries first and adopts an order
   * it finds; an ambiguous answer is settled by queries (with a "not found" grace window), never
   * by a blind resubmit. Returns undefined when the order ended REJECTED.
   */
  async function submitExactlyOnce(): Promise<ExchangeOrderSnapshot | undefined> {
    for (let attempt = 1; ; attempt++) {
      try {
        const result = await exchangeSubmit.submitOrder({ order, clientOrderId: state.clientOrderId });
        return result.order;
      } catch (err) {
        const failure = err instanceof ActivityFailure ? err.cause : err;
        const rejection = rejectionOf(err);
        if (rejection) {
          await reject(rejection.code, rejection.reason);
          return undefined;
        }
        if (failure instanceof ApplicationFailure && failure.type === 'ExchangeBusy') {
          const [detail] = failure.details as [{ retryAfterMs: number }];
          await sleep(detail.retryAfterMs);
        } else if (failure instanceof ApplicationFailure && failure.type === 'ExchangeUnavailable') {
          await sleep(Math.min(1000 * 2 ** (attempt - 1), 30_000));
        } else {
          // Outcome unknown (timeout, lost worker, 5xx, or an error we did not foresee, such as a
          // database failure after the venue accepted): only queries may settle it.
          const found = await settleAmbiguousSubmit(failure instanceof Error ? failure.message : String(failure));
          if (found) return found;
        }
        if (attempt >= settings.maxSubmitAttempts) {
          await reject('SUBMIT_FAILED', `Order could not be placed after ${attempt} attempts: ${failure instanceof Error ? failure.message : 'unknown error'}`);
          return undefined;
        }
      }
    }
  }

  /** Queries with backoff until the order shows up or the grace window passes. */
  async function settleAmbiguousSubmit(why: string): Promise<ExchangeOrderSnapshot | undefined> {
    await db.recordEvent({ ...ref, seq: ++state.eventSeq, status: state.status, cause: 'submit outcome unknown', detail: { why } });
    const deadline = Date.now() + settings.notFoundWindowMs;
    let wait = 500;
    for (;;) {
      const found = await exchangeRead.queryOrder({ ...ref, clientOrderId: state.clientOrderId });
      if (found) return found;
      if (Date.now() >= deadline) return undefined;
      await sleep(Math.min(wait, Math.max(deadline - Date.now(), 1)));
      wait = Math.min(wait * 2, 10_000);
    }
  }
}
