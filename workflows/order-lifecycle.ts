/**
 * One order, from validation to a terminal state. Every exchange call and database write is an
 * activity; this function only decides what happens next, so a crash anywhere resumes here.
 *
 * Exactly once: the order has one client order id. A submission whose outcome is ambiguous
 * (timeout, reset, 5xx, -1006/-1007, "Duplicate order sent", a lost worker) is never sent to
 * Binance again: only the venue's own answer settles it, and until it does the order is UNKNOWN
 * and keeps being looked for. The whole run is shielded from workflow cancellation, which is
 * turned into a cancel of the venue order instead (see README, "Exactly once").
 */
import {
  ApplicationFailure,
  CancellationScope,
  CancelledFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  patched,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
  type ActivityOptions,
} from '@temporalio/workflow';
import { Decimal } from 'decimal.js';
import type { ExchangeOrderSnapshot } from '../activities/orders/venue-activities.js';
import {
  CANCEL_FAILED,
  cancelOrderUpdate,
  clientOrderIdFor,
  isTerminal,
  priceMovedSignal,
  statusQuery,
  venueEventSignal,
  type CancelResult,
  type OrderRequest,
  type OrderState,
  type OrderLifecycleInput,
  type OrderSettings,
  type OrderStatus,
  type VenueOrderEvent,
  type VenueOrderUpdate,
} from './definitions.js';
import { Mutex } from './lib/mutex.js';
import { legacyOrderLifecycle } from './order-lifecycle-v1.js';
import { exchangeCancelBounded, exchangePoll, exchangeRead, exchangeSubmit, failureOf, localSteps, messageOf, rejectionOf, snapshotOf } from './order-steps.js';
import { orderKeys, orderSearchAttributes } from './search-attributes.js';

export type { OrderLifecycleInput, OrderSettings };

/** How long a submission waits out the venue's rate limit (Retry-After) before the order is REJECTED, never placed. */
const BUSY_LIMIT_MS = 120_000;

/** The patch that introduced this version; runs started before it continue in order-lifecycle-v1.ts. */
export const EXACTLY_ONCE_PATCH = 'exactly-once-v2';

/**
 * The patch after which the order tells its story in the Web UI: search attributes upserted at
 * every transition, current details, and summaries on its activities and timers. Runs recorded
 * before it replay without any of them.
 */
export const UI_STORY_PATCH = 'order-ui-story';

/**
 * The patch after which the order hears of its changes from the venue (`venueEvent`: Binance's
 * user data stream, the paper venue's fills) and polls only as a safety net. Runs recorded before
 * it take the signal as a reason to poll.
 */
export const VENUE_EVENTS_PATCH = 'venue-events';

/** The patch that brought good-till-date orders (asked only by orders that have an `expireAt`). */
export const GOOD_TILL_DATE_PATCH = 'good-till-date';

/**
 * What a run does beyond the exactly-once core, by the patches it was recorded with; a run of
 * `orderLifecycleV3` has them all and asks for none.
 */
interface Generation {
  story: boolean;
  events: boolean;
  goodTillDate: () => boolean;
  /** Upserts only a changed OrderStatus: the starter set the others (and RECEIVED) at start. */
  lean: boolean;
}

/**
 * The order workflow of runs started before `orderLifecycleV3`: each later behaviour behind the
 * patch that brought it, so that every recorded run replays as it ran. Runs started as it keep it
 * (continuing as new included); new orders start `orderLifecycleV3`.
 */
export async function orderLifecycle(input: OrderLifecycleInput): Promise<OrderState> {
  if (!patched(EXACTLY_ONCE_PATCH)) return legacyOrderLifecycle(input);
  const story = patched(UI_STORY_PATCH);
  const events = patched(VENUE_EVENTS_PATCH);
  return trackOrder(input, { story, events, goodTillDate: () => patched(GOOD_TILL_DATE_PATCH), lean: false });
}

/**
 * The order workflow every order starts with. The same code as `orderLifecycle` with every patch
 * applied, but a new type rather than a patch: a run of it records no patch markers (each
 * `patched()` costs a marker and a TemporalChangeVersion upsert per run, for good), and an older
 * worker that does not know the type leaves its tasks to a newer one instead of running them.
 * Its next behaviour changes go through `patched()` as usual.
 */
