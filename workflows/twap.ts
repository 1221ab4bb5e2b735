/**
 * A TWAP: a parent that sleeps until each slice's time (durable timers) and starts the slice as an
 * ordinary order lifecycle child, whose id is derived from the TWAP's id and the slice's index. A
 * restart, a replay or a continue-as-new names the same child, and Temporal refuses a second one,
 * so each slice is placed exactly once with every guarantee of a plain order.
 */
import {
  ApplicationFailure,
  ActivityFailure,
  allHandlersFinished,
  condition,
  continueAsNew,
  getExternalWorkflowHandle,
  proxyActivities,
  proxyLocalActivities,
  setCurrentDetails,
  setHandler,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import { WorkflowExecutionAlreadyStartedError } from '@temporalio/common';
import type { TwapActivities } from '../activities/twap/twap-activities.js';
import { isTerminal, orderWorkflowId, type OrderRequest } from './definitions.js';
import { startChildOrder } from './lib/child-orders.js';
import { initialTwapState, TwapBook } from './lib/twap-book.js';
import { presets } from './presets.js';
import { orderKeys } from './search-attributes.js';
import {
  amendTwapUpdate,
  cancelTwapUpdate,
  isTwapTerminal,
  pauseTwapUpdate,
  resumeTwapUpdate,
  sliceOrderId,
  twapStatusQuery,
  type TwapInput,
  type TwapSlice,
  type TwapState,
} from './twap-definitions.js';

const venueRead = proxyActivities<TwapActivities>(presets.exchangeRead);
/**
 * Progress writes are ordinary activities, not local ones: a workflow task that runs a local
 * activity sends its commands (the next slice's timer among them) only once that activity is done,
 * and every slice would start late by as much.
 */
const db = proxyActivities<TwapActivities>(presets.db);
const localDb = proxyLocalActivities<TwapActivities>(presets.db);
const precise = proxyActivities<TwapActivities>(presets.twapWait).waitUntil;

/** Slices per run before continue-as-new keeps the history short (about ten events each). */
const SLICES_PER_RUN = 250;
/** The last stretch before a slice's time, waited out in the worker rather than by a server timer. */
const PRECISE_WINDOW_MS = 1500;

export async function twapOrder(input: TwapInput): Promise<TwapState> {
  const { twap, settings } = input;
  const book = new TwapBook(input.carried ?? initialTwapState(twap), twap.twapId);
  const state = book.state;
  /** Working slices of this run: index → settles once the slice's order has ended. */
  const working = new Map<number, Promise<void>>();
  let wake = false;
  let childrenCancelled = false;
  let startedThisRun = 0;

  function tellStory() {
    upsertSearchAttributes([
      { key: orderKeys.OrderStatus, value: state.status },
      { key: orderKeys.OrderType, value: 'TWAP' },
      { key: orderKeys.Symbol, value: twap.symbol },
      { key: orderKeys.Side, value: twap.side },
      { key: orderKeys.Venue, value: twap.venue },
      { key: orderKeys.AccountId, value: twap.accountId },
    ]);
    const next = state.schedule[state.nextIndex];
    setCurrentDetails(
      [
        `**${state.status}** · filled ${state.filledQty} of ${state.targetQty} ${twap.symbol} · remaining ${state.remainingQty} · average price ${state.filledQty === '0' ? '—' : state.averagePrice}`,
        `slices started ${state.slices.filter((s) => s.startedAtMs !== undefined).length} of ${state.slicesTotal}` +
          (next !== undefined && !isTwapTerminal(state.status) ? ` · next at ${new Date(next).toISOString()}` : ''),
        state.reason ? `reason: ${state.reason}` : '',
      ]
        .filter(Boolean)
        .join('\n\n'),
    );
  }

  async function record() {
    tellStory();
    state.writes++;
    await db.recordTwapProgress({
      twapId: twap.twapId,
      rev: state.writes,
      status: state.status,
      targetQty: state.targetQty,
      endAt: state.endAt,
      slicesStarted: state.slices.filter((s) => s.startedAtMs !== undefined).length,
      filledQty: state.filledQty,
      cumulativeQuoteQty: state.cumulativeQuoteQty,
      reason: state.reason,
    });
  }

  setHandler(twapStatusQuery, () => state);
  setHandler(
    pauseTwapUpdate,
    async () => {
      state.status = 'PAUSED';
      wake = true;
      await record();
      return state;
    },
    { validator: () => book.validatePause() },
  );
  setHandler(
    resumeTwapUpdate,
    async ({ endAt }) => {
      if (endAt !== undefined) state.endAt = new Date(endAt).toISOString();
      book.reschedule(Date.now());
      state.status = 'RUNNING';
      await record();
      return state;
    },
    { validator: ({ endAt }) => book.validateResume(endAt, Date.now()) },
  );
  setHandler(
    amendTwapUpdate,
    async (request) => {
      book.amend(request, Date.now());
      wake = true;
      await record();
      return state;
    },
    { validator: (request) => book.validateAmend(request, Date.now()) },
  );
  setHandler(
    cancelTwapUpdate,
    async ({ reason }): Promise<TwapState> => {
      state.status = 'CANCELING';
      state.reason = reason ?? 'cancelled on request';
      wake = true;
      await record();
      await condition(() => isTwapTerminal(state.status));
      return state;
    },
    { validator: (_request) => book.validateCancel() },
  );

  /** A slice whose figures no child result carries (its workflow ended cancelled, or an earlier run started it): read from the orders table. */
  async function settleFromOrders(slice: TwapSlice) {
    for (;;) {
      const [row] = await localDb.sliceOrders({ accountId: twap.accountId, orderIds: [slice.orderId] });
      if (row && isTerminal(row.status)) return book.settle(slice, { status: row.status, executedQty: row.executed_qty, cumulativeQuoteQty: row.cumulative_quote_qty });
      await sleep(2000, { summary: `wait for slice ${slice.index + 1} to end` });
    }
  }

  function follow(slice: TwapSlice, done: Promise<void>) {
    working.set(
      slice.index,
      done.then(async () => {
        working.delete(slice.index);
        await record();
      }),
    );
  }

  async function startSlice(startedAtMs: number) {
    const index = state.nextIndex;
    const scheduledAtMs = state.schedule[index]!;
    const { quantity, tooSmall } = book.nextSlice();
    state.nextIndex++;
    const slice: TwapSlice = { index, orderId: sliceOrderId(twap.twapId, index), scheduledAtMs, quantity, status: 'SKIPPED', executedQty: '0', cumulativeQuoteQty: '0' };
    state.slices.push(slice);
    if (tooSmall) {
      // Nothing placed: its quantity rolls over to the slices left (the last one's is left unplaced).
      slice.note = `skipped: ${tooSmall}`;
      return record();
    }
    const role = `slice ${index + 1} of ${state.slicesTotal}`;
    const limit = twap.sliceType === 'LIMIT';
    // A LIMIT slice rests until the next slice's time; what it did not fill rolls over to later slices.
    const expireAtMs = limit ? (state.schedule[index + 1] ?? Date.parse(state.endAt)) : undefined;
    const order: OrderRequest = {
      orderId: slice.orderId,
      accountId: twap.accountId,
      venue: twap.venue,
      symbol: twap.symbol,
      side: twap.side,
      type: twap.sliceType,
      quantity,
      price: limit ? twap.limitPrice : undefined,
      timeInForce: limit ? 'GTC' : undefined,
      expireAt: expireAtMs !== undefined ? new Date(expireAtMs).toISOString() : undefined,
      parent: { kind: 'twap', id: twap.twapId, workflowId: workflowInfo().workflowId, role },
    };
    slice.status = 'RECEIVED';
    slice.startedAtMs = startedAtMs;
    startedThisRun++;
    try {
      const child = await startChildOrder(order, settings, `TWAP ${role}: ${twap.side} ${quantity} ${twap.symbol} ${twap.sliceType} on ${twap.venue}`);
      follow(
        slice,
        child.result().then(
          (end) => book.settle(slice, { status: end.status, executedQty: end.executedQty, cumulativeQuoteQty: end.cumulativeQuoteQty }),
          () => settleFromOrders(slice),
        ),
      );
    } catch (err) {
      if (!(err instanceof WorkflowExecutionAlreadyStartedError)) throw err;
      // The same order, started before (never a second one): follow it through the orders table.
      slice.note = 'started by an earlier run of this TWAP';
      follow(slice, settleFromOrders(slice));
    }
    // The read model hears of the slice when it ends (follow): one write per slice keeps the history short.
    tellStory();
  }

  async function cancelWorkingSlices() {
    childrenCancelled = true;
    for (const index of [...working.keys()]) {
      const slice = state.slices[index];
      if (!slice) continue;
      // The order lifecycle turns a workflow cancellation into a cancel on the venue.
      await getExternalWorkflowHandle(orderWorkflowId(slice.orderId))
        .cancel()
        .catch(() => undefined);
    }
  }

  async function reject(reason: string) {
    state.status = 'REJECTED';
    state.reason = reason;
    await record();
    return state;
  }

  if (!state.rules) {
    try {
      state.rules = await venueRead.twapSliceRules({ venue: twap.venue, accountId: twap.accountId, symbol: twap.symbol, limitPrice: twap.limitPrice });
    } catch (err) {
      const failure = err instanceof ActivityFailure ? err.cause : err;
      if (!(failure instanceof ApplicationFailure && failure.type === 'TwapRejected')) throw err;
      return reject(failure.message);
    }
    // The API checks the plan against the rules it knows; these are the venue's own, read now.
    const { tooSmall } = book.nextSlice();
    if (tooSmall) return reject(`${tooSmall}; nothing was placed`);
  }
  await record();

  while (state.nextIndex < state.slicesTotal && (state.status === 'RUNNING' || state.status === 'PAUSED')) {
    if (state.status === 'PAUSED') {
      await condition(() => state.status !== 'PAUSED');
      continue;
    }
    const due = state.schedule[state.nextIndex]!;
    if (startedThisRun >= SLICES_PER_RUN || workflowInfo().continueAsNewSuggested) {
      // Only with no slice working: a child's result cannot be awaited from the next run.
      const quiet = await condition(() => (working.size === 0 && allHandlersFinished()) || wake, Math.max(due - Date.now(), 1), { summary: 'wait for working slices, then continue as new' });
      if (quiet && working.size === 0 && allHandlersFinished()) return continueAsNew<typeof twapOrder>({ twap, settings, carried: state });
    }
    // A durable timer fires up to a second late on the server: it ends PRECISE_WINDOW_MS early,
    // and the worker waits out the rest to the millisecond.
    if (due - Date.now() > PRECISE_WINDOW_MS) {
      wake = false;
      await condition(() => wake, due - Date.now() - PRECISE_WINDOW_MS, { summary: `wait for slice ${state.nextIndex + 1} of ${state.slicesTotal}` });
      continue;
    }
    if (due > Date.now()) {
      wake = false;
      await precise.executeWithOptions({ ...presets.twapWait, summary: `slice ${state.nextIndex + 1} due at ${new Date(due).toISOString()}` }, [{ atMs: due }]);
      // Paused, cancelled or rescheduled meanwhile: decide again.
      if (wake || state.schedule[state.nextIndex] !== due) continue;
    }
    // Workflow time: when this task started, right before the slice's start is sent.
    if (state.status === 'RUNNING') await startSlice(Date.now());
  }

  // Every slice has started, or the TWAP is cancelled: wait for the working ones to end.
  for (;;) {
    if (state.status === 'CANCELING' && !childrenCancelled) await cancelWorkingSlices();
    if (working.size === 0) break;
    await condition(() => working.size === 0 || (state.status === 'CANCELING' && !childrenCancelled));
  }
  await Promise.all(working.values());
  state.status = state.status === 'CANCELING' ? 'CANCELED' : 'COMPLETED';
  await record();
  await condition(allHandlersFinished);
  return state;
}