export async function orderLifecycleV3(input: OrderLifecycleInput): Promise<OrderState> {
  return trackOrder(input, { story: true, events: true, goodTillDate: () => true, lean: true });
}

async function trackOrder(input: OrderLifecycleInput, generation: Generation): Promise<OrderState> {
  const { order, settings } = input;
  const { db, checks, portfolio } = localSteps;
  const ref = { orderId: order.orderId, accountId: order.accountId, venue: order.venue, symbol: order.symbol };
  const state: OrderState = input.resume ?? {
    orderId: order.orderId,
    status: 'RECEIVED',
    clientOrderId: clientOrderIdFor(order.orderId),
    executedQty: '0',
    cumulativeQuoteQty: '0',
    eventSeq: 0,
  };
  const venueRef = () => ({ ...ref, clientOrderId: state.clientOrderId, credentials: state.credentials, sinceMs: state.submittedAtMs });
  // A resumed PENDING_NEW (restarted by the reconciler) may never have been sent: submit() decides.
  let submitted = input.resume !== undefined && input.resume.status !== 'PENDING_NEW';
  let poked = false;
  let cancelInFlight = false;
  let cancelReason: string | undefined;
  /** The venue's refusal of the last cancel, for the Update that asked for it. */
  let cancelError: string | undefined;
  /** After a cancel with no clear answer, when to send it again. */
  let cancelRetryAt = 0;
  let missingReported = false;
  let lastReadError: string | undefined;
  /** The last look at the venue failed or fell short of what an event said: look again soon, not at the safety poll. */
  let lookFailed = false;
  const exchangeLock = new Mutex();
  const { story, events, lean } = generation;
  /** This order's venue reports its changes: open orders then poll only every safetyPollMs. */
  const eventDriven = events && settings.safetyPollMs !== undefined && (settings.eventVenues ?? []).includes(order.venue);
  const venueEvents: VenueOrderEvent[] = [];
  /** Good-till-date: a durable timer's worth of the workflow's clock, surviving any restart. */
  const expireAtMs = order.expireAt !== undefined && generation.goodTillDate() ? Date.parse(order.expireAt) : undefined;
  const expired = () => expireAtMs !== undefined && Date.now() >= expireAtMs;
  let polls = 0;

  /** An activity call with a one-line summary for the Web UI (once the patch is in); the proxy's options apply. */
  function call<A extends unknown[], R>(
    fn: ((...args: A) => Promise<R>) & { executeWithOptions(options: ActivityOptions, args: A): Promise<R> },
    summary: string,
    ...args: A
  ): Promise<R> {
    return story ? fn.executeWithOptions({ summary }, args) : fn(...args);
  }
  const timer = (summary: string) => (story ? { summary } : undefined);
  const seconds = (ms: number) => `${Math.round(ms / 100) / 10} s`;

  /**
   * The OrderStatus the run's search attributes hold (lean runs upsert only a change of it): what the
   * starter set, or, after continue-as-new, what the server carried over from the previous run.
   */
  let shownStatus = lean ? workflowInfo().typedSearchAttributes.get(orderKeys.OrderStatus) : undefined;

  /** The search attributes and the UI's "current details": status, fill, average price. */
  function tellStory() {
    if (!story) return;
    if (!lean) upsertSearchAttributes(orderSearchAttributes(order, state.clientOrderId, state.status));
    else if (shownStatus !== state.status) {
      // A starter that set none (the reconciler's restart) gets them all once.
      upsertSearchAttributes(shownStatus === undefined ? orderSearchAttributes(order, state.clientOrderId, state.status) : [{ key: orderKeys.OrderStatus, value: state.status }]);
      shownStatus = state.status;
    }
    const filled = new Decimal(state.executedQty);
    const average = filled.isZero() ? '—' : new Decimal(state.cumulativeQuoteQty).div(filled).toSignificantDigits(12).toString();
    setCurrentDetails(
      [
        `**${state.status}** · filled ${state.executedQty} of ${order.quantity} ${order.symbol} · average price ${average}`,
        state.exchangeOrderId ? `${order.venue} order ${state.exchangeOrderId} · client id ${state.clientOrderId}` : `client id ${state.clientOrderId}`,
        order.trailingDelta !== undefined
          ? `trailing stop ${order.trailingDelta} bps · trigger price ${state.triggerPrice ?? 'not yet active'}${state.triggerPrice && order.venue === 'binance' ? ' (estimated from our prices: Binance does not publish it)' : ''}`
          : '',
        order.parent ? `part of ${order.parent.kind} ${order.parent.id} (${order.parent.role ?? 'child'}) · workflow ${order.parent.workflowId}` : '',
        state.rejectReason ? `rejected: ${state.rejectReason}` : '',
        state.cancelRequested && !isTerminal(state.status) ? 'cancel requested' : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  // A cancellation of the workflow (UI, CLI) becomes a cancel of the order; every step below runs
  // in a non-cancellable scope, so no venue call is abandoned half-way.
  CancellationScope.current().cancelRequested.catch(() => {
    state.workflowCancelled = true;
    if (!isTerminal(state.status)) state.cancelRequested = true;
    poked = true;
  });

  setHandler(statusQuery, () => state);
  setHandler(priceMovedSignal, () => {
    poked = true;
  });
  setHandler(venueEventSignal, (e) => {
    if (events) venueEvents.push(e);
    else poked = true;
  });
  // Events that arrived as the previous run continued as new.
  if (events) venueEvents.push(...(input.events ?? []));
  setHandler(
    cancelOrderUpdate,
    // Shielded too: a workflow cancellation must not cut this handler off between its steps.
    ({ reason }) => CancellationScope.nonCancellable(async () => {
      state.cancelRequested = true;
      cancelReason = reason;
      cancelError = undefined;
      poked = true;
      if (state.status === 'UNKNOWN') {
        await db.recordEvent({ ...ref, seq: ++state.eventSeq, status: state.status, cause: 'cancel requested', detail: { reason: reason ?? null, pending: 'the order is cancelled as soon as the venue shows it' } });
      }
      // Answers once the cancel is done or refused, or at once while the order is UNKNOWN.
      await condition(() => isTerminal(state.status) || state.status === 'UNKNOWN' || cancelError !== undefined);
      if (cancelError !== undefined) throw ApplicationFailure.create({ type: 'CancelFailed', nonRetryable: true, message: `The venue did not cancel the order: ${cancelError}` });
      return { status: state.status, executedQty: state.executedQty } satisfies CancelResult;
    }),
    {
      validator: (_request) => {
        if (isTerminal(state.status)) throw new Error(`Order is already ${state.status}; there is nothing to cancel`);
        if (state.cancelRequested) {
          throw new Error(state.status === 'UNKNOWN' ? 'A cancel is already pending: the order is UNKNOWN and is cancelled as soon as the venue shows it' : 'A cancel for this order is already in progress');
        }
      },
    },
  );

  async function transition(status: OrderStatus, cause: string, detail: Record<string, unknown> = {}) {
    state.status = status;
    tellStory();
    await db.recordTransition({ ...ref, seq: ++state.eventSeq, status, cause, detail, state: snapshotOf(state) });
  }

  async function event(cause: string, detail: Record<string, unknown>) {
    await db.recordEvent({ ...ref, seq: ++state.eventSeq, status: state.status, cause, detail });
  }

  async function applySnapshot(snap: ExchangeOrderSnapshot, cause: string) {
    // Cumulative fills never shrink: a read lagging behind an event the order applied is stale.
    if (events && new Decimal(snap.executedQty).lt(state.executedQty)) {
      lookFailed = true;
      return;
    }
    const filledMore = snap.executedQty !== state.executedQty;
    const trigger = snap.triggerPrice !== undefined && snap.triggerPrice !== state.triggerPrice;
    if (trigger) state.triggerPrice = snap.triggerPrice;
    const changed = snap.status !== state.status || filledMore;
    state.exchangeOrderId = snap.exchangeOrderId;
    state.executedQty = snap.executedQty;
    state.cumulativeQuoteQty = snap.cumulativeQuoteQty;
    // While our cancel is in flight the order shows PENDING_CANCEL unless it reached an end.
    const status = cancelInFlight && !isTerminal(snap.status) ? 'PENDING_CANCEL' : snap.status;
    if (changed || status !== state.status) await transition(status, cause, { exchangeStatus: snap.status, executedQty: snap.executedQty });
    else if (trigger) tellStory();
    // The activity that returned `snap` has stored its fills: the account's portfolio recalculates.
    if (filledMore) await portfolio.notifyPortfolio({ accountId: order.accountId, orderId: order.orderId });
  }

  async function reject(code: string, reason: string) {
    state.rejectCode = code;
    state.rejectReason = reason;
    await transition('REJECTED', 'rejected', { code, reason });
  }

  /**
   * Cancels on the venue. A refusal puts the order back where it was and tells the Update why; no
   * clear answer (two minutes of timeouts or 5xx) keeps the cancel requested and sends it again later.
   */
  async function cancelOnVenue() {
    const before: OrderStatus = state.status !== 'PENDING_CANCEL' ? state.status : state.executedQty === '0' ? 'NEW' : 'PARTIALLY_FILLED';
    cancelInFlight = true;
    try {
      if (state.status !== 'PENDING_CANCEL') {
        await transition('PENDING_CANCEL', state.workflowCancelled ? 'workflow cancelled' : 'cancel requested', cancelReason ? { reason: cancelReason } : {});
      }
      const snap = await call(exchangeCancelBounded.cancelOrder, `cancel on ${order.venue}`, venueRef());
      cancelInFlight = false;
      await applySnapshot(snap, 'cancel answered');
    } catch (err) {
      cancelInFlight = false;
      const why = messageOf(err);
      if (!rejectionOf(err)) {
        cancelRetryAt = Date.now() + settings.pollMaxMs;
        return event('cancel not answered', { why, next: 'sent again; the order stays PENDING_CANCEL until the venue answers' });
      }
      await transition(before, CANCEL_FAILED, { reason: why });
      cancelError = why;
      // A cancelled workflow keeps its intent and tries again later; an Update's caller decides.
      if (state.workflowCancelled) cancelRetryAt = Date.now() + settings.pollMaxMs;
      else state.cancelRequested = false;
    }
  }

  /**
   * What the venue reported since the last look, oldest fill first. A repeat or a late event
   * (less filled than we know, or an open status we already have) changes nothing; a fill is
   * stored from the event's trade, unless the stored trades then fall short of the event's
   * cumulative quantity (an event was lost): then the order and its trades are read from the venue.
   */
  async function applyVenueEvents() {
    const batch = venueEvents.splice(0).sort((a, b) => (a.kind === 'update' && b.kind === 'update' ? new Decimal(a.executedQty).cmp(b.executedQty) : 0));
    let looked = false;
    for (const e of batch) {
      if (isTerminal(state.status)) return;
      // Before the venue has answered our submission, an event says only "look now" (and that the order exists).
      if (e.kind === 'update' && (state.status === 'UNKNOWN' || state.status === 'PENDING_NEW')) state.seenOnStream = true;
      if (e.kind === 'check' || !state.exchangeOrderId || state.status === 'UNKNOWN' || state.status === 'PENDING_NEW') {
        if (!looked) {
          looked = true;
          polls++;
          await refresh();
        }
        continue;
      }
      // A reused client id (Binance accepts it again once the first order filled) is another order.
      if (e.exchangeOrderId !== state.exchangeOrderId) continue;
      await applyUpdate(e);
    }
  }

  async function applyUpdate(e: VenueOrderUpdate) {
    const filled = new Decimal(e.executedQty);
    if (filled.lt(state.executedQty)) return;
    if (e.triggerPrice !== undefined && e.triggerPrice !== state.triggerPrice) {
      state.triggerPrice = e.triggerPrice;
      tellStory();
    }
    const more = filled.gt(state.executedQty);
    if (!more && (e.status === state.status || !isTerminal(e.status))) return;
    if (more || e.trade) {
      const owner = { orderId: order.orderId, accountId: order.accountId, venue: order.venue, symbol: order.symbol, side: order.side };
      const { recorded } = await db.recordVenueFill({ owner, trade: e.trade });
      if (new Decimal(recorded).lt(filled)) {
        // The read may lag the event, fail or find nothing: then the order is looked at again soon.
        try {
          const snap = await call(exchangePoll.syncOrder, 'read the order and its trades: an event was missed', venueRef());
          lookFailed = !snap || new Decimal(snap.executedQty).lt(filled);
          if (snap) await applySnapshot(snap, 'exchange update after a missed event');
        } catch (err) {
          lookFailed = true;
          const why = messageOf(err);
          if (why !== lastReadError) await event('venue read failed', { why, next: 'looked at again with backoff' });
          lastReadError = why;
        }
        return;
      }
    }
    // A cancel not yet answered keeps the order PENDING_CANCEL until the venue ends it.
    const status = state.status === 'PENDING_CANCEL' && !isTerminal(e.status) ? 'PENDING_CANCEL' : e.status;
    await applySnapshot({ exchangeOrderId: e.exchangeOrderId, status, executedQty: e.executedQty, cumulativeQuoteQty: e.cumulativeQuoteQty }, `${order.venue} event`);
  }

  /** Submits the order; returns when it is on the venue, refused, or UNKNOWN. */
  async function submit(): Promise<void> {
    let refused = 0;
    const firstAttemptAt = Date.now();
    for (;;) {
      // Where the venue's order history is searched from: this attempt (earlier ones were refused).
      state.submittedAtMs = Date.now();
      let failure: ReturnType<typeof failureOf>;
      try {
        const result = await call(exchangeSubmit.submitOrder, `submit to ${order.venue}`, { order, clientOrderId: state.clientOrderId });
        state.credentials = result.credentials;
        await applySnapshot(result.order, result.adopted ? 'found on the venue before submitting' : 'submitted');
        return;
      } catch (err) {
        const rejection = rejectionOf(err);
        if (rejection) return reject(rejection.code, rejection.reason);
        failure = failureOf(err);
      }
      // Refused before anything reached the matching engine: sending again is safe. A rate limit
      // is waited out (Retry-After) for up to BUSY_LIMIT_MS; other refusals count against
      // maxSubmitAttempts. Either way the order ends REJECTED knowing nothing was placed.
      if (failure.type === 'ExchangeBusy') {
        if (Date.now() + failure.retryAfterMs - firstAttemptAt > BUSY_LIMIT_MS) {
          return reject('SUBMIT_FAILED', `The venue kept refusing requests for its rate limit for over ${BUSY_LIMIT_MS / 1000} s (last: ${failure.message}); nothing was placed. Submit it again later.`);
        }
        await sleep(failure.retryAfterMs, timer(`wait ${seconds(failure.retryAfterMs)}: the venue's rate limit`));
        continue;
      }
      if (failure.type === 'ExchangeUnavailable') {
        if (++refused >= settings.maxSubmitAttempts) {
          return reject('SUBMIT_FAILED', `The venue refused the order ${refused} times before it reached the matching engine (last: ${failure.message}); nothing was placed. Submit it again later.`);
        }
        const backoff = Math.min(1000 * 2 ** (refused - 1), 30_000);
        await sleep(backoff, timer(`wait ${seconds(backoff)}, then submit again (refused ${refused}×, nothing placed)`));
        continue;
      }
      // Outcome unknown: only the venue's answer settles it.
      const found = await lookForSubmission(failure.message);
      if (found) return applySnapshot(found, 'found on the venue after an ambiguous submission');
      // The paper venue places in one transaction keyed by the client id, so "not there" is proof
      // and sending again returns the first order if it lands late. Binance gives no such proof.
      if (order.venue === 'paper' && failure.type !== 'DuplicateOrder') {
        if (state.status !== 'UNKNOWN') await transition('UNKNOWN', 'submit outcome unknown', { why: failure.message });
        continue;
      }
      return transition('UNKNOWN', 'submit outcome unknown', { why: failure.message, next: 'looking for the order on the venue until it answers; it is never sent again' });
    }
  }

  /** Looks for the order quickly for the not-found window (a fresh order can be invisible for a while). */
  async function lookForSubmission(why: string): Promise<ExchangeOrderSnapshot | undefined> {
    await event('submit outcome unknown', { why });
    const deadline = Date.now() + settings.notFoundWindowMs;
    let wait = 500;
    for (;;) {
      const found = await call(exchangeRead.locateOrder, `look for the order on ${order.venue}`, venueRef());
      if (found) return found;
      if (Date.now() >= deadline) return undefined;
      const pause = Math.min(wait, Math.max(deadline - Date.now(), 1));
      await sleep(pause, timer(`wait ${seconds(pause)}, then look again`));
      wait = Math.min(wait * 2, 10_000);
    }
  }

  /** One look at the venue: the known order by id, or the UNKNOWN one wherever it may show. */
  async function refresh() {
    try {
      if (state.status === 'UNKNOWN') {
        const found = await call(exchangePoll.locateOrder, `look for the UNKNOWN order (poll #${polls})`, venueRef());
        if (found) return applySnapshot(found, 'found on the venue');
        // An order the stream has shown exists, whatever the REST views say: it is never sent again.
        if (order.venue === 'binance' && !state.seenOnStream && Date.now() - (state.submittedAtMs ?? 0) >= unseenSettleMs()) return settleUnseen();
        return;
      }
      const snap = await call(exchangePoll.syncOrder, `poll #${polls}`, venueRef());
      lookFailed = false;
      if (snap) return applySnapshot(snap, 'exchange update');
      if (!missingReported) {
        missingReported = true;
        await event('venue does not show the order', { next: "still tracked; check that the account's exchange credentials are the ones that placed it" });
      }
    } catch (err) {
      // Reads that keep failing (a refused key, a venue down) must not hold the order: a cancel
      // can still go through, and the next look comes with the backoff. Each new reason is recorded.
      const why = messageOf(err);
      if (why !== lastReadError) await event('venue read failed', { why, next: 'looked at again with backoff' });
      lastReadError = why;
      lookFailed = true;
    }
  }

  /**
   * Binance rejects a request that arrives later than its timestamp plus recvWindow (at most 60 s),
   * so once far past that an unanswered POST can no longer create an order; what remains is the
   * venue's query lag. An order that every view of the venue (by id, open orders, history) has not
   * shown for ten not-found windows, and at least a minute (the largest recvWindow), past its POST was never received:
   * it is submitted again (or ends CANCELED if a cancel was asked for meanwhile).
   */
  const unseenSettleMs = () => Math.max(10 * settings.notFoundWindowMs, 60_000);

  async function settleUnseen() {
    const found = await call(exchangeRead.releaseUnseenSubmission, 'settle a submission the venue never showed', venueRef());
    if (found) return applySnapshot(found, 'found on the venue');
    await event('submission never reached the venue', { next: state.cancelRequested ? 'canceled' : 'submitted again', after: `${unseenSettleMs() / 1000} s unseen` });
    if (state.cancelRequested) return transition('CANCELED', 'canceled: the order never reached the venue');
    await submit();
  }

  const wantsVenueCancel = () =>
    state.cancelRequested === true && submitted && !cancelInFlight && !isTerminal(state.status) && state.status !== 'UNKNOWN' && Date.now() >= cancelRetryAt;

  return CancellationScope.nonCancellable(async () => {
    tellStory();
    if (!input.resume) {
      await db.recordOrderReceived({ order, clientOrderId: state.clientOrderId, workflowId: workflowInfo().workflowId });
      state.eventSeq = 1;
      for (const check of [checks.validateOrder, checks.checkRisk]) {
        if (isTerminal(state.status)) break;
        let verdict;
        try {
          verdict = await check(order);
        } catch (err) {
          const rejection = rejectionOf(err);
          if (!rejection) throw err;
          verdict = { ok: false as const, ...rejection };
        }
        if (!verdict.ok) await reject(verdict.code, verdict.reason);
      }
      if (!isTerminal(state.status) && state.cancelRequested) await transition('CANCELED', state.workflowCancelled ? 'workflow cancelled before submission' : 'canceled before submission');
      if (!isTerminal(state.status) && expired()) await transition('CANCELED', 'good-till-date passed before submission', { expireAt: order.expireAt });
      if (!isTerminal(state.status)) {
        await transition('PENDING_NEW', 'validated');
        await exchangeLock.runExclusive(submit);
      }
      submitted = true;
    } else if (state.status === 'PENDING_NEW' || (state.status === 'UNKNOWN' && order.venue === 'paper')) {
      // Restarted by the reconciler before an answer was recorded. Binance: submitOrder refuses a
      // second POST of an order whose first one is in doubt. Paper: placing again is keyed.
      await exchangeLock.runExclusive(submit);
      submitted = true;
    }

    // Track to a terminal state: poll with capped backoff, sooner when a price moves or a cancel lands.
    let delay = eventDriven && !isTerminal(state.status) && state.status !== 'UNKNOWN' ? settings.safetyPollMs! : 1000;
    while (!isTerminal(state.status)) {
      // Checked first: even a cancel that keeps failing (or a flood of events) must not grow one
      // run's history forever. With events, it waits for no Update (a cancel's Update waits for
      // this loop): it continues as new once none is running, and carries the events over.
      if (polls >= settings.pollsPerRun || workflowInfo().continueAsNewSuggested) {
        if (!events) {
          await condition(allHandlersFinished);
          return continueAsNew<typeof orderLifecycle>({ order, settings, resume: state });
        }
        if (allHandlersFinished()) return continueAsNew<typeof orderLifecycle>({ order, settings, resume: state, events: venueEvents.splice(0) });
      }
      if (venueEvents.length > 0) {
        await exchangeLock.runExclusive(applyVenueEvents);
        continue;
      }
      if (expired() && !state.cancelRequested) {
        state.cancelRequested = true;
        cancelReason = `good-till-date ${order.expireAt} reached`;
        await event('good-till-date reached', { expireAt: order.expireAt, next: 'cancelled on the venue (what filled before stays filled)' });
        continue;
      }
      if (wantsVenueCancel()) {
        polls++;
        await exchangeLock.runExclusive(cancelOnVenue);
        continue;
      }
      // A look that failed (or fell short of an event) is repeated with the backoff, not at the safety poll.
      if (events && lookFailed && delay > settings.pollMaxMs) delay = 1000;
      const wake = () => poked || isTerminal(state.status) || wantsVenueCancel() || venueEvents.length > 0;
      // A condition is evaluated on new events only: a cancel to send again must end the wait itself.
      const cancelDue = state.cancelRequested && state.status !== 'UNKNOWN' && cancelRetryAt > Date.now() ? cancelRetryAt - Date.now() : Infinity;
      const expiresIn = expireAtMs !== undefined && !state.cancelRequested ? expireAtMs - Date.now() : Infinity;
      const wait = events ? Math.max(100, Math.min(delay, cancelDue, expiresIn)) : delay;
      const summary = timer(
        eventDriven && state.status !== 'UNKNOWN'
          ? `wait for the venue's events; safety poll in ${seconds(wait)}`
          : `wait ${seconds(wait)} for the next poll (sooner on a price move or a cancel)`,
      );
      const woken = summary ? await condition(wake, wait, summary) : await condition(wake, wait);
      poked = false;
      if (isTerminal(state.status) || wantsVenueCancel() || venueEvents.length > 0) continue;
      polls++;
      await exchangeLock.runExclusive(async () => {
        if (!isTerminal(state.status)) await refresh();
      });
      // An order whose venue sends events polls as a safety net only; an UNKNOWN one is looked for.
      delay = eventDriven && state.status !== 'UNKNOWN' && !lookFailed ? settings.safetyPollMs! : woken ? 1000 : Math.min(delay * 2, settings.pollMaxMs);
    }
    await condition(allHandlersFinished);
    if (state.workflowCancelled && state.status === 'CANCELED') throw new CancelledFailure(`Workflow cancelled: the order was canceled on ${order.venue}`);
    return state;
  });
}
